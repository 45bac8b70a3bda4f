"""Shaping what the underlying requests return into PartiQL replies: selected paths as named
columns, NextToken, and ConsumedCapacity summed over several requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from typing import Any, Union

import orjson

from opendynamo.model.values import AttributeValue, Item
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg

_Tree = dict[str | int, Union["_Tree", None]]


def unnest(item: Item, paths: Sequence[ast.Path]) -> Item:
    """A projected item as PartiQL names its columns: each selected path is a column named by
    its last map key followed by the list indexes after it (`a.b` is `b`, `a.b[1]` is `b[1]`,
    `l[0]` is `l[0]`). `item` is the projection of the item on `paths` (lists compacted, as a
    ProjectionExpression leaves them)."""
    tree: _Tree = {}
    for path in paths:
        node = tree
        for position, element in enumerate(path.elements):
            last = position == len(path.elements) - 1
            if last:
                node[element] = None
            else:
                child = node.get(element)
                if child is None:
                    child = {}
                    node[element] = child
                node = child
    columns: Item = {}
    _unnest_map(item, tree, columns)
    return columns


def _unnest_map(members: dict[str, AttributeValue], tree: _Tree, columns: Item) -> None:
    for key, below in tree.items():
        if not isinstance(key, str):
            continue
        value = members.get(key)
        if value is not None:
            _unnest_value(value, below, key, columns)


def _unnest_value(value: AttributeValue, below: _Tree | None, name: str, columns: Item) -> None:
    if below is None:
        columns[name] = value
        return
    if "M" in value:
        _unnest_map(value["M"], below, columns)
        return
    elements = value.get("L")
    if elements is None:
        return
    indexes = sorted(key for key in below if isinstance(key, int))
    for position, index in enumerate(indexes):
        if position < len(elements):
            _unnest_value(elements[position], below[index], f"{name}[{index}]", columns)


# ---- NextToken --------------------------------------------------------------------------


def request_digest(statement: str, parameters: Sequence[AttributeValue]) -> str:
    """What ties a NextToken to the statement (and parameters) it continues."""
    data = orjson.dumps([statement, list(parameters)], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(data).hexdigest()[:24]


def _unsigned(data: bytes) -> bytes | None:
    return data


def encode_token(
    digest: str,
    partition: int,
    last_key: Item | None,
    sign: Callable[[bytes], bytes] = bytes,
) -> str:
    """An opaque NextToken: the request's digest, the partition reached (IN queries) and the
    LastEvaluatedKey to continue after, as `sign` seals them (the server: with a MAC)."""
    data = orjson.dumps({"d": digest, "p": partition, "k": last_key})
    return base64.b64encode(sign(data)).decode()


def decode_token(
    token: str, digest: str, verify: Callable[[bytes], bytes | None] = _unsigned
) -> tuple[int, Item | None]:
    """(partition, last key) of a NextToken; ValidationException when it is not ours (its
    seal does not `verify`) or was issued for another statement."""
    try:
        data = verify(base64.b64decode(token, validate=True))
        if data is None:
            raise ValueError("not a token of this server")
        state = orjson.loads(data)
        partition, last_key, given = state["p"], state["k"], state["d"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise msg.refused(msg.INVALID_NEXT_TOKEN) from None
    if not isinstance(partition, int) or not (last_key is None or isinstance(last_key, dict)):
        raise msg.refused(msg.INVALID_NEXT_TOKEN)
    if given != digest:
        raise msg.refused(msg.NEXT_TOKEN_MISMATCH)
    return partition, last_key


# ---- ConsumedCapacity -------------------------------------------------------------------


def add_capacity(
    total: dict[str, Any] | None, part: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Two ConsumedCapacity entries of one table added up (units summed member by member)."""
    if part is None:
        return total
    if total is None:
        return part
    merged = dict(total)
    for name, value in part.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            merged[name] = merged.get(name, 0.0) + value
        elif isinstance(value, dict):
            merged[name] = add_capacity(merged.get(name), value)
        else:
            merged[name] = value
    return merged


def capacity_list(entries: Sequence[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """One ConsumedCapacity entry per table, in the order tables first appear."""
    by_table: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry is None:
            continue
        name = entry["TableName"]
        merged = add_capacity(by_table.get(name), entry)
        assert merged is not None
        by_table[name] = merged
    return list(by_table.values())
