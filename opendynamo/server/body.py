"""Reading a request's body: its Content-Encoding undone (gzip, deflate), never past the
16 MB limit however small the compressed body, then its JSON parsed, with DynamoDB's errors
for what cannot be read."""

from __future__ import annotations

import zlib
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.model.compression import GZIP, ZLIB, inflate
from opendynamo.server.http import MAX_BODY_BYTES as MAX_REQUEST_BYTES


def decoded(body: bytes, encoding: bytes, request_id: str) -> bytes:
    """The body its Content-Encoding names decoded: gzip (any number of members) or deflate
    (zlib's format), never more than the size limit. DynamoDB answers a body it cannot decode
    (garbage, or an encoding it does not know) with InternalServerError, and so does this."""
    if not encoding:
        return body  # (nearly every request)
    names = [name.strip().lower() for name in encoding.split(b",") if name.strip()]
    for name in reversed(names):  # the last one applied is undone first
        if name == b"identity":
            continue
        if name not in (b"gzip", b"x-gzip", b"deflate"):
            raise errors.internal_server_error(request_id)
        wbits = ZLIB if name == b"deflate" else GZIP
        try:
            body = inflate(body, wbits, MAX_REQUEST_BYTES)
        except zlib.error:
            raise errors.internal_server_error(request_id) from None
        if len(body) > MAX_REQUEST_BYTES:  # however small the compressed body
            raise errors.request_too_large()
    return body


def parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.serialization() from None
