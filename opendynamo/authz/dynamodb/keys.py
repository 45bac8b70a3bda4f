"""The condition keys that item and PartiQL requests share: the request's own Select,
ReturnValues and ReturnConsumedCapacity, the attributes its expressions name, whether it
projects, and the partition-key values (dynamodb:LeadingKeys) of the records it touches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opendynamo.api.request.expressions import compile_request
from opendynamo.authz.access import key_text
from opendynamo.expr.names import attribute_names
from opendynamo.model.values import Body


def common(body: Body) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for member in ("Select", "ReturnValues", "ReturnConsumedCapacity"):
        if body.get(member) is not None:
            context[f"dynamodb:{member}"] = body[member]
    return context


def projects(body: Body) -> bool:
    return bool(body.get("ProjectionExpression") or body.get("AttributesToGet"))


def expression_names(body: Body, operation: str) -> set[str]:
    compiled = compile_request(body, operation)
    names = attribute_names(compiled.condition, compiled.filter, compiled.projection)
    if compiled.update is not None:
        names |= attribute_names(compiled.update)
    return names | set(body.get("AttributesToGet") or ())


def leading(records: Iterable[Any], hash_keys: tuple[str, ...]) -> list[str]:
    return sorted(
        {
            key_text(record[name])
            for record in records
            if record
            for name in hash_keys
            if name in record
        }
    )
