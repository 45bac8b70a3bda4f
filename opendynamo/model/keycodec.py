"""The order-preserving byte encoding of key values (S, N, B); the spec is docs/format.md.

Stored keys are compared as bytes by every backend (SQLite BLOB, PostgreSQL bytea), so the
encoding must make byte order equal DynamoDB's order: S by UTF-8 bytes, B by unsigned bytes,
N numerically. Every encoding is self-delimiting — no encoding is a proper prefix of another —
so a concatenation of encodings (partition key, then sort key) compares component by
component. A stored key starts with a 4-byte hash of the encoded partition key: a Scan walks
partitions in hash order, as DynamoDB does, and parallel-scan segments are hash ranges.
"""

from __future__ import annotations

import base64
import hashlib
import re
from decimal import Decimal
from typing import Final

from opendynamo.model import numbers
from opendynamo.model.values import AttributeValue, decode_binary

# Type bytes. Never renumber: they are part of every stored key.
TYPE_N: Final = 0x01
TYPE_S: Final = 0x02
TYPE_B: Final = 0x03

# Sign classes of an encoded number, after TYPE_N. Never renumber.
NUM_NEGATIVE: Final = 0x01
NUM_ZERO: Final = 0x02
NUM_POSITIVE: Final = 0x03

# S and B: a 0x00 content byte is written 0x00 0xFF and the value ends with 0x00 0x01, so the
# terminator sorts below every continuation and no encoding is a prefix of another.
_ESCAPE: Final = b"\x00\xff"
_END_OF_BYTES: Final = b"\x00\x01"
# A positive number's mantissa ends with 0x00 (digit bytes are never 0x00).
_TERMINATOR: Final = 0x00
# Exponent byte of a positive number: adjusted exponent (-130…125) + 130, exactly 0…255.
_EXPONENT_BIAS: Final = -numbers.MIN_EXPONENT
# Mantissa digit pairs 00…99 become bytes 1…100 (positive); 0x00 ends a positive mantissa.
# A negative number stores every byte complemented (0xFF - b), so it ends with 0xFF.
_NEG_TERMINATOR: Final = 0xFF

# Digit pairs "00"…"99" as the bytes that encode them (pair + 1), and the complement of every
# byte (a negative number's encoding).
_PAIR_BYTES: Final = {f"{pair:02d}": pair + 1 for pair in range(100)}
_COMPLEMENT: Final = bytes(0xFF - b for b in range(256))
# A number written without an exponent, as every canonical number is (model/numbers).
_PLAIN_NUMBER: Final = re.compile(r"(-?)([0-9]*)\.?([0-9]*)")

PARTITION_HASH_SIZE: Final = 4
_HASH_SPACE: Final = 1 << (8 * PARTITION_HASH_SIZE)
MAX_TOTAL_SEGMENTS: Final = 1_000_000


def encode_value(av: AttributeValue) -> bytes:
    """The order-preserving, self-delimiting encoding of a normalised S, N or B value."""
    if "S" in av:
        return bytes((TYPE_S,)) + _escape(av["S"].encode("utf-8", "surrogatepass"))
    if "N" in av:
        return bytes((TYPE_N,)) + _encode_number(av["N"])
    if "B" in av:
        return bytes((TYPE_B,)) + _escape(decode_binary(av["B"]))
    raise ValueError(f"not a key value: {av!r}")


def encode_prefix(av: AttributeValue) -> bytes:
    """The bytes every encoding of an S or B value that starts with `av` starts with.

    Used for `begins_with` on a sort key: the encoding without its terminator. Numbers have
    no prefixes in DynamoDB (begins_with takes S or B only).
    """
    if "N" in av:
        raise ValueError("begins_with takes S or B, not N")
    return encode_value(av)[: -len(_END_OF_BYTES)]


def decode_value(data: bytes, offset: int = 0) -> tuple[AttributeValue, int]:
    """Decode one value at `offset`; return it (N canonical, B base64) and the offset after it."""
    type_byte = data[offset]
    if type_byte == TYPE_S:
        raw, end = _unescape(data, offset + 1)
        return {"S": raw.decode("utf-8", "surrogatepass")}, end
    if type_byte == TYPE_B:
        raw, end = _unescape(data, offset + 1)
        return {"B": base64.b64encode(raw).decode("ascii")}, end
    if type_byte == TYPE_N:
        text, end = _decode_number(data, offset + 1)
        return {"N": text}, end
    raise ValueError(f"unknown key type byte 0x{type_byte:02x} at offset {offset}")


def _escape(raw: bytes) -> bytes:
    return raw.replace(b"\x00", _ESCAPE) + _END_OF_BYTES


def _unescape(data: bytes, offset: int) -> tuple[bytes, int]:
    """Content bytes from `offset` up to the terminator, and the offset after the terminator.

    Every content 0x00 is followed by 0xFF, so the first 0x00 0x01 is the terminator.
    """
    end = data.index(_END_OF_BYTES, offset)
    return data[offset:end].replace(_ESCAPE, b"\x00"), end + len(_END_OF_BYTES)


def _encode_number(text: str) -> bytes:
    """Sign class, then (for non-zero) exponent byte and base-100 mantissa, then terminator.

    Larger adjusted exponent means larger magnitude; at equal exponents the mantissa digits
    decide, and a mantissa that is a prefix of another is smaller (its terminator 0x00 sorts
    before every digit byte). Negative numbers complement it all so larger magnitudes sort first.
    """
    sign, digits, adjusted = _decompose(text)
    if not digits:
        return bytes((NUM_ZERO,))
    if len(digits) % 2:
        digits += "0"  # pad to whole pairs; canonical mantissas never end in 0, so unambiguous
    pairs = [_PAIR_BYTES[digits[i : i + 2]] for i in range(0, len(digits), 2)]
    body = bytes((adjusted + _EXPONENT_BIAS, *pairs, _TERMINATOR))
    if sign:
        return bytes((NUM_NEGATIVE,)) + body.translate(_COMPLEMENT)
    return bytes((NUM_POSITIVE,)) + body


def _decompose(text: str) -> tuple[int, str, int]:
    """(sign, significant digits without trailing zeros, adjusted exponent) of a number."""
    plain = _PLAIN_NUMBER.fullmatch(text)
    if plain is not None and (plain[2] or plain[3]):  # canonical numbers have no exponent
        minus, whole, fraction = plain.groups()
        digits = (whole + fraction).strip("0")
        if not digits:
            return 0, "", 0
        whole = whole.lstrip("0")
        adjusted = len(whole) - 1 if whole else len(fraction.lstrip("0")) - len(fraction) - 1
        return int(bool(minus)), digits, adjusted
    value = numbers.to_decimal(text)
    if value.is_zero():
        return 0, "", 0
    sign, digit_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    return sign, digits, exponent + len(digit_tuple) - 1


def _decode_number(data: bytes, offset: int) -> tuple[str, int]:
    sign_class = data[offset]
    if sign_class == NUM_ZERO:
        return "0", offset + 1
    negative = sign_class == NUM_NEGATIVE
    terminator = _NEG_TERMINATOR if negative else _TERMINATOR
    end = data.index(terminator, offset + 2)
    body = data[offset + 1 : end]
    if negative:
        body = bytes(0xFF - b for b in body)
    adjusted = body[0] - _EXPONENT_BIAS
    digits = "".join(f"{b - 1:02d}" for b in body[1:]).rstrip("0")
    coefficient = tuple(int(d) for d in digits)
    value = Decimal((1 if negative else 0, coefficient, adjusted - len(digits) + 1))
    return numbers.canonical(value), end + 1


def partition_hash(pk: AttributeValue) -> bytes:
    """A 4-byte, well-mixed hash of the encoded partition key: the first bytes of every key."""
    return hashlib.blake2b(encode_value(pk), digest_size=PARTITION_HASH_SIZE).digest()


def partition_prefix(pk: AttributeValue) -> bytes:
    """The bytes all stored keys of one partition start with."""
    encoded = encode_value(pk)
    return hashlib.blake2b(encoded, digest_size=PARTITION_HASH_SIZE).digest() + encoded


def encode_key(pk: AttributeValue, sk: AttributeValue | None) -> bytes:
    """A stored key: partition hash, encoded partition key, encoded sort key (if any)."""
    key = partition_prefix(pk)
    return key + encode_value(sk) if sk is not None else key


def decode_key(data: bytes) -> tuple[AttributeValue, AttributeValue | None]:
    """The partition and sort key values of a key made by `encode_key`."""
    pk, end = decode_value(data, PARTITION_HASH_SIZE)
    if end == len(data):
        return pk, None
    sk, _ = decode_value(data, end)
    return pk, sk


def segment_bounds(segment: int, total_segments: int) -> tuple[bytes, bytes | None]:
    """The hash range of parallel-scan segment `segment` of `total_segments`.

    Start inclusive, end exclusive (None: to the end of the key space). Segments are
    contiguous, disjoint, cover the whole hash space and are never empty (n ≤ 1,000,000 < 2³²).
    """
    if not 1 <= total_segments <= MAX_TOTAL_SEGMENTS or not 0 <= segment < total_segments:
        raise ValueError(f"invalid segment {segment} of {total_segments}")
    start = segment * _HASH_SPACE // total_segments
    start_bytes = start.to_bytes(PARTITION_HASH_SIZE, "big")
    if segment == total_segments - 1:
        return start_bytes, None
    end = (segment + 1) * _HASH_SPACE // total_segments
    return start_bytes, end.to_bytes(PARTITION_HASH_SIZE, "big")
