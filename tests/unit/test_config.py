"""opendynamo.config: every setting and every tuning figure is declared once, as a field, and
reaches a worker process through the environment under `OPENDYNAMO_` + its name."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from opendynamo.config import Settings, tuning_from_env
from opendynamo.engine.tuning import Tuning

ROOT = Path(__file__).resolve().parents[2]


def test_settings_survive_the_trip_through_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(
        host="0.0.0.0",
        port=9001,
        in_memory=True,
        enforce_capacity=True,
        auth="iam",
        pg_pool_size=3,
        pg_statement_timeout=1234,
        ttl_interval=0.5,
        export_encryption_key_file="/keys/export",
    )
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)
    assert Settings.from_env() == settings


def test_a_setting_the_environment_does_not_hold_keeps_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in Settings().to_env():
        monkeypatch.delenv(name, raising=False)
    assert Settings.from_env() == Settings()


def test_tuning_is_read_from_the_environment_by_field_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENDYNAMO_PITR_LAG", "1.5")
    monkeypatch.setenv("OPENDYNAMO_BACKFILL_BATCH", "20")
    monkeypatch.setenv("OPENDYNAMO_HOUSEKEEPER_INTERVAL", "")
    tuned = tuning_from_env()
    assert tuned.pitr_lag == 1.5 and tuned.backfill_batch == 20
    assert tuned.housekeeper_interval == Tuning().housekeeper_interval
    assert tuned.stream_shard_seconds == 4 * 3600  # DynamoDB's, untouched


def test_no_module_reads_the_environment_at_import_time() -> None:
    """Tuning is read in one place (config) and handed to the engine at start."""
    readers = []
    for path in sorted((ROOT / "opendynamo").rglob("*.py")):
        if path.name == "config.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"environ(\.get)?\(?\[?['\"]OPENDYNAMO_(?!SECRETS_KEY)", line):
                readers.append(f"{path.relative_to(ROOT)}:{number}")
    assert readers == []


def test_every_tuning_field_has_a_default() -> None:
    assert all(field.default is not dataclasses.MISSING for field in dataclasses.fields(Tuning))
