"""The signing side of SigV4, which verification computes again and tests compare with the
official test-suite files: the canonical request (its URI, query, headers and payload hash),
the string to sign, the signing key and the signature.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import quote

from opendynamo.server.sigv4.request import Credential, HeaderIndex, Headers, first_value, indexed

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


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
    grouped = indexed(headers).grouped
    lines = []
    for name in signed_headers:
        values = grouped.get(name.lower().encode("latin-1", "replace"), ())
        trimmed = b",".join(b" ".join(value.split()) for value in values)
        lines.append(name.encode("latin-1", "replace") + b":" + trimmed + b"\n")
    return b"".join(lines)


def payload_hash(headers: Headers | HeaderIndex, body: bytes, allow_unsigned: bool = False) -> str:
    """The hex SHA-256 of the body actually received; `UNSIGNED-PAYLOAD` only when declared in
    X-Amz-Content-Sha256 and allowed. A declared hash is never trusted over the body."""
    declared = first_value(indexed(headers), b"x-amz-content-sha256")
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
