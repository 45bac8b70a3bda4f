"""The ASGI entry point, for running opendynamo under another ASGI server (uvicorn): settings
and tuning come from the environment, and the same `App` answers every request. opendynamo's
own HTTP layer (`server/http`) does not use this module. The hosting server names itself in
the Server header."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from opendynamo.config import Settings, tuning_from_env
from opendynamo.engine import tuning
from opendynamo.server.app import App
from opendynamo.server.http import MAX_BODY_BYTES as MAX_REQUEST_BYTES
from opendynamo.server.http import Incoming

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Asgi:
    """`App` as an ASGI application: HTTP requests, and the lifespan that starts the store and
    the housekeeper and stops them."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._housekeeper: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI interface, for running opendynamo under another server."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body, too_large = await _read_body(receive)
        client = scope.get("client")
        target = scope.get("raw_path") or str(scope.get("path", "/")).encode()
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        reply = self.app.respond(
            Incoming(
                scope["method"],
                target,
                scope["headers"],
                body,
                too_large,
                str(scope.get("scheme", "http")),
                str(client[0]) if client else None,
            )
        )
        headers = [(b"content-type", reply.content_type)]
        headers.append((b"content-length", str(len(reply.body)).encode()))
        if reply.request_id:
            headers.append((b"x-amzn-requestid", reply.request_id.encode()))
            headers.append((b"x-amz-crc32", str(zlib.crc32(reply.body)).encode()))
        headers += [(name.lower(), value) for name, value in reply.headers]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.app.startup()
                self._housekeeper = asyncio.create_task(self.app.housekeeping())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._housekeeper is not None:
                    self._housekeeper.cancel()
                self.app.shutdown()
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


tuning.configure(tuning_from_env())
app = Asgi(App(Settings.from_env()))
