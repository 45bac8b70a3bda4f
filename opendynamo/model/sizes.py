"""DynamoDB's size of attribute values and items, for the 400 KB limit and capacity units.

The rules (DynamoDB Developer Guide, "Item sizes and formats"): S is its UTF-8 length, B its
decoded length, N one exponent byte plus the base-100 mantissa (plus a byte for negatives),
BOOL and NULL one byte, sets the sum of their members, L 3 + Σ(1 + member) and
M 3 + Σ(1 + name + value). Every write computes these, so they work on the normalised text without decoding or parsing numbers.

`page_size` is another measure: the compact size DynamoDB counts an item at toward the 1 MB
that ends a Query or Scan page, which is not its billed size (see its docstring).
"""

from __future__ import annotations

from typing import Any

from opendynamo.model.values import AttributeValue, Item


def utf8_length(text: str) -> int:
    """UTF-8 byte length of a string, without encoding it when it is plain ASCII."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def binary_length(b64: str) -> int:
    """Decoded byte length of canonical (padded) base64 text, from its length and padding."""
    if not b64:
        return 0
    padding = 2 if b64.endswith("==") else 1 if b64.endswith("=") else 0
    return len(b64) // 4 * 3 - padding


def number_size(text: str) -> int:
    """Bytes DynamoDB counts for a canonical number (dynalite's rule, matching DynamoDB).

    With n significant digits and decimal exponent e of the leading digit:
    1 + ⌈n/2⌉, plus 1 when n and e are both even, plus 1 when negative; zero is 1.
    """
    negative = text.startswith("-")
    body = text[1:] if negative else text
    whole, _, fraction = body.partition(".")
    if whole != "0":
        # "123.45" or "12300": canonical text has no trailing fractional zeros.
        digits = len(whole) + len(fraction) if fraction else len(whole.rstrip("0"))
        exponent = len(whole) - 1
    elif fraction:
        significant = fraction.lstrip("0")
        digits = len(significant)
        exponent = len(significant) - len(fraction) - 1
    else:
        return 1  # zero
    size = 1 + (digits + 1) // 2
    if digits % 2 == 0 and exponent % 2 == 0:
        size += 1
    return size + 1 if negative else size


def value_size(av: AttributeValue) -> int:
    """Size in bytes of one normalised attribute value."""
    for type_key, payload in av.items():
        return _payload_size(type_key, payload)
    return 0


def _payload_size(type_key: str, payload: Any) -> int:
    if type_key == "S":
        return utf8_length(payload)
    if type_key == "N":
        return number_size(payload)
    if type_key == "B":
        return binary_length(payload)
    if type_key == "BOOL" or type_key == "NULL":
        return 1
    if type_key == "M":
        return 3 + sum(1 + utf8_length(name) + value_size(v) for name, v in payload.items())
    if type_key == "L":
        return 3 + sum(1 + value_size(v) for v in payload)
    if type_key == "SS":
        return sum(utf8_length(s) for s in payload)
    if type_key == "NS":
        return sum(number_size(n) for n in payload)
    if type_key == "BS":
        return sum(binary_length(b) for b in payload)
    raise ValueError(f"unknown attribute value type {type_key!r}")


def item_size(item: Item) -> int:
    """Size in bytes of an item: Σ over attributes of UTF-8 name length + value size. (Every
    write measures its item: strings and numbers, nearly every attribute, are measured
    inline.)"""
    total = 0
    for name, value in item.items():
        total += len(name) if name.isascii() else utf8_length(name)
        for type_key, payload in value.items():
            if type_key == "S":
                total += len(payload) if payload.isascii() else utf8_length(payload)
            elif type_key == "N":
                total += number_size(payload)
            else:
                total += _payload_size(type_key, payload)
    return total


def measure(item: Item, range_key: str | None) -> tuple[int, int]:
    """(`item_size`, `page_size`) of an item, in one pass over its attributes: what every
    write stores with the item."""
    total = body = sort_key = 0
    for name, value in item.items():
        total += len(name) if name.isascii() else utf8_length(name)
        for type_key, payload in value.items():
            if type_key == "S":
                length = len(payload) if payload.isascii() else utf8_length(payload)
                compact = length + (1 if length < 128 else 2 if length < 16384 else 3)
            elif type_key == "N":
                length = number_size(payload)
                compact = length + 1
            else:
                length = _payload_size(type_key, payload)
                compact = _compact_size(value)
            total += length
            if name == range_key:
                sort_key = length
            else:
                body += 1 + compact
    page = 2 + body + (1 + (body + 1) // PAGE_BLOCK) * (PAGE_BLOCK_COST + sort_key)
    return total, page


# The compact size of a Query or Scan page: DynamoDB measures an item, toward the 1 MB that ends
# a page, by a compact stored form rather than by its billed size. The rule is dynalite's
# reverse-engineering (`itemSize` in db/index.js), which reproduces to the byte the page cuts
# its tests recorded against DynamoDB ("should return LastEvaluatedKey if just over limit"):
# every attribute name counts 1 byte whatever its length, each value carries a little framing,
# the table's sort key is kept apart, and every started 3 KB block of the item costs 18 bytes
# plus the sort key again.
PAGE_BLOCK = 3072
PAGE_BLOCK_COST = 18


def page_size(item: Item, range_key: str | None) -> int:
    """Bytes an item (or index entry) counts toward a Query or Scan page's 1 MB.

    Each attribute but the table's sort key `range_key` counts 1 (its name) plus its compact
    value size (`_compact_size`); with B the sum, the item counts
    2 + B + (1 + ⌊(B + 1) / 3072⌋) × (18 + the sort key's plain value size).
    """
    body = 0
    sort_key = 0
    for name, value in item.items():
        if name == range_key:
            sort_key = value_size(value)
        else:
            body += 1 + _compact_size(value)
    return 2 + body + (1 + (body + 1) // PAGE_BLOCK) * (PAGE_BLOCK_COST + sort_key)


def _compact_size(av: AttributeValue) -> int:
    """A value in the compact form: its bytes plus framing. S carries a 1-3 byte length
    (under 128 bytes, under 16 KB, longer), B and N one byte, a set one byte per member and one
    more, NULL nothing; L is 3 + Σ(1 + member) and M 3 + Σ(2 + value)."""
    for type_key, payload in av.items():
        if type_key == "S":
            length = len(payload) if payload.isascii() else utf8_length(payload)
            return length + (1 if length < 128 else 2 if length < 16384 else 3)
        if type_key == "N":
            return number_size(payload) + 1
        if type_key == "B":
            return binary_length(payload) + 1
        if type_key == "BOOL":
            return 1
        if type_key == "NULL":
            return 0
        if type_key == "M":
            size = 3
            for value in payload.values():
                size += 2 + _compact_size(value)
            return size
        if type_key == "L":
            size = 3
            for value in payload:
                size += 1 + _compact_size(value)
            return size
        return _payload_size(type_key, payload) + len(payload) + 1  # SS, NS, BS
    return 0
