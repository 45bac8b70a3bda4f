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


def preflight(headers: list[tuple[bytes, bytes]]) -> tuple[tuple[bytes, bytes], ...]:
    """The headers of the answer to a preflight: any origin, the method and headers the
    browser asks for (echoed as DynamoDB echoes them, when asked), cached for two days. A
    value that could not be written back as one header line is not echoed."""
    echoed = []
    for requested, allowed in _ECHOED:
        value = next((value for name, value in headers if name == requested), b"")
        if value and b"\r" not in value and b"\n" not in value:
            echoed.append((allowed, value))
    return (*ALLOWED, *echoed, MAX_AGE)
