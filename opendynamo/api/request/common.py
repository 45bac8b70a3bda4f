"""Request steps shared by the item, query and batch operations."""

from __future__ import annotations

from opendynamo import errors
from opendynamo.model.values import AttributeValue, Body, normalize_value


def refuse_legacy(body: Body, names: tuple[str, ...]) -> None:
    """The pre-expression parameters are not served yet: say so in DynamoDB's error type."""
    present = [name for name in names if name in body]
    if present:
        raise errors.validation(
            f"The legacy parameter {present[0]} is not supported by this version of opendynamo; "
            "use the expression parameters instead"
        )


def expression_values(body: Body) -> dict[str, AttributeValue] | None:
    """ExpressionAttributeValues, normalised, with DynamoDB's wording for a bad value."""
    values = body.get("ExpressionAttributeValues")
    if values is None:
        return None
    normalized: dict[str, AttributeValue] = {}
    for name, value in values.items():
        try:
            normalized[name] = normalize_value(value)
        except errors.DynamoError as exc:
            raise errors.validation(
                f"ExpressionAttributeValues contains invalid value: {exc.message} for key {name}"
            ) from None
    return normalized
