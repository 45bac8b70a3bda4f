"""Phase 2, constraints: one rule checker per rule tree of `shapes.json`, compiled at import
time, recording every failing constraint (required members, lengths, ranges, patterns, enums,
and the bracketed checks on list elements and map keys and values) in DynamoDB's words and
order, at most `MAX_REPORTED`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from opendynamo.api.request.shapes.messages import (
    MAX_REPORTED,
    constraint_message,
    java_length,
    lower_first,
    render,
)
from opendynamo.api.request.shapes.model import SHAPES, Json

Errors = list[str]
# A rule checker takes a value (None when absent), its lowerCamel path and the error list.
RuleChecker = Callable[[Json, str, Errors], None]


def _fail(errs: Errors, path: str, value: Json, shape: str, constraint: str) -> None:
    """Record one failure, keeping at most MAX_REPORTED as DynamoDB does."""
    if len(errs) < MAX_REPORTED:
        rendered = None if value is None else render(value, shape)
        errs.append(constraint_message(path, rendered, constraint))


def _size(value: Json) -> int:
    return java_length(value) if isinstance(value, str) else len(value)


# Java patterns of the model that Python spells differently (translated by the generator).
PYTHON_PATTERNS: Final[dict[str, str]] = {
    s["pattern"]: s["re"] for s in SHAPES.values() if "re" in s
}


# A table may be named by its ARN wherever a TableName is asked for (cross-account access).
TABLE_ARN: Final = re.compile(
    r"arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[a-zA-Z0-9_.-]{3,255}"
)
NAME_PATTERN: Final = "[a-zA-Z0-9_.-]+"


def _predicate(kind: str, arg: Json) -> tuple[Callable[[Json], bool], str]:
    """A check as (passes(value), constraint text)."""
    if kind == "pattern":
        regex = re.compile(PYTHON_PATTERNS.get(arg, str(arg)))
        if arg == NAME_PATTERN:
            return (
                lambda v: regex.fullmatch(v) is not None or TABLE_ARN.fullmatch(v) is not None,
                f"Member must satisfy regular expression pattern: {arg}",
            )
        return (
            lambda v: regex.fullmatch(v) is not None,
            f"Member must satisfy regular expression pattern: {arg}",
        )
    if kind == "minLen":
        return lambda v: _size(v) >= arg, f"Member must have length greater than or equal to {arg}"
    if kind == "maxLen":
        return lambda v: _size(v) <= arg, f"Member must have length less than or equal to {arg}"
    if kind == "min":
        return lambda v: v >= arg, f"Member must have value greater than or equal to {arg}"
    if kind == "max":
        return lambda v: v <= arg, f"Member must have value less than or equal to {arg}"
    if kind == "enum":
        allowed = frozenset(arg)
        return lambda v: v in allowed, f"Member must satisfy enum value set: [{', '.join(arg)}]"
    raise ValueError(f"unknown check {kind}")


def _bracket(kind_pairs: list[list[Json]], label: str) -> tuple[Callable[[Json], bool], str]:
    """Checks on list elements / map keys / map values, reported as one bracketed constraint
    listing all of them ("Map keys must satisfy constraint: [...]")."""
    pairs = [_predicate(kind, arg) for kind, arg in kind_pairs]
    texts = ", ".join(text for _, text in pairs)
    if len(pairs) == 1:
        return pairs[0][0], f"{label}: [{texts}]"
    return (lambda v: all(passes(v) for passes, _ in pairs)), f"{label}: [{texts}]"


def _presence_filter(node: dict[str, Any]) -> frozenset[str] | None:
    """For a structure whose members are never required: the members that have rules. A value
    holding none of them cannot fail, so containers skip it without building its path (this
    keeps per-attribute cost low for items, whose AttributeValues only have rules under M)."""
    if SHAPES[node["shape"]]["type"] != "structure":
        return None
    members = node.get("members", [])
    if any(kind == "notNull" for _, child in members for kind, _ in child.get("checks", [])):
        return None
    return frozenset(name for name, _ in members)


def _compile_rule(node: dict[str, Any]) -> RuleChecker:
    """The checker for one rule node: own checks, then bracket checks, then children."""
    shape: str = node["shape"]
    checks = node.get("checks", [])
    not_null = any(kind == "notNull" for kind, _ in checks)
    own = [_predicate(kind, arg) for kind, arg in checks if kind != "notNull"]
    children = compile_children(node)

    def check(value: Json, path: str, errs: Errors) -> None:
        if value is None:
            if not_null:
                _fail(errs, path, None, shape, "Member must not be null")
            return
        for passes, text in own:
            if not passes(value):
                _fail(errs, path, value, shape, text)
        if children is not None and len(errs) < MAX_REPORTED:
            children(value, path, errs)

    return check


def compile_children(node: dict[str, Any]) -> RuleChecker | None:
    """What to check inside a structure, list or map value, or None if nothing."""
    kind = SHAPES[node["shape"]]["type"]
    if kind == "structure" and "members" in node:
        return _structure_rules(node["members"])
    if kind == "list" and ("elements" in node or "member" in node):
        return _list_rules(node)
    if kind == "map" and ("keys" in node or "values" in node or "member" in node):
        return _map_rules(node)
    return None


def _structure_rules(members: list[list[Any]]) -> RuleChecker:
    compiled = [(name, lower_first(name), _compile_rule(child)) for name, child in members]

    def check(value: Json, path: str, errs: Errors) -> None:
        prefix = path + "." if path else ""
        for name, lower, rule in compiled:
            if len(errs) >= MAX_REPORTED:
                return
            rule(value.get(name), prefix + lower, errs)

    return check


def _list_rules(node: dict[str, Any]) -> RuleChecker:
    """Element constraints ("Member must satisfy constraint: [...]"), then each element at
    `path.<i>.member` (1-based)."""
    shape: str = node["shape"]
    elements = (
        _bracket(node["elements"], "Member must satisfy constraint") if "elements" in node else None
    )
    member = _compile_rule(node["member"]) if "member" in node else None
    skip_unless = _presence_filter(node["member"]) if "member" in node else None

    def check(value: Json, path: str, errs: Errors) -> None:
        if elements is not None:
            passes, text = elements
            for item in value:
                if item is not None and not passes(item):
                    _fail(errs, path, value, shape, text)
        if member is not None:
            for index, item in enumerate(value, 1):
                if skip_unless is None or (item is not None and not skip_unless.isdisjoint(item)):
                    member(item, f"{path}.{index}.member", errs)

    return check


def _map_rules(node: dict[str, Any]) -> RuleChecker:
    """Key and value constraints (one failure per offending entry, in body order), then each
    value at `path.<key>.member`, visiting entries last-first as DynamoDB reports them
    (dynalite's "TODO: Always reverse?")."""
    shape: str = node["shape"]
    keys = _bracket(node["keys"], "Map keys must satisfy constraint") if "keys" in node else None
    values = (
        _bracket(node["values"], "Map value must satisfy constraint") if "values" in node else None
    )
    member = _compile_rule(node["member"]) if "member" in node else None
    skip_unless = _presence_filter(node["member"]) if "member" in node else None

    def check(value: Json, path: str, errs: Errors) -> None:
        if keys is not None:
            for key in value:
                if not keys[0](key):
                    _fail(errs, path, value, shape, keys[1])
        if values is not None:
            for item in value.values():
                if item is not None and not values[0](item):
                    _fail(errs, path, value, shape, values[1])
        if member is not None:
            for key in reversed(list(value)):
                item = value[key]
                if skip_unless is None or (item is not None and not skip_unless.isdisjoint(item)):
                    member(item, f"{path}.{key}.member", errs)

    return check
