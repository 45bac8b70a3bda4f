"""Contributor Insights: UpdateContributorInsights, DescribeContributorInsights,
ListContributorInsights, and the keys requests count for the rules.

Pinned behaviour (DynamoDB's):
- A table never configured describes as `{TableName, ContributorInsightsStatus: DISABLED}`
  alone; once enabled and disabled it also shows its mode and LastUpdateDateTime.
- ENABLE answers ENABLING with the mode (ACCESSED_AND_THROTTLED_KEYS when none is given, even
  over an earlier THROTTLED_KEYS); ENABLE of what is already enabled answers ENABLED and
  changes nothing; DISABLE answers DISABLING (with the mode it had, whatever mode it names),
  and DISABLE of what is disabled, or never configured, DISABLED.
- The rules are `DynamoDBContributorInsights-{PKC,PKT}-<resource>-<timestamp ms>`, plus SKC
  and SKT with a sort key; THROTTLED_KEYS keeps PKT and SKT alone; a mode change keeps the
  timestamp, an enable after a disable makes a new one; a GSI's resource is `<table>-<index>`.
- A missing table is ResourceNotFoundException "Requested resource not found: Table: <t> not
  found" (for ListContributorInsights with TableName too); an unknown or local index
  "Requested resource not found: Index: <i> not found for table: <t>".
- ListContributorInsights lists what is not DISABLED, a table before its GSIs, pages by
  MaxResults (at most 100) with a NextToken on every page but the last.
- A restored table starts without insights.
- Reads and writes count ConsumedThroughputUnits (3 per write unit, 1 per read unit) for the
  item's partition key (and partition and sort key), a Query one event for its partition, a
  GSI the writes that maintain it and the Queries that read it; a request refused for want
  of capacity counts once on the most throttled keys; PartiQL counts for nothing.

Sources: the API references of the three operations; the Developer Guide's "CloudWatch
contributor insights for DynamoDB: How it works"; the ack-api-quirks catalogue's probes of
DynamoDB (DDB-TABLE-089 to -097, -112, -116, -137, -161, -340 to -344).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from opendynamo.engine import catalog
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.metrics import contributors
from opendynamo.storage.sqlite import open_store
from tests.conftest import Server
from tests.wire.helpers import create_table, eventually, refused, unique_name
from tests.wire.http import signed_call

ENABLE = "ENABLE"
DISABLE = "DISABLE"
BOTH = "ACCESSED_AND_THROTTLED_KEYS"
THROTTLED = "THROTTLED_KEYS"
RULE = re.compile(r"DynamoDBContributorInsights-(PKC|PKT|SKC|SKT)-(.+)-(\d{13})")


def update(ddb: Any, table: str, action: str, **extra: Any) -> dict[str, Any]:
    reply = ddb.update_contributor_insights(
        TableName=table, ContributorInsightsAction=action, **extra
    )
    return {k: v for k, v in reply.items() if k != "ResponseMetadata"}


def describe(ddb: Any, table: str, **extra: Any) -> dict[str, Any]:
    reply = ddb.describe_contributor_insights(TableName=table, **extra)
    return {k: v for k, v in reply.items() if k != "ResponseMetadata"}


def rules_of(description: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(kind, resource, timestamp) of each rule a description lists."""
    found = []
    for name in description["ContributorInsightsRuleList"]:
        match = RULE.fullmatch(name)
        assert match is not None, name
        found.append((match[1], match[2], match[3]))
    return found


# --- the setting ----------------------------------------------------------------------------


def test_a_table_never_configured_is_disabled(ddb: Any, table: str) -> None:
    assert describe(ddb, table) == {"TableName": table, "ContributorInsightsStatus": "DISABLED"}
    assert update(ddb, table, DISABLE) == {
        "TableName": table,
        "ContributorInsightsStatus": "DISABLED",
    }
    assert ddb.list_contributor_insights(TableName=table)["ContributorInsightsSummaries"] == []


def test_enable_describe_and_disable(ddb: Any, table: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    assert update(ddb, table, ENABLE) == {
        "TableName": table,
        "ContributorInsightsStatus": "ENABLING",
        "ContributorInsightsMode": BOTH,
    }
    described = describe(ddb, table)
    assert described["ContributorInsightsStatus"] == "ENABLED"
    assert described["ContributorInsightsMode"] == BOTH
    assert described["LastUpdateDateTime"] >= before
    rules = rules_of(described)
    assert [(kind, resource) for kind, resource, _ in rules] == [("PKC", table), ("PKT", table)]
    stamp = rules[0][2]
    assert {stamp for _, _, stamp in rules} == {stamp}
    assert int(stamp) / 1000 >= before.timestamp()
    # Enabling again changes nothing.
    assert update(ddb, table, ENABLE)["ContributorInsightsStatus"] == "ENABLED"
    assert describe(ddb, table) == described
    # Disabling answers the mode it had, whatever mode it names.
    assert update(ddb, table, DISABLE, ContributorInsightsMode=THROTTLED) == {
        "TableName": table,
        "ContributorInsightsStatus": "DISABLING",
        "ContributorInsightsMode": BOTH,
    }
    disabled = describe(ddb, table)
    assert set(disabled) == {
        "TableName",
        "ContributorInsightsStatus",
        "LastUpdateDateTime",
        "ContributorInsightsMode",
    }
    assert disabled["ContributorInsightsStatus"] == "DISABLED"
    assert update(ddb, table, DISABLE)["ContributorInsightsStatus"] == "DISABLED"
    # Enabled again: new rules.
    update(ddb, table, ENABLE)
    assert rules_of(describe(ddb, table))[0][2] != stamp


def test_a_sort_key_adds_the_item_rules_and_modes_keep_the_timestamp(
    ddb: Any, sorted_table: str
) -> None:
    update(ddb, sorted_table, ENABLE)
    rules = rules_of(describe(ddb, sorted_table))
    assert [kind for kind, _, _ in rules] == ["PKC", "PKT", "SKC", "SKT"]
    stamp = rules[0][2]
    assert update(ddb, sorted_table, ENABLE, ContributorInsightsMode=THROTTLED) == {
        "TableName": sorted_table,
        "ContributorInsightsStatus": "ENABLING",
        "ContributorInsightsMode": THROTTLED,
    }
    throttled = describe(ddb, sorted_table)
    assert throttled["ContributorInsightsMode"] == THROTTLED
    assert rules_of(throttled) == [("PKT", sorted_table, stamp), ("SKT", sorted_table, stamp)]
    # An enable without a mode goes back to both.
    assert update(ddb, sorted_table, ENABLE)["ContributorInsightsMode"] == BOTH
    assert rules_of(describe(ddb, sorted_table)) == rules


def test_a_global_index_has_its_own_setting(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table(gsi=("ByG", "g"))
    reply = update(ddb, table, ENABLE, IndexName="ByG")
    assert reply == {
        "TableName": table,
        "IndexName": "ByG",
        "ContributorInsightsStatus": "ENABLING",
        "ContributorInsightsMode": BOTH,
    }
    described = describe(ddb, table, IndexName="ByG")
    assert described["IndexName"] == "ByG"
    assert [(k, r) for k, r, _ in rules_of(described)] == [
        ("PKC", f"{table}-ByG"),
        ("PKT", f"{table}-ByG"),
    ]
    assert describe(ddb, table)["ContributorInsightsStatus"] == "DISABLED"
    summaries = ddb.list_contributor_insights(TableName=table)["ContributorInsightsSummaries"]
    assert summaries == [
        {
            "TableName": table,
            "IndexName": "ByG",
            "ContributorInsightsStatus": "ENABLED",
            "ContributorInsightsMode": BOTH,
        }
    ]


def test_missing_tables_and_indexes(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table(
        range_key=("sk", "S"),
        LocalSecondaryIndexes=[
            {
                "IndexName": "ByL",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "l", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "l", "AttributeType": "S"},
        ],
    )
    missing = unique_name("missing")
    gone = (
        "ResourceNotFoundException",
        f"Requested resource not found: Table: {missing} not found",
    )
    assert refused(lambda: update(ddb, missing, ENABLE)) == gone
    assert refused(lambda: describe(ddb, missing)) == gone
    assert refused(lambda: ddb.list_contributor_insights(TableName=missing)) == gone
    for index in ("ByL", "Nope"):
        expected = (
            "ResourceNotFoundException",
            f"Requested resource not found: Index: {index} not found for table: {table}",
        )
        assert refused(lambda index=index: update(ddb, table, ENABLE, IndexName=index)) == expected
        assert refused(lambda index=index: describe(ddb, table, IndexName=index)) == expected


def test_requests_are_validated(ddb: Any, table: str) -> None:
    code, message = refused(lambda: ddb.list_contributor_insights(TableName=table, MaxResults=101))
    assert (code, message) == (
        "ValidationException",
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 100",
    )
    code, message = refused(lambda: ddb.list_contributor_insights(NextToken="abc"))
    assert (code, message) == (
        "ValidationException",
        "Invalid Request: Provided nextToken is invalid: abc",
    )


def test_invalid_enums_are_refused(server: Server, table: str) -> None:
    reply = signed_call(
        server,
        "UpdateContributorInsights",
        {"TableName": table, "ContributorInsightsAction": "START"},
    )
    assert reply.status == 400
    body = reply.json()
    assert body["__type"].endswith("ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value 'START' at 'contributorInsightsAction' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ENABLE, DISABLE]"
    )


def test_list_pages_a_table_before_its_indexes(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table(gsi=("ByG", "g"))
    update(ddb, table, ENABLE, IndexName="ByG")
    update(ddb, table, ENABLE)
    pages = []
    token = None
    while True:
        extra = {"NextToken": token} if token else {}
        page = ddb.list_contributor_insights(TableName=table, MaxResults=1, **extra)
        pages.append(page["ContributorInsightsSummaries"])
        token = page.get("NextToken")
        if token is None:
            break
    assert [[s.get("IndexName") for s in page] for page in pages] == [[None], ["ByG"]]
    update(ddb, table, DISABLE)
    summaries = ddb.list_contributor_insights(TableName=table)["ContributorInsightsSummaries"]
    assert [s.get("IndexName") for s in summaries] == ["ByG"]
    everything = ddb.list_contributor_insights(MaxResults=100)["ContributorInsightsSummaries"]
    assert [s.get("IndexName") for s in everything if s["TableName"] == table] == ["ByG"]


def test_a_restored_table_starts_without_insights(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table(gsi=("ByG", "g"))
    update(ddb, table, ENABLE)
    update(ddb, table, ENABLE, IndexName="ByG")
    arn = ddb.create_backup(TableName=table, BackupName="snap")["BackupDetails"]["BackupArn"]
    eventually(
        lambda: (
            ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"]
            == "AVAILABLE"
        ),
        30,
    )
    target = unique_name("restored")
    ddb.restore_table_from_backup(BackupArn=arn, TargetTableName=target)
    try:
        assert describe(ddb, target)["ContributorInsightsStatus"] == "DISABLED"
        assert describe(ddb, target, IndexName="ByG")["ContributorInsightsStatus"] == "DISABLED"
    finally:
        eventually(
            lambda: ddb.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE", 30
        )
        ddb.delete_table(TableName=target)
        ddb.delete_backup(BackupArn=arn)


# --- the keys counted -------------------------------------------------------------------------


FLUSH = {"OPENDYNAMO_METRICS_FLUSH_INTERVAL": "0.2"}


@pytest.fixture(scope="module")
def counting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A dedicated SQLite server that flushes its counts every 0.2 s and enforces capacity
    (its tables here are on-demand unless a test makes one provisioned)."""
    data: Path = tmp_path_factory.mktemp("insights")
    server = Server(data, workers=2, env=FLUSH, extra_args=("--enforce-capacity",)).start()
    yield server
    server.stop()


def top(
    server: Server, table: str, rule: int, index: str | None = None, limit: int = 10
) -> list[tuple[tuple[str, ...], float]]:
    """The heaviest contributors of one rule of `table` (or of its GSI `index`), read from the
    server's store: what the workers flushed."""
    assert server.data_dir is not None
    store = open_store(str(server.data_dir))
    try:
        meta = _meta(store, table)
        number = 0 if index is None else _index_number(meta, index)
        now = datetime.now(UTC).timestamp()
        with store.read() as txn:
            return contributors.top_keys(
                txn, meta.uid_bytes, number, rule, now - 3600, now + 60, limit
            )
    finally:
        store.close()


def _meta(store: Any, table: str) -> TableMeta:
    found = [meta for meta in catalog.every_table(store) if meta.name == table]
    assert len(found) == 1
    return found[0]


def _index_number(meta: TableMeta, name: str) -> int:
    index = meta.index(name)
    assert index is not None
    return index.number


def flushed(server: Server, table: str, rule: int, wanted: Any, **extra: Any) -> None:
    """Wait until the store holds `wanted` as the rule's top contributors."""
    eventually(lambda: top(server, table, rule, **extra) == wanted, 10, 0.1)


def test_the_hot_key_leads(counting: Server) -> None:
    ddb = counting.client()
    table = create_table(ddb, "hot")
    for key in ("hot", "cold"):
        ddb.put_item(TableName=table, Item={"pk": {"S": key}})
    update(ddb, table, ENABLE)
    for _ in range(50):
        ddb.get_item(TableName=table, Key={"pk": {"S": "hot"}}, ConsistentRead=True)
    for _ in range(3):
        ddb.get_item(TableName=table, Key={"pk": {"S": "cold"}}, ConsistentRead=True)
    flushed(counting, table, contributors.ACCESSED_PARTITION, [(("hot",), 50.0), (("cold",), 3.0)])
    # PartiQL counts for nothing; a write counts 3 per write unit.
    ddb.execute_statement(Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'cold'")
    ddb.put_item(TableName=table, Item={"pk": {"S": "cold"}})
    flushed(counting, table, contributors.ACCESSED_PARTITION, [(("hot",), 50.0), (("cold",), 6.0)])


def test_batches_transactions_queries_and_sort_keys(counting: Server) -> None:
    ddb = counting.client()
    table = create_table(ddb, "items", range_key=("sk", "S"))
    update(ddb, table, ENABLE)
    puts = [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": s}}}} for s in ("1", "2")]
    ddb.batch_write_item(RequestItems={table: puts})
    ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}}]
    )  # 2 write units in a transaction
    keys = [{"pk": {"S": "a"}, "sk": {"S": "1"}}, {"pk": {"S": "b"}, "sk": {"S": "1"}}]
    ddb.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
    ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "a"}},
        ConsistentRead=True,
    )  # one event: 1 read unit for the page
    flushed(
        counting,
        table,
        contributors.ACCESSED_PARTITION,
        [(("a",), 3 + 3 + 1 + 1.0), (("b",), 6 + 1.0)],
    )
    flushed(
        counting,
        table,
        contributors.ACCESSED_ITEM,
        [(("b", "1"), 7.0), (("a", "1"), 4.0), (("a", "2"), 3.0)],
    )


def test_a_global_index_counts_its_writes_and_queries(counting: Server) -> None:
    ddb = counting.client()
    table = create_table(ddb, "gsi", gsi=("ByG", "g"))
    update(ddb, table, ENABLE, IndexName="ByG")
    ddb.put_item(TableName=table, Item={"pk": {"S": "1"}, "g": {"S": "x"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "2"}})  # not in the index
    ddb.query(
        TableName=table,
        IndexName="ByG",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
    )  # 0.5 read units, eventually consistent
    flushed(counting, table, contributors.ACCESSED_PARTITION, [(("x",), 3.5)], index="ByG")
    assert top(counting, table, contributors.ACCESSED_PARTITION) == []  # the table is off


def test_a_deleted_global_index_leaves_no_rule_nor_count(counting: Server) -> None:
    ddb = counting.client()
    table = create_table(ddb, "dropped", gsi=("ByG", "g"))
    update(ddb, table, ENABLE, IndexName="ByG")
    ddb.put_item(TableName=table, Item={"pk": {"S": "1"}, "g": {"S": "x"}})
    flushed(counting, table, contributors.ACCESSED_PARTITION, [(("x",), 3.0)], index="ByG")
    assert counting.data_dir is not None
    store = open_store(str(counting.data_dir))
    try:
        number = _index_number(_meta(store, table), "ByG")
    finally:
        store.close()
    ddb.update_table(
        TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "ByG"}}]
    )
    gone = (
        "ResourceNotFoundException",
        f"Requested resource not found: Index: ByG not found for table: {table}",
    )

    def index_gone() -> bool:
        try:
            describe(ddb, table, IndexName="ByG")
        except ClientError as exc:
            return (exc.response["Error"]["Code"], exc.response["Error"]["Message"]) == gone
        return False

    eventually(index_gone, 20, 0.1)
    store = open_store(str(counting.data_dir))
    try:
        meta = _meta(store, table)
        assert meta.tracks_keys is False
        now = datetime.now(UTC).timestamp()
        with store.read() as txn:
            rows = contributors.minutes(txn, meta.uid_bytes, number, 0, 0, now + 60)
        assert rows == []
    finally:
        store.close()


def test_throttled_requests_count_on_the_throttled_rules(counting: Server) -> None:
    ddb = counting.client()
    table = create_table(
        ddb,
        "slow",
        billing=None,
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    update(ddb, table, ENABLE, ContributorInsightsMode=THROTTLED)
    throttles = 0
    for _ in range(30):
        try:
            ddb.get_item(TableName=table, Key={"pk": {"S": "busy"}}, ConsistentRead=True)
        except ddb.exceptions.ProvisionedThroughputExceededException:
            throttles += 1
    assert throttles > 0
    flushed(counting, table, contributors.THROTTLED_PARTITION, [(("busy",), float(throttles))])
    # Throttled keys mode counts no access.
    assert top(counting, table, contributors.ACCESSED_PARTITION) == []


def test_the_setting_survives_a_restart(tmp_path: Path) -> None:
    server = Server(tmp_path, workers=1).start()
    try:
        ddb = server.client()
        table = create_table(ddb, "kept")
        update(ddb, table, ENABLE)
        before = describe(ddb, table)
        server.stop()
        server.start()
        assert describe(server.client(), table) == before
    finally:
        server.stop()


# --- CloudWatch's view ------------------------------------------------------------------------


def test_cloudwatch_reports_the_rules(counting: Server) -> None:
    ddb = counting.client()
    cloudwatch = counting.client("cloudwatch")
    table = create_table(ddb, "report")
    update(ddb, table, ENABLE)
    for key, times in (("hot", 5), ("cold", 2)):
        for _ in range(times):
            ddb.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)
    rules = describe(ddb, table)["ContributorInsightsRuleList"]
    listed = {rule["Name"]: rule for rule in cloudwatch.describe_insight_rules()["InsightRules"]}
    assert set(rules) <= set(listed)
    assert listed[rules[0]]["State"] == "ENABLED"
    assert listed[rules[0]]["ManagedRule"] is True
    accessed = next(name for name in rules if "-PKC-" in name)
    now = datetime.now(UTC)

    def report() -> dict[str, Any]:
        return dict(
            cloudwatch.get_insight_rule_report(
                RuleName=accessed,
                StartTime=now - timedelta(minutes=10),
                EndTime=now + timedelta(minutes=2),
                Period=60,
                MaxContributorCount=5,
                Metrics=["UniqueContributors", "MaxContributorValue", "Sum"],
            )
        )

    found = eventually(lambda: (r := report())["AggregateValue"] == 7.0 and r, 10, 0.2)
    assert found["KeyLabels"] == ["pk"]
    assert found["AggregationStatistic"] == "Sum"
    assert [c["Keys"] for c in found["Contributors"]] == [["hot"], ["cold"]]
    assert [c["ApproximateAggregateValue"] for c in found["Contributors"]] == [5.0, 2.0]
    code, _ = refused(
        lambda: cloudwatch.get_insight_rule_report(
            RuleName="nope", StartTime=now - timedelta(minutes=1), EndTime=now, Period=60
        )
    )
    assert code == "ResourceNotFoundException"
