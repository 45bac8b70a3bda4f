"""The changes that make a server's tables what a model describes, computed as plain data
before anything is changed (as litestream plans a restore): each step is one DynamoDB request
with a line for people, and what cannot change in place is refused, naming the table and the
attribute or index.

What changes in place: a missing table is created; a missing global secondary index is added
(the server backfills it online); billing mode and provisioned throughput of the table and of
its global indexes are updated. What does not: a table's key schema, its local secondary
indexes, a global index's keys or projection. Nothing is deleted unless asked: a global index
on the server but not in the model is kept and reported, and deleted with `prune_indexes`;
tables the model does not name are never looked at."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from opendynamo.design.model import (
    PAY_PER_REQUEST,
    PROVISIONED,
    Index,
    Item,
    Model,
    Table,
    Throughput,
    key_text,
)

CREATE_TABLE = "create-table"
CREATE_INDEX = "create-index"
UPDATE_TABLE = "update-table"
UPDATE_INDEX = "update-index"
DELETE_INDEX = "delete-index"
LOAD_ITEMS = "load-items"
MARKS = {CREATE_TABLE: "+", CREATE_INDEX: "+", UPDATE_TABLE: "~", UPDATE_INDEX: "~",
         DELETE_INDEX: "-", LOAD_ITEMS: "+"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    table: str
    summary: str
    operation: str  # DynamoDB's operation: CreateTable, UpdateTable, BatchWriteItem
    request: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...] = ()
    refused: tuple[str, ...] = ()  # changes that cannot be made in place
    kept: tuple[str, ...] = ()  # differences left alone unless asked

    @property
    def drift(self) -> bool:
        """Whether the server's tables differ from the model (sample items aside)."""
        changes = [step for step in self.steps if step.action != LOAD_ITEMS]
        return bool(changes or self.refused or self.kept)

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.steps + other.steps, self.refused + other.refused, self.kept + other.kept)

    def lines(self) -> list[str]:
        out = [f"{MARKS[step.action]} {step.summary}" for step in self.steps]
        out += [f"! {reason}" for reason in self.refused]
        out += [f"= {difference}" for difference in self.kept]
        return out


def plan(model: Model, live: Mapping[str, Table | None], prune_indexes: bool = False) -> Plan:
    """The plan for each of the model's tables, given what the server has (None: no table
    of that name)."""
    total = Plan()
    for table in model.tables:
        total += table_plan(table, live.get(table.name), prune_indexes)
    return total


def table_plan(wanted: Table, current: Table | None, prune_indexes: bool = False) -> Plan:
    if current is None:
        return Plan((create_table(wanted),))
    refused = [*_key_refusals(wanted, current), *_local_refusals(wanted, current)]
    refused += _global_refusals(wanted, current)
    steps = _billing_steps(wanted, current)
    kept: list[str] = []
    for index in current.global_indexes:
        if wanted.index(index.name) is not None:
            continue
        if prune_indexes:
            steps.append(_delete_index(wanted.name, index.name))
        else:
            kept.append(
                f"index {index.name} of {wanted.name} is on the server but not in the model "
                "(kept; --prune-indexes deletes it)"
            )
    throughput = _index_throughput(wanted, current)
    steps += [_create_index(wanted, index, throughput) for index in _new_indexes(wanted, current)]
    return Plan(tuple(steps), tuple(refused), tuple(kept))


def create_table(table: Table) -> Step:
    mode = table.billing_mode or PAY_PER_REQUEST
    request: dict[str, Any] = {
        "TableName": table.name,
        "KeySchema": table.key_schema(),
        "AttributeDefinitions": table.attribute_definitions(),
        "BillingMode": mode,
    }
    if mode == PROVISIONED and table.throughput is not None:
        request["ProvisionedThroughput"] = table.throughput.request()
    if table.global_indexes:
        request["GlobalSecondaryIndexes"] = [
            _index_request(index, table.throughput if mode == PROVISIONED else None)
            for index in table.global_indexes
        ]
    if table.local_indexes:
        request["LocalSecondaryIndexes"] = [
            _index_request(index, None) for index in table.local_indexes
        ]
    parts = [
        key_text(table.keys),
        mode if table.throughput is None else f"{mode} ({table.throughput})",
    ]
    parts += _named("global index", table.global_indexes)
    parts += _named("local index", table.local_indexes or ())
    return Step(CREATE_TABLE, table.name, f"create table {table.name}: {'; '.join(parts)}",
                "CreateTable", request)  # fmt: skip


def load_items(model: Model) -> tuple[Step, ...]:
    """A step per table that has sample items, each key once (the last item given with a
    key wins, as loading them one after the other would leave it)."""
    steps = []
    for table in model.tables:
        items = unique_items(table, table.sample_items())
        if items:
            summary = (
                f"load {len(items)} sample item{'s' if len(items) != 1 else ''} into {table.name}"
            )
            request = {"TableName": table.name, "Items": items}
            steps.append(Step(LOAD_ITEMS, table.name, summary, "BatchWriteItem", request))
    return tuple(steps)


def unique_items(table: Table, items: Iterable[Item]) -> list[Item]:
    by_key: dict[str, Item] = {}
    for item in items:
        key = json.dumps([item.get(a.name) for a in table.keys], sort_keys=True)
        by_key.pop(key, None)
        by_key[key] = item
    return list(by_key.values())


def _named(what: str, indexes: tuple[Index, ...]) -> list[str]:
    if not indexes:
        return []
    plural = "es" if len(indexes) > 1 else ""
    return [f"{len(indexes)} {what}{plural} ({', '.join(i.name for i in indexes)})"]


def _index_request(index: Index, throughput: Throughput | None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "IndexName": index.name,
        "KeySchema": index.key_schema(),
        "Projection": index.projection.request(),
    }
    given = index.throughput or throughput
    if throughput is not None and given is not None:
        request["ProvisionedThroughput"] = given.request()
    return request


def _key_refusals(wanted: Table, current: Table) -> list[str]:
    refused = []
    for role, mine, theirs in (
        ("partition key", (wanted.partition_key,), (current.partition_key,)),
        ("sort key", wanted.keys[1:], current.keys[1:]),
    ):
        if mine != theirs:
            refused.append(
                f"table {wanted.name}: its {role} is {key_text(mine)} in the model but "
                f"{key_text(theirs)} on the server; a table's key schema cannot change in place"
            )
    return refused


def _local_refusals(wanted: Table, current: Table) -> list[str]:
    """Local indexes are made with their table: any difference is refused (a Workbench
    model says nothing about them, and nothing is compared)."""
    if wanted.local_indexes is None:
        return []
    mine = {index.name: index for index in wanted.local_indexes}
    theirs = {index.name: index for index in current.local_indexes or ()}
    refused = []
    for name in sorted(mine.keys() | theirs.keys()):
        where = "in the model but not on the server" if name not in theirs else (
            "on the server but not in the model" if name not in mine else "")  # fmt: skip
        if where:
            refused.append(
                f"table {wanted.name}: local index {name} is {where}; local secondary indexes "
                "are made with their table and cannot be added or removed"
            )
        else:
            refused += _index_difference(wanted.name, mine[name], theirs[name], "local index")
    return refused


def _global_refusals(wanted: Table, current: Table) -> list[str]:
    refused = []
    types = current.key_types()
    for index in wanted.global_indexes:
        live = next((i for i in current.global_indexes if i.name == index.name), None)
        if live is not None:
            refused += _index_difference(wanted.name, index, live, "index")
            continue
        for attribute in index.attributes:
            known = types.get(attribute.name, attribute.type)
            if known != attribute.type:
                refused.append(
                    f"table {wanted.name}, index {index.name}: attribute {attribute.name} is "
                    f"{attribute.type} in the model but {known} on the server, where another "
                    "key uses it; a key attribute has one type in a table"
                )
    return refused


def _index_difference(table: str, mine: Index, theirs: Index, what: str) -> list[str]:
    found = []
    why = (
        "cannot change in place (remove it from the model and apply with --prune-indexes, "
        "then add it back)"
        if what == "index"
        else "cannot change"
    )
    for role, a, b in (
        ("partition key", mine.partition_key, theirs.partition_key),
        ("sort key", mine.sort_key, theirs.sort_key),
    ):
        if a != b:
            found.append(
                f"table {table}, {what} {mine.name}: its {role} is {key_text(a)} in the model "
                f"but {key_text(b)} on the server; an index's keys {why}"
            )
    if mine.projection != theirs.projection:
        found.append(
            f"table {table}, {what} {mine.name}: its projection is {mine.projection} in the "
            f"model but {theirs.projection} on the server; an index's projection {why}"
        )
    return found


def _billing_steps(wanted: Table, current: Table) -> list[Step]:
    name, mode = wanted.name, wanted.billing_mode
    if mode is None or (mode == PAY_PER_REQUEST and current.billing_mode == mode):
        return []
    if mode == PAY_PER_REQUEST:
        summary = f"switch {name} to PAY_PER_REQUEST (from PROVISIONED: {current.throughput})"
        switch = {"TableName": name, "BillingMode": PAY_PER_REQUEST}
        return [Step(UPDATE_TABLE, name, summary, "UpdateTable", switch)]
    assert wanted.throughput is not None  # the readers require it with PROVISIONED
    if current.billing_mode == PAY_PER_REQUEST:
        return [_to_provisioned(wanted, current, wanted.throughput)]
    return _throughput_steps(wanted, current, wanted.throughput)


def _throughput_steps(wanted: Table, current: Table, throughput: Throughput) -> list[Step]:
    name = wanted.name
    steps = []
    if throughput != current.throughput:
        summary = f"change the throughput of {name} to {throughput} (from {current.throughput})"
        request: dict[str, Any] = {"TableName": name, "ProvisionedThroughput": throughput.request()}
        steps.append(Step(UPDATE_TABLE, name, summary, "UpdateTable", request))
    for index in current.global_indexes:
        target = wanted.index(index.name)
        if target is None or target.throughput in (None, index.throughput):
            continue
        assert target.throughput is not None
        summary = (
            f"change the throughput of index {index.name} of {name} to {target.throughput} "
            f"(from {index.throughput})"
        )
        update = {"IndexName": index.name, "ProvisionedThroughput": target.throughput.request()}
        request = {"TableName": name, "GlobalSecondaryIndexUpdates": [{"Update": update}]}
        steps.append(Step(UPDATE_INDEX, name, summary, "UpdateTable", request))
    return steps


def _to_provisioned(wanted: Table, current: Table, throughput: Throughput) -> Step:
    """Switching to PROVISIONED sets the throughput of the table and of every global index
    it keeps, in one request (DynamoDB wants them all)."""
    updates = []
    for index in current.global_indexes:
        target = wanted.index(index.name)
        given = (target.throughput if target is not None else None) or throughput
        update = {"IndexName": index.name, "ProvisionedThroughput": given.request()}
        updates.append({"Update": update})
    request: dict[str, Any] = {
        "TableName": wanted.name,
        "BillingMode": PROVISIONED,
        "ProvisionedThroughput": throughput.request(),
    }
    if updates:
        request["GlobalSecondaryIndexUpdates"] = updates
    summary = f"switch {wanted.name} to PROVISIONED ({throughput}) from PAY_PER_REQUEST"
    return Step(UPDATE_TABLE, wanted.name, summary, "UpdateTable", request)


def _index_throughput(wanted: Table, current: Table) -> Throughput | None:
    """The throughput a new global index gets: none on an on-demand table; else its own,
    or the table's (the model's, or the server's when the model does not say)."""
    mode = wanted.billing_mode or current.billing_mode
    if mode != PROVISIONED:
        return None
    return wanted.throughput or current.throughput


def _new_indexes(wanted: Table, current: Table) -> list[Index]:
    return [i for i in wanted.global_indexes if current.index(i.name) is None]


def _create_index(wanted: Table, index: Index, throughput: Throughput | None) -> Step:
    definitions = [{"AttributeName": a.name, "AttributeType": a.type} for a in index.attributes]
    request = {
        "TableName": wanted.name,
        "AttributeDefinitions": definitions,
        "GlobalSecondaryIndexUpdates": [{"Create": _index_request(index, throughput)}],
    }
    summary = (
        f"add index {index.name} to {wanted.name}: {key_text(index.attributes)}; "
        f"projection {index.projection}"
    )
    return Step(CREATE_INDEX, wanted.name, summary, "UpdateTable", request)


def _delete_index(table: str, name: str) -> Step:
    request = {"TableName": table, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": name}}]}
    return Step(DELETE_INDEX, table, f"delete index {name} of {table}", "UpdateTable", request)
