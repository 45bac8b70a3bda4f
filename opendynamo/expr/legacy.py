"""The legacy (pre-expression) parameters as expression trees, with DynamoDB's validation.

Each legacy parameter becomes the tree its modern twin would produce, so evaluation, updates,
projection and ReturnValues have one implementation:

- `Expected` (+ `ConditionalOperator`)      -> a ConditionExpression tree;
- `QueryFilter` / `ScanFilter` (+ operator) -> a FilterExpression tree;
- `KeyConditions`                           -> per-attribute `KeyCondition`s (and a tree);
- `AttributesToGet`                         -> a ProjectionExpression;
- `AttributeUpdates`                        -> an UpdateExpression.

Every legacy ComparisonOperator has an exact expression twin, as DynamoDB evaluates them (the
rules of DynamoDB Local's LocalDBComparisonOperator, confirmed against DynamoDB by ScyllaDB's
test_expected.py): EQ `=`, NE `<>` (true when the attribute is missing or of another type),
LT/LE/GT/GE, BETWEEN, IN, BEGINS_WITH `begins_with`, CONTAINS `contains` (substring of S/B,
member of a set, element of a list), NOT_NULL `attribute_exists`, NULL `attribute_not_exists`
(existence only, never the NULL type) and NOT_CONTAINS `attribute_exists(a) AND NOT
contains(a, v)` - unlike NE, NOT_CONTAINS is false for a missing attribute.

Validation follows DynamoDB's order and wording (DynamoDB Local's InputConverter and
LocalDBValidatorUtils, dynalite's tests): for each condition, its AttributeValues, then the
argument count, then each argument's type, then "same type", then BETWEEN's bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from opendynamo import errors
from opendynamo.expr import compare
from opendynamo.expr.ast import (
    Action,
    AddAction,
    And,
    AttributeValue,
    Between,
    Call,
    Clause,
    Compare,
    Condition,
    DeleteAction,
    In,
    Item,
    Literal,
    Not,
    Or,
    Path,
    ProjectionExpression,
    RemoveAction,
    SetAction,
    UpdateExpression,
)
from opendynamo.expr.keycond import KeyCondition
from opendynamo.expr.update import WRONG_TYPE, updated_item
from opendynamo.model.values import normalize_value

# The name legacy literals carry: they stand for no `:placeholder`, and no message shows it.
LITERAL_NAME: Final = ":legacy"

TYPE_MISMATCH: Final = "Type mismatch for attribute to update"
BETWEEN_BOUNDS: Final = (
    "The BETWEEN condition was provided a range where the lower bound is greater than the "
    "upper bound"
)
WITHOUT_CONDITIONS: Final = "ConditionalOperator cannot be used without Filter or Expected"
ONE_CONDITION: Final = (
    "ConditionalOperator can only be used when Filter or Expected has two or more elements"
)

_ALL_TYPES: Final = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"})
_SORTABLE: Final = frozenset({"S", "N", "B"})
_SCALAR: Final = frozenset({"S", "N", "B", "BOOL", "NULL"})
_SETS: Final = frozenset({"SS", "NS", "BS"})

# ComparisonOperator -> (fewest, most) arguments (None: no upper bound), argument types allowed.
_ARGUMENTS: Final[dict[str, tuple[int, int | None, frozenset[str]]]] = {
    "EQ": (1, 1, _ALL_TYPES),
    "NE": (1, 1, _ALL_TYPES),
    "LE": (1, 1, _SORTABLE),
    "LT": (1, 1, _SORTABLE),
    "GE": (1, 1, _SORTABLE),
    "GT": (1, 1, _SORTABLE),
    "NOT_NULL": (0, 0, _ALL_TYPES),
    "NULL": (0, 0, _ALL_TYPES),
    "CONTAINS": (1, 1, _SCALAR),
    "NOT_CONTAINS": (1, 1, _SCALAR),
    "BEGINS_WITH": (1, 1, frozenset({"S", "B"})),
    "IN": (1, None, _SORTABLE),
    "BETWEEN": (2, 2, _SORTABLE),
}
_COMPARATORS: Final = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_FUNCTIONS: Final = {
    "NOT_NULL": "attribute_exists",
    "NULL": "attribute_not_exists",
    "CONTAINS": "contains",
    "BEGINS_WITH": "begins_with",
}
_ADD_TYPES: Final = frozenset({"N", "SS", "NS", "BS", "L"})


# ---- conditions -------------------------------------------------------------------------------


def comparison(name: str, operator: str, values: list[AttributeValue]) -> Condition:
    """The expression tree of one validated legacy condition on top-level attribute `name`."""
    path = Path((name,))
    literals = tuple(Literal(LITERAL_NAME, value) for value in values)
    if operator in _COMPARATORS:
        return Compare(_COMPARATORS[operator], path, literals[0])
    if operator in _FUNCTIONS:
        return Call(_FUNCTIONS[operator], (path, *literals))
    if operator == "NOT_CONTAINS":
        return And(Call("attribute_exists", (path,)), Not(Call("contains", (path, literals[0]))))
    if operator == "IN":
        return In(path, literals)
    return Between(path, literals[0], literals[1])


def check_arguments(operator: str, values: list[AttributeValue]) -> None:
    """DynamoDB's checks of a ComparisonOperator's AttributeValueList (values normalised)."""
    fewest, most, types = _ARGUMENTS[operator]
    if len(values) < fewest or (most is not None and len(values) > most):
        raise errors.invalid_parameters(
            f"Invalid number of argument(s) for the {operator} ComparisonOperator"
        )
    if not values:
        return
    first = compare.type_of(values[0])
    for value in values:
        kind = compare.type_of(value)
        if kind not in types:
            raise errors.invalid_parameters(
                f"ComparisonOperator {operator} is not valid for {kind} AttributeValue type"
            )
        if kind != first:
            raise errors.invalid_parameters(
                "AttributeValues inside AttributeValueList must be of same type"
            )
    if operator == "BETWEEN" and (compare.order(values[0], values[1]) or 0) > 0:
        raise errors.validation(BETWEEN_BOUNDS)


def _value_list(condition: Mapping[str, Any]) -> list[AttributeValue]:
    return [normalize_value(value) for value in condition.get("AttributeValueList") or []]


def _combine(conditions: list[Condition], conditional_operator: str | None) -> Condition | None:
    """The conditions of a map joined by ConditionalOperator (AND unless OR), in map order."""
    if not conditions:
        return None
    joined = conditions[0]
    for condition in conditions[1:]:
        joined = Or(joined, condition) if conditional_operator == "OR" else And(joined, condition)
    return joined


def check_conditional_operator(conditional_operator: str | None, conditions: int) -> None:
    """ConditionalOperator needs a Filter or Expected map of two conditions or more."""
    if conditional_operator is None:
        return
    if conditions == 0:
        raise errors.validation(WITHOUT_CONDITIONS)
    if conditions == 1:
        raise errors.validation(ONE_CONDITION)


def filter_condition(
    conditions: Mapping[str, Any], conditional_operator: str | None
) -> Condition | None:
    """A QueryFilter or ScanFilter map as a FilterExpression tree (None when empty)."""
    trees: list[Condition] = []
    for name, condition in conditions.items():
        operator, values = _condition(name, condition)
        trees.append(comparison(name, operator, values))
    return _combine(trees, conditional_operator)


def _condition(name: str, condition: Mapping[str, Any] | None) -> tuple[str, list[AttributeValue]]:
    """One checked Condition of a QueryFilter, ScanFilter or KeyConditions map."""
    if not name:
        raise errors.empty_attribute_name()
    if condition is None:  # a JSON null (DynamoDB Local's wording)
        raise errors.validation(f"The filter condition for an attribute cannot be null: {name}")
    operator = str(condition.get("ComparisonOperator"))
    values = _value_list(condition)
    check_arguments(operator, values)
    return operator, values


def expected_condition(
    expected: Mapping[str, Any], conditional_operator: str | None
) -> Condition | None:
    """An Expected map as a ConditionExpression tree (None when empty)."""
    trees = [_expected_one(name, entry) for name, entry in expected.items()]
    return _combine(trees, conditional_operator)


def _expected_one(name: str, entry: Mapping[str, Any] | None) -> Condition:
    if not name:
        raise errors.empty_attribute_name()
    if entry is None:  # a JSON null (DynamoDB Local's wording)
        raise errors.invalid_parameters(
            f"ExpectedAttributeValue must not be null for Attribute: {name}"
        )
    _check_expected_shape(name, entry)
    operator = entry.get("ComparisonOperator")
    value = entry.get("Value")
    normalized = None if value is None else normalize_value(value)
    values = _value_list(entry)
    if operator is not None:
        arguments = [normalized] if normalized is not None else values
        check_arguments(operator, arguments)
        return comparison(name, operator, arguments)
    if normalized is None:  # Exists: false
        return Call("attribute_not_exists", (Path((name,)),))
    return Compare("=", Path((name,)), Literal(LITERAL_NAME, normalized))


def _check_expected_shape(name: str, entry: Mapping[str, Any]) -> None:
    """The combinations of Value, Exists, ComparisonOperator and AttributeValueList DynamoDB
    refuses, in its order (DynamoDB Local's validateExpectedAttribute)."""
    exists = entry.get("Exists")
    operator = entry.get("ComparisonOperator")
    has_value = entry.get("Value") is not None
    has_list = entry.get("AttributeValueList") is not None
    problem = None
    if exists is not None and operator is not None:
        problem = "Exists and ComparisonOperator cannot be used together"
    elif has_value and has_list:
        problem = "Value and AttributeValueList cannot be used together"
    elif operator is None and has_list:
        problem = "AttributeValueList can only be used with a ComparisonOperator"
    elif exists is False and has_value:
        problem = "Value cannot be used when Exists is false"
    elif not has_value and not has_list:
        if operator is not None and operator not in ("NULL", "NOT_NULL"):
            problem = (
                f"Value or AttributeValueList must be used with ComparisonOperator: {operator}"
            )
        elif operator is None and exists is not False:
            problem = (
                f"Value must be provided when Exists is {'null' if exists is None else 'true'}"
            )
    if problem is not None:
        raise errors.invalid_parameters(f"{problem} for Attribute: {name}")


KEY_CONDITIONS_COUNT = "Conditions can be of length 1 or 2 only"
# A GSI with multi-attribute keys has up to 4 + 4 key attributes, and DynamoDB takes
# KeyConditions on every one of them (moto's aws_verified multi-attribute GSI tests); more than
# 2 is refused once the key schema is known, for any other table or index.
MAX_KEY_CONDITIONS = 8


def key_conditions(conditions: Mapping[str, Any]) -> tuple[KeyCondition, ...]:
    """Query's KeyConditions, checked as conditions, as one `KeyCondition` per attribute.

    Operators that cannot select a key range (NE, IN, NULL, ...) pass here: DynamoDB refuses
    them only once it knows the key schema ("Attempted conditional constraint is not an
    indexable operation", after "Query condition missed key schema element")."""
    found: list[KeyCondition] = []
    for name, condition in conditions.items():
        operator, values = _condition(name, condition)
        found.append(KeyCondition(name, operator, tuple(Literal(LITERAL_NAME, v) for v in values)))
    if not 1 <= len(found) <= MAX_KEY_CONDITIONS:
        raise errors.validation(KEY_CONDITIONS_COUNT)
    return tuple(found)


def key_condition_tree(conditions: tuple[KeyCondition, ...]) -> Condition | None:
    """The KeyConditionExpression tree equivalent to per-attribute key conditions."""
    trees: list[Condition] = [
        comparison(c.name, c.operator, [literal.value for literal in c.values]) for c in conditions
    ]
    return _combine(trees, "AND")


# ---- projections ------------------------------------------------------------------------------


def attributes_to_get(names: list[str]) -> ProjectionExpression:
    """AttributesToGet as the ProjectionExpression of the same top-level attributes."""
    seen: set[str] = set()
    for name in names:
        if not name:
            raise errors.empty_attribute_name()
        if name in seen:
            raise errors.invalid_parameters(f"Duplicate value in attribute name: {name}")
        seen.add(name)
    return ProjectionExpression(tuple(Path((name,)) for name in names))


# ---- updates ----------------------------------------------------------------------------------


def attribute_updates(updates: Mapping[str, Any]) -> UpdateExpression:
    """AttributeUpdates as an UpdateExpression: PUT is `SET a = v`, DELETE without a value is
    `REMOVE a`, DELETE with a set is `DELETE a v`, ADD of a number or set is `ADD a v` and ADD
    of a list - which only the legacy ADD allows - is `SET a = list_append(if_not_exists(a,
    []), v)`. Clauses keep the order of their first action."""
    clauses: dict[str, list[Action]] = {}
    for name, update in updates.items():
        if not name:
            raise errors.empty_attribute_name()
        if update is None:  # a JSON null (DynamoDB Local's wording)
            raise errors.validation(
                "Supplied AttributeValueUpdate is empty, must contain one of the supported "
                f"actions: {name} is null"
            )
        keyword, action = _update_action(name, update)
        clauses.setdefault(keyword, []).append(action)
    return UpdateExpression(
        tuple(Clause(keyword, tuple(actions)) for keyword, actions in clauses.items())
    )


def _update_action(name: str, update: Mapping[str, Any]) -> tuple[str, Action]:
    action = update.get("Action") or "PUT"
    raw = update.get("Value")
    value = None if raw is None else normalize_value(raw)
    if value is None and action != "DELETE":
        raise errors.invalid_parameters(
            "Only DELETE action is allowed when no attribute value is specified"
        )
    path = Path((name,))
    if value is None:
        return "REMOVE", RemoveAction(path)
    kind = compare.type_of(value)
    literal = Literal(LITERAL_NAME, value)
    if action == "DELETE":
        if kind not in _SETS:
            raise errors.invalid_parameters(
                f"DELETE action with value is not supported for the type {kind}"
            )
        return "DELETE", DeleteAction(path, literal)
    if action == "ADD":
        if kind not in _ADD_TYPES:
            raise errors.invalid_parameters(f"ADD action is not supported for the type {kind}")
        if kind == "L":
            existing = Call("if_not_exists", (path, Literal(LITERAL_NAME, {"L": []})))
            return "SET", SetAction(path, Call("list_append", (existing, literal)))
        return "ADD", AddAction(path, literal)
    return "SET", SetAction(path, literal)


def apply_attribute_updates(tree: UpdateExpression, item: Item | None, key: Item) -> Item | None:
    """The item after a translated AttributeUpdates (`updated_item`): on a missing item an
    update made only of DELETE actions creates nothing (AWS: "Nothing happens ... The
    operation succeeds, but DynamoDB does not create a new item"), and a value of the wrong
    type is "Type mismatch for attribute to update". None: no item."""
    try:
        return updated_item(tree, item, key)
    except errors.DynamoError as exc:
        if exc.message == WRONG_TYPE:
            raise errors.validation(TYPE_MISMATCH) from None
        raise
