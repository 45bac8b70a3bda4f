"""Raw HTTP against a test server: requests sent exactly as given, or signed with SigV4 the way
botocore signs them (so they stay valid once the server verifies signatures), each on a fresh
connection so successive calls can land on different worker processes."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import CREDENTIALS, REGION, Server

AMZ_JSON = "application/x-amz-json-1.0"


def unverified_auth(access_key: str = "AKID") -> dict[str, str]:
    """X-Amz-Date and an Authorization header signed now, well formed but with a made-up
    signature: what `--auth off` takes (it refuses a signature dated more than 15 minutes
    away, as DynamoDB does, so this is made at each call)."""
    now = datetime.now(UTC)
    return {
        "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/{now:%Y%m%d}/{REGION}/"
        "dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
    }


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


def send(
    server: Server,
    method: str = "POST",
    path: str = "/",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request on a fresh connection, exactly as given (nothing added but Host and
    Content-Length)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return Reply(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


def signed_call(
    server: Server,
    operation: str,
    payload: dict[str, Any] | bytes,
    *,
    region: str = REGION,
    content_type: str = AMZ_JSON,
    extra_headers: dict[str, str] | None = None,
    credentials: dict[str, str] | None = None,
) -> Reply:
    """A SigV4-signed DynamoDB request that bypasses botocore's client-side validation;
    `payload` is sent as given when it is bytes (signed as sent, after any encoding)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": content_type, "X-Amz-Target": f"DynamoDB_20120810.{operation}"}
    headers.update(extra_headers or {})
    return _signed_send(server, body, headers, "dynamodb", region, credentials or CREDENTIALS)


def signed_query(
    server: Server,
    service: str,
    params: dict[str, str],
    credentials: dict[str, str],
    region: str = REGION,
) -> Reply:
    """A SigV4-signed IAM or STS request (AWS Query protocol) with exactly `params`: members
    botocore's client would refuse to send (a stray `PolicyArn`) included."""
    version = "2011-06-15" if service == "sts" else "2010-05-08"
    body = urlencode({**params, "Version": version}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    return _signed_send(server, body, headers, service, region, credentials)


def _signed_send(
    server: Server,
    body: bytes,
    headers: dict[str, str],
    service: str,
    region: str,
    credentials: dict[str, str],
) -> Reply:
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers=headers)
    signer = Credentials(
        credentials["aws_access_key_id"],
        credentials["aws_secret_access_key"],
        credentials.get("aws_session_token"),
    )
    SigV4Auth(signer, service, region).add_auth(request)
    return send(server, body=body, headers=dict(request.prepare().headers.items()))
