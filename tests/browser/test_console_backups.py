"""Backups, point-in-time recovery, exports and imports in the console, in Chromium: a backup
created, restored to a new table and deleted; a restore to a point picked on the timeline
giving the items of that instant; an export to a bucket reaching COMPLETED and an import of it
creating a table with the same items. Each outcome is checked through the wire with boto3.

The server here keeps the latest restorable time one second behind now (DynamoDB's five
minutes, `OPENDYNAMO_PITR_LAG`), so an instant the test has just noted is restorable."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Console, screenshot
from tests.conftest import Server, unique_name

WAIT_MS = 30_000  # restores, exports and imports finish within seconds; this is the ceiling


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Console]:
    server = Server(
        tmp_path_factory.mktemp("console-backups"), workers=2, env={"OPENDYNAMO_PITR_LAG": "1"}
    )
    server.start()
    try:
        yield Console(server, browser)
    finally:
        server.stop()


def _table(client: Any, name: str, items: int, pitr: bool = False) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    if pitr:
        client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    _put(client, name, range(items))


def _put(client: Any, name: str, numbers: range) -> None:
    for start in range(numbers.start, numbers.stop, 25):
        batch = range(start, min(start + 25, numbers.stop))
        client.batch_write_item(
            RequestItems={name: [{"PutRequest": {"Item": _item(i)}} for i in batch]}
        )


def _item(i: int) -> dict[str, Any]:
    return {"pk": {"S": f"p{i:04d}"}, "n": {"N": str(i)}}


def _keys(client: Any, name: str) -> list[str]:
    items = client.scan(TableName=name)["Items"]
    return sorted(item["pk"]["S"] for item in items)


def test_create_a_backup_restore_it_to_a_new_table_and_delete_it(console: Console) -> None:
    ddb = console.client()
    name = unique_name("books")
    restored = unique_name("books-copy")
    _table(ddb, name, 40)
    page = console.page(f"#/tables/{name}/backups")
    page.get_by_label("Backup name").fill("nightly")
    page.get_by_role("button", name="Create backup").click()
    row = page.get_by_role("row").filter(has_text="nightly")
    expect(row).to_contain_text("AVAILABLE", timeout=WAIT_MS)
    row.get_by_role("button", name="Restore nightly").click()
    page.get_by_label("New table name").fill(restored)
    page.get_by_label("Capacity mode of the new table").select_option("PROVISIONED")
    page.get_by_label("Read capacity units").fill("3")
    page.get_by_role("button", name="Restore", exact=True).click()
    expect(page.get_by_role("link", name=f"Open {restored}")).to_be_visible(timeout=WAIT_MS)
    assert _keys(ddb, restored) == _keys(ddb, name)
    table = ddb.describe_table(TableName=restored)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 3

    # The region's list shows it too, with its table; it is deleted from there.
    page.goto(console.url + "#/backups")
    row = page.get_by_role("row").filter(has_text="nightly").filter(has_text=name)
    expect(row.get_by_role("link", name=name)).to_be_visible()
    row.get_by_role("button", name="Delete nightly").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete backup").click()
    expect(row).to_have_count(0)
    assert ddb.list_backups(TableName=name)["BackupSummaries"] == []
    assert page.errors == []


def test_restore_to_a_point_in_time_picked_on_the_timeline(console: Console) -> None:
    ddb = console.client()
    name = unique_name("ledger")
    target = unique_name("ledger-then")
    _table(ddb, name, 30, pitr=True)
    ddb.create_backup(TableName=name, BackupName="before-audit")  # for the screenshot
    noted = time.time()
    # Twenty milliseconds between the instant noted and the next writes, so the instant (shown
    # to the millisecond) falls between them whatever the rounding.
    time.sleep(0.02)
    _put(ddb, name, range(30, 50))
    ddb.delete_item(TableName=name, Key={"pk": {"S": "p0000"}})
    _wait_restorable(ddb, name, noted)

    page = console.page(f"#/tables/{name}/backups")
    page.get_by_label("Restore date and time").fill(_local(noted))
    # The range follows the date and time it is kept in step with.
    position = float(page.get_by_label("Restore point").input_value())
    assert abs(position - noted) < 0.002
    form = page.get_by_role("group", name="Restore to a point in time")
    form.get_by_label("New table name").fill(target)
    page.get_by_role("button", name="Restore to a new table").click()
    expect(page.get_by_role("link", name=f"Open {target}")).to_be_visible(timeout=WAIT_MS)
    assert _keys(ddb, target) == [f"p{i:04d}" for i in range(30)]
    assert len(_keys(ddb, name)) == 49
    expect(page.get_by_role("row").filter(has_text="before-audit")).to_contain_text("AVAILABLE")
    screenshot(page, "table-backups")
    assert page.errors == []


def _local(epoch: float) -> str:
    """An instant as a datetime-local input's value, in the machine's zone (the browser's)."""
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _wait_restorable(client: Any, name: str, instant: float) -> None:
    """Until the latest restorable time (a second behind now here) has passed `instant`."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        described = client.describe_continuous_backups(TableName=name)[
            "ContinuousBackupsDescription"
        ]
        latest = described["PointInTimeRecoveryDescription"]["LatestRestorableDateTime"]
        if latest.timestamp() > instant:
            return
        time.sleep(0.1)
    raise AssertionError("the latest restorable time did not pass the instant noted")


def test_export_to_a_bucket_and_import_it_into_a_new_table(console: Console) -> None:
    ddb = console.client()
    name = unique_name("catalog")
    imported = unique_name("catalog-imported")
    _table(ddb, name, 60, pitr=True)
    assert console.server.data_dir is not None
    (console.server.data_dir / "exports" / "warehouse").mkdir(parents=True, exist_ok=True)
    page = console.page(f"#/tables/{name}/exports")
    page.get_by_label("S3 bucket").fill("warehouse")
    page.get_by_label("S3 prefix").fill("daily")
    page.get_by_role("button", name="Export", exact=True).click()
    row = page.locator(".export-list").get_by_role("row").filter(has_text="s3://warehouse/daily")
    expect(row).to_contain_text("COMPLETED", timeout=WAIT_MS)
    expect(row).to_contain_text("60")
    [summary] = ddb.list_exports(TableArn=ddb.describe_table(TableName=name)["Table"]["TableArn"])[
        "ExportSummaries"
    ]
    export_id = summary["ExportArn"].rsplit("/", 1)[-1]

    page.goto(console.url + "#/imports")
    page.get_by_label("S3 bucket").fill("warehouse")
    page.get_by_label("S3 key prefix").fill(f"daily/AWSDynamoDB/{export_id}/data/")
    page.get_by_label("Compression").select_option("GZIP")
    new_table = page.get_by_role("group", name="New table")
    new_table.get_by_label("Table name").fill(imported)
    new_table.get_by_label("Partition key name").fill("pk")
    page.get_by_role("button", name="Import", exact=True).click()
    row = page.locator(".import-list").get_by_role("row").filter(has_text=imported)
    expect(row).to_contain_text("COMPLETED", timeout=WAIT_MS)
    expect(row).to_contain_text("60")
    assert _keys(ddb, imported) == _keys(ddb, name)
    assert page.errors == []
