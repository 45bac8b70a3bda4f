"""Tables in the console, in Chromium: creating one with everything CreateTable takes and then
Time to Live and point-in-time recovery; deleting one, and deletion protection refusing it
with DynamoDB's message; settings; adding a global index to a table with items and watching
it become ACTIVE, and deleting it; watching a stream's newest records. Each outcome is checked
through the wire with boto3, so the page is shown to do what its form says."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Console, screenshot
from tests.conftest import unique_name

WAIT_MS = 30_000  # background work (backfills) finishes within seconds; this is the ceiling


def _hash_table(client: Any, name: str, **extra: Any) -> None:
    params: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    client.create_table(**{**params, **extra})
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})


def _fill_key(scope: Any, label: str, name: str, type_: str = "S") -> None:
    scope.get_by_label(f"{label} name").fill(name)
    scope.get_by_label(f"{label} type").select_option(type_)


def test_create_table_with_indexes_stream_tags_ttl_and_pitr(open_console: Console) -> None:
    ddb = open_console.client()
    name = unique_name("orders")
    page = open_console.page("#/create-table")
    page.get_by_label("Table name").fill(name)
    _fill_key(page.get_by_role("group", name="Table", exact=True), "Partition key", "customer")
    _fill_key(page.get_by_role("group", name="Table", exact=True), "Sort key", "placed", "N")
    page.get_by_role("button", name="Add global secondary index").click()
    gsi = page.get_by_role("group", name="Global secondary index 1")
    gsi.get_by_label("Index name").fill("byStatus")
    _fill_key(gsi, "Partition key", "status")
    _fill_key(gsi, "Sort key", "placed", "N")
    gsi.get_by_label("Projection").select_option("INCLUDE")
    gsi.get_by_label("Non-key attributes").fill("total, currency")
    page.get_by_role("button", name="Add local secondary index").click()
    lsi = page.get_by_role("group", name="Local secondary index 1")
    lsi.get_by_label("Index name").fill("byTotal")
    _fill_key(lsi, "Sort key", "total", "N")
    lsi.get_by_label("Projection").select_option("KEYS_ONLY")
    page.get_by_label("Turn on a stream").check()
    page.get_by_label("Stream view type").select_option("NEW_IMAGE")
    page.get_by_label("Table class").select_option("STANDARD_INFREQUENT_ACCESS")
    page.get_by_label("Time to Live attribute").fill("expiresAt")
    page.get_by_label("Point-in-time recovery").check()
    for number, (key, value) in enumerate([("team", "billing"), ("env", "test")], start=1):
        page.get_by_role("button", name="Add tag").click()
        page.get_by_label(f"Tag {number} key").fill(key)
        page.get_by_label(f"Tag {number} value").fill(value)
    screenshot(page, "create-table")
    page.get_by_role("button", name="Create table").click()
    expect(page.get_by_role("link", name=f"Open {name}")).to_be_visible(timeout=WAIT_MS)
    steps = page.locator("ol.steps")
    expect(steps).to_contain_text("Time to Live on expiresAt ENABLED")
    expect(steps).to_contain_text("Point-in-time recovery ENABLED")

    table = ddb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "customer", "KeyType": "HASH"},
        {"AttributeName": "placed", "KeyType": "RANGE"},
    ]
    assert sorted((d["AttributeName"], d["AttributeType"]) for d in table["AttributeDefinitions"]) == [
        ("customer", "S"), ("placed", "N"), ("status", "S"), ("total", "N"),
    ]  # fmt: skip
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert table["DeletionProtectionEnabled"] is False
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "byStatus"
    assert index["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["total", "currency"],
    }
    [local] = table["LocalSecondaryIndexes"]
    assert local["KeySchema"][1] == {"AttributeName": "total", "KeyType": "RANGE"}
    assert local["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    tags = ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "test"), ("team", "billing")]

    page.get_by_role("link", name=f"Open {name}").click()
    facts = page.locator("dl.facts")
    expect(facts.first).to_contain_text("customer (S)")
    expect(page.locator("main")).to_contain_text("ENABLED on expiresAt")
    expect(page.get_by_role("cell", name="billing")).to_be_visible()
    screenshot(page, "table-overview")
    page.goto(open_console.url + "#/tables")
    expect(page.get_by_role("link", name=name)).to_be_visible()
    screenshot(page, "tables")
    assert page.errors == []


def test_the_form_refuses_obvious_mistakes_before_sending(open_console: Console) -> None:
    page = open_console.page("#/create-table")
    page.get_by_label("Table name").fill("ab")
    page.get_by_role("button", name="Create table").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Table name must be 3 to 255")
    expect(page.get_by_label("Table name")).to_have_attribute("aria-invalid", "true")
    # A mistake only DynamoDB knows about comes back in its own words.
    page.get_by_label("Table name").fill(unique_name("nosort"))
    page.get_by_label("Partition key name").first.fill("pk")
    page.get_by_role("button", name="Add local secondary index").click()
    lsi = page.get_by_role("group", name="Local secondary index 1")
    lsi.get_by_label("Index name").fill("byOther")
    _fill_key(lsi, "Sort key", "other")
    page.get_by_role("button", name="Create table").click()
    expect(alert).to_contain_text("ValidationException")
    assert page.errors == []


def test_deletion_protection_refuses_until_turned_off_in_settings(open_console: Console) -> None:
    ddb = open_console.client()
    name = unique_name("keep")
    _hash_table(ddb, name, DeletionProtectionEnabled=True)
    page = open_console.page(f"#/tables/{name}")
    page.get_by_role("button", name="Delete table").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete table").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "ValidationException: Resource cannot be deleted as it is currently protected against "
        "deletion. Disable deletion protection first."
    )
    page.get_by_role("link", name="Turn it off in Settings").click()
    page.get_by_role("button", name="Turn off deletion protection").click()
    expect(page.get_by_role("button", name="Turn on deletion protection")).to_be_visible()
    assert ddb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is False
    page.get_by_role("button", name="Delete table").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete table").click()
    page.get_by_role("heading", name="Tables").wait_for()
    assert name not in ddb.list_tables()["TableNames"]
    assert page.errors == []


def test_settings_save_capacity_and_deletion_protection(open_console: Console) -> None:
    ddb = open_console.client()
    name = unique_name("settings")
    _hash_table(
        ddb,
        name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    page = open_console.page(f"#/tables/{name}/settings")
    page.get_by_label("Provisioned").check()
    table_units = page.get_by_role("group", name="Table units")
    table_units.get_by_label("Read capacity units").fill("7")
    table_units.get_by_label("Write capacity units").fill("3")
    index_units = page.get_by_role("group", name="Index byG units")
    index_units.get_by_label("Read capacity units").fill("4")
    index_units.get_by_label("Write capacity units").fill("2")
    page.get_by_role("button", name="Save capacity").click()
    expect(page.get_by_role("button", name="Save capacity")).to_be_enabled()
    expect(page.get_by_text("Capacity saved.")).to_be_visible()
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    units = table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    assert (units["ReadCapacityUnits"], units["WriteCapacityUnits"]) == (4, 2)

    # Saving the same units again is refused in the form, before DynamoDB would refuse it.
    page.get_by_role("button", name="Save capacity").click()
    expect(page.get_by_role("alert")).to_contain_text("These are the current units")
    page.get_by_role("button", name="Turn on deletion protection").click()
    expect(page.get_by_role("button", name="Turn off deletion protection")).to_be_visible()
    assert ddb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True
    assert page.errors == []


def test_add_a_global_index_to_a_table_with_items_and_watch_it_backfill(
    open_console: Console,
) -> None:
    ddb = open_console.client()
    name = unique_name("backfill")
    _hash_table(ddb, name)
    for start in range(0, 300, 25):
        ddb.batch_write_item(
            RequestItems={
                name: [
                    {"PutRequest": {"Item": {"pk": {"S": f"p{i}"}, "colour": {"S": f"c{i % 5}"}}}}
                    for i in range(start, start + 25)
                ]
            }
        )
    page = open_console.page(f"#/tables/{name}/indexes")
    form = page.get_by_role("group", name="New global secondary index")
    form.get_by_label("Index name").fill("byColour")
    _fill_key(form, "Partition key", "colour")
    page.get_by_role("button", name="Create index").click()
    row = page.get_by_role("row").filter(has_text="byColour")
    expect(row).to_contain_text("ACTIVE", timeout=WAIT_MS)
    expect(row).to_contain_text("300")
    [index] = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert (index["IndexName"], index["IndexStatus"], index["ItemCount"]) == (
        "byColour",
        "ACTIVE",
        300,
    )

    row.get_by_role("button", name="Delete byColour").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete index").click()
    expect(page.get_by_role("cell", name="No global secondary indexes.")).to_be_visible(
        timeout=WAIT_MS
    )
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]
    assert page.errors == []


def test_watch_a_streams_newest_records(open_console: Console) -> None:
    ddb = open_console.client()
    name = unique_name("stream")
    _hash_table(
        ddb,
        name,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb.put_item(TableName=name, Item={"pk": {"S": "before"}})  # written before watching: not shown
    _wait_readable(
        open_console.client("dynamodbstreams"), ddb.describe_table(TableName=name)["Table"]
    )
    page = open_console.page(f"#/tables/{name}/exports")
    page.get_by_role("button", name="Watch newest records").click()
    expect(page.get_by_text("Watching for new records…")).to_be_visible()
    ddb.put_item(TableName=name, Item={"pk": {"S": "watched"}, "n": {"N": "7"}})
    records = page.locator(".stream-records")
    expect(records.get_by_role("row").filter(has_text="watched")).to_contain_text(
        "INSERT", timeout=WAIT_MS
    )
    expect(records).to_contain_text('{"pk":"watched","n":7}')
    assert "before" not in records.inner_text()
    page.get_by_role("button", name="Stop watching").click()
    expect(page.get_by_role("button", name="Watch newest records")).to_be_visible()

    # Turning the stream off goes through UpdateTable.
    page.get_by_role("button", name="Turn off the stream").click()
    expect(page.get_by_role("button", name="Turn on the stream")).to_be_visible()
    assert ddb.describe_table(TableName=name)["Table"].get("StreamSpecification") in (
        None,
        {"StreamEnabled": False},
    )
    assert re.search("DISABLED", page.locator("section.stream").inner_text())
    assert page.errors == []


def _wait_readable(streams: Any, table: dict[str, Any]) -> None:
    """Until the stream's first record can be read (a change becomes readable a moment after
    it is made), so that LATEST is after it."""
    arn = table["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = streams.get_records(ShardIterator=iterator)
        if answer["Records"]:
            return
        iterator = answer["NextShardIterator"]
        time.sleep(0.1)
    raise AssertionError("the stream's record did not become readable")
