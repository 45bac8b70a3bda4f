"""DynamoDB Streams, read from the change log (engine/changes).

A table's streams are kept in `TableMeta.stream["history"]`: each with its label, view type,
first stamp and (once disabled) end stamp. While any of them is within the 24-hour retention,
the table holds its change log under "streams", from the oldest stamp a reader may still ask
for; the housekeeper moves that hold forward and lets go of it (`maintain`).

Shards: a stream is cut into shards by time, one every `tuning.stream_shard_seconds` from its start, each
the child of the one before (so readers that follow lineage, as the KCL does, move from one
to the next). A shard holds the changes stamped in its span; it is closed once its span has
passed (or the stream was disabled). Nothing about shards is stored: they follow from the
stream's start and end and the clock.

Sequence numbers: 21 digits, the change's stamp (16 digits, microseconds) then its place (5
digits) among the changes of that stamp (one transaction's). A change becomes readable once
its stamp is `tuning.stream_settle` old, so that no change stamped earlier can still be committing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opendynamo.engine import catalog, changes, tuning
from opendynamo.engine.arns import OwnedRef
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, Store, WriteTxn

RETENTION_SECONDS = 24 * 3600.0
HOLDER = "streams"
_ORDINAL_DIGITS = 5


def settle_us() -> int:
    """How old (microseconds) a change must be to be read: no change stamped before it can
    still be committing."""
    return int(tuning.current.stream_settle * 1_000_000)


@dataclass(frozen=True, slots=True)
class Stream:
    label: str
    view: str
    start: int  # stamp (us) of its first possible change
    end: int | None  # stamp (us) from which it has none (disabled); None: enabled


@dataclass(frozen=True, slots=True)
class Shard:
    id: str
    parent: str | None
    start: int  # stamps start <= stamp < end
    end: int
    closed: bool


def label_of(stamp: int) -> str:
    moment = datetime.fromtimestamp(stamp / 1e6, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def history(meta: TableMeta) -> list[Stream]:
    raw = (meta.stream or {}).get("history") or []
    return [Stream(**entry) for entry in raw]


def enabled(state: dict[str, Any] | None, view: str, stamp: int) -> dict[str, Any]:
    """A table's stream state (`state` before) once a new stream starts at `stamp`."""
    label = label_of(stamp)
    entries = [*(state or {}).get("history", []), {"label": label, "view": view,
               "start": stamp, "end": None}]  # fmt: skip
    return {
        "spec": {"StreamEnabled": True, "StreamViewType": view},
        "label": label,
        "history": entries,
    }


def disabled(state: dict[str, Any] | None, stamp: int) -> dict[str, Any]:
    """A table's stream state (`state` before) once its stream ends at `stamp`."""
    after = dict(state or {})
    after["spec"] = {"StreamEnabled": False}
    after["history"] = [
        {**entry, "end": stamp if entry["end"] is None else entry["end"]}
        for entry in after.get("history", [])
    ]
    return after


def hold(meta: TableMeta) -> TableMeta:
    """`meta` with its change log held for its streams (when it has an enabled one)."""
    live = [stream for stream in history(meta) if stream.end is None]
    if not live or HOLDER in meta.change_log:
        return meta
    return catalog.replace(meta, change_log={**meta.change_log, HOLDER: live[-1].start - 1})


def arn_of(meta: TableMeta, stream: Stream) -> str:
    return f"{meta.arn}/stream/{stream.label}"


def retained(meta: TableMeta, now_us: int) -> list[Stream]:
    """The table's streams still readable: enabled, or disabled less than a day ago."""
    horizon = now_us - int(RETENTION_SECONDS * 1e6)
    return [s for s in history(meta) if s.end is None or s.end > horizon]


def shards(stream: Stream, now_us: int) -> list[Shard]:
    """The stream's shards within the retention, oldest first; the last is open while the
    stream is enabled."""
    span = int(tuning.current.stream_shard_seconds * 1e6)
    horizon = now_us - int(RETENTION_SECONDS * 1e6)
    stop = stream.end if stream.end is not None else now_us
    first = max(0, (horizon - stream.start) // span)
    last = max(0, (stop - 1 - stream.start) // span)
    found = []
    for number in range(first, last + 1):
        start = stream.start + number * span
        end = start + span if stream.end is None else min(start + span, stream.end)
        closed = end <= now_us or end == stream.end
        parent = _shard_id(stream, number - 1) if number > 0 else None
        found.append(Shard(_shard_id(stream, number), parent, start, end, closed))
    return found


def _shard_id(stream: Stream, number: int) -> str:
    start_ms = (stream.start + number * int(tuning.current.stream_shard_seconds * 1e6)) // 1000
    tag = hashlib.blake2b(f"{stream.label}/{number}".encode(), digest_size=4).hexdigest()
    return f"shardId-{start_ms:020d}-{tag}"


def sequence_number(stamp: int, ordinal: int) -> str:
    return f"{stamp:016d}{ordinal:0{_ORDINAL_DIGITS}d}"


def parse_sequence_number(text: str) -> tuple[int, int] | None:
    if not text.isdigit() or len(text) != 16 + _ORDINAL_DIGITS:
        return None
    return int(text[:16]), int(text[16:])


def read(
    txn: ReadTxn, meta: TableMeta, shard: Shard, stamp: int, skip: int, limit: int, now_us: int
) -> tuple[list[tuple[int, int, changes.Change]], tuple[int, int], bool]:
    """Up to `limit` changes of the shard from (stamp, skip): the first `skip` changes of that
    stamp are passed over. Returns (stamp, ordinal, change) of each, the position after the
    last, and whether the shard has nothing more to give, ever."""
    visible = min(shard.end, now_us - settle_us())
    prefix = layout.changes_prefix(meta.uid_bytes)
    start = prefix + layout.stamp_bytes(max(stamp, shard.start))
    end = prefix + layout.stamp_bytes(max(visible, 0))
    found: list[tuple[int, int, changes.Change]] = []
    position = (stamp, skip)
    current, ordinal = stamp, 0
    for key, value in txn.range(start, end, limit=limit + skip if start < end else 0):
        change = changes.decode(key, value)
        if change.stamp != current:
            current, ordinal = change.stamp, 0
        if change.stamp == stamp and ordinal < skip:
            ordinal += 1
            continue
        found.append((change.stamp, ordinal, change))
        ordinal += 1
        position = (change.stamp, ordinal)
        if len(found) == limit:
            return found, position, False
    exhausted = shard.closed and visible >= shard.end
    if not found and visible > stamp:
        position = (visible, 0)  # nothing before `visible`: later reads start there
    return found, position, exhausted


def maintain(store: Store, now_us: int) -> None:
    """Move each table's hold on its log for streams to the oldest change still readable,
    and let go of it once no stream is."""
    tables = catalog.every_table(store)
    for meta in tables:
        if HOLDER in meta.change_log:
            _maintain_table(store, meta, now_us)


def _maintain_table(store: Store, meta: TableMeta, now_us: int) -> None:
    with store.write() as txn:
        current = catalog.find_table(txn, meta.account, meta.region, meta.name)
        if current is None or current.uid != meta.uid or HOLDER not in current.change_log:
            return
        _release_or_advance(txn, current, now_us)


def _release_or_advance(txn: WriteTxn, meta: TableMeta, now_us: int) -> None:
    live = retained(meta, now_us)
    if not live:
        changes.release(txn, meta, HOLDER)
        return
    oldest = max(min(s.start for s in live), now_us - int(RETENTION_SECONDS * 1e6)) - 1
    changes.advance(txn, meta, HOLDER, oldest)


def find(txn: ReadTxn, ref: OwnedRef, now_us: int) -> tuple[TableMeta, Stream] | None:
    """The table and stream a stream ARN names, while the stream is retained."""
    table = ref.table
    meta = catalog.find_table(txn, table.account, table.region, table.name)
    if meta is None:
        return None
    for stream in retained(meta, now_us):
        if stream.label == ref.id:
            return meta, stream
    return None


def all_streams(
    txn: ReadTxn, account: str, region: str, now_us: int
) -> Iterator[tuple[TableMeta, Stream]]:
    for meta in catalog.tables_in(txn, account, region):
        for stream in retained(meta, now_us):
            yield meta, stream
