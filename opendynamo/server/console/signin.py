"""Signing in to the console, as on AWS: an IAM user's name and password (its login profile),
or an access key pair (the root user's, a user's, or session credentials with their token).

Failures are counted per user or key and per client address (`engine/console_sessions`), and
a subject that failed too often is refused for the rest of its window before its password is
even looked at. Every failure answers the same message, so a caller learns nothing of which
part was wrong; a password check costs the same whether or not the user exists
(`engine/passwords`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from opendynamo import errors
from opendynamo.authz.policy.identity import Identity, console_user
from opendynamo.engine import console_sessions, passwords
from opendynamo.engine.console_sessions import Limit, Session
from opendynamo.engine.directory import DEFAULT_ACCOUNT
from opendynamo.server.auth import Authority, check_session_token
from opendynamo.server.console.sessions import new_session_id, region_or
from opendynamo.server.protocol import DEFAULT_REGION

SUBJECT_LIMIT = Limit(failures=5, window=900.0)  # per user name or access key
CLIENT_LIMIT = Limit(failures=30, window=900.0)  # per client address
_MAX_FIELD = 512


@dataclass(frozen=True, slots=True)
class SignedIn:
    session_id: str
    session: Session
    identity: Identity
    reset_required: bool


def sign_in(
    authority: Authority, data: Any, client: str | None, now: float, lifetime: float
) -> SignedIn:
    """Check a sign-in form (JSON) and open a session, or raise the console's refusal."""
    if not isinstance(data, dict):
        raise errors.console_bad_request("A sign-in is a JSON object.")
    fields = {name: _text(data, name) for name in _FIELDS}
    region = region_or(fields["Region"].encode(), DEFAULT_REGION)
    if fields["AccessKeyId"]:
        subject = "key:" + fields["AccessKeyId"]
    elif fields["UserName"]:
        account = fields["Account"] or DEFAULT_ACCOUNT
        subject = f"user:{account}:{fields['UserName'].lower()}"
    else:
        raise errors.console_bad_request("Give a user name and password, or an access key.")
    counted = ((subject, SUBJECT_LIMIT), (f"client:{client or ''}", CLIENT_LIMIT))
    store = authority.store
    with store.read() as txn:
        if any(console_sessions.refused(txn, one, limit, now) for one, limit in counted):
            raise errors.console_too_many_attempts(int(SUBJECT_LIMIT.window // 60))
    if fields["AccessKeyId"]:
        found = _by_key(authority, fields)
    else:
        found = _by_password(authority, fields, now)
    if found is None:
        with store.write() as txn:
            for one, limit in counted:
                console_sessions.note_failure(txn, one, limit, now)
        raise errors.console_sign_in_failed()
    identity, reset_required = found
    session = _session_of(identity, fields, region, now + lifetime, reset_required)
    session_id = new_session_id()
    with store.write() as txn:
        console_sessions.forget_failures(txn, subject)
        console_sessions.put_session(txn, session_id, session)
        if session.kind == "user":
            passwords.note_sign_in(txn, identity.account, identity.name or "", now)
    return SignedIn(session_id, session, identity, reset_required)


_FIELDS = (
    "Account",
    "UserName",
    "Password",
    "AccessKeyId",
    "SecretAccessKey",
    "SessionToken",
    "Region",
)


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > _MAX_FIELD * (8 if name == "SessionToken" else 1):
        raise errors.console_bad_request(f"{name} must be a string of reasonable length.")
    return value


def _by_key(authority: Authority, fields: dict[str, str]) -> tuple[Identity, bool] | None:
    resolved = authority.principal(fields["AccessKeyId"])
    if resolved is None:
        return None
    identity, secret = resolved
    if not hmac.compare_digest(secret.encode(), fields["SecretAccessKey"].encode()):
        return None
    try:
        check_session_token(identity, fields["SessionToken"] or None)
    except errors.DynamoError:
        return None
    return identity, False


def _by_password(
    authority: Authority, fields: dict[str, str], now: float
) -> tuple[Identity, bool] | None:
    account = fields["Account"] or DEFAULT_ACCOUNT
    with authority.store.read() as txn:
        checked = passwords.check_sign_in(txn, account, fields["UserName"], fields["Password"], now)
        if not checked.ok and checked.reset_required:
            # The right password, expired under the policy's HardExpiry: only an
            # administrator can set a new one (UpdateLoginProfile).
            raise errors.console_password_expired()
        if not checked.ok or checked.user is None:
            return None
        identity = console_user(txn, account, checked.user["UserName"], checked.user["UserId"])
    return None if identity is None else (identity, checked.reset_required)


def _session_of(
    identity: Identity, fields: dict[str, str], region: str, expires: float, reset: bool
) -> Session:
    if fields["AccessKeyId"]:
        return Session(
            "key",
            identity.account,
            region,
            expires,
            access_key=identity.access_key,
            session_token=fields["SessionToken"] or None,
        )
    return Session(
        "user",
        identity.account,
        region,
        expires,
        user_name=identity.name,
        user_id=identity.user_id,
        reset_required=reset,
    )
