"""The key layout of the store: the first byte of every key says what the row is.

These prefixes are a stored format: never renumber one, only add new ones (docs/format.md).
"""

from __future__ import annotations

CATALOG = b"\x01"  # CATALOG + account + 0 + region + 0 + table name -> table metadata (JSON)
ITEMS = b"\x02"  # ITEMS + table uid (16 bytes) + keycodec.encode_key(pk, sk) -> item (JSON)
STATS = b"\x03"  # STATS + table uid -> item count and size (two unsigned 64-bit integers)
THROTTLE = b"\x04"  # THROTTLE + table uid + kind (b"R"/b"W") -> token bucket (two doubles)
INDEX = b"\x05"  # INDEX + table uid + index number (2 bytes) + index key + table key -> entry
COLLECTION = b"\x06"  # COLLECTION + table uid + encoded partition key -> item collection bytes
LEASE = b"\x07"  # LEASE + name -> housekeeper lease (owner, expiry)
JOBS = b"\x08"  # JOBS + catalog key of a table -> b"": the table has background work pending
TOKENS = b"\x09"  # TOKENS + account + 0 + region + 0 + ClientRequestToken -> idempotent result
DIRECTORY = (
    b"\x0a"  # DIRECTORY + kind + ... -> identities: access keys, users, groups, roles (JSON)
)
META = b"\x00"  # META + name -> store-wide settings (format version, ...)

FORMAT_VERSION_KEY = META + b"format_version"
FORMAT_VERSION = 1


def namespace_prefix(account: str, region: str) -> bytes:
    """The catalog prefix of one (account, region): its tables sort by name after it."""
    return CATALOG + account.encode() + b"\x00" + region.encode() + b"\x00"


def catalog_key(account: str, region: str, table_name: str) -> bytes:
    return namespace_prefix(account, region) + table_name.encode()


def items_prefix(table_uid: bytes) -> bytes:
    return ITEMS + table_uid


def stats_key(table_uid: bytes) -> bytes:
    return STATS + table_uid


def bucket_key(table_uid: bytes, kind: bytes) -> bytes:
    return THROTTLE + table_uid + kind


def index_prefix(table_uid: bytes, number: int) -> bytes:
    return INDEX + table_uid + number.to_bytes(2, "big")


def index_stats_key(table_uid: bytes, number: int) -> bytes:
    return STATS + table_uid + number.to_bytes(2, "big")


def collection_key(table_uid: bytes, encoded_partition: bytes) -> bytes:
    return COLLECTION + table_uid + encoded_partition


def job_key(account: str, region: str, table_name: str) -> bytes:
    return JOBS + catalog_key(account, region, table_name)


def token_key(account: str, region: str, token: str) -> bytes:
    return TOKENS + account.encode() + b"\x00" + region.encode() + b"\x00" + token.encode()
