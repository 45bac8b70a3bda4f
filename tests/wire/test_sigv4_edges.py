"""SigV4 at its edges, in every auth mode (`--auth off`, `sigv4`, `iam`), pinned to what
DynamoDB answers (as dynalite recorded it against DynamoDB; AWS's "Common Parameters" and
"Common Errors" pages for the query-string form and the 15-minute window).

- A presigned request (the signature in the query string: X-Amz-Algorithm, X-Amz-Credential,
  X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Signature, optionally X-Amz-Security-Token and
  X-Amz-Expires, as botocore's SigV4QueryAuth makes it) is accepted; `off` takes any
  well-formed one, the verified modes check its signature and session token.
- Both forms at once: InvalidSignatureException "Found both 'X-Amz-Algorithm' as a query-string
  param and 'Authorization' as HTTP header." Missing query parameters (or empty ones):
  IncompleteSignatureException naming each, then "Re-examine the query-string parameters."
- A header not starting `AWS4-`, or no signature at all: MissingAuthenticationTokenException
  "Request is missing Authentication Token" (in `off` too: it has always required one). A
  partial header (`AWS4-`, no `Credential=`): IncompleteSignatureException naming what is
  missing, then "Authorization=<the header>".
- The shape checks DynamoDB makes before it looks the key up (date format, `host` signed,
  algorithm, five-part credential, scope) apply in `off` as well: it accepts any well-formed
  signature, not a malformed one.
- Clock skew: a signature more than 15 minutes old or ahead is InvalidSignatureException
  ("Signature expired: <date> is now earlier than <now - 15 min> (<now> - 15 min.)" / "Signature
  not yet current: <date> is still later than <now + 15 min> (<now> + 15 min.)") in every mode;
  a presigned request with X-Amz-Expires is good until that many seconds after its date.
- Bad query values never answer 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import REGION, Backend, Server
from tests.wire.http import AMZ_JSON, Reply, send

ROOT = {"aws_access_key_id": "AKIAEDGESTESTROOT001", "aws_secret_access_key": "edges-root-secret"}
CORAL = "com.amazon.coral.service#"
MODES = ("off", "sigv4", "iam")
VERIFIED = ("sigv4", "iam")
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
BOTH = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
MISSING_TOKEN = "Request is missing Authentication Token"
REEXAMINE = "Re-examine the query-string parameters."
ISO_FORMAT = "%Y%m%dT%H%M%SZ"
ISO = r"(\d{8}T\d{6}Z)"
EXPIRED_RE = re.compile(rf"Signature expired: {ISO} is now earlier than {ISO} \({ISO} - 15 min\.\)")
NOT_YET_RE = re.compile(
    rf"Signature not yet current: {ISO} is still later than {ISO} \({ISO} \+ 15 min\.\)"
)


@pytest.fixture(scope="module")
def servers(
    server: Server, tmp_path_factory: pytest.TempPathFactory, backend: Backend
) -> Iterator[dict[str, Server]]:
    """One server per auth mode: the shared `off` server, and `sigv4` and `iam` servers with a
    configured root key, on the same backend."""
    started: dict[str, Server] = {}
    try:
        for mode in VERIFIED:
            srv = Server(
                tmp_path_factory.mktemp(f"edges-{mode}"),
                extra_args=(
                    "--auth", mode,
                    "--root-access-key-id", ROOT["aws_access_key_id"],
                    "--root-secret-access-key", ROOT["aws_secret_access_key"],
                    *backend(),
                ),
            )  # fmt: skip
            started[mode] = srv
            srv.start()
        yield {"off": server, **started}
    finally:
        for srv in started.values():
            srv.stop()


class JsonQueryAuth(SigV4QueryAuth):
    """Presigns a JSON request: botocore would move the body into the query string, which
    only suits the Query protocol; here the body stays and its hash is signed."""

    def _modify_request_before_signing(self, request: AWSRequest) -> None:
        body, request.data = request.data, b""
        super()._modify_request_before_signing(request)
        request.data = body


class NoExpiresQueryAuth(JsonQueryAuth):
    """A presigned request without X-Amz-Expires (it is optional): the 15 minutes apply."""

    def _modify_request_before_signing(self, request: AWSRequest) -> None:
        super()._modify_request_before_signing(request)
        parts = urlsplit(request.url)
        kept = [(k, v) for k, v in parse_qsl(parts.query) if k != "X-Amz-Expires"]
        request.url = parts._replace(query=urlencode(kept)).geturl()


def signed(
    srv: Server,
    credentials: dict[str, str] = ROOT,
    *,
    auth: type[SigV4Auth] = SigV4Auth,
    expires: int = 3600,
    payload: dict[str, Any] | None = None,
) -> tuple[str, bytes, dict[str, str]]:
    """(path with query, body, headers) of a ListTables signed by botocore, to be altered
    before sending."""
    body = json.dumps(payload or {}).encode()
    headers = {"Content-Type": AMZ_JSON, "X-Amz-Target": "DynamoDB_20120810.ListTables"}
    request = AWSRequest(method="POST", url=srv.endpoint + "/", data=body, headers=headers)
    creds = Credentials(
        credentials["aws_access_key_id"],
        credentials["aws_secret_access_key"],
        credentials.get("aws_session_token"),
    )
    if issubclass(auth, SigV4QueryAuth):
        auth(creds, "dynamodb", REGION, expires=expires).add_auth(request)
    else:
        auth(creds, "dynamodb", REGION).add_auth(request)
    prepared = request.prepare()
    path = prepared.url.removeprefix(srv.endpoint)
    sent = {k: v for k, v in prepared.headers.items() if k.lower() != "content-length"}
    return path, body, sent


def presigned(srv: Server, credentials: dict[str, str] = ROOT, expires: int = 3600) -> Reply:
    path, body, headers = signed(srv, credentials, auth=JsonQueryAuth, expires=expires)
    assert "Authorization" not in headers and "X-Amz-Signature=" in path
    return send(srv, path=path, body=body, headers=headers)


def error(reply: Reply) -> tuple[str, str]:
    assert reply.status == 400, reply.body
    data = reply.json()
    return data["__type"], data.get("message", data.get("Message", ""))


def drop_param(path: str, name: str, value: str | None = None) -> str:
    """The path with query parameter `name` removed, or given `value` (kept in place)."""
    parts = urlsplit(path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if value is None:
        pairs = [(k, v) for k, v in pairs if k != name]
    else:
        pairs = [(k, value if k == name else v) for k, v in pairs]
    return parts._replace(query=urlencode(pairs)).geturl()


def shift_clock(monkeypatch: pytest.MonkeyPatch, shift: timedelta) -> None:
    """Make botocore sign as if its clock were `shift` off."""
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: real() + shift)


def parsed(text: str) -> datetime:
    return datetime.strptime(text, ISO_FORMAT).replace(tzinfo=UTC)


# --------------------------------------------------------------------------- presigned requests


@pytest.mark.parametrize("mode", MODES)
def test_presigned_request_is_accepted(servers: dict[str, Server], mode: str) -> None:
    srv = servers[mode]
    reply = presigned(srv)
    assert reply.status == 200, reply.body
    assert "TableNames" in reply.json()


def test_off_takes_any_well_formed_presigned_request(servers: dict[str, Server]) -> None:
    anyone = {"aws_access_key_id": "AKIDANYONE", "aws_secret_access_key": "made-up"}
    reply = presigned(servers["off"], anyone)
    assert reply.status == 200, reply.body
    path, body, headers = signed(servers["off"], auth=JsonQueryAuth)
    path = drop_param(path, "X-Amz-Signature", "0" * 64)
    assert send(servers["off"], path=path, body=body, headers=headers).status == 200


@pytest.mark.parametrize("mode", VERIFIED)
def test_presigned_request_verified(servers: dict[str, Server], mode: str) -> None:
    srv = servers[mode]
    wrong = {**ROOT, "aws_secret_access_key": "not-the-secret"}
    assert error(presigned(srv, wrong)) == (CORAL + "InvalidSignatureException", MISMATCH)
    unknown = {"aws_access_key_id": "AKIAEDGESUNKNOWN0001", "aws_secret_access_key": "x"}
    assert error(presigned(srv, unknown)) == (
        CORAL + "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    path, body, headers = signed(srv, auth=JsonQueryAuth, payload={"Limit": 5})
    tampered = body.replace(b"5", b"6")
    assert error(send(srv, path=path, body=tampered, headers=headers)) == (
        CORAL + "InvalidSignatureException",
        MISMATCH,
    )


@pytest.mark.parametrize("mode", VERIFIED)
def test_presigned_request_with_session_token(servers: dict[str, Server], mode: str) -> None:
    srv = servers[mode]
    creds = srv.client("sts", **ROOT).get_session_token(DurationSeconds=900)["Credentials"]
    session = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    path, body, headers = signed(srv, session, auth=JsonQueryAuth)
    assert "X-Amz-Security-Token=" in path
    reply = send(srv, path=path, body=body, headers=headers)
    assert reply.status == 200, reply.body
    # The token is signed over as a query parameter: without it the signature no longer
    # matches; signed without it, the temporary key is refused for want of its token.
    assert error(
        send(srv, path=drop_param(path, "X-Amz-Security-Token"), body=body, headers=headers)
    ) == (
        CORAL + "InvalidSignatureException",
        MISMATCH,
    )
    tokenless = {k: v for k, v in session.items() if k != "aws_session_token"}
    assert error(presigned(srv, tokenless)) == (
        CORAL + "UnrecognizedClientException",
        "The security token included in the request is invalid",
    )


@pytest.mark.parametrize("mode", MODES)
def test_presigned_sts_request(servers: dict[str, Server], mode: str) -> None:
    """IAM and STS (the Query protocol) are routed by the credential scope, which a
    presigned request carries in its query string."""
    srv = servers[mode]
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    request = AWSRequest(method="POST", url=srv.endpoint + "/", data=body, headers=headers)
    creds = Credentials(ROOT["aws_access_key_id"], ROOT["aws_secret_access_key"])
    JsonQueryAuth(creds, "sts", REGION).add_auth(request)
    prepared = request.prepare()
    sent = {k: v for k, v in prepared.headers.items() if k.lower() != "content-length"}
    path = prepared.url.removeprefix(srv.endpoint)
    assert "X-Amz-Credential=" in path and "Authorization" not in sent
    reply = send(srv, path=path, body=body, headers=sent)
    assert reply.status == 200, reply.body
    assert b"<Arn>arn:aws:iam::000000000000:root</Arn>" in reply.body


@pytest.mark.parametrize("mode", MODES)
def test_both_forms_at_once(servers: dict[str, Server], mode: str) -> None:
    srv = servers[mode]
    path, body, headers = signed(srv, auth=JsonQueryAuth)
    headers["Authorization"] = signed(srv)[2]["Authorization"]
    assert error(send(srv, path=path, body=body, headers=headers)) == (
        CORAL + "InvalidSignatureException",
        BOTH,
    )
    # X-Amz-Algorithm is what marks the query-string form, even with no value.
    path, body, headers = signed(srv)
    assert error(send(srv, path="/?X-Amz-Algorithm", body=body, headers=headers)) == (
        CORAL + "InvalidSignatureException",
        BOTH,
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "name", ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"]
)
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_presigned_parameter_missing(
    servers: dict[str, Server], mode: str, name: str, how: str
) -> None:
    srv = servers[mode]
    path, body, headers = signed(srv, auth=JsonQueryAuth)
    path = drop_param(path, name, None if how == "absent" else "")
    assert error(send(srv, path=path, body=body, headers=headers)) == (
        CORAL + "IncompleteSignatureException",
        f"AWS query-string parameters must include '{name}'. {REEXAMINE}",
    )


@pytest.mark.parametrize("mode", MODES)
def test_presigned_nothing_but_the_algorithm(servers: dict[str, Server], mode: str) -> None:
    srv = servers[mode]
    _, body, headers = signed(srv, auth=JsonQueryAuth)
    names = ("Algorithm", "Credential", "Signature", "SignedHeaders", "Date")
    assert error(send(srv, path="/?X-Amz-Algorithm", body=body, headers=headers)) == (
        CORAL + "IncompleteSignatureException",
        "".join(f"AWS query-string parameters must include 'X-Amz-{n}'. " for n in names)
        + REEXAMINE,
    )


# --------------------------------------------------------------------------- the header form


@pytest.mark.parametrize("mode", MODES)
def test_no_signature_at_all(servers: dict[str, Server], mode: str) -> None:
    srv = servers[mode]
    path, body, headers = signed(srv)
    del headers["Authorization"]
    assert error(send(srv, path=path, body=body, headers=headers)) == (
        CORAL + "MissingAuthenticationTokenException",
        MISSING_TOKEN,
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("header", ["", "AWS4", "AWS3-HMAC-SHA256 Credential=a", "Bearer x"])
def test_authorization_not_aws4(servers: dict[str, Server], mode: str, header: str) -> None:
    srv = servers[mode]
    path, body, headers = signed(srv)
    headers["Authorization"] = header
    assert error(send(srv, path=path, body=body, headers=headers)) == (
        CORAL + "MissingAuthenticationTokenException",
        MISSING_TOKEN,
    )


def _without(authorization: str, name: str) -> str:
    algorithm, rest = authorization.split(" ", 1)
    return algorithm + " " + ", ".join(p for p in rest.split(", ") if not p.startswith(name))


@pytest.mark.parametrize("mode", MODES)
def test_partial_authorization_header(servers: dict[str, Server], mode: str) -> None:
    srv = servers[mode]
    path, body, headers = signed(srv)
    whole = headers["Authorization"]
    cases = {
        "AWS4-": "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. ",
        _without(whole, "Credential="): "Authorization header requires 'Credential' parameter. ",
        _without(whole, "Credential=").replace(" ", " Credential, ", 1): (
            "Authorization header requires 'Credential' parameter. "
        ),
        _without(whole, "Signature="): "Authorization header requires 'Signature' parameter. ",
        _without(whole, "SignedHeaders="): (
            "Authorization header requires 'SignedHeaders' parameter. "
        ),
    }
    for header, problems in cases.items():
        headers["Authorization"] = header
        assert error(send(srv, path=path, body=body, headers=headers)) == (
            CORAL + "IncompleteSignatureException",
            f"{problems}Authorization={header}",
        ), header


@pytest.mark.parametrize("mode", MODES)
def test_malformed_signature_is_refused_before_the_key(
    servers: dict[str, Server], mode: str
) -> None:
    """What DynamoDB checks before it looks the access key up is checked in `off` too: an
    unknown key (as every key is to `off`) does not hide these errors."""
    srv = servers[mode]
    path, body, headers = signed(srv)
    now = headers["X-Amz-Date"]
    whole = headers["Authorization"]
    credential = re.search(r"Credential=([^,]+)", whole)[1]  # type: ignore[index]
    key, day, region, service, terminator = credential.split("/")
    cases = [
        (
            {"X-Amz-Date": "2026-01-15T09:30:00Z"},
            "IncompleteSignatureException",
            "Date must be in ISO-8601 'basic format'. Got '2026-01-15T09:30:00Z'. "
            "See http://en.wikipedia.org/wiki/ISO_8601",
        ),
        (
            {"Authorization": re.sub(r"SignedHeaders=[^,]+", "SignedHeaders=x-amz-date", whole)},
            "InvalidSignatureException",
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            {"Authorization": whole.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")},
            "IncompleteSignatureException",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
        ),
        (
            {"Authorization": whole.replace(credential, f"{key}/{day}/{region}/{service}")},
            "IncompleteSignatureException",
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{key}/{day}/{region}/{service}'",
        ),
        (
            {"Authorization": whole.replace(credential, f"{key}/20000101/{region}/s3/aws4")},
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'dynamodb'. "
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4'. "
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '20000101' != '{now[:8]}', from '{now}'.",
        ),
    ]
    assert terminator == "aws4_request"
    for change, code, message in cases:
        reply = send(srv, path=path, body=body, headers={**headers, **change})
        assert error(reply) == (CORAL + code, message), change


# --------------------------------------------------------------------------- clock skew


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("form", ["header", "query"])
@pytest.mark.parametrize("minutes", [-20, 20])
def test_clock_skew_beyond_15_minutes(
    servers: dict[str, Server], monkeypatch: pytest.MonkeyPatch, mode: str, form: str, minutes: int
) -> None:
    srv = servers[mode]
    shift_clock(monkeypatch, timedelta(minutes=minutes))
    signed_at = datetime.now(UTC) + timedelta(minutes=minutes)
    path, body, headers = signed(srv, auth=SigV4Auth if form == "header" else NoExpiresQueryAuth)
    assert ("X-Amz-Date=" in path) == (form == "query") and "X-Amz-Expires" not in path
    code, message = error(send(srv, path=path, body=body, headers=headers))
    assert code == CORAL + "InvalidSignatureException"
    match = (EXPIRED_RE if minutes < 0 else NOT_YET_RE).fullmatch(message)
    assert match, message
    request, limit, now = (parsed(group) for group in match.groups())
    assert abs(request - signed_at) < timedelta(seconds=5)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
    assert limit - now == timedelta(minutes=15 if minutes > 0 else -15)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("form", ["header", "query"])
@pytest.mark.parametrize("minutes", [-14, 14])
def test_clock_skew_within_15_minutes(
    servers: dict[str, Server], monkeypatch: pytest.MonkeyPatch, mode: str, form: str, minutes: int
) -> None:
    srv = servers[mode]
    shift_clock(monkeypatch, timedelta(minutes=minutes))
    path, body, headers = signed(srv, auth=SigV4Auth if form == "header" else NoExpiresQueryAuth)
    reply = send(srv, path=path, body=body, headers=headers)
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("mode", MODES)
def test_presigned_expires(
    servers: dict[str, Server], monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """X-Amz-Expires replaces the 15 minutes into the past: an hour-long presigned request
    signed 20 minutes ago is good, a five-minute one is not; the future keeps its 15 minutes."""
    srv = servers[mode]
    shift_clock(monkeypatch, timedelta(minutes=-20))
    assert presigned(srv, expires=3600).status == 200
    code, message = error(presigned(srv, expires=300))
    assert code == CORAL + "InvalidSignatureException"
    assert re.fullmatch(
        rf"Signature expired: {ISO} is now earlier than {ISO} \({ISO} - 300 sec\.\)", message
    ), message
    shift_clock(monkeypatch, timedelta(minutes=40))  # 20 minutes ahead
    code, message = error(presigned(srv, expires=3600))
    assert code == CORAL + "InvalidSignatureException"
    assert NOT_YET_RE.fullmatch(message), message


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("X-Amz-Date", "\udcff2026", "IncompleteSignatureException"),
        ("X-Amz-Date", "%zz", "IncompleteSignatureException"),
        ("X-Amz-Expires", "an hour", "IncompleteSignatureException"),
        ("X-Amz-Expires", "604801", "IncompleteSignatureException"),
        ("X-Amz-Credential", "\udcff/\udcfe", "IncompleteSignatureException"),
        ("X-Amz-SignedHeaders", ";", "InvalidSignatureException"),
        ("X-Amz-Algorithm", "\udcff", "IncompleteSignatureException"),
    ],
)
def test_bad_query_values_are_refused_not_failed(
    servers: dict[str, Server], mode: str, name: str, value: str, code: str
) -> None:
    srv = servers[mode]
    path, body, headers = signed(srv, auth=JsonQueryAuth)
    raw = value.encode("utf-8", "surrogateescape")
    parts = urlsplit(path)
    pairs = [
        (k, raw if k == name else v.encode())
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    query = "&".join(
        k + "=" + (v.decode("latin-1") if v == b"%zz" else urlencode({"": v})[1:]) for k, v in pairs
    )
    reply = send(srv, path="/?" + query, body=body, headers=headers)
    assert reply.status == 400, reply.body
    assert error(reply)[0] == CORAL + code
    assert reply.headers["x-amzn-requestid"]
