"""IAM decides what each person sees in the console: a user allowed one table sees only that
table and is refused elsewhere with DynamoDB's own message; a page of another origin, or a
script without the session's CSRF token, changes nothing; an expired session sends the browser
back to the sign-in page."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.browser.conftest import (
    ROOT_CREDS,
    ROOT_KEY,
    ROOT_SECRET,
    Console,
    screenshot,
    sign_in_with_key,
)
from tests.conftest import Server, creds_of, unique_name

ACCOUNT = "000000000000"


def _table(ddb: Any) -> str:
    name = unique_name("t")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _user_of_one_table(console: Console, table: str) -> tuple[str, dict[str, str]]:
    iam = console.client("iam")
    name = unique_name("u")
    iam.create_user(UserName=name)
    arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:ListTables", "Resource": "*"},
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": [arn, f"{arn}/*"]},
        ],
    }
    iam.put_user_policy(UserName=name, PolicyName="one-table", PolicyDocument=json.dumps(policy))
    return name, creds_of(iam.create_access_key(UserName=name)["AccessKey"])


def test_a_limited_user_sees_only_its_table_and_is_refused_elsewhere(iam_console: Console) -> None:
    ddb = iam_console.client()
    own, other = _table(ddb), _table(ddb)
    user, creds = _user_of_one_table(iam_console, own)
    page = iam_console.page()
    sign_in_with_key(page, creds["aws_access_key_id"], creds["aws_secret_access_key"])
    page.get_by_role("link", name=own).wait_for()
    assert page.get_by_role("link", name=other).count() == 0
    assert "more you are not allowed to describe" in page.locator("main").inner_text()
    screenshot(page, "tables-limited-user")
    page.goto(f"{iam_console.url}#/tables/{other}")
    alert = page.get_by_role("alert").first
    alert.wait_for()
    assert (
        f"User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: "
        f"dynamodb:DescribeTable on resource: arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{other}"
    ) in alert.inner_text()
    assert page.errors == []


def test_a_script_without_the_csrf_token_changes_nothing(iam_console: Console) -> None:
    ddb = iam_console.client()
    table = _table(ddb)
    page = iam_console.page()
    sign_in_with_key(page, ROOT_KEY, ROOT_SECRET)
    page.get_by_role("heading", name="Tables").wait_for()
    status = page.evaluate(
        """(table) => fetch('/console/api/dynamodb', {method: 'POST', headers: {
             'Content-Type': 'application/x-amz-json-1.0',
             'X-Amz-Target': 'DynamoDB_20120810.DeleteTable'},
             body: JSON.stringify({TableName: table})}).then(r => r.status)""",
        table,
    )
    assert status == 403
    assert ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


def test_an_expired_session_returns_to_the_sign_in_page(browser: Any, tmp_path: Path) -> None:
    args = ("--auth", "sigv4", "--root-access-key-id", ROOT_KEY, "--root-secret-access-key")
    args += (ROOT_SECRET, "--console-session-hours", str(2 / 3600))
    server = Server(tmp_path, extra_args=args).start()
    try:
        console = Console(server, browser, dict(ROOT_CREDS))
        page = console.page()
        sign_in_with_key(page, ROOT_KEY, ROOT_SECRET)
        page.get_by_role("heading", name="Tables").wait_for()
        time.sleep(2.2)  # the session's whole lifetime, set to two seconds above
        region = page.get_by_label("Region")  # a change of region lists the tables again
        region.fill("us-west-2")
        region.press("Enter")
        page.locator("section.signin").wait_for()
        assert page.url.endswith("#/signin")
    finally:
        server.stop()
