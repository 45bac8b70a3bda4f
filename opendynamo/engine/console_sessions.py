"""The console's sign-in sessions and its count of failed sign-ins, kept in the store so that
every worker and every server of a fleet knows them (a browser's next request may reach any).

A session row is found by the SHA-256 of the session id the browser holds in its cookie, so
the store never holds an id a browser could present. The row says who signed in: an IAM user
by name and unique id (signed in with a password), an access key (signed in with a key pair:
the key's identity is resolved on every request, so deactivating the key ends the session),
or the root of the default account (`--auth off`). It expires at a fixed time; signing out
deletes it; the housekeeper purges the expired ones.

Failed sign-ins are counted per subject (a user name or key id, and separately the client's
address) in a window; `refused` says when a subject has failed too often to be tried again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from opendynamo.model.layout import DIRECTORY
from opendynamo.storage.base import ReadTxn, WriteTxn, prefix_end

SESSIONS = DIRECTORY + b"C"  # + SHA-256 of the session id -> session (JSON)
ATTEMPTS = DIRECTORY + b"F"  # + SHA-256 of the subject -> failed sign-ins (JSON)

Kind = Literal["user", "key", "anonymous"]


@dataclass(frozen=True, slots=True)
class Session:
    """One signed-in browser: who (`kind` and its names), in which region by default, and
    until when (epoch seconds)."""

    kind: Kind
    account: str
    region: str
    expires: float
    user_name: str | None = None
    user_id: str | None = None
    access_key: str | None = None
    session_token: str | None = None
    reset_required: bool = False  # a password sign-in that must change its password first

    def row(self) -> dict[str, Any]:
        return {
            "Kind": self.kind,
            "Account": self.account,
            "Region": self.region,
            "Expires": self.expires,
            "UserName": self.user_name,
            "UserId": self.user_id,
            "AccessKeyId": self.access_key,
            "SessionToken": self.session_token,
            "ResetRequired": self.reset_required,
        }

    @staticmethod
    def of(row: Mapping[str, Any]) -> Session:
        return Session(
            row["Kind"],
            row["Account"],
            row["Region"],
            row["Expires"],
            row.get("UserName"),
            row.get("UserId"),
            row.get("AccessKeyId"),
            row.get("SessionToken"),
            bool(row.get("ResetRequired")),
        )


def _session_key(session_id: str) -> bytes:
    return SESSIONS + hashlib.sha256(session_id.encode()).digest()


def put_session(txn: WriteTxn, session_id: str, session: Session) -> None:
    txn.put(_session_key(session_id), orjson.dumps(session.row()))


def get_session(txn: ReadTxn, session_id: str, now: float) -> Session | None:
    """The session of an id, or None when there is none or it has expired."""
    raw = txn.get(_session_key(session_id))
    if raw is None:
        return None
    session = Session.of(orjson.loads(raw))
    return session if now < session.expires else None


def delete_session(txn: WriteTxn, session_id: str) -> None:
    txn.delete(_session_key(session_id))


def purge_expired(txn: WriteTxn, now: float) -> int:
    """Remove the sessions that have expired and the failure counts whose window ended."""
    gone = [
        key
        for key, raw in txn.range(SESSIONS, prefix_end(SESSIONS))
        if orjson.loads(raw)["Expires"] <= now
    ]
    gone += [
        key
        for key, raw in txn.range(ATTEMPTS, prefix_end(ATTEMPTS))
        if orjson.loads(raw)["Until"] <= now
    ]
    for key in gone:
        txn.delete(key)
    return len(gone)


# --- failed sign-ins ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `failures` failed sign-ins per subject within `window` seconds."""

    failures: int
    window: float


def _attempts_key(subject: str) -> bytes:
    return ATTEMPTS + hashlib.sha256(subject.encode()).digest()


def refused(txn: ReadTxn, subject: str, limit: Limit, now: float) -> bool:
    """Whether `subject` has used up its failed sign-ins for the current window."""
    raw = txn.get(_attempts_key(subject))
    if raw is None:
        return False
    row = orjson.loads(raw)
    return bool(now < row["Until"] and row["Failures"] >= limit.failures)


def note_failure(txn: WriteTxn, subject: str, limit: Limit, now: float) -> None:
    """Count one failed sign-in of `subject`; a window opens at its first failure."""
    key = _attempts_key(subject)
    raw = txn.get(key)
    row = None if raw is None else orjson.loads(raw)
    if row is None or row["Until"] <= now:
        row = {"Failures": 0, "Until": now + limit.window}
    row["Failures"] += 1
    txn.put(key, orjson.dumps(row))


def forget_failures(txn: WriteTxn, subject: str) -> None:
    """A successful sign-in clears the subject's count."""
    txn.delete(_attempts_key(subject))
