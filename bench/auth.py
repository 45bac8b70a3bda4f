"""What authentication costs per request.

Two measurements, each against a baseline taken in the same run (machines are noisy: the
table gives medians of several rounds and the ratio to the baseline):

1. In-process: `sigv4.verify` of a botocore-signed GetItem (signing key cached, as in the
   server) against `sigv4.check_shape`, the checks but the key's and the signature's that
   `--auth off` makes.
2. Over HTTP: GetItem requests per second on one keep-alive connection against one-worker
   servers in `--auth off`, `--auth sigv4` and `--auth iam` (a user whose policy has a
   dynamodb:LeadingKeys condition), requests signed ahead of the timed loop.

Run: python bench/auth.py [--seconds 3] [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = root_key, root_secret = ("AKIABENCHROOT0000001", "bench-root-secret")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opendynamo.server import sigv4  # noqa: E402
from tests.conftest import Server  # noqa: E402


def signed_get_item(port: int, key: str, secret: str, table: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"TableName": table, "Key": {"pk": {"S": "alice"}}}).encode()
    request = AWSRequest(
        "POST",
        f"http://127.0.0.1:{port}/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.GetItem",
        },
    )
    SigV4Auth(Credentials(key, secret), "dynamodb", "us-east-1").add_auth(request)
    return body, dict(request.headers.items())


def in_process(rounds: int) -> list[tuple[str, float]]:
    body, headers = signed_get_item(8000, *ROOT, "bench")
    pairs = [
        (k.lower().encode(), v.encode() if isinstance(v, str) else v) for k, v in headers.items()
    ]
    pairs.append((b"host", b"127.0.0.1:8000"))

    def secret_for(key: str) -> str | None:
        return root_secret if key == root_key else None

    def verify() -> None:
        sigv4.verify("POST", "/", "", pairs, body, secret_for)

    def shape() -> None:
        sigv4.check_shape("", pairs)

    results = []
    for name, call in (("check_shape (auth off)", shape), ("verify (auth sigv4)", verify)):
        samples = []
        for _ in range(rounds):
            count = 20000
            start = time.perf_counter()
            for _ in range(count):
                call()
            samples.append((time.perf_counter() - start) / count * 1e6)
        results.append((name, statistics.median(samples)))
    return results


def requests_per_second(port: int, body: bytes, headers: dict[str, str], seconds: float) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    done = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        connection.request("POST", "/", body=body, headers=headers)
        reply = connection.getresponse()
        reply.read()
        assert reply.status == 200, reply.status
        done += 1
    elapsed = time.perf_counter() - start
    connection.close()
    return done / elapsed


def _setup(server: Server, mode: str) -> tuple[str, str]:
    """Create the table and item; in iam mode, a user limited to its own partition."""
    credentials = {"aws_access_key_id": root_key, "aws_secret_access_key": root_secret}
    ddb = server.client(**credentials)
    ddb.create_table(
        TableName="bench",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="bench", Item={"pk": {"S": "alice"}, "v": {"S": "x" * 100}})
    if mode != "iam":
        return ROOT
    iam = server.client("iam", **credentials)
    iam.create_user(UserName="alice")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem"],
                "Resource": "arn:aws:dynamodb:*:*:table/bench",
                "Condition": {
                    "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}
                },
            }
        ],
    }
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def over_http(seconds: float, rounds: int) -> list[tuple[str, float]]:
    servers = {}
    prepared = {}
    try:
        for mode in ("off", "sigv4", "iam"):
            args = (
                "--auth",
                mode,
                "--root-access-key-id",
                root_key,
                "--root-secret-access-key",
                root_secret,
            )
            folder = Path(tempfile.mkdtemp(prefix=f"bench-{mode}-"))
            server = Server(
                folder, workers=1, extra_args=args if mode != "off" else ("--auth", "off")
            ).start()
            servers[mode] = server
            key, secret = _setup(server, mode)
            prepared[mode] = signed_get_item(server.port, key, secret, "bench")
        samples: dict[str, list[float]] = {mode: [] for mode in servers}
        for _ in range(rounds):  # interleaved, so drift hits every mode alike
            for mode, server in servers.items():
                samples[mode].append(requests_per_second(server.port, *prepared[mode], seconds))
    finally:
        for server in servers.values():
            server.stop()
    return [
        (f"GetItem, --auth {mode}", statistics.median(values)) for mode, values in samples.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    local = in_process(options.rounds)
    base = local[0][1]
    print("| in process | µs per request (median) | ratio |")
    print("|---|---:|---:|")
    for name, value in local:
        print(f"| {name} | {value:.1f} | {value / base:.2f} |")
    remote = over_http(options.seconds, options.rounds)
    base = remote[0][1]
    print()
    print("| over HTTP, 1 worker, 1 connection | requests/s (median) | ratio to auth off |")
    print("|---|---:|---:|")
    for name, value in remote:
        print(f"| {name} | {value:.0f} | {value / base:.2f} |")


if __name__ == "__main__":
    main()
