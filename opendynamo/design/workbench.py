"""Reading a NoSQL Workbench model (format versions 1.0, 2.0 and 3.0) into a `Model`,
reporting every problem at its JSON path.

The versions share one shape, so one reader takes them all; what differs is what may be
absent. 1.0 files have no `AWSService`, often no `GlobalSecondaryIndexes` or `TableFacets`,
and keep their sample items either on the table or on each facet; 2.0 adds `AWSService`;
3.0 adds `BillingMode` and `ProvisionedCapacitySettings` and keeps the sample items on the
table. A model without `BillingMode` says nothing about billing: its tables are created
on-demand and an existing table's billing is left alone. Metadata (author, dates, description)
is free text and is not checked. Workbench models cannot hold local secondary indexes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from opendynamo.design.checks import Checker
from opendynamo.design.model import (
    ATTRIBUTE_TYPES,
    BILLING_MODES,
    KEY_TYPES,
    PROJECTION_TYPES,
    PROVISIONED,
    Attribute,
    Facet,
    Index,
    Item,
    Model,
    Problem,
    Projection,
    Table,
    Throughput,
    child,
    is_value,
    type_of,
)

VERSIONS = ("1.0", "2.0", "3.0")
ROLES = ("partition key", "sort key")


def read(document: dict[str, Any]) -> tuple[Model | None, list[Problem]]:
    """The model a Workbench file describes (None when it has errors), and its problems."""
    c = Checker()
    version = _version(c, document)
    name = document.get("ModelName")
    tables_given = c.array(document, "DataModel", "$", required=True)
    if "DataModel" in document and isinstance(document["DataModel"], list) and not tables_given:
        c.error("$.DataModel", "a model needs at least one table")
    nodes = c.objects(tables_given, "$.DataModel", "a table")
    tables = [_table(c, path, node) for path, node in nodes]
    c.unique([(child(path, "TableName"), t.name if t else None) for (path, _), t in
              zip(nodes, tables, strict=True)], "table name")  # fmt: skip
    c.unique([name for path, node in nodes for name in _facet_names(path, node)], "facet name")
    if c.failed:
        return None, c.problems
    source = "NoSQL Workbench model" + (f" {version}" if version else "")
    found = tuple(table for table in tables if table is not None)
    return Model(name if isinstance(name, str) else "", source, found), c.problems


def _facet_names(path: str, node: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(path, name) of a table's facets: Workbench wants facet names unique in the model."""
    facets = node.get("TableFacets")
    if not isinstance(facets, list):
        return []
    return [
        (child(child(child(path, "TableFacets"), at), "FacetName"), facet.get("FacetName"))
        for at, facet in enumerate(facets)
        if isinstance(facet, dict) and isinstance(facet.get("FacetName"), str)
    ]


def _version(c: Checker, document: dict[str, Any]) -> str | None:
    metadata = document.get("ModelMetadata")
    if not isinstance(metadata, dict) or "Version" not in metadata:
        return None
    version = metadata["Version"]
    if version not in VERSIONS:
        c.error(
            "$.ModelMetadata.Version",
            f"version {json.dumps(version)} is not one opendynamo reads ({', '.join(VERSIONS)})",
        )
        return None
    return str(version)


def _table(c: Checker, path: str, node: dict[str, Any]) -> Table | None:
    name = c.name(c.text(node, "TableName", path), child(path, "TableName"), "table name")
    keys = c.obj(node, "KeyAttributes", path)
    where = child(path, "KeyAttributes")
    partition = None if keys is None else _key(c, keys, "PartitionKey", where, None, True)
    sort = None if keys is None else _key(c, keys, "SortKey", where, None, False)
    attributes = _attributes(c, node, path)
    declared = {a.name: a.type for a in attributes}
    known = declared | {key.name: key.type for key in (partition, sort) if key is not None}
    billing, throughput = _billing(c, node, path)
    indexes = _indexes(c, node, path, known, throughput)
    if name is None or partition is None:
        return None
    samples = Samples((partition, *([sort] if sort else [])), declared, indexes)
    facets = _facets(c, node, path, name, sort is not None, known, samples)
    items = samples.read(c, node, path)
    return Table(
        name, partition, sort, attributes, indexes, None, billing, throughput, facets, items
    )


def _key(
    c: Checker,
    keys: dict[str, Any],
    role: str,
    path: str,
    declared: dict[str, str] | None,
    required: bool,
) -> Attribute | None:
    """A key attribute: its type given beside it, or (for an index's keys, `declared` given)
    taken from the table's keys and NonKeyAttributes."""
    node = c.obj(keys, role, path, required)
    if node is None:
        return None
    where = child(path, role)
    name = c.text(node, "AttributeName", where)
    if name is None:
        return None
    known = None if declared is None else declared.get(name)
    given = node.get("AttributeType")
    if given is None and declared is None:
        c.error(where, '"AttributeType" is missing')
        return None
    if given is None and known is None:
        c.error(where, f'attribute "{name}" has no type in KeyAttributes or NonKeyAttributes')
        return None
    kind = given if given is not None else known
    if given is not None and known is not None and given != known:
        c.error(where, f'attribute "{name}" is {given} here but {known} in NonKeyAttributes')
        return None
    if kind not in KEY_TYPES:
        c.error(where, f'attribute "{name}" is {kind}; a key attribute must be S, N or B')
        return None
    return Attribute(name, str(kind))


def _attributes(c: Checker, node: dict[str, Any], path: str) -> tuple[Attribute, ...]:
    where = child(path, "NonKeyAttributes")
    found: list[Attribute] = []
    for at, given in c.objects(c.array(node, "NonKeyAttributes", path), where, "an attribute"):
        name = c.text(given, "AttributeName", at)
        kind = c.choice(given, "AttributeType", at, ATTRIBUTE_TYPES, required=True)
        if name is not None and kind is not None:
            found.append(Attribute(name, kind))
    first: dict[str, str] = {}
    for position, attribute in enumerate(found):
        if first.setdefault(attribute.name, attribute.type) != attribute.type:
            c.error(
                child(where, position),
                f'attribute "{attribute.name}" is declared twice with two types',
            )
    return tuple(found)


def _billing(c: Checker, node: dict[str, Any], path: str) -> tuple[str | None, Throughput | None]:
    mode = c.choice(node, "BillingMode", path, BILLING_MODES, required=False)
    if mode != PROVISIONED:
        return mode, None
    settings = c.obj(node, "ProvisionedCapacitySettings", path)
    if settings is None:
        return mode, None
    return mode, c.throughput(
        settings, "ProvisionedThroughput", child(path, "ProvisionedCapacitySettings")
    )


def _indexes(
    c: Checker,
    node: dict[str, Any],
    path: str,
    known: dict[str, str],
    throughput: Throughput | None,
) -> tuple[Index, ...]:
    """The global secondary indexes; with PROVISIONED billing each gets the table's
    throughput (a Workbench model has no capacity of its own for an index)."""
    where = child(path, "GlobalSecondaryIndexes")
    found = []
    given = c.objects(c.array(node, "GlobalSecondaryIndexes", path), where, "an index")
    for at, index in given:
        name = c.name(c.text(index, "IndexName", at), child(at, "IndexName"), "index name")
        keys = c.obj(index, "KeyAttributes", at)
        keys_at = child(at, "KeyAttributes")
        partition = None if keys is None else _key(c, keys, "PartitionKey", keys_at, known, True)
        sort = None if keys is None else _key(c, keys, "SortKey", keys_at, known, False)
        projection = projection_of(c, index, at)
        if name is not None and partition is not None and projection is not None:
            sort_key = () if sort is None else (sort,)
            found.append(Index(name, (partition,), sort_key, projection, throughput))
    c.unique(
        [(child(at, "IndexName"), index.get("IndexName")) for at, index in given], "index name"
    )
    return tuple(found)


def projection_of(c: Checker, node: dict[str, Any], path: str) -> Projection | None:
    """An index's projection (ALL when a hand-written model leaves it out)."""
    if "Projection" not in node:
        return Projection()
    given = c.obj(node, "Projection", path)
    if given is None:
        return None
    where = child(path, "Projection")
    kind = c.choice(given, "ProjectionType", where, PROJECTION_TYPES, required=False) or "ALL"
    names = c.array(given, "NonKeyAttributes", where)
    if not all(isinstance(name, str) and name for name in names):
        c.error(child(where, "NonKeyAttributes"), "expected an array of attribute names")
        return None
    if kind == "INCLUDE" and not names:
        c.error(
            where, 'an INCLUDE projection lists the attributes it includes in "NonKeyAttributes"'
        )
        return None
    if kind != "INCLUDE" and names:
        c.error(
            child(where, "NonKeyAttributes"),
            f"only an INCLUDE projection lists attributes, not {kind}",
        )
        return None
    return Projection.of(kind, names)


def _facets(
    c: Checker,
    node: dict[str, Any],
    path: str,
    table: str,
    has_sort_key: bool,
    known: dict[str, str],
    samples: Samples,
) -> tuple[Facet, ...]:
    found = []
    where = child(path, "TableFacets")
    for at, facet in c.objects(c.array(node, "TableFacets", path), where, "a facet"):
        name = c.text(facet, "FacetName", at)
        aliases = c.obj(facet, "KeyAttributeAlias", at)
        aliases_at = child(at, "KeyAttributeAlias")
        partition = None if aliases is None else c.text(aliases, "PartitionKeyAlias", aliases_at)
        sort = None if aliases is None else c.text(aliases, "SortKeyAlias", aliases_at, False)
        if sort is not None and not has_sort_key:
            c.error(
                child(aliases_at, "SortKeyAlias"),
                f'alias "{sort}" names the sort key, but table "{table}" has no sort key',
            )
        names = _facet_attributes(c, facet, at, known)
        items = samples.read(c, facet, at)
        if name is not None and partition is not None:
            found.append(Facet(name, partition, sort, names, items))
    return tuple(found)


def _facet_attributes(
    c: Checker, facet: dict[str, Any], path: str, known: dict[str, str]
) -> tuple[str, ...]:
    """A facet's attribute names, each one the table declares."""
    where = child(path, "NonKeyAttributes")
    names = []
    for position, name in enumerate(c.array(facet, "NonKeyAttributes", path)):
        if not isinstance(name, str):
            c.error(child(where, position), "expected an attribute name")
        elif name not in known:
            c.error(child(where, position), f'"{name}" is not one of the table\'s NonKeyAttributes')
        else:
            names.append(name)
    return tuple(names)


@dataclass
class Samples:
    """The checks of one table's sample items (on the table and on its facets): the keys
    are there with their types, index keys have the index's type (DynamoDB refuses the item
    otherwise), and, as warnings, attributes declared with another type or not at all, and
    items that share a key (the later one replaces the earlier when loaded)."""

    keys: tuple[Attribute, ...]
    declared: dict[str, str]
    indexes: tuple[Index, ...]
    first_at: dict[str, str] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)

    def read(self, c: Checker, node: dict[str, Any], path: str) -> tuple[Item, ...]:
        where = child(path, "TableData")
        found = []
        for position, item in enumerate(c.array(node, "TableData", path)):
            at = child(where, position)
            if not isinstance(item, dict):
                c.error(at, "expected an item (an object of DynamoDB JSON values)")
            elif self._check(c, item, at):
                found.append(item)
        return tuple(found)

    def _check(self, c: Checker, item: dict[str, Any], path: str) -> bool:
        count = len(c.problems)
        for name, value in item.items():
            if not is_value(value):
                c.error(
                    child(path, name),
                    'not a DynamoDB JSON value (one type and its value, like {"S": "text"})',
                )
        for role, key in zip(ROLES, self.keys, strict=False):
            kind = type_of(item.get(key.name))
            if key.name not in item:
                c.error(path, f'the {role} "{key.name}" is missing')
            elif kind is not None and kind != key.type:
                c.error(
                    child(path, key.name),
                    f'the {role} "{key.name}" is {kind} here but {key.type} in KeyAttributes',
                )
        self._check_index_keys(c, item, path)
        if any(not p.warning for p in c.problems[count:]):
            return False
        self._check_declared(c, item, path)
        identity = json.dumps([item[key.name] for key in self.keys], sort_keys=True)
        if identity in self.first_at:
            c.warn(path, f"same key as {self.first_at[identity]}; loading keeps the later item")
        self.first_at[identity] = path
        return True

    def _check_index_keys(self, c: Checker, item: dict[str, Any], path: str) -> None:
        for index in self.indexes:
            for key in index.attributes:
                kind = type_of(item.get(key.name))
                if kind is not None and kind != key.type:
                    c.error(
                        child(path, key.name),
                        f'"{key.name}" is {kind} here but index "{index.name}" keys it as {key.type}',
                    )

    def _check_declared(self, c: Checker, item: dict[str, Any], path: str) -> None:
        keys = {key.name for key in self.keys}
        for name, value in item.items():
            if name in keys or name in self.warned:
                continue
            declared = self.declared.get(name)
            if declared is None:
                self.warned.add(name)
                c.warn(
                    child(path, name), f'attribute "{name}" is not in the table\'s NonKeyAttributes'
                )
            elif type_of(value) != declared:
                self.warned.add(name)
                c.warn(
                    child(path, name),
                    f'"{name}" is {type_of(value)} here but {declared} in NonKeyAttributes',
                )
