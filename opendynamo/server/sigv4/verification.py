"""`verify`, which runs DynamoDB's checks in its order (the package docstring lists them)
and compares the signature, with a fast path for the request shape nearly every SDK sends;
and `scope_of`, a request's credential scope checked for shape only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from opendynamo import errors
from opendynamo.server.sigv4.checks import (
    ISO_BASIC_RE,
    MAX_SKEW,
    REGION_RE,
    check_scope,
    check_time,
    request_time,
    request_time_of,
    scope_parts,
    stamp,
)
from opendynamo.server.sigv4.request import (
    Credential,
    HeaderIndex,
    Headers,
    first_value,
    parse_auth,
    parse_query,
)
from opendynamo.server.sigv4.signing import (
    ALGORITHM,
    TERMINATOR,
    canonical_request,
    payload_hash,
    signature,
    signing_key,
    string_to_sign,
)

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)

SecretLookup = Callable[[str], str | None]


def verify(
    method: str,
    path: str,
    query: str,
    headers: Headers,
    body: bytes,
    secret_for: SecretLookup,
    now: datetime | None = None,
    service: str = "dynamodb",
    *,
    allow_unsigned_payload: bool = False,
) -> Credential:
    """Check a SigV4-signed request; return its credential or raise DynamoDB's error.

    `path` is the path as sent on the wire (still percent-encoded, ASGI's `raw_path`) and
    `query` the raw query string without `?`. `secret_for` maps an access key id to its secret
    access key, or None when the key is unknown. A body declared `UNSIGNED-PAYLOAD` (in
    X-Amz-Content-Sha256) is accepted only with `allow_unsigned_payload`; otherwise the body's
    own SHA-256 is signed over, so an unsigned or mismatched declaration fails as a mismatch.
    """
    if not query and path == "/" and not allow_unsigned_payload:
        fast = _verify_common(method, headers, body, secret_for, now, service)
        if fast is not None:
            return fast
    return _verify_general(
        method, path, query, headers, body, secret_for, now, service, allow_unsigned_payload
    )


def _verify_general(
    method: str,
    path: str,
    query: str,
    headers: Headers,
    body: bytes,
    secret_for: SecretLookup,
    now: datetime | None,
    service: str,
    allow_unsigned_payload: bool,
) -> Credential:
    params = parse_query(query)
    index = HeaderIndex(headers)
    auth = parse_auth(params, index)
    when = request_time(auth)
    check_time(auth, when, now or datetime.now(UTC))
    if "host" not in (name.lower() for name in auth.signed_headers):
        raise errors.invalid_signature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if auth.algorithm != ALGORITHM:
        raise errors.incomplete_signature(
            f"Unsupported AWS 'algorithm': '{auth.algorithm}' (only {ALGORITHM} for now). "
        )
    credential = check_scope(auth, when, service)
    secret = secret_for(credential.access_key)
    if secret is None:
        raise errors.unrecognized_client()
    payload = payload_hash(index, body, allow_unsigned_payload)
    canonical = canonical_request(
        method,
        path,
        params,
        index,
        auth.signed_headers,
        payload,
        presigned=auth.presigned,
        s3=service == "s3",
    )
    scope = f"{credential.date}/{credential.region}/{credential.service}/{TERMINATOR}"
    expected = signature(secret, credential, string_to_sign(stamp(auth, when), scope, canonical))
    if not hmac.compare_digest(expected.encode(), auth.signature.encode("utf-8", "replace")):
        raise errors.invalid_signature(SIGNATURE_MISMATCH)
    return credential


_COMMON_AUTH = re.compile(
    rb"AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})"
)
_MAX_SKEW_SECONDS = int(MAX_SKEW.total_seconds())
_epochs: dict[bytes, int] = {}


def _verify_common(
    method: str,
    headers: Headers,
    body: bytes,
    secret_for: SecretLookup,
    now: datetime | None,
    service: str,
) -> Credential | None:
    """The shape nearly every SDK request has (Authorization header, X-Amz-Date, path `/`, no
    query, each header once), verified without the general path's bookkeeping. Returns None
    for anything else and for every failure, so `verify` takes the general path, which raises
    the error in DynamoDB's order; it never accepts what the general path would refuse."""
    by_name: dict[bytes, bytes] = {}
    for name, value in headers:
        name = name.lower()
        if name in by_name:
            return None
        by_name[name] = value
    found = _COMMON_AUTH.fullmatch(by_name.get(b"authorization", b""))
    amz_date = by_name.get(b"x-amz-date", b"")
    if found is None or not ISO_BASIC_RE.fullmatch(amz_date.decode("latin-1")):
        return None
    credential, signed, claimed = found.groups()
    parts = credential.decode("utf-8", "replace").split("/")
    if len(parts) != 5:
        return None
    access_key, day, region, scoped_service, terminator = parts
    names = signed.split(b";")
    if (
        scoped_service != service
        or terminator != TERMINATOR
        or day.encode() != amz_date[:8]
        or not REGION_RE.fullmatch(region)
        or b"host" not in names
        or any(name not in by_name for name in names)
    ):
        return None
    when = _epochs.get(amz_date)
    if when is None:
        try:
            when = int(request_time_of(amz_date.decode()).timestamp())
        except ValueError:
            return None
        if len(_epochs) > 64:
            _epochs.clear()
        _epochs[amz_date] = when
    current = int(time.time() if now is None else now.timestamp())
    if not current - _MAX_SKEW_SECONDS <= when <= current + _MAX_SKEW_SECONDS:
        return None
    secret = secret_for(access_key)
    if secret is None:
        return None
    canonical = b"".join(
        [
            method.upper().encode(),
            b"\n/\n\n",
            *[name + b":" + b" ".join(by_name[name].split()) + b"\n" for name in names],
            b"\n",
            signed,
            b"\n",
            hashlib.sha256(body).hexdigest().encode(),
        ]
    )
    to_sign = b"%s\n%s\n%s/%s/%s/%s\n%s" % (
        ALGORITHM.encode(),
        amz_date,
        day.encode(),
        region.encode(),
        service.encode(),
        TERMINATOR.encode(),
        hashlib.sha256(canonical).hexdigest().encode(),
    )
    key = signing_key(secret, day, region, service)
    expected = hmac.digest(key, to_sign, "sha256").hex().encode()
    if not hmac.compare_digest(expected, claimed):
        return None
    token = by_name.get(b"x-amz-security-token")
    return Credential(
        access_key,
        day,
        region,
        service,
        None if token is None else token.decode("utf-8", "surrogateescape"),
    )


def scope_of(headers: Headers) -> Credential:
    """The credential scope of a request's Authorization header, checked for shape only
    (checks 2, 3 and 8): what the server relies on until it verifies signatures."""
    index = HeaderIndex(headers)
    found = _COMMON_AUTH.fullmatch(index.grouped.get(b"authorization", [b""])[0])
    if found is not None and b"x-amz-date" in index.grouped:  # the common shape, quickly
        parts = found[1].decode("utf-8", "surrogateescape").split("/")
        if len(parts) == 5:
            token = first_value(index, b"x-amz-security-token")
            return Credential(parts[0], parts[1], parts[2], parts[3], token)
    auth = parse_auth([], index)
    access_key, date, region, service, _ = scope_parts(auth)
    return Credential(access_key, date, region, service, auth.session_token)
