"""Secondary index definition and description, through the wire: CreateTable with
GlobalSecondaryIndexes / LocalSecondaryIndexes, and how DescribeTable shows them.

DynamoDB behaviour pinned here (AWS API reference for CreateTable, GlobalSecondaryIndex,
LocalSecondaryIndex, GlobalSecondaryIndexDescription and LocalSecondaryIndexDescription; the
developer guide's GSI, LSI and "Multi-attribute key schema" pages; messages from dynalite's
createTable tests recorded against live DynamoDB, moto's AttributeDefinitions checks verified
against live DynamoDB, and a catalogue of live CreateTable error texts):
- A GSI has a partition key of 1-4 HASH attributes and a sort key of 0-4 RANGE attributes (every
  HASH before every RANGE), each an S, N or B attribute from AttributeDefinitions; Projection is
  KEYS_ONLY, INCLUDE (with NonKeyAttributes) or ALL. On a PROVISIONED table every GSI needs its
  own ProvisionedThroughput; on a PAY_PER_REQUEST table it must have none (it may carry an
  OnDemandThroughput).
- An LSI shares the table's HASH key, has exactly one RANGE key, and needs a table with a range
  key. At most 5 LSIs and 20 GSIs; index names are unique across both kinds; at most 100
  NonKeyAttributes summed over all indexes.
- AttributeDefinitions must name exactly the key attributes of the table and of all its
  indexes: a missing one is "Some index key attributes are not defined in AttributeDefinitions.
  Keys: [<that index's keys>], AttributeDefinitions: [...]"; with indexes, an unused one is
  "Some AttributeDefinitions are not used. AttributeDefinitions: [...], keys used: [...]" (the
  "Number of attributes in KeySchema does not exactly match ..." wording is for tables without
  indexes). The order of names inside these brackets is not specified, so it is matched loosely.
- CreateTable answers each GSI with IndexStatus CREATING; DescribeTable then shows ACTIVE. A GSI
  description carries IndexName, KeySchema, Projection, IndexStatus, ProvisionedThroughput (with
  NumberOfDecreasesToday; zeros on PAY_PER_REQUEST), IndexSizeBytes, ItemCount and IndexArn
  ``<table arn>/index/<name>``; an LSI description has IndexName, KeySchema, Projection,
  IndexSizeBytes, ItemCount and IndexArn but no IndexStatus and no throughput. GSIs and LSIs are
  compared by name, since DynamoDB does not keep their order.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import REGION, Server, error_of, unique_name
from tests.wire.http import signed_call

ACCOUNT = "000000000000"
VALIDATION = "ValidationException"
INVALID = "One or more parameter values were invalid: "
ONE_ONE = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
ZERO_THROUGHPUT = {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0}


# --------------------------------------------------------------------------- helpers


def s(value: str) -> dict[str, str]:
    return {"S": value}


def defs(**types: str) -> list[dict[str, str]]:
    """AttributeDefinitions from name=type pairs, in the order given."""
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def keys(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": kind} for name, kind in pairs]


def hash_range(hash_: str, range_: str | None = None) -> list[dict[str, str]]:
    return keys((hash_, "HASH"), *([(range_, "RANGE")] if range_ else []))


def projection(kind: str = "ALL", include: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"ProjectionType": kind}
    if include is not None:
        out["NonKeyAttributes"] = include
    return out


def gsi(
    name: str,
    schema: list[dict[str, str]],
    proj: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": schema,
        "Projection": projection() if proj is None else proj,
        **extra,
    }


def lsi(name: str, range_: str, proj: dict[str, Any] | None = None, hash_: str = "pk") -> Any:
    return {
        "IndexName": name,
        "KeySchema": hash_range(hash_, range_),
        "Projection": projection() if proj is None else proj,
    }


def table_params(
    name: str | None = None,
    *,
    schema: list[dict[str, str]] | None = None,
    definitions: list[dict[str, str]] | None = None,
    provisioned: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """CreateTable parameters: table key `pk` (S) [+ `sk` (S) when schema says so],
    PAY_PER_REQUEST unless `provisioned`."""
    params: dict[str, Any] = {
        "TableName": name or unique_name(),
        "KeySchema": schema or hash_range("pk"),
        "AttributeDefinitions": definitions or defs(pk="S"),
    }
    if provisioned:
        params["ProvisionedThroughput"] = dict(ONE_ONE)
    else:
        params["BillingMode"] = "PAY_PER_REQUEST"
    params.update(extra)
    return params


def index_arn(table: str, index: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/index/{index}"


def by_name(indexes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {index["IndexName"]: index for index in indexes}


def any_order(*names: str) -> str:
    """A regex for `[a, b, c]` with the names in any order."""
    options = ["\\[" + re.escape(", ".join(p)) + "\\]" for p in itertools.permutations(names)]
    return "(?:" + "|".join(options) + ")"


@pytest.fixture
def created(ddb: Any) -> Iterator[Callable[..., dict[str, Any]]]:
    """create(**params): CreateTable through boto3, deleted after the test; returns the
    TableDescription of the response."""
    names: list[str] = []

    def create(**params: Any) -> dict[str, Any]:
        names.append(params["TableName"])
        return ddb.create_table(**params)["TableDescription"]  # type: ignore[no-any-return]

    yield create
    for name in names:
        try:
            ddb.delete_table(TableName=name)
        except ddb.exceptions.ClientError:
            pass


@pytest.fixture
def refused(ddb: Any) -> Iterator[Callable[..., tuple[str, str]]]:
    """refuse(**params): the (code, message) of a CreateTable that must fail; a table wrongly
    created is deleted again so it does not leak into other tests."""
    leaked: list[str] = []

    def refuse(**params: Any) -> tuple[str, str]:
        with pytest.raises(ddb.exceptions.ClientError) as excinfo:
            ddb.create_table(**params)
            leaked.append(params["TableName"])
        return error_of(excinfo)

    yield refuse
    for name in leaked:
        ddb.delete_table(TableName=name)


def raw_refused(server: Server, params: dict[str, Any]) -> tuple[str, str]:
    """(code, message) of a CreateTable sent without botocore's client-side validation."""
    reply = signed_call(server, "CreateTable", params)
    body = reply.json()
    if reply.status == 200:
        signed_call(server, "DeleteTable", {"TableName": params["TableName"]})
    assert reply.status == 400, body
    return body["__type"].rsplit("#", 1)[1], body.get("message", body.get("Message", ""))


# --------------------------------------------------------------------------- GSIs that work


def test_gsi_keys_only_hash_only(ddb: Any, created: Any) -> None:
    name = unique_name()
    index = gsi("byG", hash_range("gk"), projection("KEYS_ONLY"))
    answer = created(
        **table_params(name, definitions=defs(pk="S", gk="S"), GlobalSecondaryIndexes=[index])
    )
    [described] = answer["GlobalSecondaryIndexes"]
    assert described["IndexStatus"] == "CREATING"
    assert described["KeySchema"] == [{"AttributeName": "gk", "KeyType": "HASH"}]
    assert described["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert described["IndexArn"] == index_arn(name, "byG")

    table = ddb.describe_table(TableName=name)["Table"]
    assert table["AttributeDefinitions"] == defs(pk="S", gk="S")
    [described] = table["GlobalSecondaryIndexes"]
    expected = {
        "IndexName": "byG",
        "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
        "IndexStatus": "ACTIVE",
        "ProvisionedThroughput": ZERO_THROUGHPUT,
        "IndexSizeBytes": 0,
        "ItemCount": 0,
        "IndexArn": index_arn(name, "byG"),
    }
    assert {member: described.get(member) for member in expected} == expected
    # Newer members DynamoDB may add; nothing else belongs in a GSI description.
    assert set(described) <= {*expected, "WarmThroughput", "OnDemandThroughput", "Backfilling"}
    assert "LocalSecondaryIndexes" not in table


def test_gsi_include_hash_and_range(ddb: Any, created: Any) -> None:
    name = unique_name()
    index = gsi("byGS", hash_range("gk", "gs"), projection("INCLUDE", ["x", "y"]))
    created(
        **table_params(
            name, definitions=defs(pk="S", gk="S", gs="N"), GlobalSecondaryIndexes=[index]
        )
    )
    [described] = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert described["KeySchema"] == hash_range("gk", "gs")
    assert described["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "y"]}
    assert described["IndexStatus"] == "ACTIVE"


def test_gsi_all_projection_on_binary_and_number_keys(ddb: Any, created: Any) -> None:
    name = unique_name()
    index = gsi("byB", hash_range("gb", "gn"), projection("ALL"))
    created(
        **table_params(
            name, definitions=defs(pk="S", gb="B", gn="N"), GlobalSecondaryIndexes=[index]
        )
    )
    [described] = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert described["Projection"] == {"ProjectionType": "ALL"}
    assert described["KeySchema"] == hash_range("gb", "gn")


def test_gsis_on_table_key_attributes(ddb: Any, created: Any) -> None:
    """A GSI may reuse the table's own key attributes, in any role."""
    name = unique_name()
    indexes = [
        gsi("bySk", hash_range("sk")),
        gsi("byPkG", hash_range("pk", "gk")),
        gsi("bySkPk", hash_range("sk", "pk"), projection("KEYS_ONLY")),
    ]
    created(
        **table_params(
            name,
            schema=hash_range("pk", "sk"),
            definitions=defs(pk="S", sk="S", gk="N"),
            GlobalSecondaryIndexes=indexes,
        )
    )
    described = by_name(ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"])
    assert {n: d["KeySchema"] for n, d in described.items()} == {
        i["IndexName"]: i["KeySchema"] for i in indexes
    }


def test_several_gsis_share_a_key_attribute(ddb: Any, created: Any) -> None:
    name = unique_name()
    indexes = [gsi("one", hash_range("gk")), gsi("two", hash_range("gk", "gs"))]
    created(
        **table_params(
            name, definitions=defs(pk="S", gk="S", gs="S"), GlobalSecondaryIndexes=indexes
        )
    )
    described = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert set(by_name(described)) == {"one", "two"}
    assert all(d["IndexStatus"] == "ACTIVE" for d in described)


def test_gsi_throughput_on_provisioned_table(ddb: Any, created: Any) -> None:
    name = unique_name()
    indexes = [
        gsi(
            "fast",
            hash_range("gk"),
            ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
        ),
        gsi("slow", hash_range("gk"), projection("KEYS_ONLY"), ProvisionedThroughput=ONE_ONE),
    ]
    answer = created(
        **table_params(
            name, definitions=defs(pk="S", gk="S"), provisioned=True, GlobalSecondaryIndexes=indexes
        )
    )
    answered = by_name(answer["GlobalSecondaryIndexes"])
    assert answered["fast"] == {
        "IndexName": "fast",
        "KeySchema": hash_range("gk"),
        "Projection": {"ProjectionType": "ALL"},
        "IndexStatus": "CREATING",
        "ProvisionedThroughput": {
            "ReadCapacityUnits": 7,
            "WriteCapacityUnits": 3,
            "NumberOfDecreasesToday": 0,
        },
        "IndexSizeBytes": 0,
        "ItemCount": 0,
        "IndexArn": index_arn(name, "fast"),
        **{k: v for k, v in answered["fast"].items() if k in ("WarmThroughput", "Backfilling")},
    }
    assert answered["slow"]["IndexStatus"] == "CREATING"
    described = by_name(ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"])
    assert described["fast"]["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 7,
        "WriteCapacityUnits": 3,
        "NumberOfDecreasesToday": 0,
    }
    assert described["slow"]["ProvisionedThroughput"] == {**ONE_ONE, "NumberOfDecreasesToday": 0}


def test_gsi_on_demand_throughput(ddb: Any, created: Any) -> None:
    name = unique_name()
    limits = {"MaxReadRequestUnits": 200, "MaxWriteRequestUnits": 100}
    index = gsi("byG", hash_range("gk"), OnDemandThroughput=limits)
    created(**table_params(name, definitions=defs(pk="S", gk="S"), GlobalSecondaryIndexes=[index]))
    [described] = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert described["OnDemandThroughput"] == limits
    assert described["ProvisionedThroughput"] == ZERO_THROUGHPUT


def test_twenty_gsis_are_allowed(ddb: Any, created: Any) -> None:
    name = unique_name()
    indexes = [gsi(f"index{i:02d}", hash_range("gk")) for i in range(20)]
    created(**table_params(name, definitions=defs(pk="S", gk="S"), GlobalSecondaryIndexes=indexes))
    described = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert sorted(by_name(described)) == [f"index{i:02d}" for i in range(20)]


def test_one_hundred_non_key_attributes_are_allowed(ddb: Any, created: Any) -> None:
    """The 100 NonKeyAttributes limit is summed over all indexes; exactly 100 is fine."""
    name = unique_name()
    indexes = [
        gsi(f"inc{i}", hash_range("gk"), projection("INCLUDE", [f"a{i}_{j}" for j in range(20)]))
        for i in range(5)
    ]
    created(**table_params(name, definitions=defs(pk="S", gk="S"), GlobalSecondaryIndexes=indexes))
    described = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert sum(len(d["Projection"]["NonKeyAttributes"]) for d in described) == 100


# --------------------------------------------------------------------------- multi-attribute GSIs


def test_gsi_with_four_hash_and_four_range_attributes(ddb: Any, created: Any) -> None:
    name = unique_name()
    schema = keys(*[(f"h{i}", "HASH") for i in range(4)], *[(f"r{i}", "RANGE") for i in range(4)])
    types = {
        "pk": "S",
        "h0": "S",
        "h1": "N",
        "h2": "B",
        "h3": "S",
        "r0": "N",
        "r1": "S",
        "r2": "B",
        "r3": "N",
    }
    created(
        **table_params(
            name, definitions=defs(**types), GlobalSecondaryIndexes=[gsi("multi", schema)]
        )
    )
    [described] = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert described["KeySchema"] == schema  # order is part of the key
    assert described["IndexStatus"] == "ACTIVE"


@pytest.mark.parametrize(
    "pairs",
    [
        [("a", "HASH"), ("b", "HASH")],
        [("a", "HASH"), ("b", "RANGE"), ("c", "RANGE")],
        [("a", "HASH"), ("b", "HASH"), ("c", "HASH"), ("d", "RANGE")],
    ],
    ids=["2-hash", "1-hash-2-range", "3-hash-1-range"],
)
def test_gsi_multi_attribute_shapes(ddb: Any, created: Any, pairs: list[tuple[str, str]]) -> None:
    name = unique_name()
    names = {n: "S" for n, _ in pairs}
    created(
        **table_params(
            name,
            definitions=defs(pk="S", **names),
            GlobalSecondaryIndexes=[gsi("multi", keys(*pairs))],
        )
    )
    [described] = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert described["KeySchema"] == keys(*pairs)


def test_multi_attribute_hash_after_range_is_refused(refused: Any) -> None:
    schema = keys(("a", "HASH"), ("b", "RANGE"), ("c", "HASH"))
    params = table_params(
        definitions=defs(pk="S", a="S", b="S", c="S"), GlobalSecondaryIndexes=[gsi("multi", schema)]
    )
    assert refused(**params) == (
        VALIDATION,
        INVALID + "All HASH key attributes must precede RANGE key attributes in the KeySchema",
    )


@pytest.mark.parametrize("kind", ["HASH", "RANGE"])
def test_multi_attribute_more_than_four_is_refused(refused: Any, kind: str) -> None:
    names = [f"k{i}" for i in range(5)]
    schema = keys(*([("h", "HASH")] if kind == "RANGE" else []), *[(n, kind) for n in names])
    params = table_params(
        definitions=defs(pk="S", h="S", **{n: "S" for n in names}),
        GlobalSecondaryIndexes=[gsi("multi", schema)],
    )
    assert refused(**params) == (
        VALIDATION,
        INVALID + f"The KeySchema exceeds the maximum allowed number of {kind} key attributes",
    )


def test_multi_attribute_repeated_hash_attribute_is_refused(refused: Any) -> None:
    # The exact wording for a repeated attribute among several HASH elements is not
    # recorded anywhere we could check; only the error type is pinned.
    params = table_params(
        definitions=defs(pk="S", a="S", b="S"),
        GlobalSecondaryIndexes=[gsi("multi", keys(("a", "HASH"), ("a", "HASH"), ("b", "RANGE")))],
    )
    assert refused(**params)[0] == VALIDATION


def test_lsi_cannot_have_two_range_attributes(refused: Any) -> None:
    """Multi-attribute keys are a GSI feature: an LSI's sort key is exactly one attribute."""
    index = {
        "IndexName": "byL",
        "KeySchema": keys(("pk", "HASH"), ("a", "RANGE"), ("b", "RANGE")),
        "Projection": projection(),
    }
    params = table_params(
        schema=hash_range("pk", "sk"),
        definitions=defs(pk="S", sk="S", a="S", b="S"),
        LocalSecondaryIndexes=[index],
    )
    assert refused(**params)[0] == VALIDATION


# --------------------------------------------------------------------------- LSIs that work


def test_lsi_description(ddb: Any, created: Any) -> None:
    name = unique_name()
    indexes = [lsi("byL", "lk", projection("INCLUDE", ["x"])), lsi("byM", "mk")]
    answer = created(
        **table_params(
            name,
            schema=hash_range("pk", "sk"),
            definitions=defs(pk="S", sk="S", lk="N", mk="S"),
            LocalSecondaryIndexes=indexes,
        )
    )
    assert set(by_name(answer["LocalSecondaryIndexes"])) == {"byL", "byM"}
    table = ddb.describe_table(TableName=name)["Table"]
    described = by_name(table["LocalSecondaryIndexes"])
    assert described["byL"] == {
        "IndexName": "byL",
        "KeySchema": hash_range("pk", "lk"),
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
        "IndexSizeBytes": 0,
        "ItemCount": 0,
        "IndexArn": index_arn(name, "byL"),
    }
    assert described["byM"]["Projection"] == {"ProjectionType": "ALL"}
    for index in described.values():
        for member in ("IndexStatus", "ProvisionedThroughput", "OnDemandThroughput"):
            assert member not in index
    assert "GlobalSecondaryIndexes" not in table


def test_five_lsis_and_gsis_together(ddb: Any, created: Any) -> None:
    name = unique_name()
    lsis = [lsi(f"local{i}", f"l{i}") for i in range(5)]
    gsis = [gsi("global", hash_range("gk", "sk"), ProvisionedThroughput=ONE_ONE)]
    created(
        **table_params(
            name,
            schema=hash_range("pk", "sk"),
            provisioned=True,
            definitions=defs(pk="S", sk="S", gk="S", **{f"l{i}": "S" for i in range(5)}),
            LocalSecondaryIndexes=lsis,
            GlobalSecondaryIndexes=gsis,
        )
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert sorted(by_name(table["LocalSecondaryIndexes"])) == [f"local{i}" for i in range(5)]
    [described] = table["GlobalSecondaryIndexes"]
    assert described["ProvisionedThroughput"] == {**ONE_ONE, "NumberOfDecreasesToday": 0}


def test_lsi_on_table_range_key(ddb: Any, created: Any) -> None:
    """dynalite's live-recorded success case: an LSI whose sort key is the table's own."""
    name = unique_name()
    index = lsi("same", "sk", projection("INCLUDE", ["pk"]))
    created(
        **table_params(
            name,
            schema=hash_range("pk", "sk"),
            definitions=defs(pk="S", sk="S"),
            LocalSecondaryIndexes=[index],
        )
    )
    [described] = ddb.describe_table(TableName=name)["Table"]["LocalSecondaryIndexes"]
    assert described["KeySchema"] == hash_range("pk", "sk")


# ------------------------------------------------------------------- description after writes


def test_describe_counts_index_items_and_bytes(ddb: Any, created: Any) -> None:
    """ItemCount and IndexSizeBytes count only the items present in each index (sparse); an
    ALL index entry is the whole item, a KEYS_ONLY entry the table and index key attributes."""
    name = unique_name()
    created(
        **table_params(
            name,
            schema=hash_range("pk", "sk"),
            definitions=defs(pk="S", sk="S", gk="S", lk="S"),
            GlobalSecondaryIndexes=[
                gsi("all", hash_range("gk")),
                gsi("keys", hash_range("gk"), projection("KEYS_ONLY")),
            ],
            LocalSecondaryIndexes=[lsi("local", "lk")],
        )
    )
    # sizes: pk+p (3) sk+1 (3) gk+g1 (4) x+hello (6) = 16; keys only: 3+3+4 = 10
    ddb.put_item(TableName=name, Item={"pk": s("p"), "sk": s("1"), "gk": s("g1"), "x": s("hello")})
    # pk+p (3) sk+2 (3) lk+l2 (4) = 10
    ddb.put_item(TableName=name, Item={"pk": s("p"), "sk": s("2"), "lk": s("l2")})
    # pk+p (3) sk+3 (3) = 6: in no index
    ddb.put_item(TableName=name, Item={"pk": s("p"), "sk": s("3")})
    table = ddb.describe_table(TableName=name)["Table"]
    assert (table["ItemCount"], table["TableSizeBytes"]) == (3, 32)
    gsis = by_name(table["GlobalSecondaryIndexes"])
    assert (gsis["all"]["ItemCount"], gsis["all"]["IndexSizeBytes"]) == (1, 16)
    assert (gsis["keys"]["ItemCount"], gsis["keys"]["IndexSizeBytes"]) == (1, 10)
    [local] = table["LocalSecondaryIndexes"]
    assert (local["ItemCount"], local["IndexSizeBytes"]) == (1, 10)


# --------------------------------------------------------------------------- LSI validation


def lsi_table(*indexes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A (pk, sk) table, with attribute `lk` defined, carrying the given LSIs."""
    params = table_params(
        schema=hash_range("pk", "sk"),
        definitions=defs(pk="S", sk="S", lk="S"),
        LocalSecondaryIndexes=list(indexes),
    )
    params.update(extra)
    return params


def test_lsi_needs_a_table_range_key(refused: Any) -> None:
    params = table_params(
        definitions=defs(pk="S", lk="S"), LocalSecondaryIndexes=[lsi("byL", "lk")]
    )
    assert refused(**params) == (
        VALIDATION,
        INVALID + "Table KeySchema does not have a range key, which is required when specifying "
        "a LocalSecondaryIndex",
    )


def test_lsi_must_share_the_table_hash_key(refused: Any) -> None:
    index = {"IndexName": "byL", "KeySchema": hash_range("lk", "pk"), "Projection": projection()}
    assert refused(**lsi_table(index)) == (
        VALIDATION,
        INVALID + "Index KeySchema does not have the same leading hash key as table KeySchema for "
        "index: byL. index hash key: lk, table hash key: pk",
    )


def test_lsi_needs_a_range_key(refused: Any) -> None:
    index = {"IndexName": "byL", "KeySchema": hash_range("pk"), "Projection": projection()}
    params = lsi_table(index, AttributeDefinitions=defs(pk="S", sk="S"))
    assert refused(**params) == (
        VALIDATION,
        INVALID + "Index KeySchema does not have a range key for index: byL",
    )


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            keys(("pk", "RANGE")),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
        (
            keys(("pk", "HASH"), ("lk", "HASH")),
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ),
        (
            keys(("pk", "HASH"), ("pk", "RANGE")),
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ),
    ],
    ids=["first-not-hash", "second-not-range", "same-name"],
)
def test_lsi_key_schema_shape(refused: Any, schema: list[Any], message: str) -> None:
    index = {"IndexName": "byL", "KeySchema": schema, "Projection": projection()}
    definitions = (
        defs(pk="S", sk="S", lk="S")
        if any(k["AttributeName"] == "lk" for k in schema)
        else defs(pk="S", sk="S")
    )
    assert refused(**lsi_table(index, AttributeDefinitions=definitions)) == (VALIDATION, message)


def test_lsi_key_not_defined(refused: Any) -> None:
    params = lsi_table(lsi("byL", "zz"), AttributeDefinitions=defs(pk="S", sk="S"))
    code, message = refused(**params)
    assert code == VALIDATION
    assert re.fullmatch(
        re.escape(INVALID + "Some index key attributes are not defined in AttributeDefinitions. ")
        + "Keys: "
        + any_order("pk", "zz")
        + ", AttributeDefinitions: "
        + any_order("pk", "sk"),
        message,
    ), message


def test_more_than_five_lsis(refused: Any) -> None:
    indexes = [lsi(f"local{i}", "lk") for i in range(6)]
    assert refused(**lsi_table(*indexes)) == (
        VALIDATION,
        INVALID + "Number of LocalSecondaryIndexes exceeds per-table limit of 5",
    )


def test_duplicate_lsi_names(refused: Any) -> None:
    params = lsi_table(lsi("twice", "lk"), lsi("twice", "lk"))
    assert refused(**params) == (VALIDATION, INVALID + "Duplicate index name: twice")


def test_empty_lsi_list(refused: Any) -> None:
    params = table_params(
        schema=hash_range("pk", "sk"), definitions=defs(pk="S", sk="S"), LocalSecondaryIndexes=[]
    )
    assert refused(**params) == (VALIDATION, INVALID + "List of LocalSecondaryIndexes is empty")


# --------------------------------------------------------------------------- GSI validation


def gsi_table(*indexes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A pk table, with `gk` and `gs` defined, carrying the given GSIs (PAY_PER_REQUEST)."""
    params = table_params(
        definitions=defs(pk="S", gk="S", gs="S"), GlobalSecondaryIndexes=list(indexes)
    )
    params.update(extra)
    return params


def test_gsi_key_not_defined(refused: Any) -> None:
    params = gsi_table(gsi("byZ", hash_range("zz")), AttributeDefinitions=defs(pk="S"))
    assert refused(**params) == (
        VALIDATION,
        INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
        "Keys: [zz], AttributeDefinitions: [pk]",
    )


def test_gsi_range_key_not_defined(refused: Any) -> None:
    params = gsi_table(
        gsi("byGZ", hash_range("gk", "zz")), AttributeDefinitions=defs(pk="S", gk="S")
    )
    code, message = refused(**params)
    assert code == VALIDATION
    assert re.fullmatch(
        re.escape(INVALID + "Some index key attributes are not defined in AttributeDefinitions. ")
        + "Keys: "
        + any_order("gk", "zz")
        + ", AttributeDefinitions: "
        + any_order("pk", "gk"),
        message,
    ), message


def test_unused_attribute_definition_with_indexes(refused: Any) -> None:
    params = gsi_table(
        gsi("byG", hash_range("gk")), AttributeDefinitions=defs(pk="S", gk="S", extra="N")
    )
    code, message = refused(**params)
    assert code == VALIDATION
    assert re.fullmatch(
        re.escape(INVALID + "Some AttributeDefinitions are not used. ")
        + "AttributeDefinitions: "
        + any_order("pk", "gk", "extra")
        + ", keys used: "
        + any_order("pk", "gk"),
        message,
    ), message


def test_unused_attribute_definition_without_indexes(refused: Any) -> None:
    params = table_params(definitions=defs(pk="S", gk="S"))
    assert refused(**params) == (
        VALIDATION,
        INVALID + "Number of attributes in KeySchema does not exactly match number of attributes "
        "defined in AttributeDefinitions",
    )


def test_gsi_first_key_not_hash(refused: Any) -> None:
    params = gsi_table(gsi("byG", keys(("gk", "RANGE"))), AttributeDefinitions=defs(pk="S", gk="S"))
    assert refused(**params) == (
        VALIDATION,
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
    )


def test_gsi_hash_and_range_same_name(refused: Any) -> None:
    params = gsi_table(
        gsi("byG", keys(("gk", "HASH"), ("gk", "RANGE"))), AttributeDefinitions=defs(pk="S", gk="S")
    )
    assert refused(**params) == (
        VALIDATION,
        "Both the Hash Key and the Range Key element in the KeySchema have the same name",
    )


@pytest.mark.parametrize("bad_type", ["BOOL", "SS", "M"])
def test_index_key_type_must_be_scalar(refused: Any, bad_type: str) -> None:
    params = gsi_table(
        gsi("byG", hash_range("gk")),
        AttributeDefinitions=[*defs(pk="S"), {"AttributeName": "gk", "AttributeType": bad_type}],
    )
    assert refused(**params) == (
        VALIDATION,
        f"1 validation error detected: Value '{bad_type}' at "
        "'attributeDefinitions.2.member.attributeType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [B, N, S]",
    )


def test_duplicate_gsi_names(refused: Any) -> None:
    params = gsi_table(gsi("twice", hash_range("gk")), gsi("twice", hash_range("gk", "gs")))
    assert refused(**params) == (VALIDATION, INVALID + "Duplicate index name: twice")


def test_duplicate_name_across_lsi_and_gsi(refused: Any) -> None:
    params = table_params(
        schema=hash_range("pk", "sk"),
        definitions=defs(pk="S", sk="S", lk="S"),
        LocalSecondaryIndexes=[lsi("same", "lk")],
        GlobalSecondaryIndexes=[gsi("same", hash_range("lk"))],
    )
    assert refused(**params) == (VALIDATION, INVALID + "Duplicate index name: same")


def test_more_than_twenty_gsis(refused: Any) -> None:
    params = gsi_table(
        *[gsi(f"index{i:02d}", hash_range("gk")) for i in range(21)],
        AttributeDefinitions=defs(pk="S", gk="S"),
    )
    assert refused(**params) == (
        VALIDATION,
        INVALID + "GlobalSecondaryIndex count exceeds the per-table limit of 20",
    )


def test_empty_gsi_list(refused: Any) -> None:
    params = table_params(GlobalSecondaryIndexes=[])
    assert refused(**params) == (VALIDATION, INVALID + "List of GlobalSecondaryIndexes is empty")


def test_projection_without_type(server: Server) -> None:
    params = gsi_table(gsi("byG", hash_range("gk"), {}), AttributeDefinitions=defs(pk="S", gk="S"))
    assert raw_refused(server, params) == (VALIDATION, INVALID + "Unknown ProjectionType: null")


@pytest.mark.parametrize("kind", ["ALL", "KEYS_ONLY"])
def test_non_key_attributes_need_include(refused: Any, kind: str) -> None:
    params = gsi_table(
        gsi("byG", hash_range("gk"), projection(kind, ["x"])),
        AttributeDefinitions=defs(pk="S", gk="S"),
    )
    assert refused(**params) == (
        VALIDATION,
        INVALID + f"ProjectionType is {kind}, but NonKeyAttributes is specified",
    )


def test_non_key_attributes_need_include_on_lsi(refused: Any) -> None:
    params = lsi_table(lsi("byL", "lk", projection("KEYS_ONLY", ["x"])))
    assert refused(**params) == (
        VALIDATION,
        INVALID + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified",
    )


def test_include_needs_non_key_attributes(refused: Any) -> None:
    params = gsi_table(
        gsi("byG", hash_range("gk"), projection("INCLUDE")),
        AttributeDefinitions=defs(pk="S", gk="S"),
    )
    assert refused(**params) == (
        VALIDATION,
        INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
    )


def test_more_than_one_hundred_non_key_attributes(refused: Any) -> None:
    """The limit is summed over all indexes, and the same name in two indexes counts twice;
    the wording of this error could not be confirmed, so only its start is pinned."""
    indexes = [
        gsi(f"inc{i}", hash_range("gk"), projection("INCLUDE", [f"a{j}" for j in range(17)]))
        for i in range(6)
    ]
    code, message = refused(**gsi_table(*indexes, AttributeDefinitions=defs(pk="S", gk="S")))
    assert code == VALIDATION
    assert message.startswith(INVALID), message


def test_gsi_throughput_with_pay_per_request(refused: Any) -> None:
    params = gsi_table(
        gsi("byG", hash_range("gk"), ProvisionedThroughput=ONE_ONE),
        AttributeDefinitions=defs(pk="S", gk="S"),
    )
    assert refused(**params) == (
        VALIDATION,
        INVALID + "ProvisionedThroughput should not be specified for index: byG when BillingMode "
        "is PAY_PER_REQUEST",
    )


def test_gsi_without_throughput_on_provisioned_table(refused: Any) -> None:
    params = table_params(
        definitions=defs(pk="S", gk="S"),
        provisioned=True,
        GlobalSecondaryIndexes=[gsi("byG", hash_range("gk"))],
    )
    assert refused(**params) == (
        VALIDATION,
        INVALID + "ProvisionedThroughput is not specified for index: byG",
    )


def test_gsi_throughput_below_one(server: Server) -> None:
    index = gsi(
        "byG",
        hash_range("gk"),
        ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1},
    )
    params = table_params(
        definitions=defs(pk="S", gk="S"), provisioned=True, GlobalSecondaryIndexes=[index]
    )
    assert raw_refused(server, params) == (
        VALIDATION,
        "1 validation error detected: Value '0' at "
        "'globalSecondaryIndexes.1.member.provisionedThroughput.readCapacityUnits' failed to "
        "satisfy constraint: Member must have value greater than or equal to 1",
    )


def test_index_name_pattern_and_length(server: Server) -> None:
    params = gsi_table(gsi("h;", hash_range("gk")), AttributeDefinitions=defs(pk="S", gk="S"))
    code, message = raw_refused(server, params)
    assert code == VALIDATION
    match = re.fullmatch(r"(\d+) validation errors? detected: (.*)", message)
    assert match, message
    assert set(match.group(2).split("; ")) == {
        "Value 'h;' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        "Value 'h;' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3",
    }


def test_refused_create_leaves_no_table(ddb: Any, refused: Any) -> None:
    params = gsi_table(
        gsi("twice", hash_range("gk")),
        gsi("twice", hash_range("gk")),
        AttributeDefinitions=defs(pk="S", gk="S"),
    )
    refused(**params)
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName=params["TableName"])
