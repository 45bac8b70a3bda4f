"""Helpers the wire tests share: waiting for something to happen (against a deadline, never a
fixed sleep), creating tables, scanning them and loading items. Raw HTTP is in
tests/wire/http.py; the server process and the fixtures are in tests/conftest.py, which
imports this module (so this module imports nothing from it)."""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

T = TypeVar("T")
Item = dict[str, Any]
Description = dict[str, Any]
KeyAttribute = tuple[str, str]  # (attribute name, attribute type: "S", "N" or "B")


# --------------------------------------------------------------------------- items


def key_of(name: str) -> Item:
    """The key of an item of a table keyed by string `pk` alone."""
    return {"pk": {"S": name}}


def read(ddb: Any, table: str, key: str) -> Item | None:
    """The item at `key_of(key)`, read consistently; None when there is none."""
    item: Item | None = ddb.get_item(TableName=table, Key=key_of(key), ConsistentRead=True).get(
        "Item"
    )
    return item


# --------------------------------------------------------------------------- refusals


def refused(call: Callable[[], Any]) -> tuple[str, str]:
    """(code, message) of the ClientError `call` raises; the test fails when it raises none."""
    try:
        call()
    except ClientError as exc:
        error = exc.response["Error"]
        return error["Code"], error.get("Message", "")
    raise AssertionError("the request was not refused")


# --------------------------------------------------------------------------- waiting


def eventually(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> T:
    """Call `predicate()` every `interval` seconds until it returns a true value, and return
    that value. The first call that starts after `timeout` seconds is the last one: if it
    fails too, raise AssertionError naming `message` (a string, or a function giving one, called
    then) or else the predicate, and its last result. So `eventually(p, timeout=T)` is never
    more lenient than `time.sleep(T); assert p()`, and returns as soon as `p()` holds.
    An exception `predicate` raises (an AssertionError included) ends the wait at once."""
    deadline = time.monotonic() + timeout
    while True:
        late = time.monotonic() >= deadline
        result = predicate()
        if result:
            return result
        if late:
            what = message() if callable(message) else message
            what = what or getattr(predicate, "__qualname__", repr(predicate))
            raise AssertionError(f"{what}: not within {timeout} s (last result: {result!r})")
        time.sleep(max(0.0, min(interval, deadline - time.monotonic())))


def eventually_passes(check: Callable[[], T], timeout: float = 3.0, interval: float = 0.05) -> T:
    """Call `check()` every `interval` seconds until it returns without raising
    AssertionError, and return what it returned; after `timeout` seconds, raise its last
    AssertionError (e.g. for eventually consistent reads: a synchronous implementation passes
    at the first call)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


def error_code(call: Callable[[], Any]) -> str | None:
    """The code of the ClientError (the service's refusal) `call()` raises; None if it returns."""
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


def describe_table(client: Any, table: str) -> Description:
    """DescribeTable's Table."""
    return dict(client.describe_table(TableName=table)["Table"])


def wait_description(
    client: Any,
    table: str,
    done: Callable[[Description], bool],
    timeout: float = 30.0,
    interval: float = 0.05,
) -> Description:
    """Poll DescribeTable (as boto3's waiters do) every `interval` seconds until
    `done(description)` holds, and return that description; AssertionError with the last
    description after `timeout` seconds (see `eventually`)."""
    seen: list[Description] = []

    def check() -> bool:
        seen[:] = [describe_table(client, table)]
        return done(seen[0])

    eventually(check, timeout, interval, lambda: f"{table}: last description {seen[0]}")
    return seen[0]


def wait_active(
    client: Any, table: str, timeout: float = 30.0, interval: float = 0.05
) -> Description:
    """Poll DescribeTable until the table is ACTIVE and so is every one of its global
    secondary indexes; return that description (AssertionError after `timeout` seconds)."""

    def active(desc: Description) -> bool:
        indexes = desc.get("GlobalSecondaryIndexes", [])
        return desc["TableStatus"] == "ACTIVE" and all(
            index["IndexStatus"] == "ACTIVE" for index in indexes
        )

    return wait_description(client, table, active, timeout, interval)


def wait_table_active(
    client: Any,
    table: str,
    timeout: float = 30.0,
    interval: float = 0.05,
    *,
    passing_through: tuple[str, ...] | None = None,
) -> Description:
    """Poll DescribeTable until the TableStatus is ACTIVE (the statuses of its indexes are not
    looked at); return that description (AssertionError after `timeout` seconds). With
    `passing_through`, a TableStatus other than ACTIVE and those fails at once."""

    def active(desc: Description) -> bool:
        status = desc["TableStatus"]
        assert passing_through is None or status in (*passing_through, "ACTIVE"), desc
        return bool(status == "ACTIVE")

    return wait_description(client, table, active, timeout, interval)


def wait_created(client: Any, table: str, timeout: float = 30.0) -> Description:
    """The description of a table being created (by CreateTable, a restore or an import)
    once its TableStatus is ACTIVE, having been nothing but CREATING before; the statuses of
    its indexes are not looked at."""
    return wait_table_active(client, table, timeout, passing_through=("CREATING",))


# --------------------------------------------------------------------------- tables


def unique_name(prefix: str = "t") -> str:
    """`prefix` + "-" + 12 random hex digits: a table (or other) name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def table_params(
    name: str,
    hash_key: KeyAttribute = ("pk", "S"),
    range_key: KeyAttribute | None = None,
    *,
    gsi: tuple[str, str] | None = None,
    billing: str | None = "PAY_PER_REQUEST",
    **extra: Any,
) -> dict[str, Any]:
    """CreateTable's parameters for a table `name` keyed by `hash_key` (and `range_key`), with
    their AttributeDefinitions; `gsi` = (index name, attribute) adds a global secondary index
    hashed on that string attribute, projecting ALL; BillingMode `billing` (None: no
    BillingMode member, i.e. PROVISIONED). The `extra` members come last and replace these."""
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    definitions = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    if range_key is not None:
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        definitions.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
    params: dict[str, Any] = {
        "TableName": name,
        "KeySchema": schema,
        "AttributeDefinitions": definitions,
    }
    if gsi is not None:
        index, attribute = gsi
        definitions.append({"AttributeName": attribute, "AttributeType": "S"})
        params["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    if billing is not None:
        params["BillingMode"] = billing
    params.update(extra)
    return params


def create_table(
    client: Any,
    prefix: str = "t",
    hash_key: KeyAttribute = ("pk", "S"),
    range_key: KeyAttribute | None = None,
    *,
    name: str | None = None,
    wait: bool = False,
    **spec: Any,
) -> str:
    """CreateTable through `client` of a table `name` (default: `unique_name(prefix)`) with
    the parameters `table_params` makes of the keys and `spec` (gsi, billing, any CreateTable
    member); its name. With `wait`, only once its TableStatus is ACTIVE (`wait_table_active`)."""
    name = name or unique_name(prefix)
    client.create_table(**table_params(name, hash_key, range_key, **spec))
    if wait:
        wait_table_active(client, name)
    return name


# --------------------------------------------------------------------------- reading and writing


def scan_pages(client: Any, table: str, **params: Any) -> list[dict[str, Any]]:
    """Every reply of a Scan of `table` with `params`, following LastEvaluatedKey to the end."""
    pages: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        page = client.scan(TableName=table, **params, **extra)
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if start is None:
            return pages
        assert len(pages) < 10_000, "the Scan never ended"


def page_items(pages: list[dict[str, Any]]) -> list[Item]:
    """The Items of Scan or Query replies, in order (none from a Select=COUNT reply)."""
    return [item for page in pages for item in page.get("Items", [])]


def scan_items(client: Any, table: str, **params: Any) -> list[Item]:
    """Every item a Scan of `table` with `params` returns, page after page."""
    return page_items(scan_pages(client, table, **params))


def scan_by_pk(client: Any, table: str, **params: Any) -> dict[str, Item]:
    """Every item a Scan of `table` with `params` returns, by its string key `pk` (should a
    key come twice, the later item is kept)."""
    return {item["pk"]["S"]: item for item in scan_items(client, table, **params)}


def consistent_scan_by_pk(client: Any, table: str) -> dict[str, Item]:
    """The table's items by their string key `pk`, read by a strongly consistent Scan of every
    page; AssertionError if a key comes twice."""
    found: dict[str, Item] = {}
    for item in scan_items(client, table, ConsistentRead=True):
        assert item["pk"]["S"] not in found
        found[item["pk"]["S"]] = item
    return found


def batch_put(client: Any, table: str, items: list[Item], threads: int = 6) -> None:
    """Put `items` by BatchWriteItem, 25 at a time from `threads` threads, resending
    UnprocessedItems (AssertionError if a chunk is still unprocessed after 100 calls)."""

    def write(chunk: list[Item]) -> None:
        requests = [{"PutRequest": {"Item": item}} for item in chunk]
        for _ in range(100):
            if not requests:
                return
            reply = client.batch_write_item(RequestItems={table: requests})
            requests = reply.get("UnprocessedItems", {}).get(table, [])
        raise AssertionError("BatchWriteItem kept returning unprocessed items")

    chunks = [items[i : i + 25] for i in range(0, len(items), 25)]
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, chunks))
