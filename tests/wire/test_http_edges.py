"""The edges of DynamoDB's HTTP answers: compression, the Server header and CORS.

DynamoDB behaviour pinned here:
- Compression (AWS SDK maintainers, aws/aws-sdk-js#1614 and #405, aws/aws-sdk-ios#201,
  smithy-lang/smithy-rs#129): DynamoDB gzips a response payload past a size threshold when the
  request's Accept-Encoding allows it, never a small one, and computes `x-amz-crc32` over the
  compressed bytes it sends. opendynamo's threshold is 4 KB; Accept-Encoding is read as RFC
  9110 12.5.3 says (q weights, `*`, `identity`, `x-gzip`), and gzip and deflate are offered.
  botocore asks for no compression, so boto3 gets plain answers.
- `Server: Server` on every answer (boto3's ResponseMetadata of live DynamoDB answers; ScyllaDB
  Alternator's test_server_header, run against DynamoDB). Oversized headers and request lines
  are refused in test_robustness.py.
- CORS (dynalite's test/connection.js and Alternator's test/alternator/test_cors.py, both run
  against DynamoDB): a request with an `Origin` gets `Access-Control-Allow-Origin: *` and
  `Access-Control-Expose-Headers: x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date`
  (x-amz-crc32 stays hidden: browsers decompress before a script sees the body); an `OPTIONS`
  with an `Origin` is 200 with an empty body, a request id, `Access-Control-Max-Age: 172800`
  and the requested method and headers echoed as allowed, with no authentication; without an
  `Origin` no CORS header appears and `OPTIONS` is 404.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import CREDENTIALS, REGION, Backend, Server
from tests.wire import test_http
from tests.wire.helpers import batch_put, create_table
from tests.wire.http import Reply, send, signed_call, unverified_auth

uvicorn_endpoint = test_http.uvicorn_endpoint  # the ASGI adapter under uvicorn

COMPRESS_ABOVE = 4096
REQUEST_ID = re.compile(r"[0-9A-Z]{52}")
EXPOSED = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"
CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-credentials",
)
PREFLIGHT_ONLY = CORS_HEADERS[2:]
ORIGIN = "http://localhost:3000"
BIG_ITEMS = 100  # of about 10 KB each: a 1 MB Scan page, a BatchGetItem answer as large


def plain(reply: Reply) -> bytes:
    """The body as the client reads it once its Content-Encoding is undone."""
    coding = reply.headers.get("content-encoding")
    if coding == "gzip":
        return gzip.decompress(reply.body)
    if coding == "deflate":
        return zlib.decompress(reply.body)
    assert coding is None, coding
    return reply.body


def assert_framed(reply: Reply) -> None:
    """Content-Length and x-amz-crc32 describe the bytes sent, compressed or not."""
    assert reply.headers["content-length"] == str(len(reply.body))
    assert reply.headers["x-amz-crc32"] == str(zlib.crc32(reply.body))


@pytest.fixture(scope="module")
def big_table(ddb: Any) -> str:
    """A table of BIG_ITEMS items `k<i>`, each with a 10,000-character string `blob`."""
    name = create_table(ddb, "edges")
    items = [{"pk": {"S": f"k{i}"}, "blob": {"S": f"{i:05d}" * 2000}} for i in range(BIG_ITEMS)]
    batch_put(ddb, name, items)
    return name


def scan(server: Server, table: str, accept: str | None, **extra: str) -> Reply:
    headers = {} if accept is None else {"Accept-Encoding": accept}
    headers.update(extra)
    return signed_call(server, "Scan", {"TableName": table}, extra_headers=headers)


# --------------------------------------------------------------------------- compression


def test_large_answer_is_gzipped_when_asked_for(server: Server, big_table: str) -> None:
    uncompressed = scan(server, big_table, None)
    assert uncompressed.status == 200
    assert "content-encoding" not in uncompressed.headers
    compressed = scan(server, big_table, "gzip")
    assert compressed.status == 200
    assert compressed.headers["content-encoding"] == "gzip"
    assert len(compressed.body) < len(uncompressed.body) / 10
    assert_framed(compressed)
    assert json.loads(plain(compressed)) == json.loads(uncompressed.body)


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip", "gzip"),
        ("deflate", "deflate"),
        ("x-gzip", "gzip"),
        ("GZip", "gzip"),
        ("gzip, deflate", "gzip"),
        ("deflate, gzip", "gzip"),
        ("gzip, deflate, br, zstd", "gzip"),  # what browsers send
        ("gzip;q=0.5, deflate", "deflate"),
        ("deflate;q=0.5, gzip;q=0.8", "gzip"),
        ("gzip ; q=0.3 , deflate;Q=0.2", "gzip"),
        ("*", "gzip"),
        ("br, *;q=0.1", "gzip"),
        ("*;q=0, deflate", "deflate"),
        ("gzip;q=0, *", "deflate"),
        ("gzip;q=1.000", "gzip"),
        ("gzip;q=0.5, identity;q=0.5", "gzip"),
        ("identity", None),
        ("", None),
        ("br", None),
        ("gzip;q=0", None),
        ("*;q=0", None),
        ("gzip;q=0.5, identity", None),  # identity weighs more
        ("gzip;q=0.001, *;q=0", "gzip"),
        ("gzip;q=2", None),  # malformed weights: the element is ignored
        ("gzip;q=0.5000", None),
        ("gzip;level=9", None),
        ("gzip;q=x, deflate", "deflate"),
        (",,gzip,,", "gzip"),
    ],
)
def test_accept_encoding_chooses_the_coding(
    server: Server, big_table: str, accept: str, coding: str | None
) -> None:
    reply = scan(server, big_table, accept)
    assert reply.status == 200
    assert reply.headers.get("content-encoding") == coding
    assert_framed(reply)
    assert json.loads(plain(reply))["Count"] == BIG_ITEMS


def test_accept_encoding_in_several_headers_is_one_list(server: Server, big_table: str) -> None:
    """A list-valued field may come in several lines (RFC 9110 5.3): they are read as one."""
    body = json.dumps({"TableName": big_table}).encode()
    auth = unverified_auth()
    headers = (
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        f"X-Amz-Target: DynamoDB_20120810.Scan\r\nX-Amz-Date: {auth['X-Amz-Date']}\r\n"
        f"Authorization: {auth['Authorization']}\r\n"
        "Accept-Encoding: gzip;q=0.1\r\nAccept-Encoding: deflate\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with test_http.Wire(server.port) as wire:
        wire.send(headers.encode() + body)
        response = wire.read()
    assert response.status == 200
    assert response.header("content-encoding") == "deflate"
    assert json.loads(zlib.decompress(response.body))["Count"] == BIG_ITEMS


def test_small_answers_are_never_compressed(server: Server, table: str) -> None:
    """Up to 4,096 bytes of body the answer is plain; one byte more and it is compressed."""
    key = "edge"
    empty = {"Item": {"pk": {"S": key}, "s": {"S": ""}}}
    overhead = len(json.dumps(empty, separators=(",", ":")))
    for size, coding in ((COMPRESS_ABOVE, None), (COMPRESS_ABOVE + 1, "gzip")):
        item = {"pk": {"S": key}, "s": {"S": "a" * (size - overhead)}}
        assert signed_call(server, "PutItem", {"TableName": table, "Item": item}).status == 200
        get = {"TableName": table, "Key": {"pk": {"S": key}}}
        reply = signed_call(server, "GetItem", get, extra_headers={"Accept-Encoding": "gzip"})
        assert reply.status == 200
        assert reply.headers.get("content-encoding") == coding
        assert len(plain(reply)) == size
        assert json.loads(plain(reply)) == {"Item": item}
        assert_framed(reply)
    small = signed_call(server, "ListTables", {"Limit": 1}, extra_headers={"Accept-Encoding": "*"})
    assert small.status == 200 and "content-encoding" not in small.headers


def test_large_batch_answer_is_compressed(server: Server, big_table: str) -> None:
    """An answer the size of BatchGetItem's largest (here over 1 MB) is compressed whole."""
    keys = [{"pk": {"S": f"k{i}"}} for i in range(BIG_ITEMS)]
    payload = {"RequestItems": {big_table: {"Keys": keys}}}
    uncompressed = signed_call(server, "BatchGetItem", payload)
    reply = signed_call(server, "BatchGetItem", payload, extra_headers={"Accept-Encoding": "gzip"})
    assert reply.status == uncompressed.status == 200
    assert reply.headers["content-encoding"] == "gzip"
    assert len(uncompressed.body) > 1_000_000
    assert_framed(reply)
    got = json.loads(plain(reply))["Responses"][big_table]
    assert sorted(got, key=lambda item: item["pk"]["S"]) == sorted(
        json.loads(uncompressed.body)["Responses"][big_table], key=lambda item: item["pk"]["S"]
    )
    assert len(got) == BIG_ITEMS


def test_boto3_gets_plain_answers(server: Server, ddb: Any, big_table: str) -> None:
    """botocore asks for no compression: a 1 MB Scan page and BatchGetItem come plain, and
    its CRC32 check (on every DynamoDB response) passes."""
    page = ddb.scan(TableName=big_table)
    assert page["Count"] == BIG_ITEMS
    assert "content-encoding" not in page["ResponseMetadata"]["HTTPHeaders"]
    keys = [{"pk": {"S": f"k{i}"}} for i in range(BIG_ITEMS)]
    got = ddb.batch_get_item(RequestItems={big_table: {"Keys": keys}})
    assert len(got["Responses"][big_table]) == BIG_ITEMS
    assert "content-encoding" not in got["ResponseMetadata"]["HTTPHeaders"]


# --------------------------------------------------------------------------- the Server header


def test_every_answer_names_the_server(server: Server, ddb: Any) -> None:
    headers = ddb.list_tables(Limit=1)["ResponseMetadata"]["HTTPHeaders"]
    assert headers["server"] == "Server"
    with pytest.raises(ddb.exceptions.ResourceNotFoundException) as caught:
        ddb.describe_table(TableName="no-such-table")
    assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["server"] == "Server"
    assert send(server, "GET").headers["server"] == "Server"
    assert send(server, "PUT").headers["server"] == "Server"
    with test_http.Wire(server.port) as wire:
        wire.send(b"NOT HTTP\r\n\r\n")
        refused = wire.read()
    assert refused.status == 400
    assert refused.header("server") == "Server"


# --------------------------------------------------------------------------- CORS


@pytest.mark.parametrize("method", ["OPTIONS", "GET", "POST"])
def test_no_origin_no_cors_headers(server: Server, method: str) -> None:
    headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "a"}
    reply = send(server, method, headers=headers)
    assert not set(CORS_HEADERS) & set(reply.headers), reply.headers
    if method == "OPTIONS":
        assert reply.status == 404
        assert reply.body == b"<UnknownOperationException/>\n"


@pytest.mark.parametrize(
    ("method", "status"), [("GET", 200), ("POST", 400), ("PUT", 404), ("DELETE", 404)]
)
def test_origin_is_allowed_on_every_answer(server: Server, method: str, status: int) -> None:
    headers = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "dog",
        "Access-Control-Request-Headers": "cat, meerkat",
    }
    reply = send(server, method, headers=headers)
    assert reply.status == status
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.headers["access-control-expose-headers"] == EXPOSED
    assert not set(PREFLIGHT_ONLY) & set(reply.headers), reply.headers


def test_operations_and_their_errors_carry_cors_headers(server: Server, big_table: str) -> None:
    """A browser reads an answer, error or not, only with Allow-Origin; a large one comes
    compressed (browsers accept gzip) with x-amz-crc32 unexposed."""
    for reply, status in (
        (signed_call(server, "ListTables", {}, extra_headers={"Origin": ORIGIN}), 200),
        (
            signed_call(server, "GetItem", {"TableName": "nope"}, extra_headers={"Origin": ORIGIN}),
            400,
        ),
        (scan(server, big_table, "gzip, deflate, br", Origin=ORIGIN), 200),
    ):
        assert reply.status == status, reply.body
        assert reply.headers["access-control-allow-origin"] == "*"
        assert "x-amz-crc32" not in reply.headers["access-control-expose-headers"]
        assert_framed(reply)
    assert reply.headers["content-encoding"] == "gzip"
    assert json.loads(plain(reply))["Count"] == BIG_ITEMS


@pytest.mark.parametrize(
    "requested",
    [
        {},
        {"Access-Control-Request-Headers": "a, b, c"},
        {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": (
                "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,"
                "x-amz-content-sha256,x-amz-date,x-amz-target,x-amz-user-agent"
            ),
        },
    ],
    ids=["origin", "headers", "method-and-headers"],
)
@pytest.mark.parametrize("path", ["/", "/any/path?x=1"])
def test_preflight(server: Server, requested: dict[str, str], path: str) -> None:
    reply = send(server, "OPTIONS", path, headers={"Origin": ORIGIN, **requested})
    assert reply.status == 200
    assert reply.body == b""
    assert reply.headers["content-length"] == "0"
    assert REQUEST_ID.fullmatch(reply.headers["x-amzn-requestid"])
    assert reply.headers["server"] == "Server"
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.headers["access-control-expose-headers"] == EXPOSED
    assert reply.headers["access-control-max-age"] == "172800"
    assert reply.headers.get("access-control-allow-methods") == requested.get(
        "Access-Control-Request-Method"
    )
    assert reply.headers.get("access-control-allow-headers") == requested.get(
        "Access-Control-Request-Headers"
    )


def test_preflight_headers_stay_bounded(server: Server) -> None:
    """What a preflight echoes is bounded by the 16 KB of headers a request may have."""
    long = ",".join(f"x-header-{n}" for n in range(2000))
    headers = {"Origin": ORIGIN, "Access-Control-Request-Headers": long}
    reply = send(server, "OPTIONS", headers=headers)
    assert reply.status == 400
    assert b"Too Large" in reply.body


@pytest.fixture(scope="module")
def sigv4(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    """A server that verifies every signature (`--auth sigv4`)."""
    srv = Server(
        tmp_path_factory.mktemp("cors"), workers=1, extra_args=("--auth", "sigv4", *backend())
    )
    try:
        yield srv.start()
    finally:
        srv.stop()


def test_preflight_needs_no_authentication(sigv4: Server) -> None:
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    reply = send(sigv4, "OPTIONS", headers=headers)
    assert reply.status == 200
    assert reply.headers["access-control-allow-methods"] == "POST"
    # the request it clears is authenticated as any other, and its refusal readable
    refused = signed_call(sigv4, "ListTables", {}, extra_headers={"Origin": ORIGIN})
    assert refused.status == 400
    assert refused.json()["__type"].endswith("#UnrecognizedClientException")
    assert refused.headers["access-control-allow-origin"] == "*"


# --------------------------------------------------------------------------- the ASGI adapter


def test_asgi_adapter_sends_cors_and_compression(uvicorn_endpoint: str) -> None:
    port = int(uvicorn_endpoint.rsplit(":", 1)[1])
    under = Server(None, port=port)
    reply = send(
        under, "OPTIONS", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert reply.status == 200
    assert reply.headers["access-control-allow-methods"] == "POST"
    assert reply.headers["access-control-max-age"] == "172800"
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=uvicorn_endpoint,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}),
        **CREDENTIALS,
    )
    table = create_table(ddb, "asgi")
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "blob": {"S": "x" * 10_000}})
    big = scan(under, table, "deflate", Origin=ORIGIN)
    assert big.status == 200
    assert big.headers["content-encoding"] == "deflate"
    assert big.headers["access-control-allow-origin"] == "*"
    assert_framed(big)
    assert json.loads(plain(big))["Items"][0]["blob"]["S"] == "x" * 10_000
