"""Cross-origin requests, answered as DynamoDB answers browsers (so the AWS SDK for
JavaScript runs in a page against opendynamo): any request with an `Origin` header is allowed
from any origin, with the response headers a script may read; an `OPTIONS` preflight with an
`Origin` is answered 200 with no body, echoing the method and headers the browser asks for,
without authentication (browsers send none). Without `Origin` nothing changes: an `OPTIONS` is
404 like any other method DynamoDB does not serve.

The values are DynamoDB's, as recorded against it by dynalite (`test/connection.js`) and
ScyllaDB Alternator (`test/alternator/test_cors.py`, `alternator/server.cc`). DynamoDB does not
expose `x-amz-crc32`: browsers undo a compressed answer's gzip before a script sees it, and
the SDK would then check the checksum of the compressed bytes against the plain ones.

`--cors ORIGINS` (DynamoDB Local's `-cors`) narrows "any origin" to a list: a listed origin's
requests get the same headers with its own origin echoed (and `Vary: Origin`, so a cache
keeps one answer per origin); any other origin is answered as a request without `Origin`,
so a browser refuses the answer and its preflight (an `OPTIONS`, 404) fails.
"""

from __future__ import annotations

ALLOW_ORIGIN = (b"Access-Control-Allow-Origin", b"*")
EXPOSE_HEADERS = (
    b"Access-Control-Expose-Headers",
    b"x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date",
)
ALLOWED = (ALLOW_ORIGIN, EXPOSE_HEADERS)  # on every answer to a request with an Origin
MAX_AGE = (b"Access-Control-Max-Age", b"172800")  # two days, DynamoDB's
_ECHOED = (
    (b"access-control-request-method", b"Access-Control-Allow-Methods"),
    (b"access-control-request-headers", b"Access-Control-Allow-Headers"),
)


Headers = tuple[tuple[bytes, bytes], ...]
VARY = (b"Vary", b"Origin")


class Origins:
    """The origins that get CORS headers: every one (`--cors` not given, or `*` among them,
    DynamoDB's behaviour) or those listed, compared as the browser sends them."""

    __slots__ = ("listed",)

    def __init__(self, text: str = "") -> None:
        given = {origin.strip() for origin in text.split(",") if origin.strip()}
        self.listed: frozenset[bytes] | None = (
            None if not given or "*" in given else frozenset(o.encode() for o in given)
        )

    def allowed(self, origin: bytes) -> Headers | None:
        """The headers every answer to `origin` carries, or None when it gets none."""
        if self.listed is None:
            return ALLOWED
        if origin not in self.listed or b"\r" in origin or b"\n" in origin:
            return None
        return ((ALLOW_ORIGIN[0], origin), EXPOSE_HEADERS, VARY)


def preflight(headers: list[tuple[bytes, bytes]], allowed: Headers = ALLOWED) -> Headers:
    """The headers of the answer to a preflight: the origin's (`allowed`), the method and
    headers the browser asks for (echoed as DynamoDB echoes them, when asked), cached for two
    days. A value that could not be written back as one header line is not echoed."""
    echoed = []
    for requested, granted in _ECHOED:
        value = next((value for name, value in headers if name == requested), b"")
        if value and b"\r" not in value and b"\n" not in value:
            echoed.append((granted, value))
    return (*allowed, *echoed, MAX_AGE)
