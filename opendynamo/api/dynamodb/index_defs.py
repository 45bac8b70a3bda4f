"""Secondary index definitions: DynamoDB's validation of LocalSecondaryIndexes and
GlobalSecondaryIndexes (in CreateTable and in UpdateTable's Create action), turning them into
`IndexMeta`, and their descriptions in DescribeTable."""

from __future__ import annotations

import dataclasses
from typing import Any

from opendynamo import errors
from opendynamo.api.dynamodb import provisioned
from opendynamo.engine import catalog, stats
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn

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
                f"ProvisionedThroughput is not specified for index: {name}"
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
    """A GSI key: one to four HASH elements, then up to four RANGE elements."""
    types = [k["KeyType"] for k in schema]
    if len(schema) <= 2 and types.count("HASH") == 1:
        _check_pair_order(schema)
        return
    names = [k["AttributeName"] for k in schema]
    if len(set(names)) != len(names):
        raise errors.validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
        )
    if types[0] != "HASH":
        raise errors.validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
        )
    hashes = types.index("RANGE") if "RANGE" in types else len(types)
    if any(t != "RANGE" for t in types[hashes:]):
        raise errors.invalid_parameters(
            "All HASH key attributes must precede RANGE key attributes in the KeySchema"
        )
    for kind, count in (("HASH", hashes), ("RANGE", len(types) - hashes)):
        if count > MAX_KEY_ATTRIBUTES:
            raise errors.invalid_parameters(
                f"The KeySchema exceeds the maximum allowed number of {kind} key attributes"
            )


def _check_projection(projection: Body) -> None:
    kind = projection.get("ProjectionType")
    if kind is None:
        raise errors.invalid_parameters("Unknown ProjectionType: null")
    if projection.get("NonKeyAttributes") and kind != "INCLUDE":
        raise errors.invalid_parameters(
            f"ProjectionType is {kind}, but NonKeyAttributes is specified"
        )
    if kind == "INCLUDE" and not projection.get("NonKeyAttributes"):
        raise errors.invalid_parameters(
            "ProjectionType is INCLUDE, but NonKeyAttributes is not specified"
        )
    seen: set[str] = set()
    for name in projection.get("NonKeyAttributes") or ():
        if name in seen:
            raise errors.invalid_parameters(f"Duplicate element in NonKeyAttributes: {name}")
        seen.add(name)


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
        shown = index.shown_status
        out["IndexStatus"] = status_override or shown
        if shown == "CREATING":
            out["Backfilling"] = index.backfilling
        out["ProvisionedThroughput"] = provisioned.describe(index)
        if index.on_demand is not None:
            out["OnDemandThroughput"] = index.on_demand
        warm = index.warm_throughput or {}
        out["WarmThroughput"] = {
            "ReadUnitsPerSecond": warm.get("ReadUnitsPerSecond", 12000),
            "WriteUnitsPerSecond": warm.get("WriteUnitsPerSecond", 4000),
            "Status": "ACTIVE" if shown == "ACTIVE" else "UPDATING",
        }
    out["IndexSizeBytes"] = size
    out["ItemCount"] = count
    out["IndexArn"] = f"{meta.arn}/index/{index.name}"
    return out


# --- UpdateTable GlobalSecondaryIndexUpdates --------------------------------------------

ONE_AT_A_TIME = (
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously "
    "per table"
)


def check_updates(updates: list[Body]) -> None:
    """Request-level checks of GlobalSecondaryIndexUpdates (dynalite, from DynamoDB)."""
    names: set[str] = set()
    creates_or_deletes = 0
    for update in updates:
        actions = [update.get(kind) for kind in ("Update", "Create", "Delete")]
        present = [action for action in actions if action is not None]
        if not present:  # an action DynamoDB does not know is no action
            raise errors.invalid_parameters(
                "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
                "GlobalSecondaryIndexUpdate.Delete must not be null"
            )
        if len(present) > 1:
            raise errors.invalid_parameters(
                "Only one global secondary index action is allowed per "
                "GlobalSecondaryIndexUpdate object"
            )
        name = present[0]["IndexName"]
        if name in names:
            raise errors.invalid_parameters(
                "Only one global secondary index update per index is allowed simultaneously. "
                f"Index: {name}"
            )
        names.add(name)
        creates_or_deletes += update.get("Create") is not None or update.get("Delete") is not None
    if creates_or_deletes > 1:
        raise errors.limit_exceeded(ONE_AT_A_TIME)


def apply_updates(meta: TableMeta, body: Body, now: float) -> TableMeta:
    """The table after its GlobalSecondaryIndexUpdates: a created index starts CREATING and
    backfilling, a deleted one goes DELETING; the housekeeper finishes both."""
    for update in body.get("GlobalSecondaryIndexUpdates") or []:
        if update.get("Create") is not None:
            meta = _create(meta, update["Create"], body.get("AttributeDefinitions"))
        elif update.get("Delete") is not None:
            meta = _delete(meta, update["Delete"]["IndexName"])
        else:
            meta = _update(meta, update["Update"], now)
    return meta


def _busy(meta: TableMeta, except_name: str | None = None) -> bool:
    return any(
        index.shown_status in ("CREATING", "DELETING")
        for index in meta.indexes
        if index.name != except_name
    )


def _create(meta: TableMeta, definition: Body, request_definitions: list[Body] | None) -> TableMeta:
    name = definition["IndexName"]
    if meta.index(name) is not None:
        raise errors.validation("Attempting to create an index which already exists")
    if _busy(meta):
        raise errors.limit_exceeded(ONE_AT_A_TIME)
    if not request_definitions:
        raise errors.invalid_parameters(f"AttributeDefinitions is not specified for index: {name}")
    # DynamoDB checks the new index's key against the request's definitions only.
    requested = [d["AttributeName"] for d in request_definitions]
    if len(definition["KeySchema"]) > len(requested):
        raise errors.validation("Invalid KeySchema: Some index key attribute have no definition")
    check_global([definition], requested, meta.billing_mode, set())
    given: dict[str, str] = {}
    for d in request_definitions:
        given.setdefault(d["AttributeName"], d["AttributeType"])
    _check_not_redefined(meta, definition["KeySchema"], given)
    # The table keeps the types it knows: a conflicting definition of an attribute the new
    # index does not use is ignored (as DynamoDB ignores it).
    types = {d["AttributeName"]: d["AttributeType"] for d in meta.attribute_definitions}
    for attribute, kind in given.items():
        types.setdefault(attribute, kind)
    if len(meta.global_indexes) >= MAX_GSIS:
        raise errors.invalid_parameters(
            f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
        )
    index = build(definition, meta.next_index_number, True, meta.billing_mode)
    index = replace_index(index, status="CREATING", backfilling=True)
    return catalog.replace(
        meta,
        indexes=(*meta.indexes, index),
        next_index_number=meta.next_index_number + 1,
        attribute_definitions=used_definitions(meta.key_names, (*meta.indexes, index), types),
    )


def _check_not_redefined(meta: TableMeta, schema: list[Body], given: dict[str, str]) -> None:
    """A new index's key attribute keeps the type the table already gives it, with
    DynamoDB's message naming the schema (the table's or an index's) that defined it."""
    known = {d["AttributeName"]: d["AttributeType"] for d in meta.attribute_definitions}
    for element in schema:
        name = element["AttributeName"]
        if known.get(name, given[name]) == given[name]:
            continue
        existing = next(s for s in _key_schemas(meta) if name in (k for k, _ in s))
        new = [(k["AttributeName"], k["KeyType"]) for k in schema]
        raise errors.invalid_parameters(
            "Attributes cannot be redefined. Please check that your attribute has the same type "
            f"as previously defined. Existing schema: {_schema_text(existing, known)} "
            f"New schema: {_schema_text(new, given)}"
        )


def _key_schemas(meta: TableMeta) -> list[list[tuple[str, str]]]:
    """(attribute, key type) of the table's key schema, then of each index's."""
    table = [(meta.hash_key, "HASH")] + ([(meta.range_key, "RANGE")] if meta.range_key else [])
    indexes = [
        [(k, "HASH") for k in index.hash_keys] + [(k, "RANGE") for k in index.range_keys]
        for index in meta.indexes
    ]
    return [table, *indexes]


def _schema_text(schema: list[tuple[str, str]], types: dict[str, str]) -> str:
    elements = ", ".join(f"SchemaElement: key{{{k}:{types[k]}:{kind}}}" for k, kind in schema)
    return f"Schema:[{elements}]"


def used_definitions(
    table_keys: tuple[str, ...], indexes: tuple[IndexMeta, ...], types: dict[str, str]
) -> list[dict[str, str]]:
    """AttributeDefinitions as DynamoDB keeps them: exactly the attributes some key uses."""
    used = set(table_keys)
    for index in indexes:
        used.update(index.key_names)
    return [{"AttributeName": n, "AttributeType": t} for n, t in types.items() if n in used]


def _missing(meta: TableMeta, name: str) -> errors.DynamoError:
    return errors.resource_not_found(
        f"Requested resource not found: Index {name} for table {meta.name}"
    )


def _delete(meta: TableMeta, name: str) -> TableMeta:
    index = meta.index(name)
    if index is None or index.status == "DELETING":
        raise _missing(meta, name)
    if not index.is_global:
        raise errors.validation(
            f"Cannot delete an index that is not a GlobalSecondaryIndex: {name}"
        )
    if _busy(meta, except_name=name):
        raise errors.limit_exceeded(ONE_AT_A_TIME)
    deleting = replace_index(index, status="DELETING", backfilling=False)
    return catalog.replace(
        meta, indexes=tuple(deleting if i.name == name else i for i in meta.indexes)
    )


def _update(meta: TableMeta, update: Body, now: float) -> TableMeta:
    name = update["IndexName"]
    index = meta.index(name)
    if index is None or not index.is_global or index.status == "DELETING":
        raise _missing(meta, name)
    changes: dict[str, Any] = {}
    throughput = update.get("ProvisionedThroughput")
    if throughput and meta.billing_mode == "PAY_PER_REQUEST":
        raise errors.invalid_parameters(
            f"The only Updates for index: {name} when TableThroughputMode is PAY_PER_REQUEST "
            "can be to OnDemandThroughput, WarmThroughput"
        )
    if throughput:
        read, write = throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]
        if read == index.read_capacity and write == index.write_capacity:
            raise errors.validation(
                f"The provisioned throughput for the index {name} will not change. The "
                "requested value equals the current value. Current ReadCapacityUnits "
                f"provisioned for index {name}: {index.read_capacity}. Requested "
                f"ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for index "
                f"{name}: {index.write_capacity}. Requested WriteCapacityUnits: {write}. Refer "
                "to the Amazon DynamoDB Developer Guide for current limits and how to request "
                "higher limits."
            )
        changes.update(provisioned.change(index, read, write, now))
    if update.get("OnDemandThroughput") is not None:
        changes["on_demand"] = update["OnDemandThroughput"]
    if update.get("WarmThroughput") is not None:
        changes["warm_throughput"] = update["WarmThroughput"]
    updated = replace_index(index, **changes)
    return catalog.replace(
        meta, indexes=tuple(updated if i.name == name else i for i in meta.indexes)
    )


def replace_index(index: IndexMeta, **changes: Any) -> IndexMeta:
    return dataclasses.replace(index, **changes)
