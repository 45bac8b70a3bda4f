"""`serve --cors ORIGINS` (DynamoDB Local's `-cors`): only the listed origins get CORS headers.

Behaviour pinned here:
- A listed origin's requests and preflights get DynamoDB's CORS headers with that origin in
  `Access-Control-Allow-Origin` (and `Vary: Origin`); the preflight still echoes the method
  and headers asked for, for two days.
- Any other origin gets no CORS header at all: its answers are those of a request without
  `Origin` (so the browser refuses them), and its preflight is the 404 any `OPTIONS` gets.
- `--cors '*'` is DynamoDB's behaviour, the default: every origin, `*`.
(The default is pinned in test_http_edges.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Server
from tests.wire.http import send, signed_call

ALLOWED = "http://app.example"
ALSO = "http://localhost:3000"
OTHER = "http://evil.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "x-amz-target",
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    server = Server(None, extra_args=("--cors", f"{ALLOWED}, {ALSO}")).start()
    yield server
    server.stop()


@pytest.mark.parametrize("origin", [ALLOWED, ALSO])
def test_a_listed_origin_gets_its_headers(server: Server, origin: str) -> None:
    reply = signed_call(server, "ListTables", {}, extra_headers={"Origin": origin})
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == origin
    assert reply.headers["vary"] == "Origin"
    assert "x-amzn-RequestId" in reply.headers["access-control-expose-headers"]
    preflight = send(server, "OPTIONS", headers={"Origin": origin, **PREFLIGHT})
    assert preflight.status == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-methods"] == "POST"
    assert preflight.headers["access-control-allow-headers"] == "x-amz-target"
    assert preflight.headers["access-control-max-age"] == "172800"


def test_another_origin_gets_none(server: Server) -> None:
    reply = signed_call(server, "ListTables", {}, extra_headers={"Origin": OTHER})
    assert reply.status == 200
    assert not [name for name in reply.headers if name.startswith("access-control-")]
    preflight = send(server, "OPTIONS", headers={"Origin": OTHER, **PREFLIGHT})
    assert preflight.status == 404
    assert "access-control-allow-origin" not in preflight.headers


def test_star_is_every_origin() -> None:
    server = Server(None, extra_args=("--cors", "*")).start()
    try:
        reply = signed_call(server, "ListTables", {}, extra_headers={"Origin": OTHER})
        assert reply.headers["access-control-allow-origin"] == "*"
        assert "vary" not in reply.headers
    finally:
        server.stop()
