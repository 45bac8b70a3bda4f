"""`compile_request`: a request's expression parameters - modern or legacy - as resolved trees.

Each operation accepts expression parameters and their legacy (pre-expression) twins, never
both. The checks run in DynamoDB's order (dynalite's validateExpressionParams and per-operation
validations, the mixing and ConditionalOperator rules as recorded against DynamoDB):

1. mixing: any legacy parameter with any expression parameter is "Can not use both expression
   and non-expression parameters in the same request: Non-expression parameters: {…}
   Expression parameters: {…}", each side listed in the operation's fixed order - except that
   Query's KeyConditions may accompany FilterExpression / ProjectionExpression;
2. ExpressionAttributeNames / ExpressionAttributeValues without an expression to use them;
3. the legacy parameters, translated and checked (`expr.legacy`), and ConditionalOperator,
   which needs a Filter or Expected of two conditions or more;
4. Query and Scan: the values of ExclusiveStartKey; Scan: Segment and TotalSegments;
5. Query: a key condition of either kind must be present;
6. the expressions themselves (`expr.compile_expressions`: the placeholders' maps, their
   values, each expression), then Query's KeyConditions.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from opendynamo import errors, expr
from opendynamo.api.request.common import segments, start_key
from opendynamo.expr import legacy
from opendynamo.expr.compile import check_only_with_expressions
from opendynamo.model.values import Body

# Operation -> (expression parameters, legacy parameters), each in DynamoDB's listing order.
PARAMETERS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "GetItem": (("ProjectionExpression",), ("AttributesToGet",)),
    "BatchGetItem": (("ProjectionExpression",), ("AttributesToGet",)),
    "PutItem": (("ConditionExpression",), ("Expected", "ConditionalOperator")),
    "DeleteItem": (("ConditionExpression",), ("Expected", "ConditionalOperator")),
    "UpdateItem": (
        ("UpdateExpression", "ConditionExpression"),
        ("AttributeUpdates", "Expected", "ConditionalOperator"),
    ),
    "Query": (
        ("ProjectionExpression", "FilterExpression", "KeyConditionExpression"),
        ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"),
    ),
    "Scan": (
        ("ProjectionExpression", "FilterExpression"),
        ("AttributesToGet", "ScanFilter", "ConditionalOperator"),
    ),
}
# Expression parameter -> its argument of `expr.compile_expressions`.
_KINDS: Final = {
    "ConditionExpression": "condition",
    "FilterExpression": "filter",
    "KeyConditionExpression": "key_condition",
    "UpdateExpression": "update",
    "ProjectionExpression": "projection",
}
# Every member that makes compile_request do work; a request with none compiles to NOTHING.
_NO_EXPRESSIONS: Final = frozenset(
    {"ExpressionAttributeNames", "ExpressionAttributeValues", "ConditionalOperator"}
    | {
        name
        for expressions, legacy_names in PARAMETERS.values()
        for name in expressions + legacy_names
    }
)
NOTHING: Final = expr.Compiled()
MISSING_KEY_CONDITION: Final = (
    "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
)


def compile_request(body: Body, operation: str) -> expr.Compiled:
    """Every expression parameter of `body` (one table's entry for BatchGetItem) checked and
    turned into trees, legacy parameters translated into the same trees."""
    if _NO_EXPRESSIONS.isdisjoint(body) and operation != "Query":
        return NOTHING  # the common GetItem/PutItem: nothing to parse or check
    _check_mixing(body, operation)
    texts = {kind: None for kind in _KINDS.values()} | {
        _KINDS[name]: body.get(name) for name in PARAMETERS[operation][0]
    }
    reads = operation in ("GetItem", "BatchGetItem")
    names = body.get("ExpressionAttributeNames")
    values = None if reads else body.get("ExpressionAttributeValues")
    value_operation = "GetItem" if reads else operation
    check_only_with_expressions(texts, names, values, value_operation)
    translated = _translate(body, operation)
    if operation in ("Query", "Scan"):
        start_key(body)
    if operation == "Scan":
        segments(body)
    if operation == "Query":
        _check_key_condition_given(body)
    compiled = expr.compile_expressions(
        **texts, names=names, values=values, operation=value_operation
    )
    if operation == "Query" and body.get("KeyConditions") is not None:
        conditions = legacy.key_conditions(body["KeyConditions"])
        translated["key_conditions"] = conditions
        translated["key_condition"] = legacy.key_condition_tree(conditions)
    used = frozenset(name for name in PARAMETERS[operation][1] if body.get(name) is not None)
    if not used and not translated:
        return compiled  # (modern expressions only: dataclasses.replace costs microseconds)
    return dataclasses.replace(compiled, legacy=used, **translated)


def _check_key_condition_given(body: Body) -> None:
    if body.get("KeyConditionExpression") is None and body.get("KeyConditions") is None:
        raise errors.validation(MISSING_KEY_CONDITION)


def _check_mixing(body: Body, operation: str) -> None:
    expressions, legacy_names = PARAMETERS[operation]
    modern = [name for name in expressions if body.get(name) is not None]
    if not modern:
        return
    old = [name for name in legacy_names if body.get(name) is not None]
    if "KeyConditionExpression" not in modern and "KeyConditions" in old:
        old.remove("KeyConditions")  # KeyConditions may go with the other expressions
    if old:
        raise errors.validation(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(old)}}} "
            f"Expression parameters: {{{', '.join(modern)}}}"
        )


def _translate(body: Body, operation: str) -> dict[str, Any]:
    """The trees of the legacy parameters present (except Query's KeyConditions), in the
    order DynamoDB checks them for `operation` (dynalite's per-operation validations)."""
    trees: dict[str, Any] = {}
    if operation == "UpdateItem":
        _update(body, trees)
    if operation in ("PutItem", "DeleteItem", "UpdateItem"):
        _condition(body, "Expected", "condition", trees)
    elif operation == "Query":
        _condition(body, "QueryFilter", "filter", trees)
        _projection(body, trees)
    elif operation == "Scan":
        _projection(body, trees)
        _condition(body, "ScanFilter", "filter", trees)
    else:
        _projection(body, trees)
    return trees


def _update(body: Body, trees: dict[str, Any]) -> None:
    updates = body.get("AttributeUpdates")
    if updates is not None:
        trees["update"] = legacy.attribute_updates(updates)


def _condition(body: Body, parameter: str, kind: str, trees: dict[str, Any]) -> None:
    """Expected, QueryFilter or ScanFilter, joined by ConditionalOperator."""
    conditions = body.get(parameter) or {}
    operator = body.get("ConditionalOperator")
    if conditions:
        build = legacy.expected_condition if parameter == "Expected" else legacy.filter_condition
        trees[kind] = build(conditions, operator)
    legacy.check_conditional_operator(operator, len(conditions))


def _projection(body: Body, trees: dict[str, Any]) -> None:
    names = body.get("AttributesToGet")
    if names is not None:
        trees["projection"] = legacy.attributes_to_get(names)
