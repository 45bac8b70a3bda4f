"""The requests a benchmark replays: DynamoDB calls, SigV4-signed ahead of the timed loop.

Signing costs tens of microseconds in Python; done inside the load loop it would make the
client, not the server, the bottleneck. So every request is built and signed here, written
to a file (`to_line`) and replayed unchanged by wrk (bench/replay.lua). The signature covers
the Host header, so requests are signed for exactly the `127.0.0.1:PORT` wrk sends, and they
stay valid for the 15 minutes SigV4 allows: sign right before measuring a target.

Everything here is pure: the same scenario, dataset, seed, namespace and signing time give
the same bytes. Randomness (which existing key a read touches) comes from a seeded
`random.Random`; write keys come from a namespace, so every write of every run is a new item.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

AttributeValue = dict[str, Any]  # DynamoDB JSON, e.g. {"S": "k00000001"}
Item = dict[str, AttributeValue]

ITEMS_TABLE = "bench-items"  # hash key pk (S): GetItem, UpdateItem, Scan, mixed reads
QUERY_TABLE = "bench-query"  # hash key pk (S), range key sk (S): Query
PAYLOAD_CHARS = 180  # with the key and `n`, an item of about 200 bytes as DynamoDB counts them
QUERY_PAGE = 10  # items per partition of QUERY_TABLE, so a Query returns 10 items
SCAN_PAGE = 100  # Limit of a Scan page
BATCH_SIZE = 25  # BatchWriteItem's maximum
TRANSACT_SIZE = 4
MIXED_WRITE_SHARE = 0.2
CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "DynamoDB_20120810."


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go and whose keys sign them. `host` is the exact Host header."""

    host: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Dataset:
    """What the preload put in a target: `items` keys `key(i)` in ITEMS_TABLE, `partitions`
    partitions of QUERY_PAGE items in QUERY_TABLE, and the ExclusiveStartKey of each full
    Scan page (None for the first page), as the target's own Scan returned them."""

    items: int
    partitions: int
    scan_starts: tuple[Item | None, ...] = (None,)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One workload. `checks` are Lua patterns: a 200 answer must match one of them.

    Writes are checked after the runs: `writes_to`'s item count (or, for a `counter`
    scenario, the sum of its `n` attributes) must have grown by `per_answer` for each answer
    matching `checks[write_check]` (each 200 answer when `write_check` is None)."""

    name: str
    title: str
    checks: tuple[str, ...] = ()
    writes_to: str | None = None
    per_answer: int = 0
    write_check: int | None = None
    counter: bool = False

    @property
    def fresh_keys(self) -> bool:
        """Each request writes new items, so a request list must not be replayed twice."""
        return self.writes_to is not None and not self.counter


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("get", "GetItem", ('"Item"%s*:',)),
        Scenario("put", "PutItem", (), "bench-put", 1),
        Scenario("update", "UpdateItem", ('"Attributes"%s*:',), ITEMS_TABLE, 1, 0, counter=True),
        Scenario("query", "Query", ('"Count"%s*:%s*10[^%d]',)),
        Scenario("scan", "Scan", (f'"Count"%s*:%s*{SCAN_PAGE}[^%d]',)),
        Scenario(
            "batch",
            "BatchWriteItem",
            ('"UnprocessedItems"%s*:%s*{%s*}',),
            "bench-batch",
            BATCH_SIZE,
            0,
        ),
        Scenario("transact", "TransactWriteItems", (), "bench-transact", TRANSACT_SIZE),
        Scenario(
            "mixed",
            "Mixed 80/20",
            ('"Item"%s*:', '"ConsumedCapacity"%s*:'),
            "bench-mixed",
            1,
            1,
        ),
    )
}
WRITE_TABLES = tuple(s.writes_to for s in SCENARIOS.values() if s.fresh_keys and s.writes_to)


def key(i: int) -> str:
    return f"k{i:08d}"


def partition(i: int) -> str:
    return f"p{i:06d}"


def item(pk: str, rng: random.Random, extra: Item | None = None) -> Item:
    """An item of about 200 bytes: the key, a counter `n` (UpdateItem adds to it) and a
    random payload, so compression or caching of equal values cannot flatter anyone."""
    return {
        "pk": {"S": pk},
        "n": {"N": "0"},
        "payload": {"S": rng.randbytes(PAYLOAD_CHARS // 2).hex()},
        **(extra or {}),
    }


def preload_items(data: Dataset, seed: int = 1) -> tuple[list[Item], list[Item]]:
    """The items of ITEMS_TABLE and QUERY_TABLE, in loading order."""
    rng = random.Random(seed)
    items = [item(key(i), rng) for i in range(data.items)]
    rows = [
        item(partition(p), rng, {"sk": {"S": f"s{s:02d}"}})
        for p in range(data.partitions)
        for s in range(QUERY_PAGE)
    ]
    return items, rows


Body = tuple[str, dict[str, Any]]  # (operation, request body)
Maker = Callable[[random.Random, Dataset, str, int], Body]


def _get(rng: random.Random, data: Dataset, ns: str, i: int) -> Body:
    return "GetItem", {
        "TableName": ITEMS_TABLE,
        "Key": {"pk": {"S": key(rng.randrange(data.items))}},
    }


def _put(table: str) -> Maker:
    def make(rng: random.Random, data: Dataset, ns: str, i: int) -> Body:
        return "PutItem", {"TableName": table, "Item": item(f"{ns}-{i:08d}", rng)}

    return make


def _update(rng: random.Random, data: Dataset, ns: str, i: int) -> Body:
    return "UpdateItem", {
        "TableName": ITEMS_TABLE,
        "Key": {"pk": {"S": key(rng.randrange(data.items))}},
        "UpdateExpression": "SET n = n + :one",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
        "ReturnValues": "UPDATED_NEW",
    }


def _query(rng: random.Random, data: Dataset, ns: str, i: int) -> Body:
    return "Query", {
        "TableName": QUERY_TABLE,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": partition(rng.randrange(data.partitions))}},
    }


def _scan(rng: random.Random, data: Dataset, ns: str, i: int) -> Body:
    body: dict[str, Any] = {"TableName": ITEMS_TABLE, "Limit": SCAN_PAGE}
    start = rng.choice(data.scan_starts)
    if start is not None:
        body["ExclusiveStartKey"] = start
    return "Scan", body


def _batch(rng: random.Random, data: Dataset, ns: str, i: int) -> Body:
    puts = [{"PutRequest": {"Item": item(f"{ns}-{i:08d}-{j:02d}", rng)}} for j in range(BATCH_SIZE)]
    return "BatchWriteItem", {"RequestItems": {"bench-batch": puts}}


def _transact(rng: random.Random, data: Dataset, ns: str, i: int) -> Body:
    puts = [
        {
            "Put": {
                "TableName": "bench-transact",
                "Item": item(f"{ns}-{i:08d}-{j}", rng),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        for j in range(TRANSACT_SIZE)
    ]
    return "TransactWriteItems", {"TransactItems": puts}


def _mixed(rng: random.Random, data: Dataset, ns: str, i: int) -> Body:
    """80% GetItem, 20% PutItem of a new item. The put asks for ConsumedCapacity so its
    answer is told apart from a GetItem's (`"Item"`) by the checks: an empty `{}` is a miss."""
    if rng.random() >= MIXED_WRITE_SHARE:
        return _get(rng, data, ns, i)
    operation, body = _put("bench-mixed")(rng, data, ns, i)
    return operation, {**body, "ReturnConsumedCapacity": "TOTAL"}


MAKERS: dict[str, Maker] = {
    "get": _get,
    "put": _put("bench-put"),
    "update": _update,
    "query": _query,
    "scan": _scan,
    "batch": _batch,
    "transact": _transact,
    "mixed": _mixed,
}


def bodies(scenario: str, data: Dataset, count: int, seed: int, namespace: str) -> list[Body]:
    """`count` request bodies of a scenario; write keys are `{namespace}-{i}`, so a
    namespace used once gives writes of new items only."""
    rng = random.Random(f"{seed}:{scenario}:{namespace}")
    make = MAKERS[scenario]
    return [make(rng, data, namespace, i) for i in range(count)]


@dataclass(frozen=True, slots=True)
class Signer:
    """SigV4 (AWS4-HMAC-SHA256) for DynamoDB, its signing key derived once per day and scope.
    Signs the headers botocore signs for DynamoDB: content-type, host, x-amz-date and
    x-amz-target (bench/test_requests.py compares the result with botocore's)."""

    endpoint: Endpoint
    when: datetime  # UTC

    @property
    def _date(self) -> str:
        return self.when.strftime("%Y%m%d")

    @property
    def _scope(self) -> str:
        return f"{self._date}/{self.endpoint.region}/dynamodb/aws4_request"

    def _key(self) -> bytes:
        key = ("AWS4" + self.endpoint.secret_key).encode()
        for part in (self._date, self.endpoint.region, "dynamodb", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return key

    def sign_all(self, calls: Sequence[tuple[str, bytes]]) -> list[HttpRequest]:
        """POST / requests for (operation, body) pairs."""
        stamp = self.when.strftime("%Y%m%dT%H%M%SZ")
        key, scope, host = self._key(), self._scope, self.endpoint.host
        signed = "content-type;host;x-amz-date;x-amz-target"
        credential = f"AWS4-HMAC-SHA256 Credential={self.endpoint.access_key}/{scope}"
        out = []
        for operation, body in calls:
            target = TARGET_PREFIX + operation
            canonical = (
                f"POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\nx-amz-date:{stamp}\n"
                f"x-amz-target:{target}\n\n{signed}\n{hashlib.sha256(body).hexdigest()}"
            )
            to_sign = (
                f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n"
                + hashlib.sha256(canonical.encode()).hexdigest()
            )
            signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
            headers = (
                ("Host", host),
                ("Content-Type", CONTENT_TYPE),
                ("X-Amz-Date", stamp),
                ("X-Amz-Target", target),
                ("Authorization", f"{credential}, SignedHeaders={signed}, Signature={signature}"),
            )
            out.append(HttpRequest("POST", "/", headers, body))
        return out


def build(
    scenario: str,
    endpoint: Endpoint,
    data: Dataset,
    count: int,
    *,
    seed: int,
    namespace: str,
    when: datetime,
) -> list[HttpRequest]:
    """`count` signed requests of `scenario` against `endpoint`."""
    calls = [
        (op, orjson.dumps(body)) for op, body in bodies(scenario, data, count, seed, namespace)
    ]
    return Signer(endpoint, when).sign_all(calls)


def to_line(request: HttpRequest) -> str:
    """One request as replay.lua reads it: tab-separated method, path, header count, the
    header names and values, then the body (JSON without tabs or newlines) as the last field."""
    body = request.body.decode()
    if "\t" in body or "\n" in body:
        raise ValueError("a replayed body cannot hold a tab or a newline")
    fields = [request.method, request.path, str(len(request.headers))]
    for name, value in request.headers:
        fields += (name, value)
    fields.append(body)
    return "\t".join(fields)
