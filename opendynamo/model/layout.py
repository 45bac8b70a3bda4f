"""The key layout of the store: the first byte of every key says what the row is.

These prefixes are a stored format: never renumber one, only add new ones (docs/format.md).
"""

from __future__ import annotations

import hashlib

from opendynamo.model.keycodec import PARTITION_HASH_SIZE as _HASH_SIZE

CATALOG = b"\x01"  # CATALOG + account + 0 + region + 0 + table name -> table metadata (JSON)
ITEMS = b"\x02"  # ITEMS + table uid (16 bytes) + keycodec.encode_key(pk, sk) -> item (JSON)
STATS = b"\x03"  # STATS + table uid + index number (0: the table) + bucket -> count and size
THROTTLE = b"\x04"  # THROTTLE + table uid + kind (b"R"/b"W") -> token bucket; + share -> draws
INDEX = b"\x05"  # INDEX + table uid + index number (2 bytes) + index key + table key -> entry
COLLECTION = b"\x06"  # COLLECTION + table uid + encoded partition key -> item collection bytes
LEASE = b"\x07"  # LEASE + name -> housekeeper lease (owner, expiry)
JOBS = b"\x08"  # JOBS + catalog key of a table -> b"": the table has background work pending
TOKENS = b"\x09"  # TOKENS + account + 0 + region + 0 + ClientRequestToken -> idempotent result
DIRECTORY = (
    b"\x0a"  # DIRECTORY + kind + ... -> identities: access keys, users, groups, roles (JSON)
)
BACKUP = b"\x0b"  # BACKUP + account + 0 + region + 0 + backup id -> backup (JSON; engine/backups)
SNAPSHOT = b"\x0c"  # SNAPSHOT + snapshot uid (16 bytes) + keycodec.encode_key -> item, as copied
CHANGES = b"\x0d"  # CHANGES + table uid + stamp (8 bytes, us) + encode_key -> change record
EXPORT = b"\x0e"  # EXPORT + account + 0 + region + 0 + export id -> export (JSON; engine/exports)
IMPORT = b"\x0f"  # IMPORT + account + 0 + region + 0 + import id -> import (JSON; engine/imports)
BUCKET = b"\x10"  # BUCKET + bucket name -> the bucket's owner account and policy (JSON)
# Metrics (engine/metrics): the series a (account, region) has, each writer's per-period
# aggregates of a series, and each writer's running totals of it (for /metrics).
METRIC_SERIES = b"\x11"  # + account + 0 + region + 0 + namespace + 0 + name + 0 + dims -> series
METRIC_DATA = b"\x12"  # + series id (16) + resolution (1) + start (8) + writer (16) -> aggregate
METRIC_TOTALS = b"\x15"  # + series id (16) + writer (16) -> the writer's totals of the series
ALARM = b"\x13"  # ALARM + account + 0 + region + 0 + alarm name -> the alarm (JSON)
ALARM_HISTORY = b"\x14"  # + account + 0 + region + 0 + alarm_name_key + stamp + n -> item
# Contributor Insights (engine/metrics/contributors): each writer's top keys of one rule of a
# table or GSI in one minute.
INSIGHTS = b"\x16"  # + table uid (16) + index number (2) + rule (1) + minute (8) + writer (16)
# Global tables (engine/replication): the version of each item of a replica (its last change's
# stamp and the region it was made in: last writer wins by it), kept after a delete; and the
# replicas whose changes are sent to the others.
VERSIONS = b"\x17"  # + table uid (16) + keycodec.encode_key -> stamp (8) + region (UTF-8)
REPLICATION = b"\x18"  # + catalog key of a replica -> b"": its changes go to the other replicas
# Time to Live (engine/expiry): the items of a table by expiry moment, so that a sweep reads
# only what has expired.
EXPIRY = b"\x19"  # + table uid (16) + keycodec N encoding of the moment + encode_key -> b""
META = b"\x00"  # META + name -> store-wide settings (format version, ...)

FORMAT_VERSION_KEY = META + b"format_version"
FORMAT_VERSION = 1


_UID_END = 1 + 16
_STAMP_SIZE = 8
_HASH_AT = {
    ITEMS[0]: _UID_END,
    INDEX[0]: _UID_END + 2,
    SNAPSHOT[0]: _UID_END,
    CHANGES[0]: _UID_END + _STAMP_SIZE,
    VERSIONS[0]: _UID_END,
}  # where a key's partition hash starts
_COUNTER_KEY_SIZE = _UID_END + 2 + 1  # STATS + uid + index number + bucket


def distribution(key: bytes) -> int:
    """The distribution key of a stored row, 0-255: the first byte of the partition-key hash
    its key carries (an index entry's: its index partition key's). Every row of one partition
    has the same value and so lands on one shard of a distributed PostgreSQL (Citus), together
    with the rows that count it: its item collection's size and its bucket of the table's
    counters. Every other row (catalog, leases, identities) takes 0."""
    kind = key[0]
    at = _HASH_AT.get(kind)
    if at is not None:
        return key[at] if len(key) > at else 0
    if kind == STATS[0]:
        return key[-1] if len(key) == _COUNTER_KEY_SIZE else 0
    if kind == COLLECTION[0]:  # COLLECTION + uid + encoded partition key, without its hash
        return hashlib.blake2b(key[_UID_END:], digest_size=_HASH_SIZE).digest()[0]
    return 0


def range_distribution(start: bytes, end: bytes | None) -> int | None:
    """The one distribution key every row in [start, end) has, when the range lies within one
    (a Query's partition); None when it may span several (a Scan)."""
    at = _HASH_AT.get(start[0]) if start else None
    if at is None or end is None or len(start) <= at or len(end) <= at:
        return None
    return start[at] if start[: at + 1] == end[: at + 1] else None


def item_bucket(encoded_key: bytes) -> int:
    """The counter bucket of an item (`keycodec.encode_key` bytes): its hash's first byte."""
    return encoded_key[0]


def entry_bucket(entry_key: bytes) -> int:
    """The counter bucket of an index entry (its full stored key)."""
    return entry_key[_HASH_AT[INDEX[0]]]


def namespace_prefix(account: str, region: str) -> bytes:
    """The catalog prefix of one (account, region): its tables sort by name after it."""
    return CATALOG + account.encode() + b"\x00" + region.encode() + b"\x00"


def catalog_key(account: str, region: str, table_name: str) -> bytes:
    return namespace_prefix(account, region) + table_name.encode()


def items_prefix(table_uid: bytes) -> bytes:
    return ITEMS + table_uid


def stats_key(table_uid: bytes, number: int, bucket: int) -> bytes:
    """One bucket of the item count and size of a table (`number` 0) or of its index `number`.
    A store that writes from many connections at once spreads the counters over buckets by
    partition hash, so that writers of different partitions do not queue on one row."""
    return STATS + table_uid + number.to_bytes(2, "big") + bytes((bucket,))


def stats_range(table_uid: bytes, number: int) -> tuple[bytes, bytes]:
    """The keys of every bucket of one table's (`number` 0) or index's counters; it also holds
    the single counter row of format version 1 (STATS + uid, STATS + uid + number)."""
    start = STATS + table_uid + (number.to_bytes(2, "big") if number else b"")
    return start, STATS + table_uid + (number + 1).to_bytes(2, "big")


def bucket_key(table_uid: bytes, kind: bytes) -> bytes:
    """A table's token bucket of one kind (engine/throttle): its tokens at a time."""
    return THROTTLE + table_uid + kind


def bucket_share_key(table_uid: bytes, kind: bytes, share: int) -> bytes:
    """What one share of a token bucket drew (engine/throttle); a bucket's shares sort right
    after its row."""
    return THROTTLE + table_uid + kind + bytes((share,))


def index_prefix(table_uid: bytes, number: int) -> bytes:
    return INDEX + table_uid + number.to_bytes(2, "big")


def collection_key(table_uid: bytes, encoded_partition: bytes) -> bytes:
    return COLLECTION + table_uid + encoded_partition


def snapshot_prefix(snapshot_uid: bytes) -> bytes:
    return SNAPSHOT + snapshot_uid


def changes_prefix(table_uid: bytes) -> bytes:
    """The change log of one table: its entries sort by stamp (store clock, microseconds)."""
    return CHANGES + table_uid


def change_stamp(key: bytes) -> int:
    """The stamp (microseconds) of a change-log key."""
    return int.from_bytes(key[_UID_END : _UID_END + _STAMP_SIZE], "big")


def change_item_key(key: bytes) -> bytes:
    """The encoded item key (keycodec.encode_key) a change-log key is about."""
    return key[_UID_END + _STAMP_SIZE :]


def stamp_bytes(stamp: int) -> bytes:
    return stamp.to_bytes(_STAMP_SIZE, "big")


def version_key(table_uid: bytes, encoded_key: bytes) -> bytes:
    """The version of an item of a replica (engine/replication)."""
    return VERSIONS + table_uid + encoded_key


def expiry_prefix(table_uid: bytes) -> bytes:
    """The expiry entries of one table (engine/expiry): they sort by moment, then item key."""
    return EXPIRY + table_uid


def replication_key(account: str, region: str, table_name: str) -> bytes:
    return REPLICATION + catalog_key(account, region, table_name)


def backup_prefix(account: str, region: str) -> bytes:
    """The backups of one (account, region): they sort by id, which starts with the time."""
    return BACKUP + account.encode() + b"\x00" + region.encode() + b"\x00"


def backup_key(account: str, region: str, backup_id: str) -> bytes:
    return backup_prefix(account, region) + backup_id.encode()


def export_prefix(account: str, region: str) -> bytes:
    return EXPORT + account.encode() + b"\x00" + region.encode() + b"\x00"


def export_key(account: str, region: str, export_id: str) -> bytes:
    return export_prefix(account, region) + export_id.encode()


def import_prefix(account: str, region: str) -> bytes:
    return IMPORT + account.encode() + b"\x00" + region.encode() + b"\x00"


def import_key(account: str, region: str, import_id: str) -> bytes:
    return import_prefix(account, region) + import_id.encode()


def job_key(account: str, region: str, table_name: str) -> bytes:
    return JOBS + catalog_key(account, region, table_name)


def token_key(account: str, region: str, token: str) -> bytes:
    return TOKENS + account.encode() + b"\x00" + region.encode() + b"\x00" + token.encode()


def metric_namespace_prefix(account: str, region: str) -> bytes:
    """The metric series of one (account, region): they sort by namespace, then name."""
    return METRIC_SERIES + account.encode() + b"\x00" + region.encode() + b"\x00"


def metric_series_key(account: str, region: str, namespace: str, name: str, dims: bytes) -> bytes:
    prefix = metric_namespace_prefix(account, region)
    return prefix + namespace.encode() + b"\x00" + name.encode() + b"\x00" + dims


def metric_data_prefix(series: bytes, resolution: int) -> bytes:
    return METRIC_DATA + series + bytes((resolution,))


def metric_data_key(series: bytes, resolution: int, start: int, writer: bytes) -> bytes:
    return metric_data_prefix(series, resolution) + start.to_bytes(8, "big") + writer


def metric_data_start(key: bytes) -> int:
    """The period start (epoch seconds) of a METRIC_DATA key."""
    return int.from_bytes(key[18:26], "big")


def metric_totals_key(series: bytes, writer: bytes) -> bytes:
    return METRIC_TOTALS + series + writer


def alarm_prefix(account: str, region: str) -> bytes:
    """The alarms of one (account, region): they sort by name after it."""
    return ALARM + account.encode() + b"\x00" + region.encode() + b"\x00"


def alarm_key(account: str, region: str, name: str) -> bytes:
    return alarm_prefix(account, region) + name.encode()


def alarm_namespace(key: bytes) -> tuple[str, str]:
    """(account, region) of an ALARM key."""
    account, region, _ = key[1:].split(b"\x00", 2)
    return account.decode(), region.decode()


def history_prefix(account: str, region: str, name: str | None = None) -> bytes:
    """The alarm history of one (account, region), or of one alarm in it. The name is
    length-prefixed (2 bytes) so that one alarm's entries never sort among another's: an
    alarm name may hold any character, NUL included."""
    prefix = ALARM_HISTORY + account.encode() + b"\x00" + region.encode() + b"\x00"
    if name is None:
        return prefix
    encoded = name.encode()
    return prefix + len(encoded).to_bytes(2, "big") + encoded


def history_key(account: str, region: str, name: str, stamp: int, sequence: int) -> bytes:
    """One history entry of an alarm: its alarm's prefix, the time (8 bytes, big-endian
    microseconds) and a sequence number (2 bytes) for entries written in the same
    microsecond, so an alarm's entries sort by time."""
    return (
        history_prefix(account, region, name)
        + stamp.to_bytes(_STAMP_SIZE, "big")
        + sequence.to_bytes(2, "big")
    )


def history_stamp(key: bytes) -> int:
    """The time (microseconds) of a history key."""
    return int.from_bytes(key[-2 - _STAMP_SIZE : -2], "big")


def history_sequence(key: bytes) -> int:
    """The sequence number of a history key among the entries of its microsecond."""
    return int.from_bytes(key[-2:], "big")


def insights_index_prefix(table_uid: bytes, number: int) -> bytes:
    """The Contributor Insights rows of a table (`number` 0) or of its index `number`."""
    return INSIGHTS + table_uid + number.to_bytes(2, "big")


def insights_prefix(table_uid: bytes, number: int, rule: int) -> bytes:
    """The rows of one Contributor Insights rule of a table (`number` 0) or of its index
    `number`: they sort by minute, then writer."""
    return insights_index_prefix(table_uid, number) + bytes((rule,))


def insights_key(table_uid: bytes, number: int, rule: int, minute: int, writer: bytes) -> bytes:
    return insights_prefix(table_uid, number, rule) + minute.to_bytes(8, "big") + writer


def insights_minute(key: bytes) -> int:
    """The minute (epoch seconds) of an INSIGHTS key."""
    return int.from_bytes(key[_UID_END + 3 : _UID_END + 11], "big")
