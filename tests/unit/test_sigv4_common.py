"""sigv4's fast path for the common request shape (`_verify_common`) against the general
verifier (`_verify_general`): for a botocore-signed request and hundreds of variations of it,
the fast path either returns exactly what the general path returns, or None (and the general
path then answers, error included). It must never accept a request the general path refuses.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from opendynamo import errors
from opendynamo.server import sigv4
from opendynamo.server.sigv4 import checks, verification

KEY, SECRET = "AKIDCOMMON", "common-secret"
Headers = list[tuple[bytes, bytes]]


def signed(body: bytes = b'{"TableName":"t"}', token: str | None = None) -> Headers:
    request = AWSRequest(
        "POST",
        "http://127.0.0.1:8000/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
        },
    )
    auth = SigV4Auth(Credentials(KEY, SECRET, token), "dynamodb", "us-east-1")
    auth.add_auth(request)
    pairs = [(k.lower().encode(), str(v).encode()) for k, v in request.headers.items()]
    return [*pairs, (b"host", b"127.0.0.1:8000")]


def signed_at(headers: Headers) -> datetime:
    stamp = dict(headers)[b"x-amz-date"].decode()
    return datetime.strptime(stamp, sigv4.ISO_BASIC).replace(tzinfo=UTC)


def secret_for(key: str) -> str | None:
    return SECRET if key == KEY else None


def outcome(fast: bool, headers: Headers, body: bytes, now: datetime) -> object:
    if fast:
        return verification._verify_common("POST", headers, body, secret_for, now, "dynamodb")
    try:
        return verification._verify_general(
            "POST", "/", "", headers, body, secret_for, now, "dynamodb", False
        )
    except errors.DynamoError as exc:
        return exc


def agree(headers: Headers, body: bytes, now: datetime | None = None) -> object:
    now = now or signed_at(headers)
    fast = outcome(True, headers, body, now)
    general = outcome(False, headers, body, now)
    if fast is not None:
        assert fast == general, "the fast path accepted what the general path did not"
    fields = dict(headers)  # as the server indexes them once, when each header came once
    if len(fields) == len(headers) and all(name == name.lower() for name in fields):
        given = verification._verify_common(
            "POST", headers, body, secret_for, now, "dynamodb", fields
        )
        assert given == fast
    return fast


def test_a_botocore_request_takes_the_fast_path() -> None:
    credential = agree(signed(), b'{"TableName":"t"}')
    assert isinstance(credential, sigv4.Credential)
    assert (credential.access_key, credential.region, credential.session_token) == (
        KEY,
        "us-east-1",
        None,
    )


def test_the_session_token_is_returned() -> None:
    credential = agree(signed(token="tok"), b'{"TableName":"t"}')
    assert isinstance(credential, sigv4.Credential) and credential.session_token == "tok"


@pytest.mark.parametrize("minutes", [-16, -15, 14, 15, 16])
def test_clock_skew_edges(minutes: int) -> None:
    headers = signed()
    fast = agree(headers, b'{"TableName":"t"}', signed_at(headers) - timedelta(minutes=minutes))
    assert (fast is not None) == (abs(minutes) <= 15)


def mutations(headers: Headers, rng: random.Random) -> list[Headers]:
    out: list[Headers] = []
    for index, (name, value) in enumerate(headers):
        rest = headers[:index] + headers[index + 1 :]
        out.append(rest)  # a header missing
        out.append([*headers, (name, value)])  # a header repeated
        out.append([*rest, (name.upper(), value)])  # a header name in upper case
        out.append([*rest, (name, b"  " + value + b"  ")])  # padded value
        out.append([*rest, (name, value.replace(b" ", b"   "))])  # inner spaces widened
        for _ in range(6):  # one byte changed
            if value:
                at = rng.randrange(len(value))
                changed = value[:at] + bytes([rng.randrange(32, 127)]) + value[at + 1 :]
                out.append([*rest, (name, changed)])
    return out


def test_variations_never_widen_what_is_accepted() -> None:
    rng = random.Random(7)
    body = b'{"TableName":"t"}'
    accepted = refused = 0
    for headers in [signed(), signed(token="tok")]:
        for variant in mutations(headers, rng):
            if agree(variant, body, signed_at(headers)) is None:
                refused += 1
            else:
                accepted += 1
        assert agree(headers, body + b" ") is None  # the body is signed over
    assert accepted > 10 and refused > 50  # both outcomes were exercised


def scope_general(headers: Headers) -> object:
    try:
        auth = sigv4.parse_auth([], headers)
        key, date, region, service, _ = checks.scope_parts(auth)
    except errors.DynamoError as exc:
        return type(exc)
    return sigv4.Credential(key, date, region, service, auth.session_token)


def test_scope_of_agrees_with_the_general_parse() -> None:
    """IAM and STS requests are routed by their credential scope before they are
    authenticated; its quick parse must agree too."""
    rng = random.Random(11)
    for headers in [signed(), signed(token="tok")]:
        for variant in [headers, *mutations(headers, rng)]:
            try:
                quick: object = sigv4.scope_of(variant)
            except errors.DynamoError as exc:
                quick = type(exc)
            assert quick == scope_general(variant), variant


def shape_general(headers: Headers, now: datetime) -> object:
    try:
        return verification._checked([], sigv4.HeaderIndex(headers), now, "dynamodb")[2]
    except errors.DynamoError as exc:
        return (exc.type_name, exc.message)


def test_shape_checks_agree_with_the_general_path() -> None:
    """`--auth off` (`check_shape`) runs checks 1-9 and no more; its fast path either returns
    what the general checks return or leaves the request to them, and whatever passes them
    is what `verify` would go on to check the key and signature of."""
    rng = random.Random(13)
    taken = 0
    for headers in [signed(), signed(token="tok")]:
        for variant in [headers, *mutations(headers, rng)]:
            for skew in (0, 14, 16, -16):
                now = signed_at(headers) + timedelta(minutes=skew)
                general = shape_general(variant, now)
                shape = verification._common_shape(variant, now, "dynamodb")
                if shape is not None:
                    taken += 1
                    assert shape.credential == general, variant
                try:
                    found: object = sigv4.check_shape("", variant, now)
                except errors.DynamoError as exc:
                    found = (exc.type_name, exc.message)
                assert found == general
                verified = agree(variant, b'{"TableName":"t"}', now)
                if verified is not None:
                    assert verified == general
    assert taken > 20
