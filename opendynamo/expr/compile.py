"""`compile_expressions`: every expression parameter of one request, checked in DynamoDB's order
and resolved into trees.

Order (dynalite's `validateExpressionParams` / `validateExpressions`, written against DynamoDB):
1. ExpressionAttributeNames without any expression; ExpressionAttributeValues without an
   expression that takes values (the message names the operation's value-taking expressions);
2. ExpressionAttributeNames: not empty, keys `#[0-9A-Za-z_]+` (≤ 255 bytes), names not empty;
3. ExpressionAttributeValues: not empty, keys `:[0-9A-Za-z_]+` (≤ 255 bytes), then each value
   normalised ("ExpressionAttributeValues contains invalid value: … for key :v");
4. each expression in turn - UpdateExpression, ConditionExpression, KeyConditionExpression,
   FilterExpression, ProjectionExpression - not empty, ≤ 4 KB, parsed (cached), checked and
   resolved; problems carry the prefix `Invalid <Parameter>: `;
5. names, then values, given but used by no expression (listed in Java HashSet order, as
   DynamoDB's message lists them).

`compile_trees` takes trees another front end built (PartiQL's planner) through the same
static checks and resolution, worded without a parameter's prefix: such trees have none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opendynamo import errors
from opendynamo.expr import cache
from opendynamo.expr.ast import (
    AttributeValue,
    Condition,
    ProjectionExpression,
    UpdateExpression,
)
from opendynamo.expr.check import check_condition, check_projection, check_update
from opendynamo.expr.keycond import KeyCondition
from opendynamo.expr.problem import ExpressionProblem
from opendynamo.expr.resolve import Resolver, Usage
from opendynamo.model.values import normalize_value

MAX_EXPRESSION_BYTES = 4096
MAX_PLACEHOLDER_BYTES = 255

_NAME_KEY = re.compile(r"#[0-9A-Za-z_]+")
_VALUE_KEY = re.compile(r":[0-9A-Za-z_]+")

# (argument, wire parameter), in the order DynamoDB checks them.
_ORDER = (
    ("update", "UpdateExpression"),
    ("condition", "ConditionExpression"),
    ("key_condition", "KeyConditionExpression"),
    ("filter", "FilterExpression"),
    ("projection", "ProjectionExpression"),
)
_PARAMETER = dict(_ORDER)

VALUE_EXPRESSIONS: dict[str, tuple[str, ...]] = {
    "PutItem": ("condition",),
    "DeleteItem": ("condition",),
    "UpdateItem": ("update", "condition"),
    "Query": ("filter", "key_condition"),
    "Scan": ("filter",),
    "ConditionCheck": ("condition",),
}
"""The expressions that take ExpressionAttributeValues, per operation, in DynamoDB's wording
order ("… UpdateExpression and ConditionExpression are null")."""


@dataclass(frozen=True, slots=True)
class Compiled:
    """A request's resolved expression trees (None for each parameter not sent).

    Trees translated from the legacy parameters (`expr.legacy`) are the same node types;
    `legacy` names the legacy parameters they came from, for the few places DynamoDB words or
    behaves differently for them. `key_conditions` carries Query's legacy KeyConditions as
    per-attribute conditions: they may use operators a KeyConditionExpression cannot express,
    which DynamoDB refuses only once it knows the key schema.
    """

    condition: Condition | None = None
    filter: Condition | None = None
    key_condition: Condition | None = None
    update: UpdateExpression | None = None
    projection: ProjectionExpression | None = None
    key_conditions: tuple[KeyCondition, ...] | None = None
    legacy: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Expressions:
    """A request's expressions as raw trees (paths may hold `NameRef`s, values are `ValueRef`s)
    with the placeholders they use: what PartiQL's planner hands to `compile_trees`."""

    condition: Condition | None = None
    filter: Condition | None = None
    key_condition: Condition | None = None
    update: UpdateExpression | None = None
    projection: ProjectionExpression | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, AttributeValue] = field(default_factory=dict)


NO_EXPRESSIONS = Expressions()
_NOTHING = Compiled()


def compile_trees(expressions: Expressions) -> Compiled:
    """Check and resolve raw trees as `compile_expressions` does parsed ones; a problem is a
    ValidationException in DynamoDB's words, without a parameter's prefix."""
    if expressions is NO_EXPRESSIONS or expressions == NO_EXPRESSIONS:
        return _NOTHING  # a GetItem or DeleteItem by key alone: nothing to check
    resolver = Resolver(expressions.names, expressions.values, Usage())
    trees: dict[str, object] = {}
    for kind, _ in _ORDER:
        tree = getattr(expressions, kind)
        if tree is None:
            continue
        try:
            _check(tree)
            trees[kind] = _resolved(tree, resolver)
        except ExpressionProblem as problem:
            raise errors.validation(problem.message) from None
    return Compiled(**trees)  # type: ignore[arg-type]


def compile_expressions(
    *,
    condition: str | None = None,
    filter: str | None = None,
    key_condition: str | None = None,
    update: str | None = None,
    projection: str | None = None,
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
    operation: str | None = None,
) -> Compiled:
    """Check and resolve a request's expressions; raise DynamoDB's ValidationException.
    `values` are ExpressionAttributeValues as sent (normalised here, in DynamoDB's order).

    `operation` (PutItem, DeleteItem, UpdateItem, Query, Scan, ConditionCheck) is needed only to
    word "ExpressionAttributeValues can only be specified when using expressions: … is null";
    without it that case is reported as unused values.
    """
    texts = {
        "condition": condition,
        "filter": filter,
        "key_condition": key_condition,
        "update": update,
        "projection": projection,
    }
    check_only_with_expressions(texts, names, values, operation)
    if names is not None:
        _check_names(names)
    if values is not None:
        _check_value_keys(values)
        values = _normalized_values(values)
    usage = Usage()
    resolver = Resolver(names, values, usage)
    trees: dict[str, object] = {}
    for kind, parameter in _ORDER:
        text = texts[kind]
        if text is None:
            continue
        try:
            trees[kind] = _compile_one(kind, text, resolver)
        except ExpressionProblem as problem:
            raise errors.validation(f"Invalid {parameter}: {problem.message}") from None
    _check_unused("ExpressionAttributeNames", names, usage.names)
    _check_unused("ExpressionAttributeValues", values, usage.values)
    return Compiled(**trees)  # type: ignore[arg-type]


def _compile_one(
    kind: str, text: str, resolver: Resolver
) -> Condition | UpdateExpression | ProjectionExpression:
    if text == "":
        raise ExpressionProblem("The expression can not be empty;")
    size = len(text.encode("utf-8"))
    if size > MAX_EXPRESSION_BYTES:
        raise ExpressionProblem(
            f"Expression size has exceeded the maximum allowed size; expression size: {size}"
        )
    tree: Condition | UpdateExpression | ProjectionExpression
    if kind == "update":
        tree = cache.update(text)
    elif kind == "projection":
        tree = cache.projection(text)
    else:
        tree = cache.condition(text)
    return _resolved(tree, resolver)


def _check(tree: Condition | UpdateExpression | ProjectionExpression) -> None:
    if isinstance(tree, UpdateExpression):
        check_update(tree)
    elif isinstance(tree, ProjectionExpression):
        check_projection(tree)
    else:
        check_condition(tree)


def _resolved(
    tree: Condition | UpdateExpression | ProjectionExpression, resolver: Resolver
) -> Condition | UpdateExpression | ProjectionExpression:
    if isinstance(tree, UpdateExpression):
        return resolver.update(tree)
    if isinstance(tree, ProjectionExpression):
        return resolver.projection(tree)
    return resolver.condition(tree)


def check_only_with_expressions(
    texts: Mapping[str, str | None],
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
    operation: str | None,
) -> None:
    """ExpressionAttributeNames without any expression, or ExpressionAttributeValues without an
    expression that takes values (`texts`: expression kind -> text or None)."""
    if names is not None and all(text is None for text in texts.values()):
        raise errors.validation(
            "ExpressionAttributeNames can only be specified when using expressions"
        )
    kinds = VALUE_EXPRESSIONS.get(operation or "")
    if values is not None and kinds and all(texts[kind] is None for kind in kinds):
        listed = " and ".join(_PARAMETER[kind] for kind in kinds)
        verb = "are" if len(kinds) > 1 else "is"
        raise errors.validation(
            f"ExpressionAttributeValues can only be specified when using expressions: "
            f"{listed} {verb} null"
        )


def _check_names(names: Mapping[str, str]) -> None:
    if not names:
        raise errors.validation("ExpressionAttributeNames must not be empty")
    for key, name in names.items():
        _check_key("ExpressionAttributeNames", key, _NAME_KEY)
        if name == "":
            raise errors.validation(
                f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
            )


def _check_value_keys(values: Mapping[str, Any]) -> None:
    if not values:
        raise errors.validation("ExpressionAttributeValues must not be empty")
    for key in values:
        _check_key("ExpressionAttributeValues", key, _VALUE_KEY)


def _normalized_values(values: Mapping[str, Any]) -> dict[str, AttributeValue]:
    normalized: dict[str, AttributeValue] = {}
    for key, value in values.items():
        try:
            normalized[key] = normalize_value(value)
        except errors.DynamoError as exc:
            if exc.type_name != "ValidationException":
                raise  # a Blob that is not base64: SerializationException as it is
            raise errors.validation(
                f"ExpressionAttributeValues contains invalid value: {exc.message} for key {key}"
            ) from None
    return normalized


def _check_key(parameter: str, key: str, pattern: re.Pattern[str]) -> None:
    size = len(key.encode("utf-8"))
    if size > MAX_PLACEHOLDER_BYTES:
        raise errors.validation(
            f"{parameter} contains invalid key: The expression attribute map contains a key "
            f"that is too long; size of key: {size}"
        )
    if not pattern.fullmatch(key):
        raise errors.validation(f'{parameter} contains invalid key: Syntax error; key: "{key}"')


def _check_unused(parameter: str, given: Mapping[str, object] | None, used: set[str]) -> None:
    if not given:
        return
    unused = [key for key in given if key not in used]
    if unused:
        keys = ", ".join(java_hash_set_order(unused, len(given)))
        raise errors.validation(
            f"Value provided in {parameter} unused in expressions: keys: {{{keys}}}"
        )


def java_hash_set_order(keys: list[str], total: int) -> list[str]:
    """`keys` in the iteration order of a java.util.HashSet built from `total` keys.

    DynamoDB lists unused placeholders in that order (e.g. `keys: {#a, #b}`), so reproducing it
    makes the message byte-identical. Keys landing in the same bucket keep their given order.
    """
    wanted = max(int(total / 0.75) + 1, 16)
    capacity = 1
    while capacity < wanted:
        capacity *= 2
    ranked = sorted(
        (_spread(_java_string_hash(key)) & (capacity - 1), position, key)
        for position, key in enumerate(keys)
    )
    return [key for _, _, key in ranked]


def _java_string_hash(text: str) -> int:
    encoded = text.encode("utf-16-be")
    value = 0
    for index in range(0, len(encoded), 2):
        value = (31 * value + int.from_bytes(encoded[index : index + 2], "big")) & 0xFFFFFFFF
    return value


def _spread(hash_code: int) -> int:
    return hash_code ^ (hash_code >> 16)
