"""Randomized comparison of single-item operations with a small in-test model of DynamoDB.

Pinned behaviour: over a handful of keys, a seeded random sequence of PutItem, UpdateItem
(SET, arithmetic with if_not_exists, REMOVE, ADD and DELETE on numbers and string sets),
DeleteItem and GetItem, most of them guarded by a ConditionExpression, behaves exactly like
the model: every GetItem returns the model's item (numbers in DynamoDB's normalised text),
every write succeeds or fails with ConditionalCheckFailedException exactly when the model's
condition is false, a failed write changes nothing, and ReturnValues (ALL_OLD on Put/Delete,
ALL_NEW on Update) return the model's old/new item. Semantics taken from the model:
comparisons with a missing attribute are false except `<>`; a missing item has no attributes;
ADD on a missing number starts at 0; DELETE removing the last set member removes the
attribute; UpdateItem with a SET or ADD on a missing item creates it (one that only removes
creates nothing: tests/wire/test_item_edges.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

Model = dict[str, Any]  # attribute name -> Decimal (n) | str (s) | set[str] (tags); pk implied

KEYS = [f"k{i}" for i in range(5)]
WORDS = ["apple", "apricot", "banana", "berry", "cherry", ""]
PREFIXES = ["ap", "b", "ch", "x"]
TAGS = ["red", "green", "blue", "gold"]


def norm(d: Decimal) -> str:
    """DynamoDB's output form of a number: plain decimal, no exponent or superfluous zeros."""
    if d == 0:
        return "0"
    return format(d.normalize(), "f")


def to_wire(key: str, item: Model) -> dict[str, Any]:
    out: dict[str, Any] = {"pk": {"S": key}}
    if "n" in item:
        out["n"] = {"N": str(item["n"])}
    if "s" in item:
        out["s"] = {"S": item["s"]}
    if "tags" in item:
        out["tags"] = {"SS": sorted(item["tags"])}
    return out


def canon_wire(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """Server item in a comparable form (sets order-free)."""
    if item is None:
        return None
    out: dict[str, Any] = {}
    for name, value in item.items():
        ((kind, payload),) = value.items()
        out[name] = (kind, frozenset(payload) if kind == "SS" else payload)
    return out


def canon_model(key: str, item: Model | None) -> dict[str, Any] | None:
    if item is None:
        return None
    out: dict[str, Any] = {"pk": ("S", key)}
    if "n" in item:
        out["n"] = ("N", norm(item["n"]))
    if "s" in item:
        out["s"] = ("S", item["s"])
    if "tags" in item:
        out["tags"] = ("SS", frozenset(item["tags"]))
    return out


@dataclass(frozen=True)
class Condition:
    expression: str
    values: dict[str, Any]
    holds: Callable[[Model | None], bool]


def number(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(-100, 100)) / Decimal(rng.choice([1, 10, 100]))


def random_condition(rng: random.Random) -> Condition | None:
    choice = rng.randrange(11)
    if choice == 0:
        return None
    if choice == 1:
        return Condition("attribute_exists(pk)", {}, lambda it: it is not None)
    if choice == 2:
        return Condition("attribute_not_exists(pk)", {}, lambda it: it is None)
    if choice == 3:
        v = number(rng)
        return Condition(
            "n > :cv",
            {":cv": {"N": str(v)}},
            lambda it: bool(it and "n" in it and it["n"] > v),
        )
    if choice == 4:
        w = rng.choice(WORDS)
        return Condition("s = :cv", {":cv": {"S": w}}, lambda it: bool(it and it.get("s") == w))
    if choice == 5:
        t = rng.choice(TAGS)
        return Condition(
            "contains(tags, :cv)",
            {":cv": {"S": t}},
            lambda it: bool(it and t in it.get("tags", ())),
        )
    if choice == 6:
        size = rng.randint(1, 3)
        return Condition(
            "size(tags) >= :cv",
            {":cv": {"N": str(size)}},
            lambda it: bool(it and "tags" in it and len(it["tags"]) >= size),
        )
    if choice == 7:
        v = number(rng)
        return Condition(
            "attribute_not_exists(s) OR n < :cv",
            {":cv": {"N": str(v)}},
            lambda it: it is None or "s" not in it or ("n" in it and it["n"] < v),
        )
    if choice == 8:
        p = rng.choice(PREFIXES)
        return Condition(
            "begins_with(s, :cv)",
            {":cv": {"S": p}},
            lambda it: bool(it and "s" in it and it["s"].startswith(p)),
        )
    if choice == 9:
        lo, hi = sorted((number(rng), number(rng)))
        return Condition(
            "NOT (n BETWEEN :clo AND :chi) AND attribute_exists(pk)",
            {":clo": {"N": str(lo)}, ":chi": {"N": str(hi)}},
            lambda it: it is not None and not ("n" in it and lo <= it["n"] <= hi),
        )
    v = number(rng)
    return Condition("n <> :cv", {":cv": {"N": str(v)}}, lambda it: it is None or it.get("n") != v)


def random_item(rng: random.Random) -> Model:
    item: Model = {}
    if rng.random() < 0.7:
        item["n"] = number(rng)
    if rng.random() < 0.7:
        item["s"] = rng.choice(WORDS)
    if rng.random() < 0.6:
        item["tags"] = set(rng.sample(TAGS, rng.randint(1, 3)))
    return item


@dataclass
class Update:
    """One random UpdateExpression and its effect on the model."""

    expression: str
    values: dict[str, Any]
    apply: Callable[[Model], Model]


def random_update(rng: random.Random) -> Update:
    clauses: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
    values: dict[str, Any] = {}
    steps: list[Callable[[Model], None]] = []

    n_action = rng.choice(["none", "set", "add", "inc", "remove"])
    if n_action == "set":
        v = number(rng)
        clauses["SET"].append("n = :nv")
        values[":nv"] = {"N": str(v)}
        steps.append(lambda m: m.__setitem__("n", v))
    elif n_action == "add":
        d = number(rng)
        clauses["ADD"].append("n :nd")
        values[":nd"] = {"N": str(d)}
        steps.append(lambda m: m.__setitem__("n", m.get("n", Decimal(0)) + d))
    elif n_action == "inc":
        d = number(rng)
        clauses["SET"].append("n = if_not_exists(n, :zero) + :nd")
        values[":zero"] = {"N": "0"}
        values[":nd"] = {"N": str(d)}
        steps.append(lambda m: m.__setitem__("n", m.get("n", Decimal(0)) + d))
    elif n_action == "remove":
        clauses["REMOVE"].append("n")
        steps.append(lambda m: m.pop("n", None))

    s_action = rng.choice(["none", "set", "remove"])
    if s_action == "set":
        w = rng.choice(WORDS)
        clauses["SET"].append("s = :sv")
        values[":sv"] = {"S": w}
        steps.append(lambda m: m.__setitem__("s", w))
    elif s_action == "remove":
        clauses["REMOVE"].append("s")
        steps.append(lambda m: m.pop("s", None))

    t_action = rng.choice(["none", "add", "delete", "set", "remove"])
    members = set(rng.sample(TAGS, rng.randint(1, 2)))
    if t_action == "add":
        clauses["ADD"].append("tags :tv")
        steps.append(lambda m: m.__setitem__("tags", m.get("tags", set()) | members))
    elif t_action == "delete":
        clauses["DELETE"].append("tags :tv")

        def delete(m: Model) -> None:
            rest = m.get("tags", set()) - members
            if rest:
                m["tags"] = rest
            else:
                m.pop("tags", None)

        steps.append(delete)
    elif t_action == "set":
        clauses["SET"].append("tags = :tv")
        steps.append(lambda m: m.__setitem__("tags", set(members)))
    elif t_action == "remove":
        clauses["REMOVE"].append("tags")
        steps.append(lambda m: m.pop("tags", None))
    if t_action in ("add", "delete", "set"):
        values[":tv"] = {"SS": sorted(members)}

    if not clauses["SET"] and not clauses["ADD"]:
        # Keep every update creating the item when it is missing (a SET or ADD is present).
        w = rng.choice(WORDS)
        if s_action == "remove":
            clauses["REMOVE"].remove("s")  # the SET below replaces it (no overlapping paths)
        clauses["SET"].append("s = :sv")
        values[":sv"] = {"S": w}
        steps.append(lambda m: m.__setitem__("s", w))

    order = [name for name in clauses if clauses[name]]
    rng.shuffle(order)
    text = " ".join(f"{name} " + ", ".join(clauses[name]) for name in order)

    def apply(old: Model) -> Model:
        new = {k: (set(v) if isinstance(v, set) else v) for k, v in old.items()}
        for step in steps:
            step(new)
        return new

    return Update(text, values, apply)


def run(ddb: Any, table: str, seed: int, operations: int) -> dict[str, int]:
    rng = random.Random(seed)
    model: dict[str, Model] = {}
    stats = {"put": 0, "update": 0, "delete": 0, "get": 0, "failed": 0}

    def check_get(key: str) -> None:
        reply = ddb.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)
        assert canon_wire(reply.get("Item")) == canon_model(key, model.get(key)), (
            seed,
            key,
        )

    for step in range(operations):
        key = rng.choice(KEYS)
        kind = rng.choices(["put", "update", "delete", "get"], weights=[3, 4, 2, 2])[0]
        stats[kind] += 1
        if kind == "get":
            check_get(key)
            continue
        condition = random_condition(rng)
        params: dict[str, Any] = {"TableName": table}
        values: dict[str, Any] = {}
        if condition is not None:
            params["ConditionExpression"] = condition.expression
            values.update(condition.values)
        old = model.get(key)
        if kind == "put":
            new_item: Model | None = random_item(rng)
            params["Item"] = to_wire(key, new_item)  # type: ignore[arg-type]
            params["ReturnValues"] = "ALL_OLD"
            call = ddb.put_item
        elif kind == "delete":
            new_item = None
            params["Key"] = {"pk": {"S": key}}
            params["ReturnValues"] = "ALL_OLD"
            call = ddb.delete_item
        else:
            upd = random_update(rng)
            new_item = upd.apply(old or {})
            params["Key"] = {"pk": {"S": key}}
            params["UpdateExpression"] = upd.expression
            params["ReturnValues"] = "ALL_NEW"
            values.update(upd.values)
            call = ddb.update_item
        if values:
            params["ExpressionAttributeValues"] = values
        should_pass = condition is None or condition.holds(old)
        context = (
            seed,
            step,
            kind,
            key,
            params.get("ConditionExpression"),
            params.get("UpdateExpression"),
            old,
        )
        try:
            reply = call(**params)
        except ClientError as err:
            error = err.response["Error"]
            assert not should_pass, (context, error)
            assert (error["Code"], error["Message"]) == (
                "ConditionalCheckFailedException",
                "The conditional request failed",
            ), context
            stats["failed"] += 1
        else:
            assert should_pass, context
            if kind == "update":
                assert canon_wire(reply.get("Attributes")) == canon_model(key, new_item), context
            else:
                assert canon_wire(reply.get("Attributes")) == canon_model(key, old), context
            if new_item is None:
                model.pop(key, None)
            else:
                model[key] = new_item
        check_get(key)
    for key in KEYS:
        check_get(key)
    return stats


@pytest.mark.parametrize("seed", [20240601, 7])
def test_random_operations_match_the_model(ddb: Any, table: str, seed: int) -> None:
    stats = run(ddb, table, seed, operations=150)
    # The run must have exercised both outcomes of conditional writes.
    assert stats["failed"] > 10
    assert stats["put"] + stats["update"] + stats["delete"] - stats["failed"] > 30
