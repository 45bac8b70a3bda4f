"""bench/requests.py against botocore: the hand-rolled signer must agree with it byte for
byte, or opendynamo's `--auth sigv4` would reject every replayed request.

Run: python -m pytest tests/unit/test_bench_requests.py
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from botocore import auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bench import requests as reqs

WHEN = datetime(2024, 5, 17, 12, 30, 45, tzinfo=UTC)
ENDPOINT = reqs.Endpoint("127.0.0.1:8123", "AKIDBENCH", "bench-secret")
DATA = reqs.Dataset(items=100, partitions=10, scan_starts=(None, {"pk": {"S": "k00000042"}}))


@pytest.mark.parametrize("scenario", sorted(reqs.SCENARIOS))
def test_signature_matches_botocore(scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "get_current_datetime", lambda: WHEN.replace(tzinfo=None))
    for request in reqs.build(scenario, ENDPOINT, DATA, 5, seed=1, namespace="t", when=WHEN):
        headers = dict(request.headers)
        theirs = AWSRequest(
            "POST",
            f"http://{ENDPOINT.host}/",
            data=request.body,
            headers={k: headers[k] for k in ("Content-Type", "X-Amz-Target")},
        )
        auth.SigV4Auth(Credentials("AKIDBENCH", "bench-secret"), "dynamodb", "us-east-1").add_auth(
            theirs
        )
        assert headers["Authorization"] == theirs.headers["Authorization"]
        assert headers["X-Amz-Date"] == theirs.headers["X-Amz-Date"]


def test_same_seed_same_requests_and_writes_are_new() -> None:
    first = reqs.build("put", ENDPOINT, DATA, 50, seed=3, namespace="a", when=WHEN)
    assert first == reqs.build("put", ENDPOINT, DATA, 50, seed=3, namespace="a", when=WHEN)
    keys = {orjson.loads(r.body)["Item"]["pk"]["S"] for r in first}
    other = reqs.build("put", ENDPOINT, DATA, 50, seed=3, namespace="b", when=WHEN)
    assert len(keys) == 50
    assert not keys & {orjson.loads(r.body)["Item"]["pk"]["S"] for r in other}


def test_item_size_and_mixed_share() -> None:
    items, rows = reqs.preload_items(DATA)
    assert len(items) == 100 and len(rows) == 10 * reqs.QUERY_PAGE
    size = sum(len(name) + len(next(iter(v.values()))) for name, v in items[0].items())
    assert 190 <= size <= 210
    mixed = reqs.bodies("mixed", DATA, 2000, seed=1, namespace="m")
    share = sum(op == "PutItem" for op, _ in mixed) / len(mixed)
    assert 0.17 < share < 0.23


def test_line_format() -> None:
    (request,) = reqs.build("get", ENDPOINT, DATA, 1, seed=1, namespace="x", when=WHEN)
    fields = reqs.to_line(request).split("\t")
    assert fields[:3] == ["POST", "/", "5"]
    assert fields[3:5] == ["Host", "127.0.0.1:8123"]
    assert orjson.loads(fields[-1])["TableName"] == reqs.ITEMS_TABLE
