"""Primary keys of requests: checked against the table's key schema as DynamoDB checks them,
then encoded for storage."""

from __future__ import annotations

from typing import Any

from opendynamo import errors
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import keycodec
from opendynamo.model.values import AttributeValue, Item, decode_binary

MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024
NO_MATCH = "The provided key element does not match the schema"


def key_from_param(meta: TableMeta, key: dict[str, Any]) -> bytes:
    """The encoded key of a `Key` parameter, which must name exactly the key attributes."""
    if len(key) != len(meta.key_names):
        raise errors.validation(NO_MATCH)
    for name, type_ in _key_types(meta):
        value = key.get(name)
        if value is None or type_ not in value:
            raise errors.validation(NO_MATCH)
    return _encode(meta, key)


def key_from_item(meta: TableMeta, item: Item) -> bytes:
    """The encoded key of a whole item (PutItem): its key attributes must be present and typed."""
    for name, type_ in _key_types(meta):
        value = item.get(name)
        if value is None:
            raise errors.invalid_parameters(f"Missing the key {name} in the item")
        if type_ not in value:
            actual = next(iter(value))
            raise errors.invalid_parameters(
                f"Type mismatch for key {name} expected: {type_} actual: {actual}"
            )
    return _encode(meta, item)


def _key_types(meta: TableMeta) -> tuple[tuple[str, str], ...]:
    if meta.range_key is not None and meta.range_type is not None:
        return ((meta.hash_key, meta.hash_type), (meta.range_key, meta.range_type))
    return ((meta.hash_key, meta.hash_type),)


def _encode(meta: TableMeta, attrs: dict[str, Any]) -> bytes:
    hash_value = attrs[meta.hash_key]
    check_key_value(meta.hash_key, hash_value, partition=True)
    range_value = None
    if meta.range_key is not None:
        range_value = attrs[meta.range_key]
        check_key_value(meta.range_key, range_value, partition=False)
    return keycodec.encode_key(hash_value, range_value)


def check_key_value(name: str, value: AttributeValue, *, partition: bool) -> None:
    """A key value of the right type: not empty, within the partition (2,048 bytes) or sort
    (1,024 bytes) key's size."""
    if "N" in value:
        return
    limit = MAX_HASH_KEY_BYTES if partition else MAX_RANGE_KEY_BYTES
    raw = value["S"].encode() if "S" in value else decode_binary(value["B"])
    if not raw:
        kind = "string" if "S" in value else "binary"
        raise errors.validation(
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            f"cannot contain an empty {kind} value. Key: {name}"
        )
    if len(raw) > limit:
        if limit == MAX_HASH_KEY_BYTES:
            raise errors.invalid_parameters(
                "Size of hashkey has exceeded the maximum size limit of2048 bytes"
            )
        raise errors.invalid_parameters(
            "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
        )
