"""The HTTP edge: a raw ASGI application speaking DynamoDB's JSON 1.0 protocol.

Order of checks follows DynamoDB's (semantics.md §1): method and content type, JSON parse,
target, authentication, JSON types, constraints, then the operation. Only this package knows
HTTP; every failure is rendered here from the error catalogue.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.api import OPERATIONS, UNSUPPORTED
from opendynamo.api.context import Context
from opendynamo.api.shapes import validate_input
from opendynamo.config import Settings
from opendynamo.server import housekeeper, protocol, sigv4
from opendynamo.storage.base import Store

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_REQUEST_BYTES = 16 * 1024 * 1024
JSON_TYPES = (b"application/x-amz-json-1.0", b"application/json")
log = logging.getLogger("opendynamo.server")


class App:
    """The ASGI application of one worker process; it opens the store on first use."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self._store = store
        self._housekeeper: asyncio.Task[None] | None = None
        self.endpoint = f"{settings.host}:{settings.port}"

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self.settings.open_store()
        return self._store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body, too_large = await _read_body(receive)
        request_id = protocol.new_request_id()
        method = scope["method"]
        if method == "GET":
            await self._get(scope, send, request_id)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip()
        if method != "POST" or (body and content_type not in JSON_TYPES):
            await _send(send, 404, b"<UnknownOperationException/>\n", b"text/plain", request_id)
            return
        reply_type = content_type if content_type in JSON_TYPES else JSON_TYPES[0]
        if too_large:
            status, payload = _render_error(errors.request_too_large())
        else:
            status, payload = self._handle(headers, body, request_id)
        await _send(send, status, payload, reply_type, request_id)

    def _handle(
        self, headers: dict[bytes, bytes], body: bytes, request_id: str
    ) -> tuple[int, bytes]:
        try:
            return 200, self._dispatch(headers, body, request_id)
        except errors.DynamoError as exc:
            return _render_error(exc)
        except Exception:
            log.exception("request %s failed", request_id)
            return _render_error(errors.internal_server_error(request_id))

    def _dispatch(self, headers: dict[bytes, bytes], body: bytes, request_id: str) -> bytes:
        if headers.get(b"content-encoding", b"").strip().lower() == b"gzip":
            body = _gunzip(body)
        data = _parse_json(body)
        prefix, operation = protocol.split_target(headers.get(b"x-amz-target", b"").decode())
        if prefix != protocol.DYNAMODB_PREFIX:
            raise errors.unknown_operation()
        handler = OPERATIONS.get(operation)
        if handler is None and operation not in UNSUPPORTED:
            raise errors.unknown_operation()
        credential = sigv4.scope_of(list(headers.items()))
        if data is None:
            raise errors.serialization()
        if handler is None:
            raise errors.DynamoError(
                "UnknownOperationException",
                f"opendynamo does not support {operation} yet",
                namespace=errors.CORAL_SERVICE,
            )
        validate_input(operation, data)
        if None in data.values():  # DynamoDB treats a null member as an absent one
            data = {name: value for name, value in data.items() if value is not None}
        ctx = Context(
            store=self.store,
            account=protocol.DEFAULT_ACCOUNT,
            region=credential.region,
            request_id=request_id,
            endpoint=self.endpoint,
            enforce_capacity=self.settings.enforce_capacity,
        )
        result = handler(ctx, data)
        return result if isinstance(result, bytes) else orjson.dumps(result)

    async def _get(self, scope: Scope, send: Send, request_id: str) -> None:
        if scope["path"] == "/":
            await _send(send, 200, f"healthy: {self.endpoint} ".encode(), b"text/plain", request_id)
        else:
            await _send(send, 404, b"Not Found", b"text/plain", request_id)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                store = self.store  # open now, so a bad data dir fails the start, not a request
                self._housekeeper = asyncio.create_task(housekeeper.run(store))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._housekeeper is not None:
                    self._housekeeper.cancel()
                if self._store is not None:
                    self._store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body, or (b"", True) once it passes the 16 MB limit."""
    chunks: list[bytes] = []
    size = 0
    too_large = False
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            too_large = True
            chunks.clear()
        elif not too_large:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), too_large


def _gunzip(body: bytes) -> bytes:
    try:
        decompressor = zlib.decompressobj(wbits=31)
        data = decompressor.decompress(body, MAX_REQUEST_BYTES + 1)
    except zlib.error:
        raise errors.serialization() from None
    if len(data) > MAX_REQUEST_BYTES:
        raise errors.request_too_large()
    return data


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.serialization() from None


def _render_error(exc: errors.DynamoError) -> tuple[int, bytes]:
    return exc.status, orjson.dumps(exc.body())


async def _send(
    send: Send, status: int, payload: bytes, content_type: bytes, request_id: str
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(payload)).encode()),
                (b"x-amzn-requestid", request_id.encode()),
                (b"x-amz-crc32", str(zlib.crc32(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
