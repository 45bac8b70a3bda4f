"""The console's main flows again, on a server that keeps its data in PostgreSQL: the pages
only call the API, which every wire test runs on both backends, so this covers the browser
side of that claim without running every browser test twice. The tests are the other
modules' own, collected here with this module's fixtures (`open_console` and `console` on
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Console
from tests.browser.test_console_backups import (
    test_create_a_backup_restore_it_to_a_new_table_and_delete_it as test_backup_and_restore,
)
from tests.browser.test_console_backups import (
    test_restore_to_a_point_in_time_picked_on_the_timeline as test_point_in_time_restore,
)
from tests.browser.test_console_items import (
    test_create_edit_and_the_concurrent_edit_refusal as test_item_editing,
)
from tests.browser.test_console_items import (
    test_scan_pages_forward_and_backward as test_scan_paging,
)
from tests.browser.test_console_partiql import (
    test_select_with_a_parameter_insert_and_history as test_partiql,
)
from tests.browser.test_console_tables import (
    test_create_table_with_indexes_stream_tags_ttl_and_pitr as test_create_table,
)
from tests.conftest import Server
from tests.postgres import Postgres

__all__ = [
    "test_backup_and_restore",
    "test_create_table",
    "test_item_editing",
    "test_partiql",
    "test_point_in_time_restore",
    "test_scan_paging",
]


@pytest.fixture(scope="module")
def console(
    tmp_path_factory: pytest.TempPathFactory, browser: Any, postgres: Postgres
) -> Iterator[Console]:
    """One console server on a fresh PostgreSQL database, for every test collected here."""
    server = Server(
        tmp_path_factory.mktemp("console-pg"),
        workers=2,
        extra_args=("--backend", postgres.database()),
        env={"OPENDYNAMO_PITR_LAG": "1"},
    ).start()
    try:
        yield Console(server, browser)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def open_console(console: Console) -> Console:
    return console
