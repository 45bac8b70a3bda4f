"""How fast the console opens a large table: the time from asking Chromium for a table's items
page until its first row of items shows, for a table of a million items and, in the same run,
for a table of a thousand (the baseline: what a page costs when nothing is large).

The server runs with one worker (one core for the API), SQLite on disk, `--auth off`; the
items are written with `opendynamo load` beside the running server. Each page is opened in a
new browser context (no cache: every file of the console is fetched), `--rounds` times per
table, and timed by the page's own clock from the start of navigation until the first row
shows; the table gives the medians and
the ratio large / small (a page whose work grew with the table would show it here). The
tables page (DescribeTable of each table, never a scan) is timed the same way.

Run: python bench/console.py [--items 1000000] [--rounds 7]
Needs Debian's chromium and the test extra (Playwright).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

SMALL = 1_000
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chromium() -> str:
    found = os.environ.get("OPENDYNAMO_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise SystemExit("needs Chromium: apt-get install chromium")
    return found


@contextlib.contextmanager
def serving(data_dir: str, *options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """An `opendynamo serve` of one worker on a free port (its endpoint), stopped at the end
    with every process it started."""
    port = free_port()
    command = [sys.executable, "-m", "opendynamo", "serve", "--port", str(port)]
    command += ["--data-dir", data_dir, "--workers", "1", "--log-level", "warning", *options]
    server = subprocess.Popen(command, start_new_session=True, env={**os.environ, **(env or {})})
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(400):
            try:
                urllib.request.urlopen(endpoint + "/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield endpoint
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def client(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDBENCH",
        aws_secret_access_key="x",
    )


def lines(count: int) -> Iterator[bytes]:
    for n in range(count):
        item = {"pk": {"S": f"customer-{n:08d}"}, "sk": {"N": str(n % 97)}}
        item["name"] = {"S": f"Customer number {n}"}
        item["balance"] = {"N": str(n * 7 % 10_000)}
        yield json.dumps({"Item": item}).encode() + b"\n"


def load(data_dir: Path, table: str, count: int) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "opendynamo", "load", "--data-dir", str(data_dir)]
    with subprocess.Popen([*command, "--table", table, "-"], stdin=subprocess.PIPE) as loader:
        assert loader.stdin is not None
        batch = []
        for line in lines(count):
            batch.append(line)
            if len(batch) == 10_000:
                loader.stdin.write(b"".join(batch))
                batch = []
        loader.stdin.write(b"".join(batch))
        loader.stdin.close()
        if loader.wait() != 0:
            raise SystemExit("opendynamo load failed")
    return time.perf_counter() - started


# Notes, from the page's own clock, when the awaited element first appears: milliseconds since
# the navigation started (the page's time origin), free of the driver's own round trips.
WATCH = """
window.__shown = null;
new MutationObserver(() => {
  if (window.__shown === null && document.querySelector(%s)) window.__shown = performance.now();
}).observe(document, {subtree: true, childList: true});
"""


def time_page(browser: Any, url: str, ready: str, rounds: int) -> list[float]:
    """Milliseconds from the start of navigation until `ready` (a CSS selector) shows, by the
    page's clock, per round. (The bench's contexts bypass the console's CSP, which would
    forbid the watcher script; the pages themselves run unchanged.)"""
    times = []
    for _ in range(rounds):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        context.add_init_script(WATCH % json.dumps(ready))
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(ready, timeout=60_000)
        times.append(float(page.evaluate("window.__shown")))
        context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="bench-console-") as tmp,
        serving(tmp, "--metrics", "off") as endpoint,
    ):
        data = Path(tmp)
        ddb = client(endpoint)
        for name in ("large", "small"):
            ddb.create_table(
                TableName=name,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "N"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        seconds = load(data, "large", args.items)
        load(data, "small", SMALL)
        print(f"loaded {args.items:,} items in {seconds:.1f} s", file=sys.stderr)
        first_row = "main table.data tbody input[type=checkbox]"
        listed = "main table.data tbody tr:nth-child(2) a"
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
            time_page(browser, f"{endpoint}/console/#/tables/small/items", first_row, 2)  # warm
            for name in ("small", "large"):
                url = f"{endpoint}/console/#/tables/{name}/items"
                results[name] = statistics.median(time_page(browser, url, first_row, args.rounds))
            results["tables"] = statistics.median(
                time_page(browser, f"{endpoint}/console/#/tables", listed, args.rounds)
            )
            browser.close()
    print("| page | table | median ms |")
    print("|---|---|---|")
    print(f"| items, first page | {SMALL:,} items | {results['small']:.0f} |")
    print(f"| items, first page | {args.items:,} items | {results['large']:.0f} |")
    print(f"| tables (both) | — | {results['tables']:.0f} |")
    print(f"\nratio large / small: {results['large'] / results['small']:.2f}")


if __name__ == "__main__":
    main()
