"""Compressing an answer for a client that asks for it: DynamoDB gzips a response payload
past a size threshold when the request's Accept-Encoding allows, sets Content-Encoding, and
computes x-amz-crc32 over the compressed bytes it sends (AWS SDK maintainers' notes, e.g.
aws/aws-sdk-js#1614). Small answers, and answers to clients that do not ask (botocore asks
for nothing, or for `identity`), go as they are.

Accept-Encoding is read as RFC 9110 (12.5.3) defines it: codings with optional `q` weights,
`*` for any coding not named, `identity` and `x-gzip` (the same as `gzip`).
"""

from __future__ import annotations

import dataclasses
import re
import zlib

from opendynamo.model.compression import GZIP, ZLIB
from opendynamo.server.http import Reply

COMPRESS_ABOVE = 4 * 1024  # bytes of body; an answer this small or smaller is sent as it is
LEVEL = 1  # zlib's fastest: answers are compressed on the worker, between requests
_WBITS = {b"gzip": GZIP, b"deflate": ZLIB}  # in order of preference when weights tie
_QVALUE = re.compile(rb"q=(0(\.\d{0,3})?|1(\.0{0,3})?)")


def compressed(reply: Reply, headers: list[tuple[bytes, bytes]]) -> Reply:
    """`reply` with its body in the coding the request's Accept-Encoding prefers, or as it is:
    when no gzip or deflate is acceptable, or compressing would not make it smaller. The
    caller checks the size (`COMPRESS_ABOVE`) first, so small answers cost nothing here."""
    accept = b",".join(value for name, value in headers if name == b"accept-encoding")
    coding = preferred(accept) if accept else None
    if coding is None:
        return reply
    body = zlib.compress(reply.body, LEVEL, wbits=_WBITS[coding])
    if len(body) >= len(reply.body):
        return reply
    extra = (*reply.headers, (b"Content-Encoding", coding))
    return dataclasses.replace(reply, body=body, headers=extra)


def preferred(accept: bytes) -> bytes | None:
    """gzip or deflate, whichever Accept-Encoding weighs highest (gzip on a tie), or None when
    neither is acceptable (weight 0, or unnamed without `*`) or `identity` is named with a
    higher weight. An element with a malformed weight is ignored."""
    weights = _weights(accept)
    if b"gzip" not in weights and b"x-gzip" in weights:
        weights[b"gzip"] = weights[b"x-gzip"]
    anything = weights.get(b"*", 0.0)
    best, best_weight = None, 0.0
    for coding in _WBITS:
        weight = weights.get(coding, anything)
        if weight > best_weight:
            best, best_weight = coding, weight
    if best is None or weights.get(b"identity", 0.0) > best_weight:
        return None
    return best


def _weights(accept: bytes) -> dict[bytes, float]:
    """Each coding named in Accept-Encoding with its weight (1 when none is given); the first
    mention of a coding counts."""
    weights: dict[bytes, float] = {}
    for element in accept.split(b","):
        coding, *parameters = element.split(b";")
        coding = coding.strip().lower()
        weight = _weight(parameters)
        if coding and weight is not None:
            weights.setdefault(coding, weight)
    return weights


def _weight(parameters: list[bytes]) -> float | None:
    """The `q` of a coding's parameters: 1 without one, None when it is malformed."""
    if not parameters:
        return 1.0
    if len(parameters) > 1:
        return None  # Accept-Encoding allows a weight and nothing else
    found = _QVALUE.fullmatch(parameters[0].strip().lower())
    return float(found.group(1)) if found else None
