"""opendynamo's HTTP/1.1 layer (server/http, server/worker) through real sockets.

test_protocol.py covers what DynamoDB answers; this module covers how the bytes travel:
- Pipelining: several requests in one write are answered in order on the same connection,
  each with its own request id.
- A request trickled in many small writes (headers a few bytes at a time, body in pieces) is
  parsed whole.
- `Expect: 100-continue`: `HTTP/1.1 100 Continue` comes before the body is sent, the final
  answer after it.
- Garbage gets a 400 and the connection is closed (also after a good pipelined request); the
  server keeps serving other connections.
- `Connection: close` (HTTP/1.1) and HTTP/1.0 without keep-alive: the reply says
  `Connection: close` and the server closes the socket.
- Response headers: Content-Length matches the body, Date is an RFC 7231 IMF-fixdate within a
  minute of now, x-amz-crc32 is the CRC32 of the body; no header appears twice.
- Many keep-alive connections at once, requests interleaved, each get their own answers.
- The ASGI adapter (`opendynamo.server.asgi:app`) under uvicorn serves boto3.
- SIGTERM stops the server cleanly (exit code 0, no worker left, open connections closed) with
  one worker and with two.
- HTTP/1.1's finer rules: no body in answers to HEAD; `Upgrade` ignored (one answer, the
  connection goes on); no 100 Continue to HTTP/1.0 clients; 400 for HTTP/1.1 without Host;
  Date on the 400 too; HTTP/1.0 with `Connection: keep-alive` is told so and kept open.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import CREDENTIALS, REGION, Server, free_port
from tests.wire.http import AMZ_JSON, unverified_auth

IMF_FIXDATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")


def request(
    operation: str,
    payload: dict[str, Any],
    *,
    version: str = "HTTP/1.1",
    headers: tuple[str, ...] = (),
) -> bytes:
    """The bytes of one DynamoDB request with a well-formed (unverified) Authorization."""
    body = json.dumps(payload).encode()
    lines = [
        f"POST / {version}",
        "Host: 127.0.0.1",
        f"Content-Type: {AMZ_JSON}",
        f"X-Amz-Target: DynamoDB_20120810.{operation}",
        *(f"{name}: {value}" for name, value in unverified_auth().items()),
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def get_item(table: str, key: str) -> bytes:
    return request("GetItem", {"TableName": table, "Key": {"pk": {"S": key}}})


@dataclass
class Response:
    version: str
    status: int
    headers: list[tuple[str, str]]  # lower-case names, in order
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def json(self) -> Any:
        return json.loads(self.body)


class Wire:
    """A raw client connection that reads responses one at a time."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed by the server; unread {self.buffer!r}")
        self.buffer += chunk

    def read(self, head_only: bool = False) -> Response:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        version, status, _reason = status_line.split(" ", 2)
        headers = [(n.strip().lower(), v.strip()) for n, v in (h.split(":", 1) for h in lines)]
        length = 0 if head_only else int(dict(headers).get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Response(version, int(status), headers, body)

    def closed_by_server(self) -> bool:
        """Whether the server closed the connection with nothing more to read."""
        return self.buffer == b"" and self.sock.recv(1) == b""


@pytest.fixture
def items(ddb: Any, table: str) -> str:
    """The `table` with 50 items: pk `k<i>`, n = i."""
    for start in range(0, 50, 25):
        puts = [
            {"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "n": {"N": str(i)}}}}
            for i in range(start, start + 25)
        ]
        ddb.batch_write_item(RequestItems={table: puts})
    return table


def item_number(response: Response) -> int:
    assert response.status == 200, response.body
    return int(response.json()["Item"]["n"]["N"])


# --------------------------------------------------------------------------- framing


def test_pipelined_requests_are_answered_in_order(server: Server, items: str) -> None:
    with Wire(server.port) as wire:
        wire.send(get_item(items, "k7") + get_item(items, "k3") + get_item(items, "k11"))
        answers = [wire.read() for _ in range(3)]
        assert [item_number(answer) for answer in answers] == [7, 3, 11]
        ids = {answer.header("x-amzn-requestid") for answer in answers}
        assert None not in ids and len(ids) == 3
        assert all(answer.header("connection") is None for answer in answers)
        wire.send(request("ListTables", {}))  # and the connection is still alive
        assert wire.read().status == 200


def test_request_in_many_small_writes(server: Server, ddb: Any, table: str) -> None:
    data = request("PutItem", {"TableName": table, "Item": {"pk": {"S": "slow"}, "v": {"S": "x"}}})
    head_end = data.index(b"\r\n\r\n") + 4
    with Wire(server.port) as wire:
        for offset in range(0, head_end, 3):
            wire.send(data[offset : min(offset + 3, head_end)])
        for offset in range(head_end, len(data), 7):
            wire.send(data[offset : offset + 7])
            time.sleep(0.002)
        assert wire.read().status == 200
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "slow"}})["Item"]
    assert item == {"pk": {"S": "slow"}, "v": {"S": "x"}}


def test_expect_100_continue(server: Server, items: str) -> None:
    data = request(
        "GetItem",
        {"TableName": items, "Key": {"pk": {"S": "k5"}}},
        headers=("Expect: 100-continue",),
    )
    head_end = data.index(b"\r\n\r\n") + 4
    with Wire(server.port) as wire:
        wire.send(data[:head_end])
        interim = wire.read()
        assert (interim.version, interim.status, interim.body) == ("HTTP/1.1", 100, b"")
        assert wire.buffer == b""  # nothing else before the body is sent
        wire.send(data[head_end:])
        assert item_number(wire.read()) == 5


@pytest.mark.parametrize("prefix", [False, True], ids=["alone", "after-a-good-request"])
def test_garbage_is_400_and_closes(server: Server, prefix: bool) -> None:
    with Wire(server.port) as wire:
        wire.send((request("ListTables", {}) if prefix else b"") + b"NOT HTTP\r\n\r\n")
        if prefix:
            assert wire.read().status == 200
        reply = wire.read()
        assert reply.status == 400
        assert reply.header("connection") == "close"
        assert reply.header("content-length") == str(len(reply.body))
        assert wire.closed_by_server()
    with Wire(server.port) as wire:  # other connections are still served
        wire.send(request("ListTables", {}))
        assert wire.read().status == 200


@pytest.mark.parametrize(
    ("version", "headers"),
    [("HTTP/1.1", ("Connection: close",)), ("HTTP/1.0", ())],
    ids=["http11-connection-close", "http10"],
)
def test_connection_close(server: Server, version: str, headers: tuple[str, ...]) -> None:
    with Wire(server.port) as wire:
        wire.send(request("ListTables", {}, version=version, headers=headers))
        reply = wire.read()
        assert reply.status == 200
        assert isinstance(reply.json()["TableNames"], list)
        assert reply.header("connection") == "close"
        assert wire.closed_by_server()


@pytest.mark.parametrize(
    "data",
    [
        request("ListTables", {}),
        request("DescribeTable", {"TableName": "no-such-table"}),
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ],
    ids=["200", "400", "health"],
)
def test_response_headers(server: Server, data: bytes) -> None:
    with Wire(server.port) as wire:
        wire.send(data)
        reply = wire.read()
    assert reply.version == "HTTP/1.1"
    assert reply.body
    names = [name for name, _ in reply.headers]
    assert len(names) == len(set(names)), names
    assert reply.header("content-length") == str(len(reply.body))
    assert reply.header("x-amz-crc32") == str(zlib.crc32(reply.body))
    date = reply.header("date")
    assert date is not None and IMF_FIXDATE.fullmatch(date), date
    age = datetime.now(UTC) - email.utils.parsedate_to_datetime(date)
    assert abs(age.total_seconds()) < 60


def test_many_keep_alive_connections(server: Server, items: str) -> None:
    count, rounds = 50, 4
    wires = [Wire(server.port) for _ in range(count)]
    try:
        for round_ in range(rounds):
            for i, wire in enumerate(wires):
                wire.send(get_item(items, f"k{(i + round_) % count}"))
            for i, wire in enumerate(wires):
                assert item_number(wire.read()) == (i + round_) % count
    finally:
        for wire in wires:
            wire.sock.close()


# --------------------------------------------------------------------------- the ASGI adapter


@pytest.fixture
def uvicorn_endpoint(tmp_path: Path) -> Iterator[str]:
    """`opendynamo.server.asgi:app` under uvicorn, in memory; stopped (and checked to stop
    cleanly) afterwards."""
    from opendynamo.config import ENV_PREFIX, Settings

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env.update(Settings(port=port, in_memory=True).to_env())
    args = [sys.executable, "-m", "uvicorn", "opendynamo.server.asgi:app"]
    args += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"]
    log = tmp_path / "uvicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=out, stderr=out)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(400):
            assert process.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(endpoint + "/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError(f"uvicorn did not answer: {log.read_text()}")
        yield endpoint
        process.terminate()  # uvicorn shuts down, then dies of the signal it caught
        assert process.wait(timeout=10) in (0, -signal.SIGTERM), log.read_text()
        assert "Application shutdown complete" in log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_asgi_adapter_under_uvicorn(uvicorn_endpoint: str) -> None:
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=uvicorn_endpoint,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}),
        **CREDENTIALS,
    )
    ddb.create_table(
        TableName="asgi",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="asgi", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    item = ddb.get_item(TableName="asgi", Key={"pk": {"S": "a"}})["Item"]
    assert item == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert ddb.list_tables()["TableNames"] == ["asgi"]


# --------------------------------------------------------------------------- stopping


def group_is_gone(pgid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_stops_the_server(tmp_path: Path, workers: int) -> None:
    srv = Server(tmp_path / "data", workers=workers).start()
    assert srv.process is not None
    try:
        with Wire(srv.port) as wire:  # an idle keep-alive connection stays open meanwhile
            wire.send(request("ListTables", {}))
            assert wire.read().status == 200
            srv.process.send_signal(signal.SIGTERM)
            assert srv.process.wait(timeout=10) == 0, srv.output()
            assert wire.closed_by_server()
        assert group_is_gone(srv.process.pid), "a worker outlived the server"
        assert "Traceback" not in srv.output()
    finally:
        srv.stop()


# --------------------------------------------------------------------------- HTTP/1.1 gaps


def test_head_answer_has_no_body(server: Server) -> None:
    with Wire(server.port) as wire:
        wire.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        wire.read(head_only=True)
        after = wire.read()  # with a body after the HEAD head, this status line is garbled
        assert (after.version, after.status) == ("HTTP/1.1", 200)


def test_upgrade_header_is_ignored(server: Server) -> None:
    upgrade = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
    with Wire(server.port) as wire:
        wire.send(upgrade)
        assert wire.read().status == 200
        wire.send(request("ListTables", {}))
        assert wire.read().status == 200  # not the stray 400 (nor a reset)


def test_no_100_continue_for_http10(server: Server) -> None:
    with Wire(server.port) as wire:
        wire.send(request("ListTables", {}, version="HTTP/1.0", headers=("Expect: 100-continue",)))
        assert wire.read().status == 200


def test_http11_without_host_is_400(server: Server) -> None:
    with Wire(server.port) as wire:
        wire.send(b"GET / HTTP/1.1\r\n\r\n")
        assert wire.read().status == 400


def test_bad_request_has_date(server: Server) -> None:
    with Wire(server.port) as wire:
        wire.send(b"NOT HTTP\r\n\r\n")
        assert wire.read().header("date") is not None


def test_http10_keep_alive_is_kept(server: Server) -> None:
    with Wire(server.port) as wire:
        for _ in range(2):
            wire.send(
                request("ListTables", {}, version="HTTP/1.0", headers=("Connection: keep-alive",))
            )
            answer = wire.read()
            assert answer.status == 200
            assert (answer.header("connection") or "").lower() == "keep-alive"


def _worker_of_each_connection(server_pid: int, port: int) -> list[int]:
    """The pid of the worker process holding each established connection to `port`, read
    from /proc: the socket inodes of /proc/net/tcp, matched to the processes' descriptors."""
    inodes = set()
    with open("/proc/net/tcp") as table:
        for line in list(table)[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            if local_port == port and fields[3] == "01":  # ESTABLISHED, server side
                inodes.add(fields[9])
    holders = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == server_pid:
            continue
        try:
            if os.getpgid(int(pid)) != server_pid:  # the server runs in its own session
                continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    holders.append(int(pid))
        except OSError:
            continue
    return holders


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="reads Linux's /proc")
def test_workers_share_the_connections_and_the_port_stays_theirs(tmp_path: Path) -> None:
    """With --workers 2 the kernel deals connections out to both workers (each listens on
    the port with SO_REUSEPORT), and a second server cannot start on the same port."""
    srv = Server(tmp_path / "data", workers=2).start()
    assert srv.process is not None
    wires = [Wire(srv.port) for _ in range(16)]
    try:
        for wire in wires:
            wire.__enter__()
            wire.send(request("ListTables", {}))
            assert wire.read().status == 200
        holders = _worker_of_each_connection(srv.process.pid, srv.port)
        assert len(holders) == 16
        assert len(set(holders)) == 2, f"every connection went to one worker: {holders}"
        second = subprocess.run(
            [sys.executable, "-m", "opendynamo", "serve", "--port", str(srv.port),
             "--data-dir", str(tmp_path / "other"), "--workers", "2"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert second.returncode != 0
        assert f"port {srv.port} on 127.0.0.1 is already in use" in second.stderr
    finally:
        for wire in wires:
            wire.__exit__(None, None, None)
        srv.stop()
