"""`verify`, which runs DynamoDB's checks in its order (the package docstring lists them)
and compares the signature, with a fast path for the request shape nearly every SDK sends;
`check_shape`, the same checks but the key's and the signature's (what `--auth off` makes);
and `scope_of`, a request's credential scope checked for shape only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

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
    Auth,
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
    fields: Mapping[bytes, bytes] | None = None,
) -> Credential:
    """Check a SigV4-signed request; return its credential or raise DynamoDB's error.

    `path` is the path as sent on the wire (still percent-encoded, ASGI's `raw_path`) and
    `query` the raw query string without `?`. `secret_for` maps an access key id to its secret
    access key, or None when the key is unknown. A body declared `UNSIGNED-PAYLOAD` (in
    X-Amz-Content-Sha256) is accepted only with `allow_unsigned_payload`; otherwise the body's
    own SHA-256 is signed over, so an unsigned or mismatched declaration fails as a mismatch.
    `fields`, when the caller has them, are the headers by lower-cased name, each sent once.
    """
    if not query and path == "/" and not allow_unsigned_payload:
        fast = _verify_common(method, headers, body, secret_for, now, service, fields)
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
    auth, when, credential = _checked(params, index, now, service)
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


def check_shape(
    query: str,
    headers: Headers,
    now: datetime | None = None,
    service: str = "dynamodb",
    fields: Mapping[bytes, bytes] | None = None,
) -> Credential:
    """Checks 1-9: everything DynamoDB checks before it looks the access key up (the form, the
    parts, the date and its 15 minutes, `host` signed, the algorithm, the scope), in its order.
    `--auth off` takes what passes: any well-formed signature of any key, made in time. `query`
    is the raw query string, which may carry a presigned request's parameters."""
    if not query:
        shape = _common_shape(headers, now, service, fields)
        if shape is not None:
            return shape.credential
    return _checked(parse_query(query), HeaderIndex(headers), now, service)[2]


def _checked(
    params: list[tuple[bytes, bytes]], index: HeaderIndex, now: datetime | None, service: str
) -> tuple[Auth, datetime, Credential]:
    auth = parse_auth(params, index)
    when = request_time(auth)
    check_time(auth, when, now or datetime.now(UTC))
    if "host" not in (name.lower() for name in auth.signed_headers):
        raise errors.invalid_signature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if auth.algorithm != ALGORITHM:
        raise errors.incomplete_signature(
            f"Unsupported AWS 'algorithm': '{auth.algorithm}' (only {ALGORITHM} for now). "
        )
    return auth, when, check_scope(auth, when, service)


_COMMON_AUTH = re.compile(
    rb"AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})"
)
_ISO_BASIC_BYTES = re.compile(ISO_BASIC_RE.pattern.encode())
_MAX_SKEW_SECONDS = int(MAX_SKEW.total_seconds())
_epochs: dict[bytes, int] = {}


class _Shape(NamedTuple):
    """The common request shape's parts, once checks 1-9 passed on it."""

    by_name: Mapping[bytes, bytes]
    credential: Credential
    parsed: _Parsed
    claimed: bytes
    amz_date: bytes


def _common_shape(
    headers: Headers,
    now: datetime | None,
    service: str,
    fields: Mapping[bytes, bytes] | None = None,
) -> _Shape | None:
    """Checks 1-9 on the shape nearly every SDK request has (Authorization header, X-Amz-Date,
    no query, each header once), without the general path's bookkeeping. None for anything
    else and for every failure: the general path then answers, error included. It never
    accepts what the general path would refuse. `fields` are the headers by lower-cased name
    when the caller has them (and each header came once)."""
    by_name: Mapping[bytes, bytes]
    if fields is None:
        built: dict[bytes, bytes] = {}
        for name, value in headers:
            name = name.lower()
            if name in built:
                return None
            built[name] = value
        by_name = built
    else:
        by_name = fields
    parsed = _authorization(by_name.get(b"authorization", b""))
    amz_date = by_name.get(b"x-amz-date", b"")
    if parsed is None or not _ISO_BASIC_BYTES.fullmatch(amz_date):
        return None
    if parsed.service != service or parsed.day.encode() != amz_date[:8]:
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
    token = by_name.get(b"x-amz-security-token")
    if token is None:
        scope = parsed.credential
    else:
        session_token = token.decode("utf-8", "surrogateescape")
        scope = Credential(parsed.access_key, parsed.day, parsed.region, service, session_token)
    return _Shape(by_name, scope, parsed, by_name[b"authorization"][-64:], amz_date)


class _Parsed(NamedTuple):
    """What an Authorization header of the common shape says before its signature: the
    same for every request a client signs with one credential on one day."""

    access_key: str
    day: str
    region: str
    service: str
    signed: bytes
    names: tuple[bytes, ...]  # the signed headers, in order
    credential: Credential  # without a session token
    scope: bytes  # the credential scope, as the string to sign holds it


_parsed: dict[bytes, _Parsed] = {}
_SIGNATURE = re.compile(rb"[0-9a-f]{64}")


def _authorization(header: bytes) -> _Parsed | None:
    """The scope and signed headers of an Authorization header of the common shape, checked
    (the terminator, the region's form, `host` signed); None for any other. A client signs
    with the same credential and headers again and again, so what precedes the signature is
    parsed once: the same header with another signature matches the same pattern."""
    prefix = header[:-64]
    parsed = _parsed.get(prefix)
    if parsed is not None:
        return parsed if _SIGNATURE.fullmatch(header, len(prefix)) else None
    found = _COMMON_AUTH.fullmatch(header)
    if found is None:
        return None
    credential, signed, _ = found.groups()
    parts = credential.decode("utf-8", "replace").split("/")
    if len(parts) != 5:
        return None
    access_key, day, region, scoped_service, terminator = parts
    names = tuple(signed.split(b";"))
    if terminator != TERMINATOR or not REGION_RE.fullmatch(region) or b"host" not in names:
        return None
    if len(_parsed) > 256:
        _parsed.clear()
    parsed = _parsed[prefix] = _Parsed(
        access_key,
        day,
        region,
        scoped_service,
        signed,
        names,
        Credential(access_key, day, region, scoped_service, None),
        f"{day}/{region}/{scoped_service}/{TERMINATOR}".encode(),
    )
    return parsed


def _verify_common(
    method: str,
    headers: Headers,
    body: bytes,
    secret_for: SecretLookup,
    now: datetime | None,
    service: str,
    fields: Mapping[bytes, bytes] | None = None,
) -> Credential | None:
    """The common shape (`_common_shape`) verified: None for anything else and for every
    failure, so `verify` takes the general path, which raises the error in DynamoDB's order."""
    shape = _common_shape(headers, now, service, fields)
    if shape is None:
        return None
    by_name, credential, parsed = shape.by_name, shape.credential, shape.parsed
    names = parsed.names
    if any(name not in by_name for name in names):
        return None
    secret = secret_for(credential.access_key)
    if secret is None:
        return None
    canonical = b"".join(
        [
            method.upper().encode(),
            b"\n/\n\n",
            *[name + b":" + b" ".join(by_name[name].split()) + b"\n" for name in names],
            b"\n",
            parsed.signed,
            b"\n",
            _sha256_hex(body),
        ]
    )
    to_sign = b"%s\n%s\n%s\n%s" % (_ALGORITHM, shape.amz_date, parsed.scope, _sha256_hex(canonical))
    mac = _mac(signing_key(secret, credential.date, credential.region, service)).copy()
    mac.update(to_sign)
    expected = mac.hexdigest().encode()
    if not hmac.compare_digest(expected, shape.claimed):
        return None
    return credential


_SHA256 = hashlib.sha256()
_ALGORITHM = ALGORITHM.encode()


def _sha256_hex(data: bytes) -> bytes:
    """SHA-256 of `data` in hex. A copy of an empty hash: OpenSSL 3 looks the digest up anew
    for every hash made from its name, which costs more than hashing a request's body."""
    digest = _SHA256.copy()
    digest.update(data)
    return digest.hexdigest().encode()


@lru_cache(maxsize=256)
def _mac(key: bytes) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with a signing key, copied for each signature (its key schedule
    and digest lookup done once per key and day)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def scope_of(headers: Headers, query: str = "") -> Credential:
    """The credential scope a request names, in its Authorization header or its query string,
    checked for shape only (checks 1-3 and 8): how an IAM or STS request is routed before
    it is authenticated."""
    index = HeaderIndex(headers)
    found = _COMMON_AUTH.fullmatch(index.grouped.get(b"authorization", [b""])[0])
    if not query and found is not None and b"x-amz-date" in index.grouped:  # quickly
        parts = found[1].decode("utf-8", "surrogateescape").split("/")
        if len(parts) == 5:
            token = first_value(index, b"x-amz-security-token")
            return Credential(parts[0], parts[1], parts[2], parts[3], token)
    auth = parse_auth(parse_query(query), index)
    access_key, date, region, service, _ = scope_parts(auth)
    return Credential(access_key, date, region, service, auth.session_token)
