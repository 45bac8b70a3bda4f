"""The top-level attribute names an expression tree touches (for dynamodb:Attributes)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from opendynamo.expr.ast import Path


def attribute_names(*trees: Any) -> set[str]:
    """Names of the first element of every resolved document path in `trees` (None skipped)."""
    return {name for tree in trees if tree is not None for name in _walk(tree)}


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, Path):
        first = node.elements[0] if node.elements else None
        if isinstance(first, str):
            yield first
        return
    if isinstance(node, tuple | list):
        for child in node:
            yield from _walk(child)
    elif dataclasses.is_dataclass(node):
        for field in dataclasses.fields(node):
            yield from _walk(getattr(node, field.name))
