"""Contributor Insights' counts: per rule of a table or GSI and per minute, the keys that
contributed most (ConsumedThroughputUnits for the rules of most accessed keys, ThrottleCount
for those of most throttled keys), kept in memory by each worker and flushed into the store
beside its metrics (`Recorder.flush`).

Memory is bounded whatever keys the requests bring: each (rule, minute) keeps at most twice
`tuning.insights_top_keys` keys in a space-saving sketch (Metwally, Agrawal and El Abbadi,
"Efficient computation of frequent and top-k elements in data streams"), trimmed in batches:
when it holds twice its capacity it keeps the heaviest half, and a key that enters after a
trim starts from the heaviest value let go (noted as its possible overcount), since no key
outside the sketch can have more. So no key is ever undercounted, every key heavier than
what was let go is kept, and the minute's totals (events, sum, smallest and largest event)
are exact. Trimming in batches costs a sort every `capacity` new keys instead of a scan for
the lightest key at each one.

Rows (`layout.INSIGHTS`): table uid + index number + rule + minute + writer. Each writer owns
its rows, so workers and fleet servers never contend; a reader merges the writers of a minute.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from opendynamo.engine import tuning
from opendynamo.engine.metrics.aggregate import gather
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

# The rules of one table or GSI, by their number in the stored key: never renumber.
ACCESSED_PARTITION = 0  # DynamoDBContributorInsights-PKC-…: most accessed partition keys
ACCESSED_ITEM = 1  # -SKC-: most accessed partition and sort keys
THROTTLED_PARTITION = 2  # -PKT-: most throttled partition keys
THROTTLED_ITEM = 3  # -SKT-: most throttled partition and sort keys
RULE_KINDS = ("PKC", "SKC", "PKT", "SKT")

Keys = tuple[str, ...]  # a contributor: its key attributes' values, as text
Slot = tuple[bytes, int, int, int]  # table uid, index number (0: the table), rule, minute


class TopKeys:
    """The heaviest keys of one rule in one minute (or more minutes merged), and the totals
    of every event counted, kept or not."""

    __slots__ = ("values", "errors", "events", "total", "low", "high", "entered", "floor")

    def __init__(self) -> None:
        self.values: dict[Keys, float] = {}
        self.errors: dict[Keys, float] = {}  # how much of a key's value may be another's
        self.events = 0
        self.total = 0.0
        self.low = math.inf
        self.high = -math.inf
        self.entered = 0  # keys that found a place: the kept ones and those let go since
        self.floor = 0.0  # the heaviest value let go: what a key outside may have had

    def add(self, keys: Keys, value: float, capacity: int) -> None:
        self.events += 1
        self.total += value
        if value < self.low:
            self.low = value
        if value > self.high:
            self.high = value
        values = self.values
        have = values.get(keys)
        if have is not None:
            values[keys] = have + value
            return
        self.entered += 1
        floor = self.floor
        values[keys] = floor + value
        if floor:
            self.errors[keys] = floor
        if len(values) > 2 * capacity:
            self.trim(capacity)

    def merge(self, other: TopKeys) -> None:
        """Add `other`'s counts (another writer's, or another minute's) to these. Distinct
        keys are those kept, once each, plus those either side let go."""
        let_go = self.entered - len(self.values) + other.entered - len(other.values)
        for keys, value in other.values.items():
            self.values[keys] = self.values.get(keys, 0.0) + value
        for keys, error in other.errors.items():
            self.errors[keys] = self.errors.get(keys, 0.0) + error
        self.events += other.events
        self.total += other.total
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)
        self.entered = len(self.values) + let_go

    def trim(self, capacity: int) -> None:
        """Keep the `capacity` heaviest keys (the totals keep counting every event)."""
        if len(self.values) <= capacity:
            return
        ranked = sorted(self.values.items(), key=lambda entry: entry[1], reverse=True)
        self.floor = max(self.floor, ranked[capacity][1])
        self.values = dict(ranked[:capacity])
        self.errors = {keys: e for keys, e in self.errors.items() if keys in self.values}

    @property
    def unique(self) -> int:
        """Distinct contributors, as far as the sketch can tell (exact until it was full)."""
        return max(len(self.values), self.entered)

    def encode(self) -> dict[str, Any]:
        return {
            "k": [
                [list(keys), value, self.errors.get(keys, 0.0)]
                for keys, value in self.values.items()
            ],
            "n": self.events,
            "s": self.total,
            "lo": self.low if self.events else None,
            "hi": self.high if self.events else None,
            "u": self.entered,
        }

    @classmethod
    def decode(cls, data: dict[str, Any]) -> TopKeys:
        top = cls()
        for keys, value, error in data["k"]:
            key = tuple(str(part) for part in keys)
            top.values[key] = float(value)
            if error:
                top.errors[key] = float(error)
        top.events = int(data["n"])
        top.total = float(data["s"])
        if top.events:
            top.low, top.high = float(data["lo"]), float(data["hi"])
        top.entered = int(data.get("u", len(top.values)))
        return top


class Contributors:
    """One process's pending contributor counts, added to by requests and taken by the flush.
    Adding is a dictionary lookup and a few additions under a lock (the requests of a
    PostgreSQL-backed worker run on several threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[Slot, TopKeys] = {}

    def add(
        self, uid: bytes, number: int, rule: int, keys: Keys, value: float, moment: float
    ) -> None:
        """One event of `rule` of the table with storage id `uid` (or of its index `number`):
        the contributor `keys` added `value` at `moment` (epoch seconds)."""
        slot = (uid, number, rule, int(moment) // 60 * 60)
        capacity = tuning.current.insights_top_keys
        with self._lock:
            top = self._pending.get(slot)
            if top is None:
                top = self._pending[slot] = TopKeys()
            top.add(keys, value, capacity)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def take(self) -> dict[Slot, TopKeys]:
        """Everything counted since the last take (the flush writes it)."""
        with self._lock:
            taken, self._pending = self._pending, {}
        return taken


def write(txn: WriteTxn, slots: dict[Slot, TopKeys], writer: bytes) -> None:
    """Add the counts taken from a process to its own rows (nothing else writes them, so
    reading and writing back loses nothing), in key order."""
    capacity = tuning.current.insights_top_keys
    for (uid, number, rule, minute), top in sorted(slots.items(), key=lambda entry: entry[0]):
        key = layout.insights_key(uid, number, rule, minute, writer)
        raw = txn.get(key)
        if raw is not None:
            stored = TopKeys.decode(orjson.loads(raw))
            stored.merge(top)
            stored.trim(capacity)
            top = stored
        txn.put(key, orjson.dumps(top.encode()))


def minutes(
    txn: ReadTxn, uid: bytes, number: int, rule: int, start: float, end: float
) -> list[tuple[int, TopKeys]]:
    """(minute, counts) of every minute of one rule that starts in [start, end), rounded
    down to a minute, every writer's counts merged, in time order."""
    prefix = layout.insights_prefix(uid, number, rule)
    first = max(0, int(start) // 60 * 60)
    last = max(0, math.ceil(end))
    found: dict[int, TopKeys] = {}
    for row_key, raw in txn.range(
        prefix + first.to_bytes(8, "big"), prefix + last.to_bytes(8, "big")
    ):
        gather(found, layout.insights_minute(row_key), TopKeys.decode(orjson.loads(raw)))
    return sorted(found.items())


def top_keys(
    txn: ReadTxn, uid: bytes, number: int, rule: int, start: float, end: float, limit: int
) -> list[tuple[Keys, float]]:
    """The `limit` heaviest contributors of one rule over [start, end), heaviest first."""
    merged = TopKeys()
    for _, top in minutes(txn, uid, number, rule, start, end):
        merged.merge(top)
    ranked = sorted(merged.values.items(), key=lambda entry: (-entry[1], entry[0]))
    return ranked[:limit]


def expire(store: Store, before: float, batch: int = 1000) -> int:
    """Drop every row of a minute before `before` (epoch seconds); how many were dropped."""
    dropped = 0
    while True:
        with store.read() as txn:
            stale = [key for key in _aged(txn, before)][:batch]
        if not stale:
            return dropped
        with store.write() as txn:
            for key in stale:
                txn.delete(key)
        dropped += len(stale)
        if len(stale) < batch:
            return dropped


def _aged(txn: ReadTxn, before: float) -> Iterator[bytes]:
    end = prefix_end(layout.INSIGHTS)
    for key, _ in txn.range(layout.INSIGHTS, end):
        if layout.insights_minute(key) < before:
            yield key


# --- reports ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """One period of a report: when it starts, and its counts (every minute in it merged)."""

    start: int
    counts: TopKeys

    @property
    def max_contributor(self) -> float:
        return max(self.counts.values.values(), default=0.0)


@dataclass(frozen=True, slots=True)
class Contributor:
    keys: Keys
    total: float
    points: tuple[tuple[int, float], ...]  # (period start, value) where it contributed


@dataclass(frozen=True, slots=True)
class Report:
    contributors: tuple[Contributor, ...]
    aggregate: float  # every event's value, of every contributor
    unique: int
    periods: tuple[Period, ...]


def report(
    rows: Iterable[tuple[int, TopKeys]], start: float, period: int, limit: int, by_maximum: bool
) -> Report:
    """The report of one rule's minutes `rows`: periods of `period` seconds from `start`,
    the `limit` heaviest contributors (by their sum, or `by_maximum` by their largest
    period), and the totals."""
    origin = int(start)
    grouped: dict[int, TopKeys] = {}
    whole = TopKeys()
    for minute, top in rows:
        slot = origin + max(0, minute - origin) // period * period
        merged = grouped.get(slot)
        if merged is None:
            merged = grouped[slot] = TopKeys()
        merged.merge(top)
        whole.merge(top)
    periods = tuple(Period(moment, counts) for moment, counts in sorted(grouped.items()))

    def rank(entry: tuple[Keys, float]) -> tuple[float, Keys]:
        keys, total = entry
        if by_maximum:
            return -max(p.counts.values.get(keys, 0.0) for p in periods), keys
        return -total, keys

    chosen = sorted(whole.values.items(), key=rank)[:limit]
    contributors = tuple(
        Contributor(
            keys,
            total,
            tuple((p.start, p.counts.values[keys]) for p in periods if keys in p.counts.values),
        )
        for keys, total in chosen
    )
    return Report(contributors, whole.total, whole.unique, periods)
