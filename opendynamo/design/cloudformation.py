"""Reading the `AWS::DynamoDB::Table` resources of a CloudFormation template (JSON, as
NoSQL Workbench exports it) into a `Model`, reporting every problem at its JSON path.

Read: TableName (the logical id when absent, as a stack would generate one), KeySchema,
AttributeDefinitions, GlobalSecondaryIndexes and LocalSecondaryIndexes with their projections,
BillingMode (PROVISIONED when absent, CloudFormation's default) and the table's and each
global index's ProvisionedThroughput. Other properties (streams, TTL, encryption, tags...)
are named in a warning and not applied; other resources are ignored. Intrinsic functions
(`Ref`, `Fn::Sub`...) are not evaluated: a property written with one is reported."""

from __future__ import annotations

from typing import Any

from opendynamo.design.checks import Checker
from opendynamo.design.model import (
    BILLING_MODES,
    KEY_TYPES,
    PAY_PER_REQUEST,
    PROVISIONED,
    Attribute,
    Index,
    Model,
    Problem,
    Table,
    Throughput,
    child,
)
from opendynamo.design.workbench import projection_of

TABLE = "AWS::DynamoDB::Table"
READ = {
    "TableName",
    "KeySchema",
    "AttributeDefinitions",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
}


def read(document: dict[str, Any]) -> tuple[Model | None, list[Problem]]:
    c = Checker()
    resources = c.obj(document, "Resources", "$")
    if resources is None:
        return None, c.problems
    tables = []
    for logical_id, resource in resources.items():
        path = child("$.Resources", logical_id)
        if not isinstance(resource, dict) or resource.get("Type") != TABLE:
            continue
        properties = c.obj(resource, "Properties", path)
        if properties is not None:
            tables.append((path, _table(c, logical_id, child(path, "Properties"), properties)))
    if not tables:
        c.error("$.Resources", f"no {TABLE} resource")
    c.unique(
        [(child(path, "Properties"), t.name if t else None) for path, t in tables], "table name"
    )
    if c.failed:
        return None, c.problems
    found = tuple(table for _, table in tables if table is not None)
    return Model("", "CloudFormation template", found), c.problems


def _table(c: Checker, logical_id: str, path: str, node: dict[str, Any]) -> Table | None:
    name = _name(c, logical_id, path, node)
    ignored = sorted(set(node) - READ)
    if ignored:
        c.warn(path, f"not applied by opendynamo design: {', '.join(ignored)}")
    types = _definitions(c, node, path)
    keys = _key_schema(c, node, path, types)
    mode = c.choice(node, "BillingMode", path, BILLING_MODES, required=False) or PROVISIONED
    throughput = _throughput(c, node, path, mode)
    globals_ = _indexes(c, node, path, "GlobalSecondaryIndexes", types, mode)
    locals_ = _indexes(c, node, path, "LocalSecondaryIndexes", types, None)
    if keys is not None:
        _check_local_keys(c, node, path, keys, locals_)
    used = {a.name for index in (*globals_, *locals_) for a in index.attributes}
    used |= {a.name for a in keys or ()}
    for name_ in types:
        if name_ not in used and keys is not None:
            c.error(
                child(path, "AttributeDefinitions"),
                f'attribute "{name_}" is defined but no key uses it (CreateTable refuses that)',
            )
    if name is None or keys is None:
        return None
    sort = keys[1] if len(keys) == 2 else None
    return Table(name, keys[0], sort, (), globals_, locals_, mode, throughput)


def _name(c: Checker, logical_id: str, path: str, node: dict[str, Any]) -> str | None:
    given = node.get("TableName")
    if given is None:
        c.warn(path, f'no "TableName": the table is called "{logical_id}" (its logical id)')
        given = logical_id
    elif isinstance(given, dict):
        c.error(
            child(path, "TableName"),
            "an intrinsic function is not evaluated: write the table's name as a string",
        )
        return None
    elif not isinstance(given, str):
        c.error(child(path, "TableName"), "expected a string")
        return None
    return c.name(given, child(path, "TableName"), "table name")


def _definitions(c: Checker, node: dict[str, Any], path: str) -> dict[str, str]:
    where = child(path, "AttributeDefinitions")
    types: dict[str, str] = {}
    given = c.objects(
        c.array(node, "AttributeDefinitions", path, required=True), where, "an attribute definition"
    )
    for at, definition in given:
        name = c.text(definition, "AttributeName", at)
        kind = c.choice(definition, "AttributeType", at, KEY_TYPES, required=True)
        if name is not None and name in types:
            c.error(at, f'attribute "{name}" is defined twice')
        elif name is not None and kind is not None:
            types[name] = kind
    return types


def _schema(
    c: Checker, node: dict[str, Any], path: str, types: dict[str, str]
) -> tuple[tuple[Attribute, ...], tuple[Attribute, ...]] | None:
    """(partition key, sort key) attributes of a KeySchema: HASH elements first, then RANGE
    ones, each defined in AttributeDefinitions."""
    where = child(path, "KeySchema")
    elements = c.objects(c.array(node, "KeySchema", path, required=True), where, "a key element")
    if "KeySchema" in node and not elements:
        c.error(where, "a key schema needs a HASH key")
        return None
    hashes: list[Attribute] = []
    ranges: list[Attribute] = []
    ok = True
    for at, element in elements:
        name = c.text(element, "AttributeName", at)
        kind = c.choice(element, "KeyType", at, ("HASH", "RANGE"), required=True)
        if name is not None and name not in types:
            c.error(at, f'attribute "{name}" is not in AttributeDefinitions')
        if name is None or kind is None or name not in types:
            ok = False
        elif kind == "RANGE":
            ranges.append(Attribute(name, types[name]))
        elif ranges:
            c.error(at, "HASH key elements come before RANGE ones")
            ok = False
        else:
            hashes.append(Attribute(name, types[name]))
    return (tuple(hashes), tuple(ranges)) if ok and hashes else None


def _key_schema(
    c: Checker, node: dict[str, Any], path: str, types: dict[str, str]
) -> tuple[Attribute, ...] | None:
    schema = _schema(c, node, path, types)
    if schema is None:
        return None
    hashes, ranges = schema
    if len(hashes) > 1 or len(ranges) > 1:
        c.error(
            child(path, "KeySchema"),
            "a table's key is one HASH attribute and at most one RANGE attribute",
        )
        return None
    return hashes + ranges


def _throughput(c: Checker, node: dict[str, Any], path: str, mode: str) -> Throughput | None:
    if mode == PAY_PER_REQUEST:
        if "ProvisionedThroughput" in node:
            c.error(
                child(path, "ProvisionedThroughput"), "not allowed with BillingMode PAY_PER_REQUEST"
            )
        return None
    return c.throughput(node, "ProvisionedThroughput", path)


def _indexes(
    c: Checker,
    node: dict[str, Any],
    path: str,
    member: str,
    types: dict[str, str],
    mode: str | None,
) -> tuple[Index, ...]:
    """A table's global indexes (`mode` given: their throughput follows the billing) or
    local ones."""
    where = child(path, member)
    given = c.objects(c.array(node, member, path), where, "an index")
    found = []
    for at, index in given:
        name = c.name(c.text(index, "IndexName", at), child(at, "IndexName"), "index name")
        schema = _schema(c, index, at, types)
        if "Projection" not in index:
            c.error(at, '"Projection" is missing')
        projection = projection_of(c, index, at)
        throughput = None
        if mode == PROVISIONED:
            throughput = c.throughput(index, "ProvisionedThroughput", at)
        elif mode == PAY_PER_REQUEST and "ProvisionedThroughput" in index:
            c.error(
                child(at, "ProvisionedThroughput"), "not allowed with BillingMode PAY_PER_REQUEST"
            )
        if name is not None and schema is not None and projection is not None:
            found.append(Index(name, schema[0], schema[1], projection, throughput))
    c.unique(
        [(child(at, "IndexName"), index.get("IndexName")) for at, index in given], "index name"
    )
    return tuple(found)


def _check_local_keys(
    c: Checker,
    node: dict[str, Any],
    path: str,
    keys: tuple[Attribute, ...],
    indexes: tuple[Index, ...],
) -> None:
    """A local index shares the table's partition key and has a sort key of its own; the
    table needs a sort key too (DynamoDB's rules for LSIs)."""
    where = child(path, "LocalSecondaryIndexes")
    if indexes and len(keys) == 1:
        c.error(where, "local secondary indexes need a table with a sort key")
    given = node.get("LocalSecondaryIndexes")
    for position, index in enumerate(given if isinstance(given, list) else []):
        name = index.get("IndexName") if isinstance(index, dict) else None
        found = next((i for i in indexes if i.name == name), None)
        if found is not None and (found.partition_key != (keys[0],) or len(found.sort_key) != 1):
            c.error(
                child(child(where, position), "KeySchema"),
                f'a local index is keyed by the table\'s partition key "{keys[0].name}" (HASH) '
                "and one sort key (RANGE)",
            )
