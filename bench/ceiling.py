"""The ceilings: a server that does no work, on opendynamo's HTTP stack and on uvicorn.

Both read each request's body and answer 200 with a small JSON body. `--stack opendynamo`
(the default) runs a no-op responder on `opendynamo.server.http`, the stack `opendynamo
serve` uses, so opendynamo's throughput divided by this one says how much of the budget
DynamoDB's work takes. `--stack uvicorn` runs a no-op ASGI app on uvicorn with uvloop and
httptools, one worker, no access log and no Server or Date header: the stack opendynamo used
before it had its own, kept as a reference point.

Run: python -m bench.ceiling --port 8001 [--stack opendynamo|uvicorn]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from opendynamo.server import http

Message = MutableMapping[str, Any]
BODY = b'{"ceiling":true}'
HEADERS = [
    (b"content-type", b"application/x-amz-json-1.0"),
    (b"content-length", str(len(BODY)).encode()),
]
REPLY = http.Reply(200, b"application/x-amz-json-1.0", BODY)


async def app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:  # the whole body, as a real server must read it
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def respond(incoming: http.Incoming) -> http.Reply:
    return REPLY


async def serve_opendynamo(host: str, port: int) -> None:
    server = http.Server(respond)
    loop = asyncio.get_running_loop()
    sock = socket.create_server((host, port), reuse_port=False)
    listener = await loop.create_server(server.connection, sock=sock)
    async with listener:
        await server.sweep()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--stack", choices=("opendynamo", "uvicorn"), default="opendynamo")
    options = parser.parse_args()
    if options.stack == "opendynamo":
        import uvloop

        uvloop.run(serve_opendynamo(options.host, options.port))
        return
    import uvicorn

    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        workers=1,
        log_level="warning",
        access_log=False,
        lifespan="on",
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        http="httptools",
        server_header=False,
        date_header=False,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
