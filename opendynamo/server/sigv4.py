"""AWS Signature Version 4 verification, as DynamoDB performs it (reference/auth.md Part A).

`verify` takes the request as it arrived (method, wire path, raw query string, ASGI-style header
pairs, body bytes) and either returns the signer's `Credential` or raises the `errors.py` error
DynamoDB answers, checking in DynamoDB's order (auth.md A.4):

 1. both header and query-string auth          InvalidSignature
 2. no auth at all, or a header not `AWS4-…`     MissingAuthenticationToken
 3. missing parameters or date                   IncompleteSignature
 4. date not ISO-8601 basic format               IncompleteSignature
 5. outside ±15 minutes (or past X-Amz-Expires)  InvalidSignature
 6. `host` not signed                            InvalidSignature
 7. algorithm other than AWS4-HMAC-SHA256        IncompleteSignature
 8. credential not 5 slash-separated parts       IncompleteSignature
 9. bad scope: region, service, terminator, date InvalidSignature (all problems at once)
10. unknown access key id                        UnrecognizedClient
11. signature mismatch                           InvalidSignature

The session token is returned, not judged: checking it (auth.md rows 12, 12b) is the caller's.
Pure functions only; the canonicalisation helpers are public so tests can compare them with the
official test-suite files.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from opendynamo import errors

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
ISO_BASIC = "%Y%m%dT%H%M%SZ"
MAX_SKEW = timedelta(minutes=15)
MAX_EXPIRES = 604800  # one week, SigV4's limit for presigned requests
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_QUERY_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders")
_ISO_BASIC_RE = re.compile(r"\d{8}T\d{6}Z")
_REGION_RE = re.compile(r"[a-z0-9-]+")
_SEPARATORS = re.compile(r"[\s,]+")

Headers = Sequence[tuple[bytes, bytes]]


class HeaderIndex:
    """A request's headers grouped by lower-cased name, built once per verification: every
    check looks headers up by name, and the canonical request needs all values of each."""

    __slots__ = ("grouped",)

    def __init__(self, headers: Headers) -> None:
        grouped: dict[bytes, list[bytes]] = {}
        for key, value in headers:
            grouped.setdefault(key.lower(), []).append(value)
        self.grouped = grouped


def _indexed(headers: Headers | HeaderIndex) -> HeaderIndex:
    return headers if isinstance(headers, HeaderIndex) else HeaderIndex(headers)


SecretLookup = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Credential:
    """Who signed a verified request, from its credential scope."""

    access_key: str
    date: str
    region: str
    service: str
    session_token: str | None


@dataclass(frozen=True, slots=True)
class _Auth:
    """The signature parameters of a request, from its Authorization header or query string."""

    algorithm: str
    credential: str
    signed_headers: tuple[str, ...]
    signature: str
    date: str
    from_date_header: bool
    session_token: str | None
    expires: str | None
    presigned: bool


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
    when = _request_time(auth)
    _check_time(auth, when, now or datetime.now(UTC))
    if "host" not in (name.lower() for name in auth.signed_headers):
        raise errors.invalid_signature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if auth.algorithm != ALGORITHM:
        raise errors.incomplete_signature(
            f"Unsupported AWS 'algorithm': '{auth.algorithm}' (only {ALGORITHM} for now). "
        )
    credential = _check_scope(auth, when, service)
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
    expected = signature(secret, credential, string_to_sign(_stamp(auth, when), scope, canonical))
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
    if found is None or not _ISO_BASIC_RE.fullmatch(amz_date.decode("latin-1")):
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
        or not _REGION_RE.fullmatch(region)
        or b"host" not in names
        or any(name not in by_name for name in names)
    ):
        return None
    when = _epochs.get(amz_date)
    if when is None:
        try:
            when = int(_request_time_of(amz_date.decode()).timestamp())
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


def _request_time_of(date: str) -> datetime:
    return datetime(
        int(date[0:4]), int(date[4:6]), int(date[6:8]),
        int(date[9:11]), int(date[11:13]), int(date[13:15]), tzinfo=UTC,
    )  # fmt: skip


# --- parsing -------------------------------------------------------------------------------


def parse_query(query: str) -> list[tuple[bytes, bytes]]:
    """The query string's (key, value) pairs, percent-decoded to bytes, in order."""
    pairs = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote_to_bytes(key), unquote_to_bytes(value)))
    return pairs


def parse_auth(params: list[tuple[bytes, bytes]], headers: Headers | HeaderIndex) -> _Auth:
    """Checks 1-3: which form the request uses, and that each required part is present."""
    headers = _indexed(headers)
    header = _header(headers, b"authorization")
    is_presigned = any(key == b"X-Amz-Algorithm" for key, _ in params)
    if header is not None and is_presigned:
        raise errors.invalid_signature(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        )
    if is_presigned:
        return _query_auth(params, headers)
    if header is None or not header.strip().startswith("AWS4-"):
        raise errors.missing_authentication_token()
    return _header_auth(header, headers)


def _header_auth(header: str, headers: HeaderIndex) -> _Auth:
    # AWS accepts the parameters with or without spaces after the commas.
    algorithm, *parts = _SEPARATORS.split(header.strip())
    values = {name: value for name, _, value in (part.partition("=") for part in parts)}
    amz_date = _header(headers, b"x-amz-date")
    date = amz_date if amz_date is not None else _header(headers, b"date")
    problems = "".join(
        f"Authorization header requires '{name}' parameter. "
        for name in ("Credential", "Signature", "SignedHeaders")
        if not values.get(name)
    )
    if not date:
        problems += (
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        )
    if problems or not date:
        raise errors.incomplete_signature(problems + "Authorization=" + header)
    return _Auth(
        algorithm=algorithm,
        credential=values["Credential"],
        signed_headers=tuple(values["SignedHeaders"].split(";")),
        signature=values["Signature"],
        date=date,
        from_date_header=amz_date is None,
        session_token=_header(headers, b"x-amz-security-token"),
        expires=None,
        presigned=False,
    )


def _query_auth(params: list[tuple[bytes, bytes]], headers: HeaderIndex) -> _Auth:
    values: dict[str, str] = {}
    for key, value in params:  # the first occurrence of a parameter counts
        values.setdefault(key.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
    problems = "".join(
        f"AWS query-string parameters must include '{name}'. "
        for name in (*_QUERY_PARAMS, "X-Amz-Date")
        if not values.get(name)
    )
    if problems:
        raise errors.incomplete_signature(problems + "Re-examine the query-string parameters.")
    token = values.get("X-Amz-Security-Token")
    return _Auth(
        algorithm=values["X-Amz-Algorithm"],
        credential=values["X-Amz-Credential"],
        signed_headers=tuple(values["X-Amz-SignedHeaders"].split(";")),
        signature=values["X-Amz-Signature"],
        date=values["X-Amz-Date"],
        from_date_header=False,
        session_token=token if token is not None else _header(headers, b"x-amz-security-token"),
        expires=values.get("X-Amz-Expires"),
        presigned=True,
    )


def _header(headers: HeaderIndex, name: bytes) -> str | None:
    """The first value of a header, or None."""
    values = headers.grouped.get(name)
    return None if values is None else values[0].decode("utf-8", "surrogateescape")


# --- time ----------------------------------------------------------------------------------


def _request_time(auth: _Auth) -> datetime:
    """Check 4: X-Amz-Date in ISO-8601 basic format (a Date header may also be RFC 1123)."""
    date = auth.date
    if _ISO_BASIC_RE.fullmatch(date):
        try:  # by hand: strptime costs more than the rest of the check
            return _request_time_of(date)
        except ValueError:
            pass
    elif auth.from_date_header:
        try:
            return email.utils.parsedate_to_datetime(auth.date).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    raise errors.incomplete_signature(
        f"Date must be in ISO-8601 'basic format'. Got '{auth.date}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _check_time(auth: _Auth, when: datetime, now: datetime) -> None:
    """Check 5: DynamoDB allows 15 minutes of clock skew either way; a presigned request with
    X-Amz-Expires is good from 15 minutes before its date until that many seconds after it."""
    now = (now if now.tzinfo else now.replace(tzinfo=UTC)).replace(microsecond=0)
    if auth.expires is not None:
        _check_expires(auth.expires, when, now)
    elif when < now - MAX_SKEW:
        raise errors.invalid_signature(
            f"Signature expired: {_iso(when)} is now earlier than {_iso(now - MAX_SKEW)} "
            f"({_iso(now)} - 15 min.)"
        )
    if when > now + MAX_SKEW:
        raise errors.invalid_signature(
            f"Signature not yet current: {_iso(when)} is still later than {_iso(now + MAX_SKEW)} "
            f"({_iso(now)} + 15 min.)"
        )


def _check_expires(expires: str, when: datetime, now: datetime) -> None:
    # DynamoDB's wording for a presigned request past its expiry is not recorded; this follows
    # its clock-skew message with the client's window, and S3's messages for a bad X-Amz-Expires.
    if not expires.isdigit():
        raise errors.incomplete_signature("X-Amz-Expires should be a number")
    seconds = int(expires)
    if seconds > MAX_EXPIRES:
        raise errors.incomplete_signature(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            f"X-Amz-Expires must be less than {MAX_EXPIRES} seconds"
        )
    limit = now - timedelta(seconds=seconds)
    if when < limit:
        raise errors.invalid_signature(
            f"Signature expired: {_iso(when)} is now earlier than {_iso(limit)} "
            f"({_iso(now)} - {seconds} sec.)"
        )


def _iso(moment: datetime) -> str:
    return moment.strftime(ISO_BASIC)


def _stamp(auth: _Auth, when: datetime) -> str:
    """The request time in ISO-8601 basic format: X-Amz-Date as sent, else formatted."""
    return when.strftime(ISO_BASIC) if auth.from_date_header else auth.date


def _day(auth: _Auth, when: datetime) -> str:
    return when.strftime("%Y%m%d") if auth.from_date_header else auth.date[:8]


# --- credential scope ----------------------------------------------------------------------


def scope_of(headers: Headers) -> Credential:
    """The credential scope of a request's Authorization header, checked for shape only
    (checks 2, 3 and 8): what the server relies on until it verifies signatures."""
    index = HeaderIndex(headers)
    found = _COMMON_AUTH.fullmatch(index.grouped.get(b"authorization", [b""])[0])
    if found is not None and b"x-amz-date" in index.grouped:  # the common shape, quickly
        parts = found[1].decode("utf-8", "surrogateescape").split("/")
        if len(parts) == 5:
            token = _header(index, b"x-amz-security-token")
            return Credential(parts[0], parts[1], parts[2], parts[3], token)
    auth = parse_auth([], index)
    access_key, date, region, service, _ = _scope_parts(auth)
    return Credential(access_key, date, region, service, auth.session_token)


def _scope_parts(auth: _Auth) -> list[str]:
    """Check 8: the credential has five slash-separated parts (trailing slashes ignored)."""
    parts = auth.credential.rstrip("/").split("/")
    if len(parts) != 5:
        raise errors.incomplete_signature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{auth.credential}'"
        )
    return parts


def _check_scope(auth: _Auth, when: datetime, service: str) -> Credential:
    """Checks 8-9. Trailing slashes are ignored; any lower-case region name is accepted, since
    a local server has no region of its own (NoSQL Workbench signs for `localhost`)."""
    access_key, date, region, scoped_service, terminator = _scope_parts(auth)
    problems = ""
    if not _REGION_RE.fullmatch(region):
        problems += f"Credential should be scoped to a valid region, not '{region}'. "
    if scoped_service != service:
        problems += f"Credential should be scoped to correct service: '{service}'. "
    if terminator != TERMINATOR:
        problems += (
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{terminator}'. "
        )
    if date != _day(auth, when):
        problems += (
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{date}' != '{_day(auth, when)}', from '{auth.date}'."
        )
    if problems:
        raise errors.invalid_signature(problems)
    return Credential(access_key, date, region, scoped_service, auth.session_token)


# --- the canonical request and the signature ----------------------------------------------


def canonical_uri(path: str, *, normalize: bool = True, double_encode: bool = True) -> str:
    """The path as signed. Every service but S3 removes `.`/`..` segments and repeated
    slashes, then URI-encodes the path as received, so `%20` on the wire is signed as `%2520`;
    S3 signs the received path untouched."""
    if normalize:
        path = _remove_dot_segments(path)
    if not double_encode:
        return path or "/"
    return quote(path, safe="/~") or "/"


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 §5.2.4, plus AWS's removal of empty segments (botocore's remove_dot_segments).
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    trail = "/" if path.endswith("/") and kept else ""
    return "/" + "/".join(kept) + trail


def canonical_query(params: list[tuple[bytes, bytes]], *, presigned: bool = False) -> str:
    """Keys and values RFC 3986-encoded (unreserved `A-Za-z0-9-_.~` kept), sorted by key then
    value; a presigned request leaves out its own X-Amz-Signature."""
    encoded = sorted(
        (quote(key, safe="-_.~"), quote(value, safe="-_.~"))
        for key, value in params
        if not (presigned and key == b"X-Amz-Signature")
    )
    return "&".join(f"{key}={value}" for key, value in encoded)


def canonical_headers(headers: Headers | HeaderIndex, signed_headers: Sequence[str]) -> bytes:
    """`name:value\\n` for each signed header: repeated headers joined with commas in order,
    each value trimmed and inner whitespace runs collapsed to one space."""
    grouped = _indexed(headers).grouped
    lines = []
    for name in signed_headers:
        values = grouped.get(name.lower().encode("latin-1", "replace"), ())
        trimmed = b",".join(b" ".join(value.split()) for value in values)
        lines.append(name.encode("latin-1", "replace") + b":" + trimmed + b"\n")
    return b"".join(lines)


def payload_hash(headers: Headers | HeaderIndex, body: bytes, allow_unsigned: bool = False) -> str:
    """The hex SHA-256 of the body actually received; `UNSIGNED-PAYLOAD` only when declared in
    X-Amz-Content-Sha256 and allowed. A declared hash is never trusted over the body."""
    declared = _header(_indexed(headers), b"x-amz-content-sha256")
    if allow_unsigned and declared == UNSIGNED_PAYLOAD:
        return UNSIGNED_PAYLOAD
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    params: list[tuple[bytes, bytes]],
    headers: Headers | HeaderIndex,
    signed_headers: Sequence[str],
    payload: str,
    *,
    presigned: bool = False,
    s3: bool = False,
    normalize: bool | None = None,
) -> bytes:
    """METHOD, URI, query, headers, signed-header list and payload hash, one per line."""
    uri = canonical_uri(
        path, normalize=not s3 if normalize is None else normalize, double_encode=not s3
    )
    head = f"{method.upper()}\n{uri}\n{canonical_query(params, presigned=presigned)}\n"
    tail = f"\n{';'.join(signed_headers)}\n{payload}"
    return (
        head.encode()
        + canonical_headers(headers, signed_headers)
        + tail.encode("latin-1", "replace")
    )


def string_to_sign(amz_date: str, scope: str, canonical: bytes) -> str:
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical).hexdigest()}"


@lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """HMAC chain over date, region, service and terminator; it changes once a day per key."""
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(secret: str, credential: Credential, to_sign: str) -> str:
    key = signing_key(secret, credential.date, credential.region, credential.service)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
