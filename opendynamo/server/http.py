"""opendynamo's HTTP/1.1 server: an asyncio protocol on httptools (and uvloop where there is
one) that hands each complete request to a synchronous responder and writes the whole answer
with one write.

Every DynamoDB operation runs synchronously on the worker's store, so nothing is gained by
giving each request a task, an ASGI scope and messages: this layer costs a fraction of an
ASGI server's (bench/README.md has the figures). Requests pipelined on one connection are
answered in order. The ASGI adapter (`server/asgi`) remains for embedding in other servers.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol, cast

import httptools

MAX_BODY_BYTES = 16 * 1024 * 1024
# DynamoDB refuses a request whose headers pass 16 KB (400), and a request line that long.
MAX_HEADER_BYTES = 16 * 1024
MAX_TARGET_BYTES = 16 * 1024
IDLE_SECONDS = 60.0  # a keep-alive connection with no request for this long is closed
PIPELINE_LIMIT = 32  # requests waiting on one connection before it stops reading more
log = logging.getLogger("opendynamo.http")


@dataclass(slots=True)
class Incoming:
    """One parsed request."""

    method: str
    target: bytes  # the request target as sent: path and query
    headers: list[tuple[bytes, bytes]]  # names lower-cased, in order
    body: bytes
    too_large: bool  # the body passed MAX_BODY_BYTES and was dropped
    scheme: str
    client: str | None


@dataclass(slots=True)
class Reply:
    status: int
    content_type: bytes
    body: bytes
    request_id: str = ""
    headers: tuple[tuple[bytes, bytes], ...] = ()  # more headers, after DynamoDB's own


Responder = Callable[[Incoming], Reply]

_REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}


_DAYS = (b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun")
_MONTHS = b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def date_header(seconds: float | None = None) -> bytes:
    """The Date header: now (or `seconds` since the epoch) in RFC 9110's IMF-fixdate, as
    email.utils.formatdate(usegmt=True) writes it (the email package costs a server's start a
    few milliseconds to import)."""
    now = time.gmtime(seconds)
    return b"Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n" % (
        _DAYS[now.tm_wday],
        now.tm_mday,
        _MONTHS[now.tm_mon - 1],
        now.tm_year,
        now.tm_hour,
        now.tm_min,
        now.tm_sec,
    )


class Clock:
    """The Date header, refreshed once a second by the server's sweep rather than per reply."""

    __slots__ = ("date", "now")

    def __init__(self) -> None:
        self.tick()

    def tick(self) -> None:
        self.now = time.monotonic()
        self.date = date_header()


def render(
    reply: Reply, date: bytes, keep_alive: bool, head: bool = False, http10: bool = False
) -> bytes:
    """The reply's bytes on the wire: status line, headers, body (none for HEAD). DynamoDB
    names itself `Server: Server` on every answer, and so does this."""
    body = reply.body
    if reply.request_id and keep_alive and not reply.headers and not head and not http10:
        return _COMMON_REPLY % (  # (nearly every answer: one format, not six and a join)
            reply.status,
            _REASONS.get(reply.status, b"Unknown"),
            reply.content_type,
            len(body),
            date,
            reply.request_id.encode(),
            zlib.crc32(body),
            body,
        )
    lines = [
        b"HTTP/1.1 %d %s\r\nServer: Server\r\n"
        % (reply.status, _REASONS.get(reply.status, b"Unknown")),
        b"Content-Type: %s\r\nContent-Length: %d\r\n" % (reply.content_type, len(body)),
        date,
    ]
    if reply.request_id:
        lines.append(b"x-amzn-RequestId: %s\r\n" % reply.request_id.encode())
        lines.append(b"x-amz-crc32: %d\r\n" % zlib.crc32(body))  # of the bytes sent
    for name, value in reply.headers:
        lines.append(b"%s: %s\r\n" % (name, value))
    if not keep_alive:
        lines.append(b"Connection: close\r\n")
    elif http10:
        lines.append(b"Connection: keep-alive\r\n")
    lines.append(b"\r\n")
    if not head:
        lines.append(body)
    return b"".join(lines)


_COMMON_REPLY = (
    b"HTTP/1.1 %d %s\r\nServer: Server\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s"
    b"x-amzn-RequestId: %s\r\nx-amz-crc32: %d\r\n\r\n%s"
)
_BAD_REQUEST = Reply(400, b"text/plain", b"Bad Request")
_HEADERS_TOO_LARGE = Reply(400, b"text/plain", b"Request Header Or Cookie Too Large")
_TARGET_TOO_LONG = Reply(414, b"text/plain", b"Request-URI Too Long")


class _Refused(Exception):
    """Raised in a parser callback: the request is answered `reply` and the connection closed."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.body.decode())
        self.reply = reply


class Connection(asyncio.Protocol):
    """One client connection: parse, respond, write; reading pauses while writing is paused."""

    __slots__ = (
        "_server",
        "_transport",
        "_parser",
        "_scheme",
        "_client",
        "_target",
        "_headers",
        "_header_bytes",
        "_refusal",
        "_chunks",
        "_size",
        "_too_large",
        "_closing",
        "_waiting",
        "_failing",
        "active",
    )

    def __init__(self, server: Server) -> None:
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._scheme = "http"
        self._client: str | None = None
        self._target = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._refusal = _BAD_REQUEST
        self._chunks: list[bytes] = []
        self._size = 0
        self._too_large = False
        self._closing = False
        # Requests handed to the server's executor, answered in order (oldest first).
        self._waiting: collections.deque[tuple[Incoming, bool, bool, bool]] = collections.deque()
        self._failing = False  # a bad request came after the waiting ones
        self.active = server.clock.now

    # --- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        peer = transport.get_extra_info("peername")
        self._client = str(peer[0]) if isinstance(peer, tuple) else None
        if transport.get_extra_info("sslcontext") is not None:
            self._scheme = "https"
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.active = self._server.clock.now
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            # Answered as if there were no Upgrade header; go on with a fresh parser.
            offset = int(upgrade.args[0]) if upgrade.args else len(data)
            self._parser = httptools.HttpRequestParser(self)
            if offset < len(data):
                self.data_received(data[offset:])
        except httptools.HttpParserError as error:
            refused = error.__context__ or error.__cause__
            self._refusal = refused.reply if isinstance(refused, _Refused) else _BAD_REQUEST
            self._fail()

    def pause_writing(self) -> None:
        assert self._transport is not None
        self._transport.pause_reading()

    def resume_writing(self) -> None:
        assert self._transport is not None
        if not self._closing:
            self._transport.resume_reading()

    # --- httptools callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._target = b""
        self._headers = []
        self._header_bytes = 0
        self._chunks = []
        self._size = 0
        self._too_large = False

    def on_url(self, url: bytes) -> None:
        self._target += url
        if len(self._target) > MAX_TARGET_BYTES:
            raise _Refused(_TARGET_TOO_LONG)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._header_bytes > MAX_HEADER_BYTES:
            raise _Refused(_HEADERS_TOO_LARGE)
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        if self._parser.get_http_version() != "1.1":
            return  # HTTP/1.0 gets no 1xx answers, and needs no Host
        host = expect = False
        for name, value in self._headers:
            if name == b"host":
                host = True
            elif name == b"expect" and value.lower() == b"100-continue":
                expect = True
        if not host:
            raise httptools.HttpParserError("HTTP/1.1 without Host")  # RFC 9112 3.2: 400
        if expect:
            assert self._transport is not None
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > MAX_BODY_BYTES:
            self._too_large = True
            self._chunks.clear()
        else:
            self._chunks.append(chunk)

    def on_message_complete(self) -> None:
        transport = self._transport
        if transport is None or self._closing:
            return
        chunks = self._chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        incoming = Incoming(
            self._parser.get_method().decode("latin-1"),
            self._target,
            self._headers,
            body,
            self._too_large,
            self._scheme,
            self._client,
        )
        server = self._server
        parser = self._parser
        head = incoming.method == "HEAD"
        http10 = parser.get_http_version() == "1.0"
        if server.executor is not None:
            self._offload(incoming, parser.should_keep_alive(), head, http10)
            return
        server.begin_turn()
        reply = _respond(server.respond, incoming)
        keep_alive = parser.should_keep_alive() and not server.stopping
        answer = render(reply, server.clock.date, keep_alive, head, http10)
        if server.group is not None and server.group.group_open:
            server.held.append((self, answer, keep_alive, head, http10))  # sent once committed
        else:
            self.send(answer, keep_alive)

    # --- requests answered off the event loop (a store that waits on the network) -----------

    def _offload(self, incoming: Incoming, keep_alive: bool, head: bool, http10: bool) -> None:
        self._waiting.append((incoming, keep_alive, head, http10))
        if len(self._waiting) == 1:
            self._start_next()
        elif len(self._waiting) == PIPELINE_LIMIT and self._transport is not None:
            self._transport.pause_reading()

    def _start_next(self) -> None:
        server = self._server
        assert server.executor is not None
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            server.executor, _respond, server.respond, self._waiting[0][0]
        )
        future.add_done_callback(self._answered)

    def _answered(self, future: asyncio.Future[Reply]) -> None:
        _, keep_alive, head, http10 = self._waiting.popleft()
        server = self._server
        keep_alive = keep_alive and not server.stopping
        self.send(render(future.result(), server.clock.date, keep_alive, head, http10), keep_alive)
        if self._closing:
            self._waiting.clear()
            return
        if self._waiting:
            self._start_next()
        elif self._failing:
            self._fail()
            return
        if len(self._waiting) == PIPELINE_LIMIT - 1 and self._transport is not None:
            self._transport.resume_reading()

    def send(self, answer: bytes, keep_alive: bool) -> None:
        if self._transport is not None and not self._closing:
            self._transport.write(answer)
            if not keep_alive:
                self.close()

    # --- closing -------------------------------------------------------------------------

    def _fail(self) -> None:
        if self._waiting:  # answer the requests before the bad one first, in order
            self._failing = True
            if self._transport is not None:
                self._transport.pause_reading()
            return
        if self._transport is not None and not self._closing:
            self._transport.write(render(self._refusal, self._server.clock.date, False))
        self.close()

    def close(self) -> None:
        if not self._closing and self._transport is not None:
            self._closing = True
            self._transport.close()


def _respond(respond: Responder, incoming: Incoming) -> Reply:
    try:
        return respond(incoming)
    except Exception:
        log.exception("responder failed")
        return Reply(500, b"text/plain", b"Internal Server Error")


class Group(Protocol):
    """Group commit (storage/sqlite's `begin_group`): the writes of all requests answered in
    one turn of the event loop share one transaction, committed when the turn ends."""

    def begin_group(self) -> None: ...

    @property
    def group_open(self) -> bool: ...

    def end_group(self) -> None: ...


class Server:
    """The connections of one worker process and the responder they share.

    With an `executor`, requests are answered on its threads (each connection's in order, one
    at a time), so the event loop goes on while a store waits on its database. With a `group`, every request parsed in one turn of the event loop (all the data the
    kernel had ready) is answered inside one group; replies that depend on the group's
    commit are held and written after it, or replaced by `failed` when the commit fails.
    """

    def __init__(
        self,
        respond: Responder,
        idle_seconds: float = IDLE_SECONDS,
        group: Group | None = None,
        failed: Reply | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.respond = respond
        self.executor = executor
        self.idle_seconds = idle_seconds
        self.group = group
        self.failed = failed or Reply(500, b"text/plain", b"Internal Server Error")
        self.clock = Clock()
        self.connections: set[Connection] = set()
        self.held: list[tuple[Connection, bytes, bool, bool, bool]] = []
        self.stopping = False
        self._in_turn = False

    def begin_turn(self) -> None:
        if self.group is None or self._in_turn:
            return
        self._in_turn = True
        self.group.begin_group()
        asyncio.get_running_loop().call_soon(self.end_turn)

    def end_turn(self) -> None:
        """Commit the turn's group and write the replies that waited for it."""
        if not self._in_turn or self.group is None:
            return
        self._in_turn = False
        try:
            self.group.end_group()
            failed = False
        except Exception:
            log.exception("group commit failed; %d replies become errors", len(self.held))
            failed = True
        held, self.held = self.held, []
        for conn, answer, keep_alive, head, http10 in held:
            if failed:
                answer = render(self.failed, self.clock.date, keep_alive, head, http10)
            conn.send(answer, keep_alive)

    def connection(self) -> Connection:
        return Connection(self)

    async def sweep(self) -> None:
        """Once a second: refresh the Date header and close connections idle too long."""
        while True:
            await asyncio.sleep(1.0)
            self.clock.tick()
            cutoff = self.clock.now - self.idle_seconds
            for conn in [c for c in self.connections if c.active < cutoff]:
                conn.close()

    def close_all(self) -> None:
        """Stop keeping connections alive; close them (no request is ever half-answered:
        answers are written whole, between reads)."""
        self.stopping = True
        self.end_turn()
        for conn in list(self.connections):
            conn.close()


def tls_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    return context
