"""Who a console request comes from: its session cookie, the session's row in the store, and
the identity that row names, resolved afresh on each request so a deleted user, a changed
policy or a deactivated key takes effect at once.

Session ids are 32 random bytes; the cookie holds them and the store only their digest. The
CSRF token of a session is derived from its id (a digest the page reads once from
`/console/api/session`, which a page of another origin cannot read), so it needs no storage
and changes with every sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from opendynamo import errors
from opendynamo.authz.policy.identity import Identity, console_user, root_arn
from opendynamo.engine import console_sessions
from opendynamo.engine.console_sessions import Session
from opendynamo.engine.directory import DEFAULT_ACCOUNT
from opendynamo.server.auth import Authority, check_session_token
from opendynamo.server.protocol import DEFAULT_REGION

COOKIE = "opendynamo-console"
_REGION_RE = re.compile(r"[a-z0-9-]{1,32}")


def new_session_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def csrf_token(session_id: str) -> str:
    digest = hashlib.sha256(b"console csrf\x00" + session_id.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def csrf_matches(session_id: str, presented: bytes) -> bool:
    return hmac.compare_digest(csrf_token(session_id).encode(), presented)


def cookie_value(cookie_header: bytes) -> str | None:
    """The session id in a Cookie header, if it holds one of the right shape."""
    for part in cookie_header.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == COOKIE.encode() and 20 <= len(value) <= 64:
            try:
                return value.decode("ascii")
            except UnicodeDecodeError:
                return None
    return None


def set_cookie(session_id: str, max_age: int, secure: bool) -> tuple[bytes, bytes]:
    """The session cookie: sent only to /console, never readable by scripts, never on a
    request another site starts."""
    value = f"{COOKIE}={session_id}; Path=/console; Max-Age={max_age}; HttpOnly; SameSite=Strict"
    return b"Set-Cookie", (value + ("; Secure" if secure else "")).encode()


def clear_cookie(secure: bool) -> tuple[bytes, bytes]:
    return set_cookie("", 0, secure)


def region_or(requested: bytes, default: str) -> str:
    """The region a console request names (its X-Console-Region header), else the session's."""
    if not requested:
        return default
    text = requested.decode("latin-1")
    if not _REGION_RE.fullmatch(text):
        raise errors.validation(f"The region '{text[:40]}' is not a region name.")
    return text


def identity_of(authority: Authority, session: Session) -> Identity | None:
    """The identity a session speaks for now, or None when it is gone (the key deleted or
    deactivated, the user deleted or made again under the same name)."""
    if session.kind == "anonymous":
        if authority.mode != "off":
            return None  # a session of a server that ran without authentication
        account = DEFAULT_ACCOUNT
        return Identity(account, root_arn(account), account, "root", "")
    if session.kind == "key":
        assert session.access_key is not None
        resolved = authority.principal(session.access_key)
        if resolved is None:
            return None
        identity = resolved[0]
        try:
            check_session_token(identity, session.session_token)
        except errors.DynamoError:
            return None
        return identity
    assert session.user_name is not None and session.user_id is not None
    with authority.store.read() as txn:
        return console_user(txn, session.account, session.user_name, session.user_id)


def load(authority: Authority, session_id: str, now: float, lifetime: float) -> Session | None:
    """The session of a cookie's id. With `--auth off` nobody signs in and any id will do: it
    only binds the page's CSRF token, so nothing is stored for it."""
    if authority.mode == "off":
        return Session("anonymous", DEFAULT_ACCOUNT, DEFAULT_REGION, now + lifetime)
    with authority.store.read() as txn:
        return console_sessions.get_session(txn, session_id, now)
