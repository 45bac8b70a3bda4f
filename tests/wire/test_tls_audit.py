"""HTTPS (`--tls-cert/--tls-key`) and the audit trail (`--audit-log`).

The SDKs speak HTTPS by default; boto3 here verifies the server's certificate against a test
CA made for the run, so a wrong certificate would fail the handshake. aws:SecureTransport is
true only over TLS. The audit trail records one JSON line per request with CloudTrail's field
names: who (principal ARN, access key), what (operation, resources), from where, and the
decision with the error code; it never records a secret.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import REGION, Backend, Server, unique_name

ROOT = {"aws_access_key_id": "AKIATLSROOT000000001", "aws_secret_access_key": "tls-root-secret"}
AUTH_ARGS = (
    "--auth", "iam",
    "--root-access-key-id", ROOT["aws_access_key_id"],
    "--root-secret-access-key", ROOT["aws_secret_access_key"],
)  # fmt: skip


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: Any, ca: bool
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A test CA and a certificate for 127.0.0.1 signed by it (PEM files)."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "opendynamo test CA")])
    ca = _certificate("opendynamo test CA", ca_key, ca_name, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate("127.0.0.1", server_key, ca_name, ca_key, ca=False)
    paths = {name: folder / f"{name}.pem" for name in ("ca", "cert", "key")}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture(scope="module")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory, pki: dict[str, Path], backend: Backend
) -> Iterator[Server]:
    audit = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    args = AUTH_ARGS + ("--tls-cert", str(pki["cert"]), "--tls-key", str(pki["key"]), *backend())
    server = Server(
        tmp_path_factory.mktemp("tls"), workers=2, extra_args=args + ("--audit-log", str(audit))
    )
    server.audit = audit  # type: ignore[attr-defined]
    _start_https(server, pki["ca"])
    yield server
    server.stop()


def _start_https(server: Server, ca: Path) -> None:
    """Server.start polls GET / over plain HTTP; over TLS, poll with the CA instead."""
    import ssl
    import urllib.request

    original = urllib.request.urlopen
    context = ssl.create_default_context(cafile=str(ca))

    def https_open(url: str, timeout: float = 1) -> Any:
        return original(url.replace("http://", "https://"), timeout=timeout, context=context)

    urllib.request.urlopen = https_open  # type: ignore[assignment]
    try:
        server.start()
    finally:
        urllib.request.urlopen = original


def _client(server: Server, ca: Path | bool, service: str = "dynamodb", **credentials: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"https://127.0.0.1:{server.port}",
        region_name=REGION,
        verify=str(ca) if isinstance(ca, Path) else ca,
        config=Config(retries={"total_max_attempts": 1}),
        **(credentials or ROOT),
    )


def test_boto3_verifies_the_certificate_and_works(tls_server: Server, pki: dict[str, Path]) -> None:
    ddb = _client(tls_server, pki["ca"])
    name = unique_name()
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def test_a_client_that_does_not_trust_the_ca_fails(tls_server: Server) -> None:
    from botocore.exceptions import SSLError

    with pytest.raises(SSLError):
        _client(tls_server, True).list_tables()  # the system CAs do not know the test CA


def test_secure_transport_is_true_over_tls(tls_server: Server, pki: dict[str, Path]) -> None:
    iam = _client(tls_server, pki["ca"], "iam")
    user = unique_name("u")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "dynamodb:ListTables",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ],
    }
    iam.put_user_policy(UserName=user, PolicyName="tls-only", PolicyDocument=json.dumps(policy))
    credentials = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    _client(tls_server, pki["ca"], **credentials).list_tables()


def test_plain_http_is_not_served_on_a_tls_port(tls_server: Server) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", tls_server.port, timeout=5)
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        connection.request("GET", "/")
        connection.getresponse().read()
    connection.close()


# --- the audit trail -------------------------------------------------------------------------


def _events(server: Server) -> list[dict[str, Any]]:
    path: Path = server.audit  # type: ignore[attr-defined]
    return [json.loads(line) for line in path.read_text().splitlines()]


def _wait_for(server: Server, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for event in _events(server):
            if event["requestID"] == request_id:
                return event
        time.sleep(0.05)
    raise AssertionError(f"no audit event for {request_id}")


def test_allowed_request_is_recorded(tls_server: Server, pki: dict[str, Path]) -> None:
    ddb = _client(tls_server, pki["ca"])
    reply = ddb.list_tables()
    event = _wait_for(tls_server, reply["ResponseMetadata"]["RequestId"])
    assert event["eventSource"] == "dynamodb.amazonaws.com"
    assert event["eventName"] == "ListTables"
    assert event["awsRegion"] == REGION
    assert event["sourceIPAddress"] == "127.0.0.1"
    assert event["userIdentity"]["arn"] == "arn:aws:iam::000000000000:root"
    assert event["userIdentity"]["accessKeyId"] == ROOT["aws_access_key_id"]
    assert event["decision"] == "Allow"
    assert event["errorCode"] is None
    assert event["eventTime"].endswith("Z")


def test_denied_request_is_recorded_with_its_resource(
    tls_server: Server, pki: dict[str, Path]
) -> None:
    iam = _client(tls_server, pki["ca"], "iam")
    user = unique_name("u")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    secret = key["SecretAccessKey"]
    ddb = _client(
        tls_server, pki["ca"], aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=secret
    )
    with pytest.raises(ClientError) as caught:
        ddb.get_item(TableName="Nope", Key={"pk": {"S": "x"}})
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    event = _wait_for(tls_server, caught.value.response["ResponseMetadata"]["RequestId"])
    assert event["decision"] == "Deny"
    assert event["errorCode"] == "AccessDeniedException"
    assert event["userIdentity"]["arn"] == f"arn:aws:iam::000000000000:user/{user}"
    assert event["userIdentity"]["userName"] == user
    assert event["resources"] == [{"ARN": "arn:aws:dynamodb:us-east-1:000000000000:table/Nope"}]
    text = Path(tls_server.audit).read_text()  # type: ignore[attr-defined]
    assert secret not in text and ROOT["aws_secret_access_key"] not in text


def test_iam_requests_are_recorded(tls_server: Server, pki: dict[str, Path]) -> None:
    reply = _client(tls_server, pki["ca"], "iam").list_users()
    event = _wait_for(tls_server, reply["ResponseMetadata"]["RequestId"])
    assert (event["eventSource"], event["eventName"]) == ("iam.amazonaws.com", "ListUsers")


def test_audit_log_is_off_by_default_without_iam(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", extra_args=("--auth", "sigv4") + AUTH_ARGS[2:]).start()
    try:
        server.client(**ROOT).list_tables()
        assert "eventName" not in server.output()
    finally:
        server.stop()


def test_audit_log_goes_to_stdout_by_default_with_iam(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", extra_args=AUTH_ARGS).start()
    try:
        reply = server.client(**ROOT).list_tables()
        deadline = time.monotonic() + 5
        while reply["ResponseMetadata"]["RequestId"] not in server.output():
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.05)
        line = next(
            line
            for line in server.output().splitlines()
            if line.startswith("{") and "ListTables" in line
        )
        assert json.loads(line)["eventName"] == "ListTables"
    finally:
        server.stop()
