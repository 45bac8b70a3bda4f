"""Query and Scan paging over the wire, as DynamoDB pages.

Pinned behaviour:
- A page ends after ``Limit`` items read or once the items read reach 1 MB = 1,048,576 bytes
  (measured before FilterExpression and projection) of their page size: not the billed size
  but a compact one, in which every attribute name counts 1 byte (``page_size`` below;
  dynalite's ``itemSize``, which reproduces the cuts of its tests recorded against DynamoDB).
  The item that reaches 1 MB is part of the page (dynalite's live-DynamoDB test "should
  return LastEvaluatedKey if just over limit" has the crossing item in the page).
- LastEvaluatedKey is the key of the last item read, present exactly when Limit or the 1 MB cut
  stopped the page, even if nothing follows; absent when the key range ran out first. A page
  may then be empty (Count 0, no LastEvaluatedKey).
- Following LastEvaluatedKey visits every item exactly once and in order, forward and
  backward (ScanIndexForward=false), with and without Limit, with filters (which only thin
  each page) and with Select=COUNT (same pages, no Items).
- Each Query page's ConsumedCapacity is its items' total billed size rounded up once to 4 KB,
  halved when eventually consistent. A Scan page pays so for each partition it reads (the
  on-demand tables here have 4): the reads inside the one partition holding items cost the
  same, and the three empty partitions half a unit each, on the first or the last page.
- Paging while other items of the partition are inserted and deleted returns every item that
  existed throughout exactly once, in order, and never an item twice.
- A Scan of many partitions pages the same way and returns every item once; without Limit
  its pages follow the same 1 MB rule.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.wire.helpers import create_table

MB = 1_048_576
BIG_ITEMS = 3000
BIG_PK = "big"


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item made of string attributes: UTF-8 names plus values."""
    return sum(len(name.encode()) + len(value["S"].encode()) for name, value in item.items())


def page_size(item: dict[str, Any]) -> int:
    """The size an item of string attributes (sort key "sk") counts toward a page's 1 MB:
    each attribute but the sort key counts 1 for its name, its UTF-8 bytes, and 1, 2 or 3 for
    its length (under 128 bytes, under 16 KB, longer); with B their sum, the item counts
    2 + B + (1 + (B + 1) // 3072) * (18 + the sort key's bytes)."""
    body = 0
    for name, value in item.items():
        if name != "sk":
            length = len(value["S"].encode())
            body += 1 + length + (1 if length < 128 else 2 if length < 16384 else 3)
    return 2 + body + (1 + (body + 1) // 3072) * (18 + len(item["sk"]["S"].encode()))


def read_units(total: int) -> float:
    """Eventually consistent read units for `total` bytes read."""
    return math.ceil(total / 4096) / 2


def load(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    """BatchWriteItem in chunks of 25 on a few threads (PutItem if BatchWriteItem is missing)."""
    chunks = [items[i : i + 25] for i in range(0, len(items), 25)]

    def write(chunk: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in chunk]}
        try:
            while pending:
                pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UnknownOperationException":
                raise
            for item in chunk:
                ddb.put_item(TableName=table, Item=item)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, chunks))


@dataclass
class Big:
    table: str
    items: list[dict[str, Any]]  # in sort-key order
    sizes: list[int]  # billed
    page_sizes: list[int]

    def reversed(self) -> tuple[list[dict[str, Any]], list[int], list[int]]:
        return self.items[::-1], self.sizes[::-1], self.page_sizes[::-1]


@pytest.fixture(scope="module")
def big(ddb: Any) -> Iterator[Big]:
    """3000 items of 3,000–3,400 bytes (about 9.5 MB) in one partition. Payloads mix
    two-byte UTF-8 characters in, so sizes are bytes, not characters; every third item has
    colour red."""
    table = create_table(ddb, "pg", range_key=("sk", "S"))
    items = []
    for i in range(BIG_ITEMS):
        ascii_part = "x" * (2800 + (i * 37) % 400)
        item = {
            "pk": {"S": BIG_PK},
            "sk": {"S": f"s{i:05}"},
            "colour": {"S": "red" if i % 3 == 0 else "blue"},
            "data": {"S": "é" * 100 + ascii_part},
        }
        items.append(item)
    load(ddb, table, items)
    yield Big(table, items, [item_size(i) for i in items], [page_size(i) for i in items])
    ddb.delete_table(TableName=table)


@dataclass
class Page:
    start: int  # index into the ordered items
    end: int  # exclusive
    more: bool  # LastEvaluatedKey expected


def expected_pages(sizes: list[int], limit: int | None) -> list[Page]:
    """DynamoDB's pages over items of the given sizes, in reading order."""
    pages = []
    index = 0
    while True:
        start, total = index, 0
        while index < len(sizes):
            if (limit is not None and index - start >= limit) or total >= MB:
                break
            total += sizes[index]
            index += 1
        more = (limit is not None and index - start >= limit) or total >= MB
        pages.append(Page(start, index, more))
        if not more:
            return pages


def query_pages(ddb: Any, table: str, **params: Any) -> list[dict[str, Any]]:
    replies = []
    start = None
    while True:
        extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        reply = ddb.query(TableName=table, **params, **extra)
        replies.append(reply)
        start = reply.get("LastEvaluatedKey")
        if start is None:
            return replies
        assert len(replies) < 5000


def key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"pk": item["pk"], "sk": item["sk"]}


def check_pages(
    replies: list[dict[str, Any]],
    ordered: list[dict[str, Any]],
    sizes: list[int],
    page_sizes: list[int],
    limit: int | None,
    keep: Any = None,
    count_only: bool = False,
    scan: bool = False,
) -> None:
    """The replies are exactly DynamoDB's pages over `ordered` (thinned by `keep`), of
    billed `sizes` and `page_sizes`; `scan`: a Scan of the big table's 4 partitions."""
    pages = expected_pages(page_sizes, limit)
    assert [(r["ScannedCount"], "LastEvaluatedKey" in r) for r in replies] == [
        (p.end - p.start, p.more) for p in pages
    ]
    surplus = []
    for reply, page in zip(replies, pages, strict=True):
        read = ordered[page.start : page.end]
        wanted = [i for i in read if keep is None or keep(i)]
        assert reply["Count"] == len(wanted)
        if count_only:
            assert "Items" not in reply
        else:
            assert [i["sk"]["S"] for i in reply["Items"]] == [i["sk"]["S"] for i in wanted]
            assert reply["Items"] == wanted
        if page.more:
            assert reply["LastEvaluatedKey"] == key_of(read[-1])
        if "ConsumedCapacity" in reply:
            units = read_units(sum(sizes[page.start : page.end]))
            surplus.append(reply["ConsumedCapacity"]["CapacityUnits"] - units)
    if scan:  # the three empty partitions, half a unit each, on the first or last page
        assert surplus[1:-1] == [0] * (len(surplus) - 2)
        assert sum(surplus) == 1.5
    else:
        assert surplus == [0] * len(surplus)


# --------------------------------------------------------------------------- the 1 MB cut


def test_expected_pages_model() -> None:
    assert expected_pages([MB // 2, MB // 2, 1], None) == [Page(0, 2, True), Page(2, 3, False)]
    assert expected_pages([MB // 2, MB // 2 - 1, 2, 5], None) == [
        Page(0, 3, True),
        Page(3, 4, False),
    ]
    assert expected_pages([MB, 1], None) == [Page(0, 1, True), Page(1, 2, False)]
    assert expected_pages([1, 1], None) == [Page(0, 2, False)]
    assert expected_pages([1, 1], 2) == [Page(0, 2, True), Page(2, 2, False)]
    assert expected_pages([], 2) == [Page(0, 0, False)]


def test_big_partition_loaded(ddb: Any, big: Big) -> None:
    reply = ddb.query(
        TableName=big.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": BIG_PK}},
        Limit=1,
    )
    assert reply["Items"] == big.items[:1]
    assert sum(big.sizes) > 9 * MB


def test_forward_pages_are_cut_at_one_megabyte(ddb: Any, big: Big) -> None:
    replies = query_pages(
        ddb,
        big.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": BIG_PK}},
        ReturnConsumedCapacity="TOTAL",
    )
    assert len(replies) >= 10
    check_pages(replies, big.items, big.sizes, big.page_sizes, None)


def test_backward_pages_are_cut_at_one_megabyte(ddb: Any, big: Big) -> None:
    replies = query_pages(
        ddb,
        big.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": BIG_PK}},
        ScanIndexForward=False,
        ReturnConsumedCapacity="TOTAL",
    )
    check_pages(replies, *big.reversed(), None)


@pytest.mark.parametrize(
    ("limit", "forward"), [(100, True), (77, False), (500, True), (3000, True), (1000, False)]
)
def test_limit_pages(ddb: Any, big: Big, limit: int, forward: bool) -> None:
    """Limit 500 and above never gets there: the 1 MB cut (~330 items) comes first."""
    replies = query_pages(
        ddb,
        big.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": BIG_PK}},
        Limit=limit,
        ScanIndexForward=forward,
    )
    ordered = (big.items, big.sizes, big.page_sizes) if forward else big.reversed()
    check_pages(replies, *ordered, limit)


@pytest.mark.parametrize(("limit", "forward"), [(None, True), (50, False), (None, False)])
def test_filtered_pages_are_cut_before_the_filter(
    ddb: Any, big: Big, limit: int | None, forward: bool
) -> None:
    extra = {"Limit": limit} if limit else {}
    replies = query_pages(
        ddb,
        big.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": BIG_PK}, ":c": {"S": "red"}},
        FilterExpression="colour = :c",
        ScanIndexForward=forward,
        **extra,
    )
    ordered = (big.items, big.sizes, big.page_sizes) if forward else big.reversed()
    check_pages(replies, *ordered, limit, keep=lambda i: i["colour"]["S"] == "red")
    assert sum(r["Count"] for r in replies) == BIG_ITEMS // 3


def test_projected_pages_are_cut_on_whole_item_size(ddb: Any, big: Big) -> None:
    replies = query_pages(
        ddb,
        big.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": BIG_PK}},
        ProjectionExpression="sk",
    )
    pages = expected_pages(big.page_sizes, None)
    assert [r["Count"] for r in replies] == [p.end - p.start for p in pages]
    assert [i["sk"]["S"] for r in replies for i in r["Items"]] == [i["sk"]["S"] for i in big.items]


@pytest.mark.parametrize("limit", [None, 400])
def test_count_pages(ddb: Any, big: Big, limit: int | None) -> None:
    extra = {"Limit": limit} if limit else {}
    replies = query_pages(
        ddb,
        big.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": BIG_PK}},
        Select="COUNT",
        **extra,
    )
    check_pages(replies, big.items, big.sizes, big.page_sizes, limit, count_only=True)
    assert sum(r["Count"] for r in replies) == BIG_ITEMS


def test_sort_key_range_pages(ddb: Any, big: Big) -> None:
    low, high = 1234, 2987
    replies = query_pages(
        ddb,
        big.table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={
            ":p": {"S": BIG_PK},
            ":a": {"S": f"s{low:05}"},
            ":b": {"S": f"s{high:05}"},
        },
        ScanIndexForward=False,
    )
    window = slice(high, low - 1, -1)
    check_pages(replies, big.items[window], big.sizes[window], big.page_sizes[window], None)


def test_page_ending_exactly_at_the_partition_end(ddb: Any, big: Big) -> None:
    """A 1 MB cut on the partition's last item still gives LastEvaluatedKey; the next page is
    empty and final."""
    pages = expected_pages(big.page_sizes, None)
    last_full = pages[-2]
    # A sort-key range that ends exactly where that 1 MB page ends.
    first, last = big.items[last_full.start]["sk"]["S"], big.items[last_full.end - 1]["sk"]["S"]
    reply = ddb.query(
        TableName=big.table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": BIG_PK}, ":a": {"S": first}, ":b": {"S": last}},
    )
    assert reply["Count"] == last_full.end - last_full.start
    assert reply["LastEvaluatedKey"] == key_of(big.items[last_full.end - 1])
    after = ddb.query(
        TableName=big.table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": BIG_PK}, ":a": {"S": first}, ":b": {"S": last}},
        ExclusiveStartKey=reply["LastEvaluatedKey"],
    )
    assert (after["Items"], after["Count"], after["ScannedCount"]) == ([], 0, 0)
    assert "LastEvaluatedKey" not in after


# --------------------------------------------------------------------------- concurrent writes


def test_paging_while_other_items_change(ddb: Any) -> None:
    table = create_table(ddb, "pg", range_key=("sk", "S"))
    try:
        pk = "churn"
        stable = [
            {"pk": {"S": pk}, "sk": {"S": f"k{i:05}0"}, "v": {"S": "stable"}} for i in range(600)
        ]
        load(ddb, table, stable)
        stop = threading.Event()
        writes = [0]

        def churn() -> None:
            i = 0
            while not stop.is_set():
                writes[0] += 1
                sk = f"k{(i * 7919) % 600:05}5"
                ddb.put_item(
                    TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": "churn"}}
                )
                if i % 2:
                    ddb.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
                i += 1

        writer = threading.Thread(target=churn, daemon=True)
        writer.start()
        try:
            while writes[0] < 10:
                stop.wait(0.01)
            for forward in (True, False):
                before = writes[0]
                replies = query_pages(
                    ddb,
                    table,
                    KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": pk}},
                    Limit=10,
                    ScanIndexForward=forward,
                )
                assert writes[0] - before >= 10, "the writer ran while we paged"
                seen = [i["sk"]["S"] for r in replies for i in r["Items"]]
                assert len(seen) == len(set(seen)), "no item twice"
                assert seen == sorted(seen, reverse=not forward), "in order"
                stable_seen = [sk for sk in seen if sk.endswith("0")]
                expected = [i["sk"]["S"] for i in stable]
                assert stable_seen == (expected if forward else expected[::-1])
        finally:
            stop.set()
            writer.join(timeout=30)
    finally:
        ddb.delete_table(TableName=table)


# --------------------------------------------------------------------------- scan paging


@pytest.fixture(scope="module")
def many_partitions(ddb: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """400 partitions of 5 items."""
    table = create_table(ddb, "pg", range_key=("sk", "S"))
    items = [
        {
            "pk": {"S": f"p{uuid.UUID(int=p * 7919).hex[-8:]}"},
            "sk": {"S": f"s{s}"},
            "v": {"S": "v" * (p % 50)},
        }
        for p in range(400)
        for s in range(5)
    ]
    load(ddb, table, items)
    yield table, items
    ddb.delete_table(TableName=table)


def scan_pages(ddb: Any, table: str, **params: Any) -> list[dict[str, Any]]:
    replies = []
    start = None
    while True:
        extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        reply = ddb.scan(TableName=table, **params, **extra)
        replies.append(reply)
        start = reply.get("LastEvaluatedKey")
        if start is None:
            return replies
        assert len(replies) < 5000


@pytest.mark.parametrize("limit", [7, 33, 1999, 2000])
def test_scan_pages_visit_every_item_once(
    ddb: Any, many_partitions: tuple[str, list[dict[str, Any]]], limit: int
) -> None:
    table, items = many_partitions
    replies = scan_pages(ddb, table, Limit=limit)
    got = [i for r in replies for i in r["Items"]]
    keys = [(i["pk"]["S"], i["sk"]["S"]) for i in got]
    assert len(keys) == len(set(keys)) == len(items)
    assert sorted(keys) == sorted((i["pk"]["S"], i["sk"]["S"]) for i in items)
    # Partitions arrive whole and sorted, even across page boundaries.
    runs = [pk for n, (pk, _) in enumerate(keys) if n == 0 or keys[n - 1][0] != pk]
    assert len(runs) == 400
    assert all(r["ScannedCount"] == limit and "LastEvaluatedKey" in r for r in replies[:-1])
    last = replies[-1]
    assert last["ScannedCount"] == len(items) % limit or (
        len(items) % limit == 0 and last["ScannedCount"] == 0
    )
    assert "LastEvaluatedKey" not in last


def test_scan_pages_are_cut_at_one_megabyte(ddb: Any, big: Big) -> None:
    replies = scan_pages(ddb, big.table, ReturnConsumedCapacity="TOTAL")
    got = [i for r in replies for i in r["Items"]]
    assert len(got) == BIG_ITEMS
    assert [i["sk"]["S"] for i in got] == [i["sk"]["S"] for i in big.items]
    check_pages(replies, big.items, big.sizes, big.page_sizes, None, scan=True)


def test_parallel_scan_pages_of_the_big_partition(ddb: Any, big: Big) -> None:
    """The whole partition falls in one segment; it pages there like a plain Scan."""
    counts = []
    for segment in range(3):
        replies = scan_pages(ddb, big.table, Segment=segment, TotalSegments=3, Select="COUNT")
        counts.append(sum(r["Count"] for r in replies))
    assert sorted(counts) == [0, 0, BIG_ITEMS]
