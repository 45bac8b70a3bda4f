"""CloudWatch Contributor Insights for DynamoDB: the setting of a table or GSI
(UpdateContributorInsights), the CloudWatch rules it stands for, and which keys a request
notes (engine/metrics/contributors counts them).

DynamoDB's Developer Guide ("CloudWatch contributor insights for DynamoDB: How it works"):
- Enabling makes rules named `DynamoDBContributorInsights-<kind>-<resource>-<creation
  timestamp, ms>`, the resource being the table, or `<table>-<index>` for a GSI: PKC (most
  accessed partition keys) and PKT (most throttled partition keys), plus SKC and SKT
  (partition and sort keys) when the table or GSI has a sort key. Mode THROTTLED_KEYS makes
  only PKT and SKT. A mode change keeps the rules' timestamp; a new enable after a disable
  makes a new one.
- Most accessed keys are ranked by ConsumedThroughputUnits: 3 × write units + read units
  consumed; most throttled keys by ThrottleCount (ProvisionedThroughputExceededException
  and the like). A GetItem or PutItem is one event per rule, each item of a batch one, a
  Query one on the partition key whatever it returns. PartiQL requests are not counted.
- GSIs count the writes that maintain them and the Queries that read them; write throttling
  caused by a GSI's capacity is not counted.

The setting lives in the table's catalog row (`TableMeta.insights`, `IndexMeta.insights`):
{"status": "ENABLED" | "DISABLED", "mode", "rules": the rules' timestamp (ms), "changed":
epoch seconds}. DescribeContributorInsights shows ENABLING or DISABLING for
`tuning.insights_transition` seconds after a change (0 by default: the change is settled when
the call returns; DynamoDB takes 1-16 s to enable and about 2 s to disable). `tracks_keys` on
the table's row says whether the table or one of its GSIs is enabled: the one test a request
makes before it notes anything.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from opendynamo.engine import tuning
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.engine.metrics.contributors import (
    ACCESSED_ITEM,
    ACCESSED_PARTITION,
    RULE_KINDS,
    THROTTLED_ITEM,
    THROTTLED_PARTITION,
    Contributors,
    Keys,
)
from opendynamo.model.values import AttributeValue, Item

ACCESSED_AND_THROTTLED = "ACCESSED_AND_THROTTLED_KEYS"
THROTTLED_ONLY = "THROTTLED_KEYS"
PREFIX = "DynamoDBContributorInsights"
ENABLED = "ENABLED"
DISABLED = "DISABLED"
Setting = dict[str, Any]


# --- the setting --------------------------------------------------------------------------


def status(setting: Setting | None, now: float) -> str:
    """ENABLING, ENABLED, DISABLING or DISABLED: the stored status, in transition for
    `tuning.insights_transition` seconds after a change."""
    if setting is None:
        return DISABLED
    settled = now - setting["changed"] >= tuning.current.insights_transition
    if setting["status"] == ENABLED:
        return ENABLED if settled else "ENABLING"
    return DISABLED if settled else "DISABLING"


def updated(
    setting: Setting | None, enable: bool, mode: str | None, now: float
) -> tuple[Setting | None, str]:
    """The setting after an UpdateContributorInsights, and the status its reply shows: a
    change answers ENABLING or DISABLING (as DynamoDB does, whatever the transition), a
    request that changes nothing the current status. An enable without a mode asks for
    ACCESSED_AND_THROTTLED_KEYS; a disable keeps the mode it had (the ack-api-quirks probes
    DDB-TABLE-091, -092 and -341, recorded against DynamoDB)."""
    enabled = setting is not None and setting["status"] == ENABLED
    if not enable:
        if not enabled:
            return setting, status(setting, now)
        assert setting is not None
        return {**setting, "status": DISABLED, "changed": now}, "DISABLING"
    wanted = mode or ACCESSED_AND_THROTTLED
    if enabled:
        assert setting is not None
        if setting["mode"] == wanted:
            return setting, status(setting, now)
        return {**setting, "mode": wanted, "changed": now}, "ENABLING"
    stamp = int(now * 1000)
    return {"status": ENABLED, "mode": wanted, "rules": stamp, "changed": now}, "ENABLING"


def with_setting(meta: TableMeta, index_name: str | None, setting: Setting | None) -> TableMeta:
    """The table with the setting of itself (`index_name` None) or of one of its GSIs
    replaced, and `tracks_keys` kept true exactly while one of them is enabled."""
    if index_name is None:
        meta = dataclasses.replace(meta, insights=setting)
    else:
        indexes = tuple(
            dataclasses.replace(index, insights=setting) if index.name == index_name else index
            for index in meta.indexes
        )
        meta = dataclasses.replace(meta, indexes=indexes)
    return dataclasses.replace(meta, tracks_keys=tracking(meta))


def tracking(meta: TableMeta) -> bool:
    return _on(meta.insights) or any(_on(index.insights) for index in meta.global_indexes)


def _on(setting: Setting | None) -> bool:
    return setting is not None and setting["status"] == ENABLED


def _accessed(setting: Setting | None) -> bool:
    return _on(setting) and setting is not None and setting["mode"] == ACCESSED_AND_THROTTLED


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One CloudWatch rule of a table (`index` None) or GSI."""

    name: str
    meta: TableMeta
    index: IndexMeta | None
    code: int  # contributors.ACCESSED_PARTITION ...
    since: float  # when its data starts (the rules' creation, epoch seconds)

    @property
    def key_labels(self) -> tuple[str, ...]:
        hash_keys, range_keys = key_names(self.meta, self.index)
        return (
            hash_keys
            if self.code in (ACCESSED_PARTITION, THROTTLED_PARTITION)
            else (hash_keys + range_keys)
        )

    @property
    def number(self) -> int:
        return 0 if self.index is None else self.index.number

    @property
    def accessed(self) -> bool:
        return self.code in (ACCESSED_PARTITION, ACCESSED_ITEM)


def rules(meta: TableMeta, index: IndexMeta | None) -> list[Rule]:
    """The rules of the table or GSI while its insights are enabled, in name order."""
    setting = meta.insights if index is None else index.insights
    if not _on(setting):
        return []
    assert setting is not None
    resource = meta.name if index is None else f"{meta.name}-{index.name}"
    codes = [THROTTLED_PARTITION]
    if setting["mode"] == ACCESSED_AND_THROTTLED:
        codes.append(ACCESSED_PARTITION)
    if key_names(meta, index)[1]:
        codes += [code + 1 for code in codes]  # the partition-and-sort-key twins
    stamp = int(setting["rules"])
    found = [
        Rule(f"{PREFIX}-{RULE_KINDS[code]}-{resource}-{stamp}", meta, index, code, stamp / 1000)
        for code in codes
    ]
    return sorted(found, key=lambda rule: rule.name)


def every_rule(meta: TableMeta) -> list[Rule]:
    """The rules of the table and of each of its GSIs."""
    found = rules(meta, None)
    for index in meta.global_indexes:
        found += rules(meta, index)
    return found


def key_names(meta: TableMeta, index: IndexMeta | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(partition-key attributes, sort-key attributes) of the table or GSI."""
    if index is not None:
        return index.hash_keys, index.range_keys
    return (meta.hash_key,), (() if meta.range_key is None else (meta.range_key,))


# --- what requests note ---------------------------------------------------------------------


def read(counts: Contributors, meta: TableMeta, key: Item, units: float, moment: float) -> None:
    """A read of the item at `key` (GetItem, an element of BatchGetItem or TransactGetItems)
    that consumed `units` read units: the table's most accessed keys."""
    if _accessed(meta.insights):
        _accessed_keys(counts, meta, None, key, units, moment)


def written(
    counts: Contributors,
    meta: TableMeta,
    image: Item,
    units: float,
    index_units: dict[str, float],
    moment: float,
) -> None:
    """A write of the item `image` (its new image, or the old one for a delete) that consumed
    `units` write units, and `index_units` on each index it maintained: 3 ConsumedThroughput
    units per write unit, on the table's rules and on those of each GSI written."""
    if _accessed(meta.insights):
        _accessed_keys(counts, meta, None, image, 3 * units, moment)
    for index in meta.global_indexes:
        spent = index_units.get(index.name)
        if spent and _accessed(index.insights):
            _accessed_keys(counts, meta, index, image, 3 * spent, moment)


def queried(
    counts: Contributors,
    meta: TableMeta,
    index: IndexMeta | None,
    partition: list[AttributeValue],
    units: float,
    moment: float,
) -> None:
    """A Query of one partition of the table (or of its index `index`) that consumed
    `units`: one event of the partition on the most accessed partition keys (a local index's
    partition is its table's)."""
    index = _global(index)
    setting = meta.insights if index is None else index.insights
    if _accessed(setting):
        keys = tuple(_text(value) for value in partition)
        counts.add(
            meta.uid_bytes,
            0 if index is None else index.number,
            ACCESSED_PARTITION,
            keys,
            units,
            moment,
        )


def throttled(
    counts: Contributors,
    meta: TableMeta,
    index: IndexMeta | None,
    key: Item | list[AttributeValue],
    moment: float,
) -> None:
    """A request refused for want of capacity: the item at `key`, or (a list) the partition
    of a Query, of the table or of its index `index`, on the most throttled keys."""
    index = _global(index)
    setting = meta.insights if index is None else index.insights
    if not _on(setting):
        return
    number = 0 if index is None else index.number
    uid = meta.uid_bytes
    if isinstance(key, list):
        counts.add(uid, number, THROTTLED_PARTITION, tuple(_text(v) for v in key), 1.0, moment)
        return
    found = _keys(meta, index, key)
    if found is None:
        return
    partition, item = found
    counts.add(uid, number, THROTTLED_PARTITION, partition, 1.0, moment)
    if item is not None:
        counts.add(uid, number, THROTTLED_ITEM, item, 1.0, moment)


def _global(index: IndexMeta | None) -> IndexMeta | None:
    """The GSI a request on `index` counts for; None (the table) for a local index."""
    return index if index is not None and index.is_global else None


def _accessed_keys(
    counts: Contributors,
    meta: TableMeta,
    index: IndexMeta | None,
    item: Item,
    value: float,
    moment: float,
) -> None:
    found = _keys(meta, index, item)
    if found is None:  # the item is not in the GSI (it lacks a key attribute)
        return
    partition, whole = found
    uid, number = meta.uid_bytes, 0 if index is None else index.number
    counts.add(uid, number, ACCESSED_PARTITION, partition, value, moment)
    if whole is not None:
        counts.add(uid, number, ACCESSED_ITEM, whole, value, moment)


def _keys(meta: TableMeta, index: IndexMeta | None, item: Item) -> tuple[Keys, Keys | None] | None:
    """(partition keys, partition and sort keys or None without a sort key) of `item` in the
    table or GSI; None when it lacks one of them."""
    try:
        partition: Keys
        if index is None:  # the common case, spelt out: a key or two
            partition = (_text(item[meta.hash_key]),)
            if meta.range_key is None:
                return partition, None
            return partition, (partition[0], _text(item[meta.range_key]))
        partition = tuple(_text(item[name]) for name in index.hash_keys)
        if not index.range_keys:
            return partition, None
        return partition, partition + tuple(_text(item[name]) for name in index.range_keys)
    except KeyError:
        return None


def _text(value: AttributeValue) -> str:
    """A key value as a contributor shows it: the string, the number's text, base64 of a
    binary."""
    return str(next(iter(value.values())))
