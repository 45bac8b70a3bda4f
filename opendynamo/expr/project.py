"""Projection: the parts of an item a ProjectionExpression (or an update's paths) selects.

Used for ProjectionExpression and for UpdateItem's ReturnValues UPDATED_OLD / UPDATED_NEW
(`project(old_item, update_tree)`). DynamoDB's rules: a missing path is silently omitted; a
nested path returns a partial map or list; list elements selected by index keep their relative
order and are compacted (`a[1], a[3]` gives a two-element list); a map or list from which nothing
was selected is omitted. Selected values are shared with the item, not copied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Union

from opendynamo.expr.ast import (
    AttributeValue,
    DocPath,
    Item,
    PathElement,
    ProjectionExpression,
    UpdateExpression,
)

_Tree = dict[PathElement, Union["_Tree", None]]
"""Selected paths as a tree; None marks a path's end (select the whole value)."""


def project(item: Item, paths: ProjectionExpression | UpdateExpression | Iterable[DocPath]) -> Item:
    """The projection of `item` on `paths` (a resolved projection or update, or plain paths)."""
    if isinstance(paths, (ProjectionExpression, UpdateExpression)):
        paths = paths.document_paths
    tree: _Tree = {}
    for path in paths:
        _insert(tree, path)
    result: Item = {}
    for name, below in tree.items():
        value = item.get(name) if isinstance(name, str) else None
        if value is None:
            continue
        selected = _select(value, below)
        if selected is not None:
            result[name] = selected  # type: ignore[index]
    return result


def top_level_names(
    paths: ProjectionExpression | UpdateExpression | Iterable[DocPath],
) -> frozenset[str]:
    """The top-level attribute names a projection (or update) refers to."""
    if isinstance(paths, (ProjectionExpression, UpdateExpression)):
        return paths.top_level_names
    return frozenset(str(path[0]) for path in paths)


def _insert(tree: _Tree, path: DocPath) -> None:
    node = tree
    for position, element in enumerate(path):
        last = position == len(path) - 1
        if element in node:
            existing = node[element]
            if existing is None:
                return  # a whole value is already selected
            if last:
                node[element] = None
                return
            node = existing
        elif last:
            node[element] = None
        else:
            child: _Tree = {}
            node[element] = child
            node = child


def _select(value: AttributeValue, below: _Tree | None) -> AttributeValue | None:
    if below is None:
        return value
    if "M" in value:
        entries = value["M"]
        selected_map: dict[str, AttributeValue] = {}
        for key, sub in below.items():
            if isinstance(key, str) and key in entries:
                chosen = _select(entries[key], sub)
                if chosen is not None:
                    selected_map[key] = chosen
        return {"M": selected_map} if selected_map else None
    if "L" in value:
        members = value["L"]
        indexes = sorted(key for key in below if isinstance(key, int))
        selected_list = [
            chosen
            for index in indexes
            if index < len(members)
            and (chosen := _select(members[index], below[index])) is not None
        ]
        return {"L": selected_list} if selected_list else None
    return None
