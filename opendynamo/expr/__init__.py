"""DynamoDB expressions: one lexer and parser for condition, filter, key condition, update and
projection expressions; immutable trees; placeholder resolution as a separate pass; an LRU of
parsed trees keyed by text; evaluation, pure update application and projection.

    compiled = compile_expressions(condition=..., update=..., names=..., values=...,
                                   operation="UpdateItem")
    if compiled.condition is not None and not evaluate(compiled.condition, old_item): ...
    new_item = apply_update(compiled.update, old_item or key)
    updated_old = project(old_item, compiled.update)      # ReturnValues UPDATED_OLD

PartiQL's planner builds raw trees itself (`Expressions`); `compile_trees` checks and
resolves them the same way.
"""

from __future__ import annotations

from opendynamo.expr.ast import (
    AttributeValue,
    Condition,
    DocPath,
    Item,
    PathElement,
    ProjectionExpression,
    UpdateExpression,
    condition_paths,
)
from opendynamo.expr.compile import (
    NO_EXPRESSIONS,
    Compiled,
    Expressions,
    compile_expressions,
    compile_trees,
)
from opendynamo.expr.evaluate import evaluate, lookup
from opendynamo.expr.keycond import KeyCondition, split_key_condition
from opendynamo.expr.legacy import KEY_CONDITIONS_COUNT
from opendynamo.expr.project import project, top_level_names
from opendynamo.expr.update import apply_update, updated_item


def update_paths(tree: UpdateExpression) -> tuple[DocPath, ...]:
    """The document path each action of a resolved update targets, in the order written."""
    return tree.document_paths


__all__ = [
    "KEY_CONDITIONS_COUNT",
    "NO_EXPRESSIONS",
    "condition_paths",
    "AttributeValue",
    "Compiled",
    "Condition",
    "DocPath",
    "Expressions",
    "Item",
    "KeyCondition",
    "PathElement",
    "ProjectionExpression",
    "UpdateExpression",
    "apply_update",
    "compile_expressions",
    "compile_trees",
    "evaluate",
    "lookup",
    "project",
    "split_key_condition",
    "top_level_names",
    "update_paths",
    "updated_item",
]
