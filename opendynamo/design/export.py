"""Live tables written out as a NoSQL Workbench model (format 3.0), as Workbench itself
exports one: keys and global indexes from DescribeTable, billing and capacity, and sample
items; the NonKeyAttributes are the index keys plus every attribute of the sample items,
typed by the first item that has it (Workbench wants one type per attribute name).

What a Workbench model cannot hold is left out with a warning: local secondary indexes,
indexes with multi-attribute keys, and an index throughput other than its table's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from opendynamo.design.model import PROVISIONED, Attribute, Index, Item, Table, type_of

VERSION = "3.0"


def workbench_model(
    tables: Sequence[tuple[Table, Sequence[Item]]], name: str, now: datetime
) -> tuple[dict[str, Any], list[str]]:
    """The model document for the tables and their sample items, and the warnings."""
    stamp = now.strftime("%b %d, %Y, %I:%M %p")  # Workbench's own format: "Jan 05, 2026, 10:00 AM"
    warnings: list[str] = []
    data_model = []
    for table, items in tables:
        document, notes = workbench_table(table, items)
        data_model.append(document)
        warnings += notes
    metadata = {
        "Author": "",
        "DateCreated": stamp,
        "DateLastModified": stamp,
        "Description": "Exported by opendynamo design export",
        "AWSService": "Amazon DynamoDB",
        "Version": VERSION,
    }
    return {"ModelName": name, "ModelMetadata": metadata, "DataModel": data_model}, warnings


def workbench_table(table: Table, items: Sequence[Item]) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    indexes = _indexes(table, warnings)
    types = _attribute_types(table, indexes, items, warnings)
    document: dict[str, Any] = {
        "TableName": table.name,
        "KeyAttributes": _key_attributes(table.partition_key, table.sort_key),
        "NonKeyAttributes": [
            {"AttributeName": name, "AttributeType": types[name]} for name in sorted(types)
        ],
        "TableFacets": [],
        "GlobalSecondaryIndexes": [_index(index) for index in indexes],
        "TableData": [_ordered(table, item) for item in items],
        "DataAccess": {"MySql": {}},
        "BillingMode": table.billing_mode or PROVISIONED,
    }
    if table.throughput is not None:
        document["ProvisionedCapacitySettings"] = {
            "ProvisionedThroughput": table.throughput.request()
        }
    return document, warnings


def _indexes(table: Table, warnings: list[str]) -> list[Index]:
    if table.local_indexes:
        names = ", ".join(index.name for index in table.local_indexes)
        warnings.append(
            f"table {table.name}: local secondary indexes ({names}) are left out (a Workbench "
            "model cannot hold them)"
        )
    kept = []
    for index in table.global_indexes:
        if len(index.partition_key) > 1 or len(index.sort_key) > 1:
            warnings.append(
                f"table {table.name}: index {index.name} is left out (a Workbench model "
                "cannot hold a multi-attribute key)"
            )
            continue
        if index.throughput != table.throughput:
            warnings.append(
                f"table {table.name}: index {index.name} has throughput {index.throughput}, "
                f"the table {table.throughput}; a Workbench model gives its indexes the "
                "table's"
            )
        kept.append(index)
    return kept


def _attribute_types(
    table: Table, indexes: list[Index], items: Sequence[Item], warnings: list[str]
) -> dict[str, str]:
    """The type of each non-key attribute: an index key's from its definition, any other's
    from the first sample item that has it."""
    keys = {attribute.name for attribute in table.keys}
    types = {a.name: a.type for index in indexes for a in index.attributes if a.name not in keys}
    mixed: set[str] = set()
    for item in items:
        for name, value in item.items():
            kind = type_of(value)
            if name in keys or kind is None:
                continue
            first = types.setdefault(name, kind)
            if first != kind and name not in mixed:
                mixed.add(name)
                warnings.append(
                    f"table {table.name}: attribute {name} is {first} in one sample item and "
                    f"{kind} in another; the model says {first}"
                )
    return types


def _key_attributes(partition: Attribute, sort: Attribute | None) -> dict[str, Any]:
    keys = {"PartitionKey": {"AttributeName": partition.name, "AttributeType": partition.type}}
    if sort is not None:
        keys["SortKey"] = {"AttributeName": sort.name, "AttributeType": sort.type}
    return keys


def _index(index: Index) -> dict[str, Any]:
    sort = index.sort_key[0] if index.sort_key else None
    return {
        "IndexName": index.name,
        "KeyAttributes": _key_attributes(index.partition_key[0], sort),
        "Projection": index.projection.request(),
    }


def _ordered(table: Table, item: Item) -> dict[str, Any]:
    """The item with the table's keys first and its other attributes by name, so that
    exports of the same items read the same."""
    keys = [attribute.name for attribute in table.keys]
    names = keys + sorted(name for name in item if name not in keys)
    return {name: item[name] for name in names if name in item}
