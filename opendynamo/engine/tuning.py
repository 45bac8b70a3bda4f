"""The adjustable figures of the engine and the housekeeper: DynamoDB's own values unless a
deployment or a test changes them.

`config.tuning_from_env` reads them once, at start, from `OPENDYNAMO_` + the field's name in
capitals (`OPENDYNAMO_PITR_LAG=1` makes the latest restorable time a second behind now), and
`configure` hands them to the engine; code reads `tuning.current` when it runs, never the
environment, and never at import time. Tests shorten DynamoDB's waits (a 5-minute restore
lag, a 15-minute export window, 4-hour stream shards) and batch sizes so that what takes
minutes or hours on AWS can be watched in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tuning:
    # Background work
    backfill_batch: int = 1000  # items per step of an index backfill, a restore, a copy
    snapshot_batch: int = 0  # items per step of a PITR snapshot's copy (0: backfill_batch)
    export_file_items: int = 10_000  # items per data file of an export (one file per step)
    import_max_object_bytes: int = 256 * 1024 * 1024  # most one import object may inflate to
    pitr_snapshot_interval: float = 86400.0  # seconds between PITR snapshots
    pitr_lag: float = 300.0  # how far behind now the latest restorable time is (DynamoDB: ~5 min)
    ttl_transition: float = 0.0  # seconds a table stays ENABLING/DISABLING (DynamoDB: none seen)
    ttl_change_interval: float = 3600.0  # the shortest time between two TTL changes (an hour)
    # Request paths
    item_collection_limit: int = 10 * 1024**3  # DynamoDB's 10 GB item collection limit (LSIs)
    stream_shard_seconds: float = 4 * 3600.0  # a stream's shards are cut by time, this often
    stream_settle: float = 0.5  # a change is readable once this old (seconds)
    transaction_token_seconds: float = 600.0  # a ClientRequestToken's window (DynamoDB: 10 min)
    export_min_window: float = 15 * 60.0  # an incremental export's shortest window
    min_session_seconds: int = 900  # STS's shortest DurationSeconds
    # The housekeeper
    # Seconds between looks for work, and also between steps when set (0: 0.2 s, no pause).
    housekeeper_interval: float = 0.0
    housekeeper_batch: int = 100  # items per step while requests come
    housekeeper_rest: float = 4.0  # seconds of rest per second of work while requests come
    housekeeper_nice: int = 19  # the housekeeper thread's scheduling niceness
    pitr_maintain_every: float = 60.0  # seconds between looks after the change log's holds
    # Metrics and alarms (engine/metrics, engine/alarms)
    metrics_flush_interval: float = 5.0  # seconds between writes of a worker's metrics
    metrics_gauge_interval: float = 60.0  # seconds between samples of the gauges
    metric_retention_days: int = 15  # days one-minute datapoints are kept (then five-minute)
    alarm_interval: float = 60.0  # seconds between evaluations of the alarms
    # Contributor Insights (engine/insights, engine/metrics/contributors)
    insights_transition: float = 0.0  # seconds a table or GSI stays ENABLING / DISABLING
    insights_top_keys: int = 100  # keys a worker keeps per rule and minute (the heaviest)


current = Tuning()


def configure(tuning: Tuning) -> None:
    """Use `tuning` from now on (a process does so once, at start)."""
    global current
    current = tuning
