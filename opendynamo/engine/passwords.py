# TEMPORARY STUB (helper A writes the real one) -- do not commit
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SignIn:
    ok: bool
    user: dict[str, Any] | None
    reset_required: bool
def check_sign_in(txn: Any, account: str, user_name: str, password: str, now: float) -> SignIn:
    return SignIn(False, None, False)
def note_sign_in(txn: Any, account: str, user_name: str, now: float) -> None:
    pass
