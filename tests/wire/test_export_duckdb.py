"""Into a warehouse: DuckDB reads an export's DYNAMODB_JSON data files where they lie (gzipped
JSON lines `{"Item": {...}}` under `<prefix>/AWSDynamoDB/<export id>/data/`, as in S3) and
gets the table's items, as a Scan of the table gives them.

This is the README's example of the query (section "Export to S3 and import from it"). A
warehouse reads what DynamoDB writes, so it reads what opendynamo writes: each attribute is a
struct with one member named by its type (`Item.total.N`), numbers are strings to cast, an
attribute an item lacks reads as NULL, maps nest (`Item.address.M.city.S`) and sets are lists.
The files are the same on every backend (tests/wire/test_exports.py checks them on both), so
this runs on SQLite only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import Server, wait_export
from tests.wire.helpers import batch_put, create_table, scan_items

ENV = {
    "OPENDYNAMO_PITR_LAG": "1",
    "OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.05",
    "OPENDYNAMO_EXPORT_FILE_ITEMS": "10",  # several data files, read as one table
}
ORDERS = 45
CUSTOMERS = ("ada", "grace", "edsger")


@dataclass
class Export:
    data: Path  # the export's data/ directory
    scanned: list[dict[str, Any]]  # the table's items by Scan, in boto3's form


def order(number: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": f"order#{number:03}"},
        "customer": {"S": CUSTOMERS[number % 3]},
        "total": {"N": str(Decimal(number * 125) / 100)},
        "shipped": {"BOOL": number % 2 == 0},
    }
    if number % 5:
        item["address"] = {"M": {"city": {"S": f"city-{number % 4}"}, "zip": {"N": "1000"}}}
    if number % 3 == 0:
        item["tags"] = {"SS": ["gift", f"batch-{number % 2}"]}
    return item


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Export]:
    root = tmp_path_factory.mktemp("buckets")
    (root / "warehouse").mkdir()
    server = Server(
        tmp_path_factory.mktemp("data"), env=ENV, extra_args=("--export-dir", str(root))
    ).start()
    try:
        client = server.client()
        name = create_table(client, "orders")
        client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        batch_put(client, name, [order(number) for number in range(ORDERS)])
        arn = client.describe_table(TableName=name)["Table"]["TableArn"]
        started = client.export_table_to_point_in_time(
            TableArn=arn, S3Bucket="warehouse", S3Prefix="daily"
        )["ExportDescription"]
        done = wait_export(client, started["ExportArn"])
        assert done["ExportStatus"] == "COMPLETED", done
        summary = root / "warehouse" / done["ExportManifest"]
        yield Export(summary.parent / "data", scan_items(client, name))
    finally:
        server.stop()


def query(export: Export, sql: str) -> list[tuple[Any, ...]]:
    """`sql` in DuckDB, with `{data}` standing for the export's data files."""
    files = str(export.data / "*.json.gz")
    return duckdb.connect().execute(sql.format(data=f"read_json('{files}')")).fetchall()


def test_duckdb_reads_the_items_of_the_table(export: Export) -> None:
    assert len(list(export.data.glob("*.json.gz"))) == 5
    rows = query(
        export,
        """SELECT Item.pk.S, Item.customer.S, CAST(Item.total.N AS DECIMAL(10, 2)),
                  Item.shipped.BOOL, Item.address.M.city.S, list_sort(Item.tags.SS)
           FROM {data} ORDER BY 1""",
    )

    def expected(item: dict[str, Any]) -> tuple[Any, ...]:
        address = item.get("address", {}).get("M", {})
        return (
            item["pk"]["S"],
            item["customer"]["S"],
            Decimal(item["total"]["N"]).quantize(Decimal("0.01")),
            item["shipped"]["BOOL"],
            address["city"]["S"] if address else None,
            sorted(item["tags"]["SS"]) if "tags" in item else None,
        )

    assert len(export.scanned) == ORDERS
    assert rows == sorted(expected(item) for item in export.scanned)


def test_a_warehouse_query_over_the_export(export: Export) -> None:
    """Totals per customer, as a report would ask the warehouse, against the Scan's."""
    rows = query(
        export,
        """SELECT Item.customer.S AS customer, count(*) AS orders,
                  sum(CAST(Item.total.N AS DECIMAL(10, 2))) AS spent
           FROM {data} GROUP BY customer ORDER BY customer""",
    )
    totals: dict[str, tuple[int, Decimal]] = {}
    for item in export.scanned:
        count, spent = totals.get(item["customer"]["S"], (0, Decimal(0)))
        totals[item["customer"]["S"]] = (count + 1, spent + Decimal(item["total"]["N"]))
    assert rows == [(customer, *totals[customer]) for customer in sorted(totals)]
