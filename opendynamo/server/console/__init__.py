"""The web console under `/console`: its files, its sign-in and sessions, and the way its pages
reach the APIs.

The console has no privileged path. A page calls the same operations an SDK calls, in the same
protocols (DynamoDB's and Streams' JSON, IAM's Query, CloudWatch's JSON), at
`/console/api/<service>`; the only difference from `POST /` is how the caller is known: by the
session cookie and the session's CSRF token instead of a SigV4 signature. The dispatcher then
authorizes, runs, meters and audits the call exactly as it would a signed one, as the signed-in
identity, and the audit line says the call came from the console.

Answers under `/console` never carry CORS headers (only this origin's pages may read them) and
every state-changing request must come from this origin (`Origin`, `Sec-Fetch-Site`) with the
session's CSRF token.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from opendynamo import errors
from opendynamo.authz.policy.identity import Identity
from opendynamo.engine import console_sessions
from opendynamo.engine.console_sessions import Session
from opendynamo.server import awsquery, encoding, render
from opendynamo.server.auth import Authority
from opendynamo.server.body import parse_json
from opendynamo.server.console import assets, sessions, signin
from opendynamo.server.http import Reply

if TYPE_CHECKING:
    from opendynamo.server.app import Request

PREFIX = "/console"
API = "/console/api/"
SERVICES = ("dynamodb", "iam", "sts", "monitoring")
JSON = b"application/json"
NO_STORE = (b"Cache-Control", b"no-store")
# What a session that must change its password may do until it has: change it.
RESET_ALLOWS = {"iam": ("ChangePassword", "GetAccountPasswordPolicy"), "sts": ()}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a console API request is from, for the dispatcher (`App._authenticate`)."""

    identity: Identity
    region: str
    service: str


class Console:
    def __init__(
        self,
        authority: Callable[[], Authority],
        call_api: Callable[[Request], Reply],
        record: Callable[[Request, str], None],
        session_hours: float,
    ) -> None:
        self._authority = authority
        self._call_api = call_api
        self._record = record
        self._lifetime = session_hours * 3600.0

    def answer(self, request: Request) -> Reply:
        try:
            reply = self._route(request)
        except errors.DynamoError as exc:
            status, body = render.json_error(exc)
            reply = Reply(status, JSON, body, request.id, (NO_STORE,))
        return Reply(
            reply.status,
            reply.content_type,
            reply.body,
            reply.request_id,
            (*reply.headers, *assets.SECURITY_HEADERS),
        )

    def _route(self, request: Request) -> Reply:
        path, method = request.path, request.method
        if path == PREFIX:
            return Reply(302, b"text/plain", b"", request.id, ((b"Location", b"/console/"),))
        if not path.startswith(API):
            if method not in ("GET", "HEAD"):
                return _not_found(request)
            return self._asset(request, path[len(PREFIX) + 1 :] or "index.html")
        name = path[len(API) :]
        if self._authority().mode == "off" and not _addressed_by_ip(request.header(b"host")):
            # Without sign-in, a page of a rebound DNS name (DNS rebinding) would look
            # same-origin; such a page cannot name the server by its IP address.
            raise errors.console_forbidden(
                "Without sign-in (--auth off) the console answers only when addressed as "
                "localhost or by IP address."
            )
        if name == "session" and method == "GET":
            return self._session(request)
        if method != "POST":
            return _not_found(request)
        _check_origin(request)
        if name == "signin":
            return self._sign_in(request)
        if name == "signout":
            return self._sign_out(request)
        if name in SERVICES:
            return self._call(request, name)
        return _not_found(request)

    # --- files -------------------------------------------------------------------------------

    def _asset(self, request: Request, relative: str) -> Reply:
        found = assets.asset(
            relative.removeprefix("static/") if relative != "index.html" else relative
        )
        if found is None:
            return _not_found(request)
        headers: tuple[tuple[bytes, bytes], ...] = (
            (b"ETag", found.etag),
            (b"Cache-Control", b"no-cache"),
            (b"Vary", b"Accept-Encoding"),
        )
        if request.header(b"if-none-match") == found.etag:
            return Reply(304, found.content_type, b"", request.id, headers)
        accept = request.header(b"accept-encoding")
        if found.gzipped is not None and accept and encoding.preferred(accept) == b"gzip":
            headers += ((b"Content-Encoding", b"gzip"),)
            return Reply(200, found.content_type, found.gzipped, request.id, headers)
        return Reply(200, found.content_type, found.body, request.id, headers)

    # --- signing in and out ------------------------------------------------------------------

    def _session(self, request: Request) -> Reply:
        """Who is signed in (with the CSRF token the page sends back), or that nobody is. With
        `--auth off` nobody signs in: a visit opens a session of the default account's root."""
        authority = self._authority()
        session_id = sessions.cookie_value(request.header(b"cookie"))
        cookie: tuple[tuple[bytes, bytes], ...] = ()
        if session_id is None and authority.mode == "off":
            session_id = sessions.new_session_id()
            cookie = (sessions.set_cookie(session_id, int(self._lifetime), _secure(request)),)
        session = self._load(authority, session_id)
        identity = None if session is None else sessions.identity_of(authority, session)
        if identity is None or session is None or session_id is None:
            body = {"SignedIn": False, "Auth": authority.mode}
            return _json(request, body)
        return _json(request, _described(authority.mode, session_id, session, identity), cookie)

    def _sign_in(self, request: Request) -> Reply:
        authority = self._authority()
        if authority.mode == "off":
            raise errors.console_bad_request("This server runs with --auth off: nobody signs in.")
        request.operation = "ConsoleLogin"
        try:
            data = parse_json(request.body)
            done = signin.sign_in(authority, data, request.client, time.time(), self._lifetime)
            request.identity, request.region = done.identity, done.session.region
        except errors.DynamoError as exc:
            request.error = exc.type_name
            raise
        finally:
            self._record(request, "signin")
        body = _described(authority.mode, done.session_id, done.session, done.identity)
        cookie = sessions.set_cookie(done.session_id, int(self._lifetime), _secure(request))
        return _json(request, body, (cookie,))

    def _sign_out(self, request: Request) -> Reply:
        authority = self._authority()
        session_id = sessions.cookie_value(request.header(b"cookie"))
        if session_id is not None:
            _check_csrf(request, session_id)
            with authority.store.write() as txn:
                console_sessions.delete_session(txn, session_id)
        return _json(request, {"SignedIn": False}, (sessions.clear_cookie(_secure(request)),))

    # --- the APIs ----------------------------------------------------------------------------

    def _call(self, request: Request, service: str) -> Reply:
        authority = self._authority()
        session_id = sessions.cookie_value(request.header(b"cookie"))
        session = self._load(authority, session_id)
        if session_id is None or session is None:
            raise errors.console_not_signed_in()
        _check_csrf(request, session_id)
        identity = sessions.identity_of(authority, session)
        if identity is None:
            raise errors.console_not_signed_in()
        region = sessions.region_or(request.header(b"x-console-region"), session.region)
        request.console = Caller(identity, region, service)
        if session.reset_required:
            self._check_reset(request, service)
        reply = self._call_api(request)
        if session.reset_required and reply.status == 200 and request.operation == "ChangePassword":
            with authority.store.write() as txn:
                unlocked = dataclasses.replace(session, reset_required=False)
                console_sessions.put_session(txn, session_id, unlocked)
        return Reply(
            reply.status,
            reply.content_type,
            reply.body,
            reply.request_id,
            (*reply.headers, NO_STORE),
        )

    def _load(self, authority: Authority, session_id: str | None) -> Session | None:
        if session_id is None:
            return None
        return sessions.load(authority, session_id, time.time(), self._lifetime)

    def _check_reset(self, request: Request, service: str) -> None:
        allowed = RESET_ALLOWS.get(service)
        if allowed is None:
            raise errors.console_password_reset_required()
        action = awsquery.parse_form(request.body)[0]
        if action not in allowed:
            raise errors.console_password_reset_required()


def _described(
    mode: str, session_id: str, session: Session, identity: Identity
) -> dict[str, object]:
    return {
        "SignedIn": True,
        "Auth": mode,
        "Identity": {
            "Arn": identity.arn,
            "Account": identity.account,
            "UserName": identity.name,
            "Type": identity.variables()["aws:PrincipalType"],
        },
        "Region": session.region,
        "Expires": session.expires,
        "ResetRequired": session.reset_required,
        "Csrf": sessions.csrf_token(session_id),
    }


def _check_csrf(request: Request, session_id: str) -> None:
    if not sessions.csrf_matches(session_id, request.header(b"x-csrf-token")):
        raise errors.console_forbidden("The request lacks this session's CSRF token.")


def _check_origin(request: Request) -> None:
    """A state-changing request must come from a page of this origin: browsers say where a
    request comes from in `Origin` and `Sec-Fetch-Site`, and a script cannot forge either."""
    site = request.header(b"sec-fetch-site")
    if site and site not in (b"same-origin", b"none"):
        raise errors.console_forbidden("The console answers requests from its own pages only.")
    origin = request.header(b"origin")
    if origin:
        expected = request.scheme.encode() + b"://" + request.header(b"host")
        if origin != expected:
            raise errors.console_forbidden("The console answers requests from its own pages only.")


def _addressed_by_ip(host: bytes) -> bool:
    """Whether a Host header names an IP address or localhost (not a DNS name)."""
    if host.startswith(b"["):
        return True  # an IPv6 literal
    name = host.decode("latin-1").rsplit(":", 1)[0]
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _secure(request: Request) -> bool:
    return request.scheme == "https"


def _json(request: Request, body: object, headers: tuple[tuple[bytes, bytes], ...] = ()) -> Reply:
    return Reply(200, JSON, orjson.dumps(body), request.id, (*headers, NO_STORE))


def _not_found(request: Request) -> Reply:
    return Reply(404, b"text/plain", b"Not Found", request.id)
