"""`opendynamo top`: the busiest tables and operations of a store, from the metrics its
servers write (engine/metrics/top reads them; this module draws them), refreshed in place on
a terminal and printed frame after frame elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any

import click

from opendynamo.cli.common import encryption_key_option, offline_store
from opendynamo.engine import tuning
from opendynamo.engine.metrics.top import Frame, Row, read_frame

HOME_AND_CLEAR = "\x1b[H\x1b[2J"
# (heading, width) of each column after the first
COLUMNS = (
    ("REQ/S", 9),
    ("P50 MS", 8),
    ("P99 MS", 8),
    ("RCU/S", 9),
    ("WCU/S", 9),
    ("THROTTLED", 10),
    ("SYS ERR", 8),
    ("COND FAIL", 10),
)
NAME_WIDTH = 32


@click.command()
@click.option(
    "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
)
@click.option("--backend", envvar="OPENDYNAMO_BACKEND", default="", help="A postgresql:// URL.")
@encryption_key_option
@click.option("--account", default=None, help="Only this account's tables [default: all].")
@click.option("--region", default=None, help="Only this region's tables [default: all].")
@click.option(
    "--window",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds to add up (back to the start of the minute that holds its beginning).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between frames.",
)
@click.option("--once", is_flag=True, help="Print one frame and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print frames as JSON, one a line.")
def top(
    data_dir: str,
    backend: str,
    encryption_key_file: str,
    account: str | None,
    region: str | None,
    window: float,
    interval: float,
    once: bool,
    as_json: bool,
) -> None:
    """Show the busiest tables and operations of the store a server writes: requests per
    second, p50/p99 latency, consumed capacity, throttling and errors, refreshed every
    --interval. Figures lag by the servers' metrics flush interval
    (OPENDYNAMO_METRICS_FLUSH_INTERVAL, 5 s by default). Ctrl-C stops it."""
    if not backend and not os.path.exists(os.path.join(data_dir, "opendynamo.db")):
        raise click.ClickException(f"no opendynamo store in {os.path.abspath(data_dir)}")
    _, store = offline_store(data_dir, backend, encryption_key_file)
    live = sys.stdout.isatty() and not as_json and not once
    try:
        while True:
            with store.read() as txn:
                frame = read_frame(txn, time.time(), window, account, region)
            _show(frame, as_json, live)
            if once:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        if live:
            click.echo()  # the shell's prompt below the frame, not on its last line
    except BrokenPipeError:
        # The reader went away (`top --json | head -1`): stop quietly, and keep Python's
        # final flush of standard output from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        store.close()


def _show(frame: Frame, as_json: bool, live: bool) -> None:
    lag = tuning.current.metrics_flush_interval
    if as_json:
        click.echo(json.dumps(frame_json(frame, lag)))
        return
    size = shutil.get_terminal_size()
    lines = render(frame, lag, size.lines - 1 if live else None)
    text = "\n".join(lines)
    if live:
        click.echo(HOME_AND_CLEAR + text, nl=False)
    else:
        click.echo(text + "\n")


def frame_json(frame: Frame, lag: float) -> dict[str, Any]:
    return {
        "time": frame.now,
        "since": frame.since,
        "seconds": frame.seconds,
        "lag_seconds": lag,
        "rows": [asdict(row) for row in frame.rows],
        "user_errors": [asdict(errors) for errors in frame.user_errors],
    }


def render(frame: Frame, lag: float, height: int | None = None) -> list[str]:
    """The frame as text: a header line, the column headings, a line per table and per
    operation; at most `height` lines (a note says how many more there were)."""
    lines = [header(frame, lag), ""]
    name = "TABLE / OPERATION".ljust(NAME_WIDTH)
    lines.append(click.style(name + "".join(h.rjust(w) for h, w in COLUMNS), reverse=True))
    several = len({(row.account, row.region) for row in frame.rows}) > 1
    body = [_line(row, several) for row in frame.rows]
    if not body:
        body = ["(no requests in the window)"]
    if height is not None and len(lines) + len(body) > height:
        keep = max(0, height - len(lines) - 1)
        body = [*body[:keep], f"... {len(body) - keep} more"]
    return lines + body


def header(frame: Frame, lag: float) -> str:
    """The time, the window and the totals of every table, and how far figures lag."""
    tables = frame.tables()
    seconds = frame.seconds
    requests = sum(row.requests for row in tables)
    read_units = sum(row.read_units_per_second or 0.0 for row in tables)
    write_units = sum(row.write_units_per_second or 0.0 for row in tables)
    throttled = sum(row.throttled for row in tables)
    system = sum(row.system_errors for row in tables)
    failed = sum(row.conditional_check_failed or 0 for row in tables)
    user = sum(errors.count for errors in frame.user_errors)
    clock = datetime.fromtimestamp(frame.now).strftime("%H:%M:%S")
    since = datetime.fromtimestamp(frame.since).strftime("%H:%M")
    parts = [
        click.style(f"opendynamo top {clock}", bold=True),
        f"last {seconds:.0f}s (since {since})",
        f"{requests / seconds:.1f} req/s",
        f"{read_units:.1f} RCU/s",
        f"{write_units:.1f} WCU/s",
        _flagged(f"{throttled} throttled", throttled),
        _flagged(f"errors: {system} system, {user} user, {failed} condition", system + user),
        f"(lags up to {lag:g}s)",
    ]
    return "  ".join(parts)


def _line(row: Row, several: bool) -> str:
    if row.operation is None:
        name = row.table
        if several:
            name += f" ({row.account} {row.region})"
    else:
        name = "  " + row.operation
    cells = (
        _number(row.requests_per_second),
        _number(row.p50_ms),
        _number(row.p99_ms),
        _number(row.read_units_per_second),
        _number(row.write_units_per_second),
        str(row.throttled),
        str(row.system_errors),
        "" if row.conditional_check_failed is None else str(row.conditional_check_failed),
    )
    text = _cut(name, NAME_WIDTH) + "".join(
        c.rjust(w) for c, (_, w) in zip(cells, COLUMNS, strict=True)
    )
    text = text.rstrip()
    return click.style(text, bold=True) if row.operation is None else text


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if value >= 1000 else f"{value:.2f}"


def _cut(name: str, width: int) -> str:
    return name.ljust(width) if len(name) < width else name[: width - 2] + "~ "


def _flagged(text: str, count: int) -> str:
    return click.style(text, fg="red") if count else text
