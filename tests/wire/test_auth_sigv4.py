"""Authentication over the wire (`--auth off|sigv4`), pinned to what DynamoDB, IAM and STS answer.

- `--auth off` (the default on 127.0.0.1) takes any well-formed signature, but a request without
  an Authorization header is still MissingAuthenticationTokenException.
- `--auth sigv4` verifies signatures as DynamoDB does (as dynalite recorded against DynamoDB): ±15 minutes of
  clock skew ("Signature expired" / "Signature not yet current"), InvalidSignatureException with
  AWS's mismatch text for a wrong secret or a request altered after signing (body or a signed
  header), IncompleteSignatureException for missing parts, `host` must be signed, the presigned
  (query-string) form is accepted and may not be mixed with an Authorization header, unknown,
  deleted or inactive keys are UnrecognizedClientException.
- Session credentials (STS GetSessionToken) need their own token; a missing or altered token is
  UnrecognizedClientException ("... is invalid", no period), an expired one ExpiredTokenException,
  and a long-term key may not carry a token.
- Root credentials: generated and printed once when none are configured, kept across restarts,
  replaced by configured ones; a non-loopback host needs an explicit --auth.
- IAM and STS (Query protocol) map the same failures to SignatureDoesNotMatch / InvalidClientTokenId
  (HTTP 403), and secret access keys are never stored in plaintext.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import REGION, Backend, Server, error_of, free_port, stored_bytes, unique_name
from tests.wire.helpers import error_code, eventually
from tests.wire.http import AMZ_JSON, Reply, send

ROOT = {"aws_access_key_id": "AKIAWIRETESTROOT0001", "aws_secret_access_key": "wire-root-secret"}
CORAL = "com.amazon.coral.service#"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
TOKEN_INVALID = "The security token included in the request is invalid"
ISO = r"(\d{8}T\d{6}Z)"
EXPIRED_RE = re.compile(rf"Signature expired: {ISO} is now earlier than {ISO} \({ISO} - 15 min\.\)")
NOT_YET_RE = re.compile(
    rf"Signature not yet current: {ISO} is still later than {ISO} \({ISO} \+ 15 min\.\)"
)


def _root_args(key: dict[str, str]) -> tuple[str, ...]:
    return (
        "--root-access-key-id", key["aws_access_key_id"],
        "--root-secret-access-key", key["aws_secret_access_key"],
    )  # fmt: skip


@pytest.fixture(scope="module")
def sigv4(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    """`--auth sigv4` with a configured root key, two workers, sessions as short as 1 s."""
    srv = Server(
        tmp_path_factory.mktemp("sigv4"),
        workers=2,
        extra_args=("--auth", "sigv4", *_root_args(ROOT), *backend()),
        env={"OPENDYNAMO_MIN_SESSION_SECONDS": "1"},
    )
    try:
        yield srv.start()
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def root_ddb(sigv4: Server) -> Any:
    return sigv4.client(**ROOT)


@pytest.fixture(scope="module")
def session(sigv4: Server) -> dict[str, str]:
    """Root session credentials valid for 15 minutes, as boto3 client keyword arguments."""
    creds = sigv4.client("sts", **ROOT).get_session_token(DurationSeconds=900)["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def _signed(
    server: Server,
    credentials: dict[str, str],
    operation: str = "ListTables",
    payload: dict[str, Any] | None = None,
    auth: type[SigV4Auth] = SigV4Auth,
) -> tuple[str, bytes, dict[str, str]]:
    """(path with query, body, headers) of a DynamoDB request signed by botocore, to be altered
    before sending; Content-Length is left to http.client."""
    body = json.dumps(payload or {}).encode()
    headers = {"Content-Type": AMZ_JSON, "X-Amz-Target": f"DynamoDB_20120810.{operation}"}
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers=headers)
    creds = Credentials(
        credentials["aws_access_key_id"],
        credentials["aws_secret_access_key"],
        credentials.get("aws_session_token"),
    )
    auth(creds, "dynamodb", REGION).add_auth(request)
    prepared = request.prepare()
    path = prepared.url.removeprefix(server.endpoint)
    sent = {k: v for k, v in prepared.headers.items() if k.lower() != "content-length"}
    return path, body, sent


def _error(reply: Reply) -> tuple[str, str]:
    assert reply.status == 400, reply.body
    data = reply.json()
    return data["__type"], data.get("message", data.get("Message", ""))


def _fails(call: Callable[[], Any], code: str) -> str:
    """The message of the ClientError `call` raises, after checking its code and HTTP 400."""
    with pytest.raises(ClientError) as excinfo:
        call()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    found, message = error_of(excinfo)
    assert found == code, message
    return message


def _clock(monkeypatch: pytest.MonkeyPatch, shift: timedelta) -> None:
    """Make botocore sign as if its clock were `shift` off."""
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: real() + shift)


def _iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


# --------------------------------------------------------------------------- mode off


def test_off_accepts_any_key_and_secret(server: Server) -> None:
    for n in range(3):
        anyone = {"aws_access_key_id": f"AKIDANY{n}", "aws_secret_access_key": unique_name()}
        assert "TableNames" in server.client(**anyone).list_tables()
    path, body, headers = _signed(server, ROOT)
    headers["Authorization"] = re.sub(
        r"Signature=\w+", "Signature=" + "0" * 64, headers["Authorization"]
    )
    assert send(server, path=path, body=body, headers=headers).status == 200


def test_off_still_needs_an_authorization_header(server: Server) -> None:
    path, body, headers = _signed(server, ROOT)
    del headers["Authorization"]
    assert _error(send(server, path=path, body=body, headers=headers)) == (
        CORAL + "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    )


# --------------------------------------------------------------------------- sigv4: keys


def test_root_key_works(sigv4: Server, root_ddb: Any) -> None:
    for _ in range(4):  # fresh connections: both workers
        assert "TableNames" in root_ddb.list_tables()
    identity = sigv4.client("sts", **ROOT).get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"


def test_wrong_secret(sigv4: Server) -> None:
    ddb = sigv4.client(**{**ROOT, "aws_secret_access_key": "not-the-secret"})
    message = _fails(ddb.list_tables, "InvalidSignatureException")
    assert message.split("\n\n")[0] == MISMATCH  # AWS may append the canonical request


def test_unknown_key(sigv4: Server) -> None:
    ddb = sigv4.client(aws_access_key_id="AKIAUNKNOWNKEY000000", aws_secret_access_key="x")
    message = _fails(ddb.list_tables, "UnrecognizedClientException")
    assert message == "The security token included in the request is invalid."


@pytest.mark.parametrize("minutes", [-20, 20])
def test_clock_skew_beyond_15_minutes(
    sigv4: Server, monkeypatch: pytest.MonkeyPatch, minutes: int
) -> None:
    _clock(monkeypatch, timedelta(minutes=minutes))
    signed_at = datetime.now(UTC) + timedelta(minutes=minutes)
    message = _fails(sigv4.client(**ROOT).list_tables, "InvalidSignatureException")
    match = (EXPIRED_RE if minutes < 0 else NOT_YET_RE).fullmatch(message)
    assert match, message
    request, limit, now = (_iso(group) for group in match.groups())
    assert abs(request - signed_at) < timedelta(seconds=5)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
    assert limit - now == timedelta(minutes=15 if minutes > 0 else -15)


@pytest.mark.parametrize("minutes", [-14, 14])
def test_clock_skew_within_15_minutes(
    sigv4: Server, monkeypatch: pytest.MonkeyPatch, minutes: int
) -> None:
    _clock(monkeypatch, timedelta(minutes=minutes))
    assert "TableNames" in sigv4.client(**ROOT).list_tables()


def test_body_changed_after_signing(sigv4: Server) -> None:
    path, body, headers = _signed(sigv4, ROOT, payload={"Limit": 5})
    assert send(sigv4, path=path, body=body, headers=headers).status == 200
    tampered = body.replace(b"5", b"6")
    assert _error(send(sigv4, path=path, body=tampered, headers=headers)) == (
        CORAL + "InvalidSignatureException",
        MISMATCH,
    )


def test_signed_header_changed_after_signing(sigv4: Server) -> None:
    path, body, headers = _signed(sigv4, ROOT, "ListTables")
    headers["X-Amz-Target"] = "DynamoDB_20120810.DescribeLimits"
    assert _error(send(sigv4, path=path, body=body, headers=headers)) == (
        CORAL + "InvalidSignatureException",
        MISMATCH,
    )


def test_missing_date_header(sigv4: Server) -> None:
    path, body, headers = _signed(sigv4, ROOT)
    del headers["X-Amz-Date"]
    assert _error(send(sigv4, path=path, body=body, headers=headers)) == (
        CORAL + "IncompleteSignatureException",
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={headers['Authorization']}",
    )


def test_missing_authorization_parts(sigv4: Server) -> None:
    path, body, headers = _signed(sigv4, ROOT)
    algorithm, rest = headers["Authorization"].split(" ", 1)
    parts = dict(part.split("=", 1) for part in rest.split(", "))
    headers["Authorization"] = f"{algorithm} SignedHeaders={parts['SignedHeaders']}"
    assert _error(send(sigv4, path=path, body=body, headers=headers)) == (
        CORAL + "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        f"Authorization={headers['Authorization']}",
    )


class _HostlessAuth(SigV4Auth):
    """Signs every header but `host`."""

    def headers_to_sign(self, request: AWSRequest) -> Any:
        signed = super().headers_to_sign(request)
        del signed["host"]
        return signed


def test_host_must_be_signed(sigv4: Server) -> None:
    path, body, headers = _signed(sigv4, ROOT, auth=_HostlessAuth)
    assert "host" not in headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert _error(send(sigv4, path=path, body=body, headers=headers)) == (
        CORAL + "InvalidSignatureException",
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    )


class _JsonQueryAuth(SigV4QueryAuth):
    """Presigns a JSON request: botocore would move the body into the query string, which
    only suits the Query protocol; here the body stays and its hash is signed."""

    def _modify_request_before_signing(self, request: AWSRequest) -> None:
        body, request.data = request.data, b""
        super()._modify_request_before_signing(request)
        request.data = body


def test_presigned_request(sigv4: Server) -> None:
    path, body, headers = _signed(sigv4, ROOT, payload={"Limit": 1}, auth=_JsonQueryAuth)
    assert "Authorization" not in headers and "X-Amz-Signature=" in path
    reply = send(sigv4, path=path, body=body, headers=headers)
    assert reply.status == 200, reply.body
    assert "TableNames" in reply.json()
    wrong = {**ROOT, "aws_secret_access_key": "nope"}
    path, body, headers = _signed(sigv4, wrong, auth=_JsonQueryAuth)
    assert _error(send(sigv4, path=path, body=body, headers=headers)) == (
        CORAL + "InvalidSignatureException",
        MISMATCH,
    )


def test_presigned_and_authorization_header(sigv4: Server) -> None:
    path, body, headers = _signed(sigv4, ROOT, auth=_JsonQueryAuth)
    headers["Authorization"] = _signed(sigv4, ROOT)[2]["Authorization"]
    assert _error(send(sigv4, path=path, body=body, headers=headers)) == (
        CORAL + "InvalidSignatureException",
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    )


def test_user_key_inactive_or_deleted(sigv4: Server) -> None:
    iam = sigv4.client("iam", **ROOT)
    user = unique_name("u")
    iam.create_user(UserName=user)
    keys = [iam.create_access_key(UserName=user)["AccessKey"] for _ in range(2)]
    clients = [
        sigv4.client(aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
        for k in keys
    ]
    for ddb in clients * 2:  # warm both workers' key caches
        assert "TableNames" in ddb.list_tables()
    iam.update_access_key(UserName=user, AccessKeyId=keys[0]["AccessKeyId"], Status="Inactive")
    iam.delete_access_key(UserName=user, AccessKeyId=keys[1]["AccessKeyId"])
    for ddb in clients * 2:
        message = _fails(ddb.list_tables, "UnrecognizedClientException")
        assert message == "The security token included in the request is invalid."
    iam.update_access_key(UserName=user, AccessKeyId=keys[0]["AccessKeyId"], Status="Active")
    for _ in range(2):
        assert "TableNames" in clients[0].list_tables()


# --------------------------------------------------------------------------- session tokens


def test_session_credentials_work(sigv4: Server, session: dict[str, str]) -> None:
    for _ in range(2):
        assert "TableNames" in sigv4.client(**session).list_tables()
    arn = sigv4.client("sts", **session).get_caller_identity()["Arn"]
    assert arn == "arn:aws:iam::000000000000:root"


@pytest.mark.parametrize("token", [None, "changed"])
def test_session_token_missing_or_changed(
    sigv4: Server, session: dict[str, str], token: str | None
) -> None:
    creds = {k: v for k, v in session.items() if k != "aws_session_token"}
    if token is not None:
        creds["aws_session_token"] = session["aws_session_token"][:-8] + "AAAAAAA="
    message = _fails(sigv4.client(**creds).list_tables, "UnrecognizedClientException")
    assert message == TOKEN_INVALID


def test_session_expires(sigv4: Server) -> None:
    sts = boto3.client(  # botocore's own check would refuse DurationSeconds below 900
        "sts",
        endpoint_url=sigv4.endpoint,
        region_name=REGION,
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
        **ROOT,
    )
    creds = sts.get_session_token(DurationSeconds=1)["Credentials"]
    issued = time.monotonic()
    short = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    ddb = sigv4.client(**short)
    # No clock to move: the second has to pass. The credentials are refused within the 2.2 s
    # this test always allowed them; it goes on as soon as they are.
    eventually(
        lambda: error_code(ddb.list_tables) == "ExpiredTokenException",
        issued + 2.2 - time.monotonic(),
        0.1,
        lambda: f"the session credentials did not expire: {error_code(ddb.list_tables)}",
    )
    message = _fails(ddb.list_tables, "ExpiredTokenException")
    assert message == "The security token included in the request is expired"


def test_long_term_key_with_a_token(sigv4: Server) -> None:
    ddb = sigv4.client(**ROOT, aws_session_token="bWFkZS11cC10b2tlbg==")
    message = _fails(ddb.list_tables, "UnrecognizedClientException")
    assert message.startswith(TOKEN_INVALID)


# --------------------------------------------------------------------------- IAM and STS (Query)


def _query_fails(call: Callable[[], Any], code: str) -> str:
    with pytest.raises(ClientError) as excinfo:
        call()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    found, message = error_of(excinfo)
    assert found == code, message
    return message


def test_sts_wrong_secret(sigv4: Server) -> None:
    sts = sigv4.client("sts", **{**ROOT, "aws_secret_access_key": "wrong"})
    assert _query_fails(sts.get_caller_identity, "SignatureDoesNotMatch").startswith(MISMATCH)


def test_sts_and_iam_unknown_key(sigv4: Server) -> None:
    unknown = {"aws_access_key_id": "AKIAUNKNOWNKEY000001", "aws_secret_access_key": "x"}
    sts = sigv4.client("sts", **unknown)
    assert _query_fails(sts.get_caller_identity, "InvalidClientTokenId").startswith(TOKEN_INVALID)
    iam = sigv4.client("iam", **unknown)
    _query_fails(iam.list_users, "InvalidClientTokenId")


# --------------------------------------------------------------------------- secrets at rest


def test_secrets_not_stored_in_plaintext(sigv4: Server) -> None:
    iam = sigv4.client("iam", **ROOT)
    user = unique_name("u")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    user_ddb = sigv4.client(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    assert "TableNames" in user_ddb.list_tables()  # it is stored (and found)
    stored = stored_bytes(sigv4)
    assert stored
    for data in stored:
        for secret in (key["SecretAccessKey"], ROOT["aws_secret_access_key"]):
            assert secret.encode() not in data


# --------------------------------------------------------------------------- root credentials

GENERATED_RE = re.compile(r"aws_access_key_id = (AKIA[A-Z0-9]{16})\s+aws_secret_access_key = (\S+)")


def test_root_key_generated_once_and_kept(tmp_path: Path) -> None:
    servers: list[Server] = []

    def start(**env: str) -> Server:
        srv = Server(tmp_path, workers=2, extra_args=("--auth", "sigv4"), env=env)
        servers.append(srv)
        return srv.start()

    try:
        first = start()
        found = GENERATED_RE.findall(first.output())
        assert len(found) == 1, first.output()
        generated = {"aws_access_key_id": found[0][0], "aws_secret_access_key": found[0][1]}
        assert "TableNames" in first.client(**generated).list_tables()
        first.stop()

        again = start()
        assert "aws_secret_access_key" not in again.output()
        assert generated["aws_secret_access_key"] not in again.output()
        assert "TableNames" in again.client(**generated).list_tables()
        again.stop()

        configured = {"aws_access_key_id": "AKIAENVROOTKEY000001", "aws_secret_access_key": "env"}
        third = start(
            OPENDYNAMO_ROOT_ACCESS_KEY_ID=configured["aws_access_key_id"],
            OPENDYNAMO_ROOT_SECRET_ACCESS_KEY=configured["aws_secret_access_key"],
        )
        assert "aws_secret_access_key" not in third.output()
        assert "TableNames" in third.client(**configured).list_tables()
        message = _fails(third.client(**generated).list_tables, "UnrecognizedClientException")
        assert message == "The security token included in the request is invalid."
    finally:
        for srv in servers:
            srv.stop()


def test_non_loopback_host_needs_auth(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "opendynamo", "serve", "--host", "0.0.0.0"]
    args += ["--port", str(free_port()), "--data-dir", str(tmp_path)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the server started on 0.0.0.0 without --auth")
    assert process.returncode != 0
    text = output.decode()
    assert "--auth" in text and "0.0.0.0" in text, text
