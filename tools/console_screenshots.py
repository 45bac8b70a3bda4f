"""Make the README's pictures of the console: a server with a table of orders, some minutes of
varying traffic (so the monitoring charts have a shape), then Chromium's screenshots of the
items page (a Query) and the table's Monitoring tab, written to docs/images/.

Run: python tools/console_screenshots.py [--minutes 8]
Needs Debian's chromium and the test extra (Playwright).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a file: bench/ is found from the checkout

from bench.console import FLAGS, chromium, client, serving  # noqa: E402

IMAGES = REPO / "docs" / "images"
TABLE = "orders"


def make_table(ddb: object) -> None:
    ddb.create_table(  # type: ignore[attr-defined]
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "customer", "KeyType": "HASH"},
            {"AttributeName": "placed", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "placed", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byStatus",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "placed", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 20, "WriteCapacityUnits": 20},
            }
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 40, "WriteCapacityUnits": 25},
    )


def order(rng: random.Random, n: int) -> dict[str, dict[str, str]]:
    return {
        "customer": {"S": f"customer-{rng.randrange(40):03d}"},
        "placed": {"S": f"2026-12-{rng.randrange(1, 7):02d}T{n % 24:02d}:{n % 60:02d}:00Z#{n}"},
        "status": {"S": rng.choice(["PLACED", "PACKED", "SHIPPED", "DELIVERED"])},
        "total": {"N": f"{rng.randrange(500, 50000) / 100:.2f}"},
        "items": {"N": str(rng.randrange(1, 9))},
    }


def traffic(ddb: object, minutes: float) -> None:
    """Writes, reads and queries whose rate swells and falls over the minutes, with a few
    conditional writes that fail."""
    rng = random.Random(7)
    started = time.monotonic()
    n = 0
    while (elapsed := time.monotonic() - started) < minutes * 60:
        wave = 0.5 + 0.5 * math.sin(elapsed / 60 * math.pi)
        for _ in range(int(3 + 12 * wave)):
            n += 1
            item = order(rng, n)
            ddb.put_item(TableName=TABLE, Item=item)  # type: ignore[attr-defined]
            ddb.get_item(  # type: ignore[attr-defined]
                TableName=TABLE, Key={k: item[k] for k in ("customer", "placed")}
            )
        ddb.query(  # type: ignore[attr-defined]
            TableName=TABLE,
            KeyConditionExpression="customer = :c",
            ExpressionAttributeValues={":c": {"S": f"customer-{rng.randrange(40):03d}"}},
        )
        if rng.random() < 0.2:
            try:
                ddb.put_item(  # type: ignore[attr-defined]
                    TableName=TABLE,
                    Item=order(rng, 1),
                    ConditionExpression="attribute_not_exists(customer)",
                )
            except ClientError:
                pass
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=8)
    args = parser.parse_args()
    executable = chromium()
    from playwright.sync_api import sync_playwright

    IMAGES.mkdir(parents=True, exist_ok=True)
    quick_metrics = {
        "OPENDYNAMO_METRICS_FLUSH_INTERVAL": "1",
        "OPENDYNAMO_METRICS_GAUGE_INTERVAL": "10",
    }
    with (
        tempfile.TemporaryDirectory(prefix="console-shots-") as tmp,
        serving(tmp, env=quick_metrics) as endpoint,
    ):
        ddb = client(endpoint)
        make_table(ddb)
        traffic(ddb, args.minutes)
        time.sleep(3)  # the last flush
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{endpoint}/console/#/tables/{TABLE}/monitoring")
            page.wait_for_selector("main canvas")
            page.wait_for_timeout(500)
            page.screenshot(path=str(IMAGES / "console-monitoring.png"))
            page.goto(f"{endpoint}/console/#/tables/{TABLE}/items")
            page.wait_for_selector("main table.data tbody input[type=checkbox]")
            page.screenshot(path=str(IMAGES / "console-items.png"))
            browser.close()
    print(f"wrote {IMAGES / 'console-monitoring.png'} and {IMAGES / 'console-items.png'}")


if __name__ == "__main__":
    main()
