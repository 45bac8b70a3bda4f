"""Secondary index definitions: DynamoDB's validation of LocalSecondaryIndexes and
GlobalSecondaryIndexes (in CreateTable and in UpdateTable's Create action), turning them into
`IndexMeta`, and their descriptions in DescribeTable."""

from __future__ import annotations

from typing import Any

from opendynamo import errors
from opendynamo.engine import stats
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.storage.base import ReadTxn

Body = dict[str, Any]
MAX_LSIS = 5
MAX_GSIS = 20
MAX_KEY_ATTRIBUTES = 4  # per key part of a GSI (multi-attribute keys)
MAX_PROJECTED_ATTRIBUTES = 100


def check_local(
    body: Body, definitions: list[str], table_hash: str, has_range: bool, seen: set[str]
) -> None:
    """DynamoDB's checks of LocalSecondaryIndexes, in its order (dynalite, from DynamoDB)."""
    lsis = body.get("LocalSecondaryIndexes")
    if lsis is None:
        return
    if not lsis:
        raise errors.invalid_parameters("List of LocalSecondaryIndexes is empty")
    if not has_range:
        raise errors.invalid_parameters(
            "Table KeySchema does not have a range key, which is required when specifying a "
            "LocalSecondaryIndex"
        )
    for lsi in lsis:
        name, schema = lsi["IndexName"], lsi["KeySchema"]
        _check_defined(schema, definitions)
        _check_pair_order(schema)
        if len(schema) != 2:
            raise errors.invalid_parameters(
                f"Index KeySchema does not have a range key for index: {name}"
            )
        index_hash = schema[0]["AttributeName"]
        if index_hash != table_hash:
            raise errors.invalid_parameters(
                "Index KeySchema does not have the same leading hash key as table KeySchema for "
                f"index: {name}. index hash key: {index_hash}, table hash key: {table_hash}"
            )
        _check_projection(lsi["Projection"])
        _check_unique(name, seen)
    if len(lsis) > MAX_LSIS:
        raise errors.invalid_parameters(
            f"Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}"
        )


def check_global(
    gsis: list[Body] | None, definitions: list[str], billing_mode: str, seen: set[str]
) -> None:
    """DynamoDB's checks of GlobalSecondaryIndexes (CreateTable, or one UpdateTable Create)."""
    if gsis is None:
        return
    if not gsis:
        raise errors.invalid_parameters("List of GlobalSecondaryIndexes is empty")
    for gsi in gsis:
        name, schema = gsi["IndexName"], gsi["KeySchema"]
        _check_defined(schema, definitions)
        _check_multi_attribute_order(schema)
        _check_projection(gsi["Projection"])
        if billing_mode == "PAY_PER_REQUEST" and gsi.get("ProvisionedThroughput"):
            raise errors.invalid_parameters(
                f"ProvisionedThroughput should not be specified for index: {name} when "
                "BillingMode is PAY_PER_REQUEST"
            )
        if billing_mode == "PROVISIONED" and not gsi.get("ProvisionedThroughput"):
            raise errors.invalid_parameters(
                f"ProvisionedThroughput must be specified for index: {name}"
            )
        _check_unique(name, seen)
    if len(gsis) > MAX_GSIS:
        raise errors.invalid_parameters(
            f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
        )


def check_projected_total(indexes: list[Body]) -> None:
    total = sum(len(i["Projection"].get("NonKeyAttributes") or []) for i in indexes)
    if total > MAX_PROJECTED_ATTRIBUTES:
        raise errors.invalid_parameters(
            "Sum of NonKeyAttributes across all of secondary indexes exceeds the limit of "
            f"{MAX_PROJECTED_ATTRIBUTES}"
        )


def key_names_used(body: Body) -> list[str]:
    """Every attribute some key schema (table or index) uses, in order of first use."""
    names = [k["AttributeName"] for k in body["KeySchema"]]
    for member in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        for index in body.get(member) or []:
            names.extend(k["AttributeName"] for k in index["KeySchema"])
    return list(dict.fromkeys(names))


def _check_defined(schema: list[Body], definitions: list[str]) -> None:
    keys = [k["AttributeName"] for k in schema]
    if any(key not in definitions for key in keys):
        raise errors.invalid_parameters(
            "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(keys)}], AttributeDefinitions: [{', '.join(definitions)}]"
        )


def _check_pair_order(schema: list[Body]) -> None:
    if len(schema) > 1 and schema[0]["AttributeName"] == schema[1]["AttributeName"]:
        raise errors.validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
        )
    if schema[0]["KeyType"] != "HASH":
        raise errors.validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
        )
    if len(schema) > 1 and schema[1]["KeyType"] != "RANGE":
        raise errors.validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
        )


def _check_multi_attribute_order(schema: list[Body]) -> None:
    """A GSI key: one to four HASH elements, then up to four RANGE elements, no name twice."""
    if len(schema) <= 2:
        _check_pair_order(schema)
        return
    names = [k["AttributeName"] for k in schema]
    if len(set(names)) != len(names):
        raise errors.validation(
            "Invalid KeySchema: An attribute name cannot appear more than once in a KeySchema"
        )
    types = [k["KeyType"] for k in schema]
    if types[0] != "HASH":
        raise errors.validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
        )
    hashes = types.index("RANGE") if "RANGE" in types else len(types)
    if any(t != "RANGE" for t in types[hashes:]):
        raise errors.validation(
            "Invalid KeySchema: HASH key elements must precede all RANGE key elements"
        )
    if hashes > MAX_KEY_ATTRIBUTES or len(types) - hashes > MAX_KEY_ATTRIBUTES:
        raise errors.validation(
            "Invalid KeySchema: A KeySchema can have at most 4 HASH and 4 RANGE key elements"
        )


def _check_projection(projection: Body) -> None:
    kind = projection.get("ProjectionType")
    if kind is None:
        raise errors.invalid_parameters("Unknown ProjectionType: null")
    if projection.get("NonKeyAttributes") and kind != "INCLUDE":
        raise errors.invalid_parameters(
            f"ProjectionType is {kind}, but NonKeyAttributes is specified"
        )


def _check_unique(name: str, seen: set[str]) -> None:
    if name in seen:
        raise errors.invalid_parameters(f"Duplicate index name: {name}")
    seen.add(name)


# --- building and describing ------------------------------------------------------------


def build(definition: Body, number: int, is_global: bool, billing_mode: str) -> IndexMeta:
    schema = definition["KeySchema"]
    projection = definition["Projection"]
    throughput = definition.get("ProvisionedThroughput") or {}
    return IndexMeta(
        name=definition["IndexName"],
        number=number,
        is_global=is_global,
        hash_keys=tuple(k["AttributeName"] for k in schema if k["KeyType"] == "HASH"),
        range_keys=tuple(k["AttributeName"] for k in schema if k["KeyType"] != "HASH"),
        projection_type=projection["ProjectionType"],
        non_key_attributes=tuple(projection.get("NonKeyAttributes") or ()),
        read_capacity=0
        if billing_mode == "PAY_PER_REQUEST"
        else throughput.get("ReadCapacityUnits", 0),
        write_capacity=0
        if billing_mode == "PAY_PER_REQUEST"
        else throughput.get("WriteCapacityUnits", 0),
        on_demand=definition.get("OnDemandThroughput"),
        warm_throughput=definition.get("WarmThroughput"),
    )


def describe(meta: TableMeta, txn: ReadTxn | None, status_override: str | None = None) -> Body:
    """The LocalSecondaryIndexes and GlobalSecondaryIndexes members of a TableDescription."""
    out: Body = {}
    local = [_describe_one(meta, index, txn, status_override) for index in meta.local_indexes]
    global_ = [_describe_one(meta, index, txn, status_override) for index in meta.global_indexes]
    if local:
        out["LocalSecondaryIndexes"] = local
    if global_:
        out["GlobalSecondaryIndexes"] = global_
    return out


def _describe_one(
    meta: TableMeta, index: IndexMeta, txn: ReadTxn | None, status_override: str | None
) -> Body:
    count, size = stats.read_index(txn, meta, index.number) if txn is not None else (0, 0)
    schema = [{"AttributeName": name, "KeyType": "HASH"} for name in index.hash_keys]
    schema += [{"AttributeName": name, "KeyType": "RANGE"} for name in index.range_keys]
    projection: Body = {"ProjectionType": index.projection_type}
    if index.non_key_attributes:
        projection["NonKeyAttributes"] = list(index.non_key_attributes)
    out: Body = {"IndexName": index.name, "KeySchema": schema, "Projection": projection}
    if index.is_global:
        out["IndexStatus"] = status_override or index.status
        if index.status == "CREATING":
            out["Backfilling"] = index.backfilling
        throughput: Body = {
            "NumberOfDecreasesToday": index.decreases_today,
            "ReadCapacityUnits": index.read_capacity,
            "WriteCapacityUnits": index.write_capacity,
        }
        if index.last_increase is not None:
            throughput["LastIncreaseDateTime"] = index.last_increase
        if index.last_decrease is not None:
            throughput["LastDecreaseDateTime"] = index.last_decrease
        out["ProvisionedThroughput"] = throughput
        if index.on_demand is not None:
            out["OnDemandThroughput"] = index.on_demand
        warm = index.warm_throughput or {}
        out["WarmThroughput"] = {
            "ReadUnitsPerSecond": warm.get("ReadUnitsPerSecond", 12000),
            "WriteUnitsPerSecond": warm.get("WriteUnitsPerSecond", 4000),
            "Status": "ACTIVE" if index.status == "ACTIVE" else "UPDATING",
        }
    out["IndexSizeBytes"] = size
    out["ItemCount"] = count
    out["IndexArn"] = f"{meta.arn}/index/{index.name}"
    return out
