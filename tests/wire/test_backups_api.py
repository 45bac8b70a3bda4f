"""On-demand backups and point-in-time recovery through the wire: CreateBackup, DescribeBackup,
ListBackups, DeleteBackup, RestoreTableFromBackup, UpdateContinuousBackups,
DescribeContinuousBackups and RestoreTableToPointInTime.

DynamoDB behaviour pinned here:
- CreateBackup answers `BackupDetails` only: a `BackupArn`
  `arn:aws:dynamodb:<region>:<account>:table/<name>/backup/<14 digits>-<8 hex>` whose digits are
  `BackupCreationDateTime` in epoch milliseconds, `BackupStatus` CREATING, `BackupType` USER,
  `BackupSizeBytes`. The backup becomes AVAILABLE; DescribeBackup adds `SourceTableDetails`
  (name, id, ARN, key schema, creation time, throughput without NumberOfDecreasesToday, the
  item count and size at the backup, billing mode, on-demand maxima) and
  `SourceTableFeatureDetails` (indexes as IndexName/KeySchema/Projection, GSIs with their
  throughput, the stream specification, SSEDescription; `{}` for a plain table).
- A backup holds the table as it was at its request, whatever is written after; deleting the
  table keeps its backups (described, listed under the deleted name, restorable).
- ListBackups: TableName as a name or a table ARN, ascending creation order, Limit with
  LastEvaluatedBackupArn / ExclusiveStartBackupArn, TimeRangeLowerBound inclusive and
  TimeRangeUpperBound exclusive, BackupType USER by default, ALL includes USER, SYSTEM lists no
  user backup; "Time range lower bound must be less than or equal to upper bound"; Limit >= 1.
- DeleteBackup answers the description with BackupStatus DELETED; afterwards the backup is
  BackupNotFoundException "Backup not found: <arn>"; a table ARN is "Invalid Backup ARN".
- Backup and recovery operations name a missing (or still restoring) table with
  TableNotFoundException "Table not found: <name>"; BackupName is 3-255 characters.
- RestoreTableFromBackup creates the table CREATING with RestoreSummary (SourceBackupArn,
  SourceTableArn, RestoreDateTime = the backup's creation time, RestoreInProgress true); once
  ACTIVE the RestoreSummary is gone. While CREATING: DescribeTable works, data-plane and table
  calls are ResourceNotFoundException, DeleteTable and CreateTable ResourceInUseException,
  a second restore into the name TableInUseException "Table: <name> is already being restored
  from backup: <arn>", another restore of the backup BackupInUseException "Backup is being used
  to restore another table: <arn>", DeleteBackup BackupInUseException "Backup is being used to
  restore table: <arn>". An existing target is TableAlreadyExistsException "Table already
  exists: <name>".
- Overrides: billing mode both ways (PAY_PER_REQUEST sets the GSIs to 0/0; a throughput override
  applies to the base table only); "Cannot override ProvisionedThroughput unless BillingMode is
  PROVISIONED"; "Must override ProvisionedThroughput if BillingMode is overridden to
  PROVISIONED"; GlobalSecondaryIndexOverride / LocalSecondaryIndexOverride keep the indexes they
  list (`[]`: none), matched by KeySchema and Projection, renames allowed, never a new index
  ("Index <n> does not match a secondary index that existed in the source table and cannot be
  created during the restore operation"); a GSI override states its throughput exactly when the
  restored table is PROVISIONED; SSESpecificationOverride. A restore keeps SSE, billing mode and
  on-demand maxima, and drops tags, the stream, PITR, deletion protection and the table class.
- DescribeContinuousBackups: ContinuousBackupsStatus ENABLED; PITR disabled is exactly
  `{"PointInTimeRecoveryStatus": "DISABLED"}`; enabled adds RecoveryPeriodInDays (35 by
  default, changeable in place) and EarliestRestorableDateTime == LatestRestorableDateTime ==
  the enable time at first. "Invalid Request: Cannot specify RecoveryPeriodInDays when
  disabling point-in-time recovery."; RecoveryPeriodInDays 1-35.
- RestoreTableToPointInTime checks, in order: the request's shape ("Must provide exactly one
  of: sourceTableArn, sourceTableName", "Invalid Request: Either one of RestoreDateTime or
  UseLatestRestorableTime must be specified, but not both", "Invalid Request: Both
  RestoreDateTime and UseLatestRestorableTime cannot be set ..."), the source
  (TableNotFoundException), PITR on (PointInTimeRecoveryUnavailableException "Point in time
  recovery is not enabled for table '<name>'"), the time (InvalidRestoreTimeException
  "RestoreDateTime '<t>' must be within ..."), the target (TableAlreadyExistsException).
  UseLatestRestorableTime right after enabling restores the table as at the enable instant.

Sources: AWS API reference (CreateBackup, DescribeBackup, ListBackups, DeleteBackup,
RestoreTableFromBackup, RestoreTableToPointInTime, UpdateContinuousBackups,
DescribeContinuousBackups, SourceTableFeatureDetails, RestoreSummary,
PointInTimeRecoveryDescription) and the botocore service model; the AWS CLI examples; the
live-AWS captures in the ack-api-quirks catalogue (backup.md, table-restore.md,
table-indexes.md DDB-TABLE-280, table-subresources.md); real error texts quoted in
turbot/steampipe-plugin-aws#1913 and hashicorp/terraform-provider-aws#26577.

Restores here finish within a second on the shared server; the tests that need a restore to
stay CREATING run on a dedicated server copying 5 items per housekeeper step every 0.2 s
(OPENDYNAMO_BACKFILL_BATCH, OPENDYNAMO_HOUSEKEEPER_INTERVAL), so a 60-item restore lasts about
2.4 s.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import (
    CREDENTIALS,
    REGION,
    Backend,
    Server,
    create_hash_table,
    error_of,
    unique_name,
)
from tests.wire.helpers import consistent_scan_by_pk, wait_created

Item = dict[str, Any]
VALIDATION = "ValidationException"
BACKUP_ARN_RE = re.compile(
    r"arn:aws:dynamodb:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):table/(?P<table>[^/]+)"
    r"/backup/(?P<millis>\d{14})-(?P<suffix>[0-9a-f]{8})"
)
HASH_PK = [{"AttributeName": "pk", "KeyType": "HASH"}]
TIMEOUT = 20.0
SLOW_ENV = {"OPENDYNAMO_BACKFILL_BATCH": "5", "OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.2"}
SLOW_ITEMS = 60


# --------------------------------------------------------------------------- helpers


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def epoch(value: datetime) -> float:
    return value.timestamp()


def put_all(client: Any, table: str, items: list[Item]) -> None:
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        reply = client.batch_write_item(RequestItems={table: requests})
        assert not reply.get("UnprocessedItems"), reply


def wait_backup(client: Any, arn: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """DescribeBackup's BackupDescription once the backup is AVAILABLE."""
    deadline = time.monotonic() + timeout
    while True:
        description: dict[str, Any] = client.describe_backup(BackupArn=arn)["BackupDescription"]
        status = description["BackupDetails"]["BackupStatus"]
        if status == "AVAILABLE":
            return description
        assert status == "CREATING", description
        assert time.monotonic() < deadline, f"backup {arn} still {status}"
        time.sleep(0.05)


def backup_of(client: Any, table: str, name: str = "snap") -> dict[str, Any]:
    """A new backup of `table`, AVAILABLE: its BackupDescription."""
    arn = client.create_backup(TableName=table, BackupName=name)["BackupDetails"]["BackupArn"]
    return wait_backup(client, arn)


def listed_arns(client: Any, **params: Any) -> list[str]:
    reply = client.list_backups(**params)
    assert "LastEvaluatedBackupArn" not in reply, reply
    return [summary["BackupArn"] for summary in reply["BackupSummaries"]]


def gsi(name: str, attribute: str, projection: str = "ALL", **extra: Any) -> dict[str, Any]:
    """A GSI definition keyed on the string attribute `attribute`."""
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": projection},
        **extra,
    }


def lsi(name: str, attribute: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": attribute, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }


def string_attributes(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def index_names(table: dict[str, Any], member: str) -> list[str]:
    return sorted(index["IndexName"] for index in table.get(member, []))


def assert_missing(client: Any, table: str) -> None:
    """No table of that name exists (a refused restore creates none)."""
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_table(TableName=table)


def unchecked_client(server: Server) -> Any:
    """A client without botocore's parameter validation, to send values below a model
    minimum (lengths, ranges) to the server."""
    return boto3.client(
        "dynamodb",
        endpoint_url=server.endpoint,
        region_name=REGION,
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
        **CREDENTIALS,
    )


class Restores:
    """Tables a test restores, removed afterwards (once their restore is done)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.names: list[str] = []

    def name(self, prefix: str = "restored") -> str:
        name = unique_name(prefix)
        self.names.append(name)
        return name

    def from_backup(self, arn: str, **params: Any) -> tuple[str, dict[str, Any]]:
        """Start a restore of the backup into a new name: (name, TableDescription)."""
        target = self.name()
        reply = self.client.restore_table_from_backup(
            BackupArn=arn, TargetTableName=target, **params
        )
        return target, reply["TableDescription"]

    def cleanup(self) -> None:
        for name in self.names:
            try:
                wait_created(self.client, name)
                self.client.delete_table(TableName=name)
            except self.client.exceptions.ClientError:
                pass


@pytest.fixture
def restores(ddb: Any) -> Iterator[Restores]:
    tracker = Restores(ddb)
    yield tracker
    tracker.cleanup()


@pytest.fixture(scope="module")
def unchecked(server: Server) -> Any:
    return unchecked_client(server)


# --------------------------------------------------------------------------- CreateBackup


def test_create_backup_answers_creating_details_with_a_timestamped_arn(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    table = make_table()
    put_all(ddb, table, [{"pk": s(f"k{i}")} for i in range(3)])
    table_arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    before = time.time()
    reply = ddb.create_backup(TableName=table, BackupName="nightly-1")
    after = time.time()

    assert set(reply) == {"BackupDetails", "ResponseMetadata"}
    details = reply["BackupDetails"]
    assert {
        "BackupArn",
        "BackupName",
        "BackupStatus",
        "BackupType",
        "BackupCreationDateTime",
        "BackupSizeBytes",
    } <= set(details)
    assert "BackupExpiryDateTime" not in details  # only SYSTEM backups expire
    assert details["BackupName"] == "nightly-1"
    assert details["BackupStatus"] == "CREATING"
    assert details["BackupType"] == "USER"
    assert isinstance(details["BackupSizeBytes"], int) and details["BackupSizeBytes"] >= 0
    created = epoch(details["BackupCreationDateTime"])
    assert before - 1 <= created <= after + 1

    match = BACKUP_ARN_RE.fullmatch(details["BackupArn"])
    assert match, details["BackupArn"]
    assert match["region"] == REGION
    assert table_arn == f"arn:aws:dynamodb:{REGION}:{match['account']}:table/{table}"
    assert match["table"] == table
    assert abs(int(match["millis"]) - created * 1000) <= 1

    available = wait_backup(ddb, details["BackupArn"])["BackupDetails"]
    assert available["BackupStatus"] == "AVAILABLE"
    assert available["BackupArn"] == details["BackupArn"]
    assert available["BackupName"] == "nightly-1"
    assert available["BackupType"] == "USER"
    assert available["BackupCreationDateTime"] == details["BackupCreationDateTime"]
    assert isinstance(available["BackupSizeBytes"], int) and available["BackupSizeBytes"] >= 0


def test_backup_names_need_not_be_unique(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table()
    first = backup_of(ddb, table, "same-name")["BackupDetails"]["BackupArn"]
    second = backup_of(ddb, table, "same-name")["BackupDetails"]["BackupArn"]
    assert first != second
    assert listed_arns(ddb, TableName=table) == [first, second]


def test_describe_backup_records_the_source_table_and_its_indexes(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    table = make_table(
        range_key=("sk", "S"),
        AttributeDefinitions=string_attributes("pk", "sk", "g", "l"),
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
        GlobalSecondaryIndexes=[
            gsi(
                "by_g",
                "g",
                "KEYS_ONLY",
                ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 4},
            )
        ],
        LocalSecondaryIndexes=[lsi("by_l", "l")],
    )
    put_all(
        ddb,
        table,
        [{"pk": s("p"), "sk": s(f"s{i}"), "g": s("x"), "l": s(str(i))} for i in range(7)],
    )
    source = ddb.describe_table(TableName=table)["Table"]
    description = backup_of(ddb, table)

    assert set(description) == {"BackupDetails", "SourceTableDetails", "SourceTableFeatureDetails"}
    details = description["SourceTableDetails"]
    assert details["TableName"] == table
    assert details["TableId"] == source["TableId"]
    assert details["TableArn"] == source["TableArn"]
    assert details["KeySchema"] == source["KeySchema"]
    assert details["TableCreationDateTime"] == source["CreationDateTime"]
    assert details["ProvisionedThroughput"] == {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
    assert details["ItemCount"] == 7
    assert details["TableSizeBytes"] == source["TableSizeBytes"] > 0
    assert details["BillingMode"] == "PROVISIONED"
    assert "OnDemandThroughput" not in details

    assert description["SourceTableFeatureDetails"] == {
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 4},
            }
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "by_l",
                "KeySchema": lsi("by_l", "l")["KeySchema"],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    }


def test_feature_details_show_only_the_features_that_are_on(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    plain = make_table()
    plain_backup = backup_of(ddb, plain)
    assert plain_backup["SourceTableFeatureDetails"] == {}
    assert plain_backup["SourceTableDetails"]["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 0,
        "WriteCapacityUnits": 0,
    }
    assert plain_backup["SourceTableDetails"]["BillingMode"] == "PAY_PER_REQUEST"
    assert plain_backup["SourceTableDetails"]["ItemCount"] == 0

    featured = make_table(
        SSESpecification={"Enabled": True, "SSEType": "KMS"},
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        OnDemandThroughput={"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50},
    )
    sse = ddb.describe_table(TableName=featured)["Table"]["SSEDescription"]
    assert sse["Status"] == "ENABLED" and sse["SSEType"] == "KMS"
    description = backup_of(ddb, featured)
    assert description["SourceTableFeatureDetails"] == {
        "StreamDescription": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        "SSEDescription": sse,
    }
    assert description["SourceTableDetails"]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 100,
        "MaxWriteRequestUnits": 50,
    }


def test_create_backup_errors(ddb: Any, unchecked: Any, make_table: Callable[..., str]) -> None:
    missing = unique_name("missing")
    with pytest.raises(ddb.exceptions.TableNotFoundException) as excinfo:
        ddb.create_backup(TableName=missing, BackupName="snap")
    assert error_of(excinfo) == ("TableNotFoundException", f"Table not found: {missing}")

    table = make_table()
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        unchecked.create_backup(TableName=table, BackupName="ab")
    assert error_of(excinfo) == (
        VALIDATION,
        "1 validation error detected: Value 'ab' at 'backupName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3",
    )
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        unchecked.create_backup(TableName=table, BackupName="")
    assert error_of(excinfo) == (
        VALIDATION,
        "2 validation errors detected: Value '' at 'backupName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at "
        "'backupName' failed to satisfy constraint: Member must have length greater than or "
        "equal to 3",
    )
    assert listed_arns(ddb, TableName=table) == []


# --------------------------------------------------------------------------- snapshots


def test_a_backup_is_the_table_at_its_request(
    ddb: Any, make_table: Callable[..., str], restores: Restores
) -> None:
    table = make_table(
        AttributeDefinitions=string_attributes("pk", "g"),
        GlobalSecondaryIndexes=[gsi("by_g", "g")],
    )
    original = {
        f"k{i:02}": {
            "pk": s(f"k{i:02}"),
            "g": s("even" if i % 2 == 0 else "odd"),
            "v": n(i),
            "pad": s("x" * (i + 1)),
        }
        for i in range(20)
    }
    put_all(ddb, table, list(original.values()))
    source = ddb.describe_table(TableName=table)["Table"]
    assert source["ItemCount"] == 20
    details = ddb.create_backup(TableName=table, BackupName="at-request")["BackupDetails"]

    # Straight after the request: overwrite, delete, add and update items.
    after = dict(original)
    changed = {"pk": s("k00"), "g": s("odd"), "v": n(100)}
    ddb.put_item(TableName=table, Item=changed)
    after["k00"] = changed
    for key in ("k01", "k02", "k03", "k04"):
        ddb.delete_item(TableName=table, Key={"pk": s(key)})
        del after[key]
    added = [{"pk": s(f"k{i:02}"), "g": s("even"), "v": n(i)} for i in range(20, 25)]
    put_all(ddb, table, added)
    after.update({item["pk"]["S"]: item for item in added})
    updated = ddb.update_item(
        TableName=table,
        Key={"pk": s("k06")},
        UpdateExpression="SET g = :g, v = v + :one REMOVE #pad",
        ExpressionAttributeNames={"#pad": "pad"},
        ExpressionAttributeValues={":g": s("odd"), ":one": n(1)},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    after["k06"] = updated
    assert consistent_scan_by_pk(ddb, table) == after  # the writes took effect on the table itself

    description = wait_backup(ddb, details["BackupArn"])
    assert description["SourceTableDetails"]["ItemCount"] == 20
    assert description["SourceTableDetails"]["TableSizeBytes"] == source["TableSizeBytes"]

    target, reply = restores.from_backup(details["BackupArn"])
    assert reply["TableName"] == target
    assert reply["TableStatus"] == "CREATING"
    assert reply["TableId"] != source["TableId"]
    assert reply["KeySchema"] == HASH_PK
    assert reply["RestoreSummary"] == {
        "SourceBackupArn": details["BackupArn"],
        "SourceTableArn": source["TableArn"],
        "RestoreDateTime": details["BackupCreationDateTime"],
        "RestoreInProgress": True,
    }

    restored = wait_created(ddb, target)
    assert "RestoreSummary" not in restored
    assert consistent_scan_by_pk(ddb, target) == original
    assert restored["ItemCount"] == 20
    assert restored["TableSizeBytes"] == source["TableSizeBytes"]
    assert index_names(restored, "GlobalSecondaryIndexes") == ["by_g"]
    assert restored["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    evens = ddb.query(
        TableName=target,
        IndexName="by_g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": s("even")},
    )["Items"]
    assert sorted(evens, key=lambda item: item["pk"]["S"]) == [
        item for key, item in sorted(original.items()) if item["g"]["S"] == "even"
    ]
    # The source table is untouched by the restore.
    assert consistent_scan_by_pk(ddb, table) == after


def test_a_backup_outlives_its_table(ddb: Any, restores: Restores) -> None:
    table = create_hash_table(ddb, "gone")
    items = {f"k{i}": {"pk": s(f"k{i}"), "v": n(i)} for i in range(5)}
    put_all(ddb, table, list(items.values()))
    source = ddb.describe_table(TableName=table)["Table"]
    arn = backup_of(ddb, table)["BackupDetails"]["BackupArn"]
    ddb.delete_table(TableName=table)
    assert_missing(ddb, table)

    description = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert description["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert description["SourceTableDetails"]["TableName"] == table
    assert description["SourceTableDetails"]["TableId"] == source["TableId"]
    assert description["SourceTableDetails"]["ItemCount"] == 5
    assert listed_arns(ddb, TableName=table) == [arn]
    assert listed_arns(ddb, TableName=source["TableArn"]) == [arn]

    target, reply = restores.from_backup(arn)
    assert reply["RestoreSummary"]["SourceTableArn"] == source["TableArn"]
    wait_created(ddb, target)
    assert consistent_scan_by_pk(ddb, target) == items


# --------------------------------------------------------------------------- ListBackups


@pytest.fixture(scope="module")
def three_backups(ddb: Any) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """(table name, table ARN, BackupDetails of its three backups in creation order), and a
    backup of another table that no listing filtered by the first table may show."""
    table, other = create_hash_table(ddb, "listed"), create_hash_table(ddb, "other")
    table_arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    made = []
    for name in ("first", "second", "third"):
        made.append(backup_of(ddb, table, name)["BackupDetails"])
        time.sleep(0.01)
    stray = backup_of(ddb, other, "stray")["BackupDetails"]
    yield table, table_arn, made
    for details in [*made, stray]:
        ddb.delete_backup(BackupArn=details["BackupArn"])
    ddb.delete_table(TableName=table)
    ddb.delete_table(TableName=other)


def test_list_backups_by_table_in_creation_order(
    ddb: Any, three_backups: tuple[str, str, list[dict[str, Any]]]
) -> None:
    table, table_arn, made = three_backups
    arns = [details["BackupArn"] for details in made]
    reply = ddb.list_backups(TableName=table)
    assert "LastEvaluatedBackupArn" not in reply
    summaries = reply["BackupSummaries"]
    assert [summary["BackupArn"] for summary in summaries] == arns
    source_id = ddb.describe_table(TableName=table)["Table"]["TableId"]
    for summary, details in zip(summaries, made, strict=True):
        assert summary["TableName"] == table
        assert summary["TableArn"] == table_arn
        assert summary["TableId"] == source_id
        assert summary["BackupName"] == details["BackupName"]
        assert summary["BackupCreationDateTime"] == details["BackupCreationDateTime"]
        assert summary["BackupStatus"] == "AVAILABLE"
        assert summary["BackupType"] == "USER"
        assert summary["BackupSizeBytes"] >= 0
        assert "BackupExpiryDateTime" not in summary
    created = [epoch(details["BackupCreationDateTime"]) for details in made]
    assert created == sorted(created)

    assert listed_arns(ddb, TableName=table_arn) == arns
    assert listed_arns(ddb, TableName=table, BackupType="USER") == arns
    assert listed_arns(ddb, TableName=table, BackupType="ALL") == arns
    assert listed_arns(ddb, TableName=table, BackupType="SYSTEM") == []
    assert listed_arns(ddb, TableName=unique_name("never")) == []
    # Unfiltered, the listing holds these backups among those of other tables.
    everything: list[str] = []
    params: dict[str, Any] = {}
    while True:
        page = ddb.list_backups(**params)
        everything += [summary["BackupArn"] for summary in page["BackupSummaries"]]
        if "LastEvaluatedBackupArn" not in page:
            break
        params["ExclusiveStartBackupArn"] = page["LastEvaluatedBackupArn"]
    assert [arn for arn in everything if arn in arns] == arns


def test_list_backups_pages(ddb: Any, three_backups: tuple[str, str, list[dict[str, Any]]]) -> None:
    table, _, made = three_backups
    arns = [details["BackupArn"] for details in made]

    first = ddb.list_backups(TableName=table, Limit=2)
    assert [summary["BackupArn"] for summary in first["BackupSummaries"]] == arns[:2]
    assert first["LastEvaluatedBackupArn"] == arns[1]
    rest = ddb.list_backups(TableName=table, Limit=2, ExclusiveStartBackupArn=arns[1])
    assert [summary["BackupArn"] for summary in rest["BackupSummaries"]] == arns[2:]
    assert "LastEvaluatedBackupArn" not in rest

    # Exactly Limit matches: no LastEvaluatedBackupArn.
    assert listed_arns(ddb, TableName=table, Limit=3) == arns

    collected: list[str] = []
    params: dict[str, Any] = {"TableName": table, "Limit": 1}
    for _ in range(5):
        page = ddb.list_backups(**params)
        collected += [summary["BackupArn"] for summary in page["BackupSummaries"]]
        if "LastEvaluatedBackupArn" not in page:
            break
        assert page["LastEvaluatedBackupArn"] == collected[-1]
        params["ExclusiveStartBackupArn"] = page["LastEvaluatedBackupArn"]
    assert collected == arns


def test_list_backups_time_range(
    ddb: Any, three_backups: tuple[str, str, list[dict[str, Any]]]
) -> None:
    table, _, made = three_backups
    arns = [details["BackupArn"] for details in made]
    t1, t2, t3 = (details["BackupCreationDateTime"] for details in made)

    def between(**bounds: Any) -> list[str]:
        return listed_arns(ddb, TableName=table, **bounds)

    assert between(TimeRangeLowerBound=t2, TimeRangeUpperBound=t3) == [arns[1]]
    assert between(TimeRangeLowerBound=t1, TimeRangeUpperBound=t3) == arns[:2]
    assert between(TimeRangeLowerBound=t2) == arns[1:]
    assert between(TimeRangeUpperBound=t2) == arns[:1]
    assert between(TimeRangeUpperBound=t1) == []
    assert between(TimeRangeLowerBound=t3, TimeRangeUpperBound=t3) == []
    assert between(TimeRangeLowerBound=t3 + timedelta(seconds=1)) == []
    assert between(TimeRangeLowerBound=t1 - timedelta(hours=1)) == arns


def test_list_backups_validation(ddb: Any, unchecked: Any) -> None:
    now = datetime.now(UTC)
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.list_backups(TimeRangeLowerBound=now, TimeRangeUpperBound=now - timedelta(seconds=10))
    assert error_of(excinfo) == (
        VALIDATION,
        "Time range lower bound must be less than or equal to upper bound",
    )
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        unchecked.list_backups(Limit=0)
    assert error_of(excinfo) == (
        VALIDATION,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )


# --------------------------------------------------------------------------- DeleteBackup


def test_delete_backup(ddb: Any, make_table: Callable[..., str], restores: Restores) -> None:
    table = make_table()
    put_all(ddb, table, [{"pk": s("a")}])
    arn = backup_of(ddb, table)["BackupDetails"]["BackupArn"]
    # A backup whose restore is done can be deleted.
    target, _ = restores.from_backup(arn)
    wait_created(ddb, target)

    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupArn"] == arn
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    assert deleted["SourceTableDetails"]["TableName"] == table
    assert deleted["SourceTableDetails"]["ItemCount"] == 1
    assert "SourceTableFeatureDetails" in deleted

    not_found = ("BackupNotFoundException", f"Backup not found: {arn}")
    with pytest.raises(ddb.exceptions.BackupNotFoundException) as excinfo:
        ddb.describe_backup(BackupArn=arn)
    assert error_of(excinfo) == not_found
    with pytest.raises(ddb.exceptions.BackupNotFoundException) as excinfo:
        ddb.delete_backup(BackupArn=arn)
    assert error_of(excinfo) == not_found
    assert listed_arns(ddb, TableName=table) == []
    with pytest.raises(ddb.exceptions.BackupNotFoundException):
        ddb.restore_table_from_backup(BackupArn=arn, TargetTableName=restores.name())
    # The restored table does not depend on the backup.
    assert consistent_scan_by_pk(ddb, target) == {"a": {"pk": s("a")}}


def test_backup_arns_that_name_no_backup(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table()
    table_arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    for call in (ddb.describe_backup, ddb.delete_backup):
        with pytest.raises(ddb.exceptions.ClientError) as excinfo:
            call(BackupArn=table_arn)
        assert error_of(excinfo) == (VALIDATION, "Invalid Backup ARN")
    unknown = f"{table_arn}/backup/01700000000000-0123abcd"
    with pytest.raises(ddb.exceptions.BackupNotFoundException) as excinfo:
        ddb.describe_backup(BackupArn=unknown)
    assert error_of(excinfo) == ("BackupNotFoundException", f"Backup not found: {unknown}")


# --------------------------------------------------------------------------- restores


def test_restore_from_backup_target_and_backup_errors(
    ddb: Any, make_table: Callable[..., str], restores: Restores
) -> None:
    table, other = make_table(), make_table()
    arn = backup_of(ddb, table)["BackupDetails"]["BackupArn"]
    for target in (other, table):
        with pytest.raises(ddb.exceptions.TableAlreadyExistsException) as excinfo:
            ddb.restore_table_from_backup(BackupArn=arn, TargetTableName=target)
        assert error_of(excinfo) == (
            "TableAlreadyExistsException",
            f"Table already exists: {target}",
        )
    unknown = arn.rsplit("/", 1)[0] + "/01700000000000-0123abcd"
    fresh = restores.name()
    with pytest.raises(ddb.exceptions.BackupNotFoundException):
        ddb.restore_table_from_backup(BackupArn=unknown, TargetTableName=fresh)
    assert_missing(ddb, fresh)
    # The refused requests left the backup usable.
    target, _ = restores.from_backup(arn)
    assert wait_created(ddb, target)["TableName"] == target


def test_restore_switches_provisioned_to_on_demand(
    ddb: Any, make_table: Callable[..., str], restores: Restores
) -> None:
    table = make_table(
        AttributeDefinitions=string_attributes("pk", "g"),
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
        GlobalSecondaryIndexes=[
            gsi(
                "by_g", "g", ProvisionedThroughput={"ReadCapacityUnits": 4, "WriteCapacityUnits": 5}
            )
        ],
    )
    put_all(ddb, table, [{"pk": s("a"), "g": s("x")}])
    arn = backup_of(ddb, table)["BackupDetails"]["BackupArn"]

    as_is, _ = restores.from_backup(arn)
    kept = wait_created(ddb, as_is)
    assert kept["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert kept["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    assert kept.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == "PROVISIONED"
    kept_index = kept["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    assert (kept_index["ReadCapacityUnits"], kept_index["WriteCapacityUnits"]) == (4, 5)

    on_demand, _ = restores.from_backup(arn, BillingModeOverride="PAY_PER_REQUEST")
    switched = wait_created(ddb, on_demand)
    assert switched["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert switched["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert switched["ProvisionedThroughput"]["WriteCapacityUnits"] == 0
    index = switched["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    assert (index["ReadCapacityUnits"], index["WriteCapacityUnits"]) == (0, 0)
    assert consistent_scan_by_pk(ddb, on_demand) == {"a": {"pk": s("a"), "g": s("x")}}

    # A throughput override applies to the base table; the GSI keeps its recorded throughput.
    more, _ = restores.from_backup(
        arn, ProvisionedThroughputOverride={"ReadCapacityUnits": 7, "WriteCapacityUnits": 8}
    )
    raised = wait_created(ddb, more)
    assert raised["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert raised["ProvisionedThroughput"]["WriteCapacityUnits"] == 8
    index = raised["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    assert (index["ReadCapacityUnits"], index["WriteCapacityUnits"]) == (4, 5)


def test_restore_switches_on_demand_to_provisioned(
    ddb: Any, make_table: Callable[..., str], restores: Restores
) -> None:
    table = make_table()
    arn = backup_of(ddb, table)["BackupDetails"]["BackupArn"]
    refused = restores.name()
    for params, message in (
        (
            {
                "BillingModeOverride": "PAY_PER_REQUEST",
                "ProvisionedThroughputOverride": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            },
            "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED",
        ),
        (
            {"ProvisionedThroughputOverride": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
            "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED",
        ),
        (
            {"BillingModeOverride": "PROVISIONED"},
            "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED",
        ),
    ):
        with pytest.raises(ddb.exceptions.ClientError) as excinfo:
            ddb.restore_table_from_backup(BackupArn=arn, TargetTableName=refused, **params)
        assert error_of(excinfo) == (VALIDATION, message), params
    assert_missing(ddb, refused)

    target, _ = restores.from_backup(
        arn,
        BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 5, "WriteCapacityUnits": 4},
    )
    restored = wait_created(ddb, target)
    assert restored.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == (
        "PROVISIONED"
    )
    assert restored["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert restored["ProvisionedThroughput"]["WriteCapacityUnits"] == 4


@pytest.fixture
def indexed_backup(ddb: Any, make_table: Callable[..., str]) -> tuple[str, dict[str, Item]]:
    """(ARN, items) of a backup of an on-demand table keyed (pk, sk) with GSIs by_a (on a, ALL)
    and by_b (on b, KEYS_ONLY) and LSI by_c (on c)."""
    table = make_table(
        range_key=("sk", "S"),
        AttributeDefinitions=string_attributes("pk", "sk", "a", "b", "c"),
        GlobalSecondaryIndexes=[gsi("by_a", "a"), gsi("by_b", "b", "KEYS_ONLY")],
        LocalSecondaryIndexes=[lsi("by_c", "c")],
    )
    items = {
        f"k{i}": {
            "pk": s(f"k{i}"),
            "sk": s("s"),
            "a": s("A"),
            "b": s(f"B{i % 2}"),
            "c": s(str(i)),
        }
        for i in range(4)
    }
    put_all(ddb, table, list(items.values()))
    return backup_of(ddb, table)["BackupDetails"]["BackupArn"], items


def test_restore_index_overrides(
    ddb: Any, indexed_backup: tuple[str, dict[str, Item]], restores: Restores
) -> None:
    arn, items = indexed_backup
    refused = restores.name()
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.restore_table_from_backup(
            BackupArn=arn,
            TargetTableName=refused,
            GlobalSecondaryIndexOverride=[gsi("by_c", "c")],
        )
    assert error_of(excinfo) == (
        VALIDATION,
        "Index by_c does not match a secondary index that existed in the source table and "
        "cannot be created during the restore operation",
    )
    assert_missing(ddb, refused)

    no_gsis, _ = restores.from_backup(arn, GlobalSecondaryIndexOverride=[])
    restored = wait_created(ddb, no_gsis)
    assert "GlobalSecondaryIndexes" not in restored
    assert index_names(restored, "LocalSecondaryIndexes") == ["by_c"]
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.query(
            TableName=no_gsis,
            IndexName="by_a",
            KeyConditionExpression="a = :a",
            ExpressionAttributeValues={":a": s("A")},
        )
    assert error_of(excinfo) == (VALIDATION, "The table does not have the specified index: by_a")
    assert consistent_scan_by_pk(ddb, no_gsis) == items

    one_gsi, _ = restores.from_backup(
        arn, GlobalSecondaryIndexOverride=[gsi("by_b", "b", "KEYS_ONLY")]
    )
    restored = wait_created(ddb, one_gsi)
    assert index_names(restored, "GlobalSecondaryIndexes") == ["by_b"]
    assert index_names(restored, "LocalSecondaryIndexes") == ["by_c"]
    found = ddb.query(
        TableName=one_gsi,
        IndexName="by_b",
        KeyConditionExpression="b = :b",
        ExpressionAttributeValues={":b": s("B1")},
    )["Items"]
    assert sorted(item["pk"]["S"] for item in found) == ["k1", "k3"]

    no_lsis, _ = restores.from_backup(arn, LocalSecondaryIndexOverride=[])
    restored = wait_created(ddb, no_lsis)
    assert "LocalSecondaryIndexes" not in restored
    assert index_names(restored, "GlobalSecondaryIndexes") == ["by_a", "by_b"]
    assert ddb.query(
        TableName=no_lsis,
        IndexName="by_a",
        KeyConditionExpression="a = :a",
        ExpressionAttributeValues={":a": s("A")},
    )["Count"] == len(items)


def test_restore_index_override_may_rename_an_index(
    ddb: Any, indexed_backup: tuple[str, dict[str, Item]], restores: Restores
) -> None:
    arn, _ = indexed_backup
    target, _ = restores.from_backup(
        arn, GlobalSecondaryIndexOverride=[gsi("renamed_b", "b", "KEYS_ONLY")]
    )
    assert index_names(wait_created(ddb, target), "GlobalSecondaryIndexes") == ["renamed_b"]


def test_restore_index_override_must_keep_the_projection(
    ddb: Any, indexed_backup: tuple[str, dict[str, Item]], restores: Restores
) -> None:
    arn, _ = indexed_backup
    target = restores.name()
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.restore_table_from_backup(
            BackupArn=arn,
            TargetTableName=target,
            GlobalSecondaryIndexOverride=[gsi("by_b", "b", "ALL")],
        )
    assert error_of(excinfo) == (
        VALIDATION,
        "Index by_b does not match a secondary index that existed in the source table and "
        "cannot be created during the restore operation",
    )


@pytest.fixture
def provisioned_gsi_backup(ddb: Any, make_table: Callable[..., str]) -> str:
    """The ARN of a backup of a PROVISIONED table with GSI by_g."""
    table = make_table(
        AttributeDefinitions=string_attributes("pk", "g"),
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        GlobalSecondaryIndexes=[
            gsi(
                "by_g", "g", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
            )
        ],
    )
    return str(backup_of(ddb, table)["BackupDetails"]["BackupArn"])


def test_restore_gsi_override_of_a_provisioned_table_needs_throughput(
    ddb: Any, provisioned_gsi_backup: str, restores: Restores
) -> None:
    target = restores.name()
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.restore_table_from_backup(
            BackupArn=provisioned_gsi_backup,
            TargetTableName=target,
            GlobalSecondaryIndexOverride=[gsi("by_g", "g")],
        )
    assert error_of(excinfo) == (VALIDATION, "Must specify provisioned throughput for index by_g")


def test_restore_gsi_override_of_an_on_demand_restore_takes_no_throughput(
    ddb: Any, provisioned_gsi_backup: str, restores: Restores
) -> None:
    target = restores.name()
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.restore_table_from_backup(
            BackupArn=provisioned_gsi_backup,
            TargetTableName=target,
            BillingModeOverride="PAY_PER_REQUEST",
            GlobalSecondaryIndexOverride=[
                gsi(
                    "by_g",
                    "g",
                    ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                )
            ],
        )
    assert error_of(excinfo) == (
        VALIDATION,
        "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST "
        "for index by_g",
    )


def test_restore_sse_override(ddb: Any, make_table: Callable[..., str], restores: Restores) -> None:
    table = make_table()
    arn = backup_of(ddb, table)["BackupDetails"]["BackupArn"]
    target, _ = restores.from_backup(
        arn, SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"}
    )
    sse = wait_created(ddb, target)["SSEDescription"]
    assert sse["Status"] == "ENABLED"
    assert sse["SSEType"] == "KMS"
    assert sse["KMSMasterKeyArn"].startswith(f"arn:aws:kms:{REGION}:")
    assert "SSEDescription" not in ddb.describe_table(TableName=table)["Table"]


def test_a_restore_keeps_encryption_and_billing_but_not_the_table_settings(
    ddb: Any, make_table: Callable[..., str], restores: Restores
) -> None:
    table = make_table(
        SSESpecification={"Enabled": True, "SSEType": "KMS"},
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        OnDemandThroughput={"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50},
        TableClass="STANDARD_INFREQUENT_ACCESS",
        DeletionProtectionEnabled=True,
        Tags=[{"Key": "team", "Value": "data"}],
    )
    try:
        ddb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        put_all(ddb, table, [{"pk": s("a"), "v": n(1)}])
        source = ddb.describe_table(TableName=table)["Table"]
        assert source["DeletionProtectionEnabled"] is True
        assert "LatestStreamArn" in source
        arn = backup_of(ddb, table)["BackupDetails"]["BackupArn"]

        target, _ = restores.from_backup(arn)
        restored = wait_created(ddb, target)
        assert restored["SSEDescription"] == source["SSEDescription"]
        assert restored["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert restored["OnDemandThroughput"] == {
            "MaxReadRequestUnits": 100,
            "MaxWriteRequestUnits": 50,
        }
        assert "StreamSpecification" not in restored
        assert "LatestStreamArn" not in restored
        assert "TableClassSummary" not in restored
        assert restored["DeletionProtectionEnabled"] is False
        assert ddb.list_tags_of_resource(ResourceArn=restored["TableArn"])["Tags"] == []
        recovery = ddb.describe_continuous_backups(TableName=target)
        assert recovery["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"] == {
            "PointInTimeRecoveryStatus": "DISABLED"
        }
        assert consistent_scan_by_pk(ddb, target) == {"a": {"pk": s("a"), "v": n(1)}}
    finally:
        ddb.update_table(TableName=table, DeletionProtectionEnabled=False)


# --------------------------------------------------------------------------- a restore in progress


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    """A dedicated server whose backups and restores copy 5 items every 0.2 s."""
    srv = Server(tmp_path_factory.mktemp("backups"), env=SLOW_ENV, extra_args=backend()).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def slow(slow_server: Server) -> Any:
    return slow_server.client()


@pytest.fixture(scope="module")
def slow_backup(slow: Any) -> dict[str, Any]:
    """The BackupDetails of an AVAILABLE backup of a 60-item table on the slow server."""
    table = create_hash_table(slow, "slowsrc")
    put_all(slow, table, [{"pk": s(f"k{i:02}"), "v": n(i)} for i in range(SLOW_ITEMS)])
    details: dict[str, Any] = backup_of(slow, table)["BackupDetails"]
    return details


@pytest.fixture
def slow_restores(slow: Any) -> Iterator[Restores]:
    tracker = Restores(slow)
    yield tracker
    tracker.cleanup()  # waits for every restore: the next test may restore the backup again


def assert_still_restoring(client: Any, table: str) -> None:
    """The checks before ran while the restore was in progress."""
    assert client.describe_table(TableName=table)["Table"]["TableStatus"] == "CREATING"


def test_a_table_being_restored_is_described_but_not_usable(
    slow: Any, slow_backup: dict[str, Any], slow_restores: Restores
) -> None:
    arn = slow_backup["BackupArn"]
    target, reply = slow_restores.from_backup(arn)
    assert reply["TableStatus"] == "CREATING"
    assert reply["ItemCount"] == 0

    described = slow.describe_table(TableName=target)["Table"]
    assert described["TableStatus"] == "CREATING"
    assert described["RestoreSummary"] == {
        "SourceBackupArn": arn,
        "SourceTableArn": arn.split("/backup/")[0],
        "RestoreDateTime": slow_backup["BackupCreationDateTime"],
        "RestoreInProgress": True,
    }
    with pytest.raises(slow.exceptions.ResourceNotFoundException):
        slow.get_item(TableName=target, Key={"pk": s("k00")})
    with pytest.raises(slow.exceptions.ResourceNotFoundException):
        slow.put_item(TableName=target, Item={"pk": s("new")})
    with pytest.raises(slow.exceptions.ResourceNotFoundException) as excinfo:
        slow.update_table(TableName=target, DeletionProtectionEnabled=True)
    assert error_of(excinfo)[1] == f"Requested resource not found: Table: {target} not found"
    with pytest.raises(slow.exceptions.ResourceInUseException):
        slow.delete_table(TableName=target)
    not_found = ("TableNotFoundException", f"Table not found: {target}")
    with pytest.raises(slow.exceptions.TableNotFoundException) as excinfo:
        slow.describe_continuous_backups(TableName=target)
    assert error_of(excinfo) == not_found
    with pytest.raises(slow.exceptions.TableNotFoundException) as excinfo:
        slow.update_continuous_backups(
            TableName=target,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    assert error_of(excinfo) == not_found
    with pytest.raises(slow.exceptions.TableNotFoundException) as excinfo:
        slow.create_backup(TableName=target, BackupName="too-early")
    assert error_of(excinfo) == not_found
    assert_still_restoring(slow, target)

    restored = wait_created(slow, target)
    assert "RestoreSummary" not in restored
    assert restored["ItemCount"] == SLOW_ITEMS
    assert slow.get_item(TableName=target, Key={"pk": s("k07")})["Item"] == {
        "pk": s("k07"),
        "v": n(7),
    }


def test_a_restore_holds_its_target_name_and_its_backup(
    slow: Any, slow_backup: dict[str, Any], slow_restores: Restores
) -> None:
    arn = slow_backup["BackupArn"]
    target, _ = slow_restores.from_backup(arn)

    with pytest.raises(slow.exceptions.TableInUseException) as excinfo:
        slow.restore_table_from_backup(BackupArn=arn, TargetTableName=target)
    assert error_of(excinfo) == (
        "TableInUseException",
        f"Table: {target} is already being restored from backup: {arn}",
    )
    second = slow_restores.name()
    with pytest.raises(slow.exceptions.BackupInUseException) as excinfo:
        slow.restore_table_from_backup(BackupArn=arn, TargetTableName=second)
    assert error_of(excinfo) == (
        "BackupInUseException",
        f"Backup is being used to restore another table: {arn}",
    )
    with pytest.raises(slow.exceptions.BackupInUseException) as excinfo:
        slow.delete_backup(BackupArn=arn)
    assert error_of(excinfo) == (
        "BackupInUseException",
        f"Backup is being used to restore table: {arn}",
    )
    with pytest.raises(slow.exceptions.ResourceInUseException):
        slow.create_table(
            TableName=target,
            KeySchema=HASH_PK,
            AttributeDefinitions=string_attributes("pk"),
            BillingMode="PAY_PER_REQUEST",
        )
    assert_still_restoring(slow, target)
    assert_missing(slow, second)

    wait_created(slow, target)
    with pytest.raises(slow.exceptions.TableAlreadyExistsException):
        slow.restore_table_from_backup(BackupArn=arn, TargetTableName=target)
    # The backup is free again once the restore is done.
    reply = slow.restore_table_from_backup(BackupArn=arn, TargetTableName=second)
    assert reply["TableDescription"]["TableStatus"] == "CREATING"
    assert (
        slow.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"]
        == "AVAILABLE"
    )


def test_create_table_on_a_restoring_name_says_it_is_in_use(
    slow: Any, slow_backup: dict[str, Any], slow_restores: Restores
) -> None:
    target, _ = slow_restores.from_backup(slow_backup["BackupArn"])
    with pytest.raises(slow.exceptions.ResourceInUseException) as excinfo:
        slow.create_table(
            TableName=target,
            KeySchema=HASH_PK,
            AttributeDefinitions=string_attributes("pk"),
            BillingMode="PAY_PER_REQUEST",
        )
    assert error_of(excinfo)[1].endswith(f"Table is being used: {target}")


def test_tags_of_a_restoring_table_are_not_found(
    slow: Any, slow_backup: dict[str, Any], slow_restores: Restores
) -> None:
    _, reply = slow_restores.from_backup(slow_backup["BackupArn"])
    table_arn = reply["TableArn"]
    with pytest.raises(slow.exceptions.ResourceNotFoundException):
        slow.tag_resource(ResourceArn=table_arn, Tags=[{"Key": "k", "Value": "v"}])
    with pytest.raises(slow.exceptions.ResourceNotFoundException):
        slow.list_tags_of_resource(ResourceArn=table_arn)


# --------------------------------------------------------------------------- continuous backups


def recovery_of(client: Any, table: str) -> dict[str, Any]:
    reply = client.describe_continuous_backups(TableName=table)
    description: dict[str, Any] = reply["ContinuousBackupsDescription"]
    assert description["ContinuousBackupsStatus"] == "ENABLED"
    return description["PointInTimeRecoveryDescription"]  # type: ignore[no-any-return]


def set_recovery(client: Any, table: str, enabled: bool, **days: int) -> dict[str, Any]:
    reply = client.update_continuous_backups(
        TableName=table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled, **days},
    )
    description: dict[str, Any] = reply["ContinuousBackupsDescription"]
    assert description["ContinuousBackupsStatus"] == "ENABLED"
    return description["PointInTimeRecoveryDescription"]  # type: ignore[no-any-return]


def test_continuous_backups_of_a_new_table(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table()
    reply = ddb.describe_continuous_backups(TableName=table)
    assert reply["ContinuousBackupsDescription"] == {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    }


def test_enable_change_and_disable_point_in_time_recovery(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    table = make_table()
    before = time.time()
    enabled = set_recovery(ddb, table, True)
    after = time.time()
    assert set(enabled) == {
        "PointInTimeRecoveryStatus",
        "RecoveryPeriodInDays",
        "EarliestRestorableDateTime",
        "LatestRestorableDateTime",
    }
    assert enabled["PointInTimeRecoveryStatus"] == "ENABLED"
    assert enabled["RecoveryPeriodInDays"] == 35
    earliest = enabled["EarliestRestorableDateTime"]
    assert before - 1 <= epoch(earliest) <= after + 1
    # Right after enabling, the latest restorable time is the enable time too.
    assert enabled["LatestRestorableDateTime"] == earliest
    assert recovery_of(ddb, table) == enabled

    assert set_recovery(ddb, table, False) == {"PointInTimeRecoveryStatus": "DISABLED"}
    assert recovery_of(ddb, table) == {"PointInTimeRecoveryStatus": "DISABLED"}
    assert set_recovery(ddb, table, False) == {"PointInTimeRecoveryStatus": "DISABLED"}

    week = set_recovery(ddb, table, True, RecoveryPeriodInDays=7)
    assert week["PointInTimeRecoveryStatus"] == "ENABLED"
    assert week["RecoveryPeriodInDays"] == 7
    assert week["EarliestRestorableDateTime"] >= earliest  # re-enabling starts a new window
    changed = set_recovery(ddb, table, True, RecoveryPeriodInDays=10)
    assert changed["RecoveryPeriodInDays"] == 10
    assert changed["EarliestRestorableDateTime"] == week["EarliestRestorableDateTime"]
    described = recovery_of(ddb, table)
    assert described["RecoveryPeriodInDays"] == 10
    assert described["EarliestRestorableDateTime"] == week["EarliestRestorableDateTime"]
    assert described["LatestRestorableDateTime"] >= described["EarliestRestorableDateTime"]

    assert set_recovery(ddb, table, False) == {"PointInTimeRecoveryStatus": "DISABLED"}


def test_continuous_backups_validation(
    ddb: Any, unchecked: Any, make_table: Callable[..., str]
) -> None:
    table = make_table()
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        set_recovery(ddb, table, False, RecoveryPeriodInDays=7)
    assert error_of(excinfo) == (
        VALIDATION,
        "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time "
        "recovery.",
    )
    for days, constraint in (
        (0, "greater than or equal to 1"),
        (36, "less than or equal to 35"),
    ):
        with pytest.raises(ddb.exceptions.ClientError) as excinfo:
            set_recovery(unchecked, table, True, RecoveryPeriodInDays=days)
        assert error_of(excinfo) == (
            VALIDATION,
            f"1 validation error detected: Value '{days}' at "
            "'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy "
            f"constraint: Member must have value {constraint}",
        )
    assert recovery_of(ddb, table) == {"PointInTimeRecoveryStatus": "DISABLED"}

    missing = unique_name("missing")
    not_found = ("TableNotFoundException", f"Table not found: {missing}")
    with pytest.raises(ddb.exceptions.TableNotFoundException) as excinfo:
        ddb.describe_continuous_backups(TableName=missing)
    assert error_of(excinfo) == not_found
    with pytest.raises(ddb.exceptions.TableNotFoundException) as excinfo:
        set_recovery(ddb, missing, True)
    assert error_of(excinfo) == not_found


# --------------------------------------------------------------------------- RestoreTableToPointInTime


def test_point_in_time_restore_checks_in_order(
    ddb: Any, make_table: Callable[..., str], restores: Restores
) -> None:
    missing = unique_name("missing")
    target = restores.name()
    day_ago = datetime.now(UTC) - timedelta(days=1)

    def refused(**params: Any) -> tuple[str, str]:
        with pytest.raises(ddb.exceptions.ClientError) as excinfo:
            ddb.restore_table_to_point_in_time(**params)
        return error_of(excinfo)

    source, existing = make_table(), make_table()
    source_arn = ddb.describe_table(TableName=source)["Table"]["TableArn"]
    missing_arn = source_arn.rsplit("/", 1)[0] + f"/{missing}"
    # The request's shape first, even for a source that does not exist.
    assert refused(
        SourceTableArn=missing_arn,
        SourceTableName=missing,
        TargetTableName=target,
        UseLatestRestorableTime=True,
    ) == (VALIDATION, "Must provide exactly one of: sourceTableArn, sourceTableName")
    assert refused(TargetTableName=target, UseLatestRestorableTime=True) == (
        VALIDATION,
        "The parameter 'TableName' is required",
    )
    neither = (
        VALIDATION,
        "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be "
        "specified, but not both",
    )
    assert refused(SourceTableName=missing, TargetTableName=target) == neither
    assert (
        refused(SourceTableName=missing, TargetTableName=target, UseLatestRestorableTime=False)
        == neither
    )
    code, message = refused(
        SourceTableName=missing,
        TargetTableName=target,
        UseLatestRestorableTime=True,
        RestoreDateTime=day_ago,
    )
    assert code == VALIDATION
    assert message.startswith(
        "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set"
    )

    # Then the source.
    assert refused(SourceTableName=missing, TargetTableName=target, RestoreDateTime=day_ago) == (
        "TableNotFoundException",
        f"Table not found: {missing}",
    )

    # Then point-in-time recovery, even with a bad time and an existing target.
    not_enabled = (
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{source}'",
    )
    assert (
        refused(SourceTableName=source, TargetTableName=existing, RestoreDateTime=day_ago)
        == not_enabled
    )
    assert (
        refused(SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True)
        == not_enabled
    )

    # Then the time, even with an existing target.
    set_recovery(ddb, source, True)
    for instant in (day_ago, datetime.now(UTC) + timedelta(hours=1)):
        code, message = refused(
            SourceTableName=source, TargetTableName=existing, RestoreDateTime=instant
        )
        assert code == "InvalidRestoreTimeException"
        assert message.startswith("RestoreDateTime '"), message

    # Then the target.
    for name in (existing, source):
        assert refused(
            SourceTableName=source, TargetTableName=name, UseLatestRestorableTime=True
        ) == ("TableAlreadyExistsException", f"Table already exists: {name}")
    assert_missing(ddb, target)


def test_point_in_time_restore_to_the_latest_time_right_after_enabling(
    ddb: Any, make_table: Callable[..., str], restores: Restores
) -> None:
    table = make_table()
    before = {f"k{i}": {"pk": s(f"k{i}"), "v": n(i)} for i in range(4)}
    put_all(ddb, table, list(before.values()))
    source = ddb.describe_table(TableName=table)["Table"]
    enabled = set_recovery(ddb, table, True)
    # Written after the enable instant, which is the latest restorable time for now.
    ddb.put_item(TableName=table, Item={"pk": s("k0"), "v": n(100)})
    ddb.delete_item(TableName=table, Key={"pk": s("k1")})
    put_all(ddb, table, [{"pk": s(f"new{i}")} for i in range(3)])
    assert len(consistent_scan_by_pk(ddb, table)) == 6

    by_name = restores.name()
    reply = ddb.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=by_name, UseLatestRestorableTime=True
    )["TableDescription"]
    assert reply["TableStatus"] == "CREATING"
    assert reply["TableName"] == by_name
    summary = reply["RestoreSummary"]
    assert set(summary) == {"SourceTableArn", "RestoreDateTime", "RestoreInProgress"}
    assert summary["SourceTableArn"] == source["TableArn"]
    assert summary["RestoreInProgress"] is True
    assert abs(epoch(summary["RestoreDateTime"]) - epoch(enabled["LatestRestorableDateTime"])) < (
        0.001
    )

    by_arn = restores.name()
    reply = ddb.restore_table_to_point_in_time(
        SourceTableArn=source["TableArn"], TargetTableName=by_arn, UseLatestRestorableTime=True
    )["TableDescription"]
    assert reply["RestoreSummary"]["SourceTableArn"] == source["TableArn"]

    for target in (by_name, by_arn):
        restored = wait_created(ddb, target)
        assert "RestoreSummary" not in restored
        assert consistent_scan_by_pk(ddb, target) == before
        assert restored["ItemCount"] == len(before)
        assert recovery_of(ddb, target) == {"PointInTimeRecoveryStatus": "DISABLED"}
