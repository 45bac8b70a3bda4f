"""The console's read-only IAM view in Chromium, on SQLite and PostgreSQL: root sees the users,
groups, roles and customer managed policies it made through boto3, and a user's inline policy
document decoded and indented; a user whose policy allows only DynamoDB on one table opens the
same page and reads IAM's own AccessDenied message instead of a list."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.conftest import ROOT_KEY, ROOT_SECRET, Console, screenshot, sign_in_with_key
from tests.wire.helpers import unique_name

ACCOUNT = "000000000000"


def _arrange(console: Console) -> dict[str, str]:
    """A user with an inline and an attached policy, in a group, and a role; the user's key."""
    iam = console.client("iam")
    names = {kind: unique_name(kind) for kind in ("user", "group", "role", "policy", "table")}
    table_arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{names['table']}"
    only_table = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": table_arn}],
    }
    iam.create_user(UserName=names["user"])
    iam.put_user_policy(
        UserName=names["user"], PolicyName="one-table", PolicyDocument=json.dumps(only_table)
    )
    read_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": table_arn}],
    }
    policy = iam.create_policy(PolicyName=names["policy"], PolicyDocument=json.dumps(read_only))
    iam.attach_user_policy(UserName=names["user"], PolicyArn=policy["Policy"]["Arn"])
    iam.create_group(GroupName=names["group"])
    iam.add_user_to_group(GroupName=names["group"], UserName=names["user"])
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName=names["role"], AssumeRolePolicyDocument=json.dumps(trust))
    key = iam.create_access_key(UserName=names["user"])["AccessKey"]
    names["key"], names["secret"] = key["AccessKeyId"], key["SecretAccessKey"]
    return names


def _tab(page: Any, name: str) -> Any:
    page.get_by_role("tab", name=name).click()
    return page.get_by_role("tabpanel", name=name)


def test_root_reads_iam_and_a_user_without_iam_rights_reads_access_denied(
    iam_console: Console,
) -> None:
    names = _arrange(iam_console)
    page = iam_console.page("#/iam")
    sign_in_with_key(page, ROOT_KEY, ROOT_SECRET)
    users = page.get_by_role("tabpanel", name="Users")
    users.get_by_role("link", name=names["user"]).wait_for()
    assert f"arn:aws:iam::{ACCOUNT}:user/{names['user']}" in users.inner_text()
    screenshot(page, "iam")
    # The tabs are one tab stop; arrow keys move between them.
    page.get_by_role("tab", name="Users").press("ArrowRight")
    assert page.get_by_role("tab", name="Groups").get_attribute("aria-selected") == "true"
    groups = page.get_by_role("tabpanel", name="Groups")
    groups.get_by_role("link", name=names["group"]).wait_for()
    _tab(page, "Policies").get_by_role("link", name=names["policy"]).wait_for()
    _tab(page, "Roles").get_by_role("link", name=names["role"]).click()
    trust = page.get_by_label("Trust policy")
    trust.wait_for()
    assert json.loads(trust.inner_text())["Statement"][0]["Action"] == "sts:AssumeRole"
    page.go_back()
    _tab(page, "Users").get_by_role("link", name=names["user"]).click()
    document = page.get_by_label("one-table document")
    document.wait_for()
    text = document.inner_text()
    assert json.loads(text)["Statement"][0]["Action"] == "dynamodb:*"
    assert '\n  "Statement": [' in text  # indented, not one URL-encoded line
    page.get_by_role("link", name=names["policy"]).wait_for()
    page.get_by_role("link", name=names["group"]).wait_for()
    assert page.get_by_text(names["key"]).is_visible()
    screenshot(page, "iam-user")
    page.get_by_role("link", name=names["policy"]).click()
    managed = page.get_by_label(f"{names['policy']} document")
    managed.wait_for()
    assert json.loads(managed.inner_text())["Statement"][0]["Action"] == "dynamodb:GetItem"
    # A user allowed DynamoDB on one table only: IAM's refusal, worded by IAM.
    other = iam_console.page("#/iam")
    sign_in_with_key(other, names["key"], names["secret"])
    alert = other.get_by_role("tabpanel", name="Users").get_by_role("alert")
    alert.wait_for()
    assert "is not authorized to perform: iam:ListUsers" in alert.inner_text()
    screenshot(other, "iam-denied")
    assert page.errors == [] and other.errors == []
