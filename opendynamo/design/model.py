"""One typed description of a set of tables, whichever file it was read from (a NoSQL
Workbench model, a CloudFormation template) or whichever server described it: keys, attribute
types, indexes, billing, sample items. Frozen values: the readers build them once, the planner
compares them, the exporter renders them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KEY_TYPES = ("S", "N", "B")
ATTRIBUTE_TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
PROJECTION_TYPES = ("ALL", "KEYS_ONLY", "INCLUDE")
PROVISIONED = "PROVISIONED"
PAY_PER_REQUEST = "PAY_PER_REQUEST"
BILLING_MODES = (PROVISIONED, PAY_PER_REQUEST)
# DynamoDB's rule for table and index names (CreateTable's TableName and IndexName).
NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")

Item = Mapping[str, Any]  # DynamoDB JSON: {"pk": {"S": "a"}, "n": {"N": "1"}}


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    type: str

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


@dataclass(frozen=True, slots=True)
class Throughput:
    read: int
    write: int

    def request(self) -> dict[str, int]:
        return {"ReadCapacityUnits": self.read, "WriteCapacityUnits": self.write}

    def __str__(self) -> str:
        return f"{self.read} read, {self.write} write"


@dataclass(frozen=True, slots=True)
class Projection:
    """An index's projection; the INCLUDE names are kept sorted, so two projections that
    name the same attributes in another order are equal (DynamoDB treats them so)."""

    type: str = "ALL"
    non_key_attributes: tuple[str, ...] = ()

    @staticmethod
    def of(kind: str, names: list[str] | tuple[str, ...] = ()) -> Projection:
        return Projection(kind, tuple(sorted(set(names))))

    def request(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ProjectionType": self.type}
        if self.non_key_attributes:
            out["NonKeyAttributes"] = list(self.non_key_attributes)
        return out

    def __str__(self) -> str:
        if not self.non_key_attributes:
            return self.type
        return f"{self.type} ({', '.join(self.non_key_attributes)})"


@dataclass(frozen=True, slots=True)
class Index:
    """A secondary index. Keys are tuples: one attribute each in a Workbench model, up to
    four each in a multi-attribute key (DynamoDB's GSIs since 2025)."""

    name: str
    partition_key: tuple[Attribute, ...]
    sort_key: tuple[Attribute, ...]
    projection: Projection
    throughput: Throughput | None = None  # with PROVISIONED billing, global indexes only

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return self.partition_key + self.sort_key

    def key_schema(self) -> list[dict[str, str]]:
        return [{"AttributeName": a.name, "KeyType": "HASH"} for a in self.partition_key] + [
            {"AttributeName": a.name, "KeyType": "RANGE"} for a in self.sort_key
        ]


@dataclass(frozen=True, slots=True)
class Facet:
    """A Workbench access-pattern view of a table: display names for its keys, the
    attributes it shows, and (in older models) its own sample items."""

    name: str
    partition_key_alias: str
    sort_key_alias: str | None
    non_key_attributes: tuple[str, ...]
    items: tuple[Item, ...] = ()


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    partition_key: Attribute
    sort_key: Attribute | None
    attributes: tuple[Attribute, ...] = ()  # the non-key attributes a Workbench model declares
    global_indexes: tuple[Index, ...] = ()
    # None where the source cannot say (a Workbench model has no LSIs): nothing to compare.
    local_indexes: tuple[Index, ...] | None = None
    # None where the model does not say (Workbench 1.0 and 2.0): created on-demand, and an
    # existing table's billing is left as it is.
    billing_mode: str | None = None
    throughput: Throughput | None = None  # with PROVISIONED billing
    facets: tuple[Facet, ...] = ()
    items: tuple[Item, ...] = field(default=(), compare=False)

    @property
    def keys(self) -> tuple[Attribute, ...]:
        return (
            (self.partition_key,) if self.sort_key is None else (self.partition_key, self.sort_key)
        )

    def key_schema(self) -> list[dict[str, str]]:
        return Index("", (self.partition_key,), self.keys[1:], Projection()).key_schema()

    def index(self, name: str) -> Index | None:
        every = self.global_indexes + (self.local_indexes or ())
        return next((index for index in every if index.name == name), None)

    def key_types(self) -> dict[str, str]:
        """The type of every attribute some key of the table or of an index uses (what
        DynamoDB keeps as AttributeDefinitions), the table's own keys first."""
        types = {attribute.name: attribute.type for attribute in self.keys}
        for index in (*self.global_indexes, *(self.local_indexes or ())):
            for attribute in index.attributes:
                types.setdefault(attribute.name, attribute.type)
        return types

    def attribute_definitions(self) -> list[dict[str, str]]:
        return [{"AttributeName": n, "AttributeType": t} for n, t in self.key_types().items()]

    def sample_items(self) -> tuple[Item, ...]:
        """The table's sample items, then each facet's (older models keep them there)."""
        items = list(self.items)
        for facet in self.facets:
            items += facet.items
        return tuple(items)


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    source: str  # "NoSQL Workbench model 3.0", "CloudFormation template"
    tables: tuple[Table, ...]

    def table(self, name: str) -> Table | None:
        return next((table for table in self.tables if table.name == name), None)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in a model file, at its JSON path. A warning does not stop `apply`."""

    path: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{'warning: ' if self.warning else ''}{self.path}: {self.message}"


class ModelError(Exception):
    """A model that cannot be applied, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


def child(path: str, key: str | int) -> str:
    """The JSON path of `key` under `path`: `.Name` for plain names, `[3]` for positions and
    `["odd name"]` for names a dotted path would garble."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


def type_of(value: Any) -> str | None:
    """The type of a DynamoDB JSON value ({"S": "a"} is S), or None when it is not one."""
    if isinstance(value, Mapping) and len(value) == 1:
        (tag,) = value
        if tag in ATTRIBUTE_TYPES:
            return str(tag)
    return None


def is_value(value: Any) -> bool:
    """Whether `value` is a well-formed DynamoDB JSON value (its numbers and binaries are
    checked by the server that stores it)."""
    kind = type_of(value)
    if kind is None:
        return False
    inner = value[kind]
    if kind in ("S", "N", "B"):
        return isinstance(inner, str)
    if kind in ("SS", "NS", "BS"):
        return isinstance(inner, list) and all(isinstance(member, str) for member in inner)
    if kind == "BOOL":
        return isinstance(inner, bool)
    if kind == "NULL":
        return inner is True
    if kind == "M":
        return isinstance(inner, Mapping) and all(is_value(member) for member in inner.values())
    return isinstance(inner, list) and all(is_value(member) for member in inner)


def key_text(attributes: tuple[Attribute, ...]) -> str:
    return ", ".join(str(a) for a in attributes) if attributes else "none"
