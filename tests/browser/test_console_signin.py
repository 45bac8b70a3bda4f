"""Signing in and out of the console in Chromium: with `--auth off` nobody signs in; with
`--auth iam` root signs in with its keys, a wrong key gets the sign-in page's one message, and
signing out ends the session on the server."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import (
    ROOT_KEY,
    ROOT_SECRET,
    Console,
    screenshot,
    sign_in_with_key,
    sign_in_with_password,
)
from tests.conftest import unique_name


def test_open_console_needs_no_sign_in(open_console: Console) -> None:
    page = open_console.page()
    page.get_by_role("heading", name="Tables").wait_for()
    assert page.locator("#identity").inner_text() == "arn:aws:iam::000000000000:root"
    assert page.get_by_role("button", name="Sign out").is_hidden()
    assert page.errors == []


def test_root_signs_in_with_its_keys_and_out_again(iam_console: Console) -> None:
    page = iam_console.page()
    sign_in_with_key(page, ROOT_KEY, "not the secret")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Your authentication information is incorrect. Please try again." in alert.inner_text()
    screenshot(page, "sign-in")
    sign_in_with_key(page, ROOT_KEY, ROOT_SECRET)
    page.get_by_role("heading", name="Tables").wait_for()
    assert page.locator("#identity").inner_text() == "arn:aws:iam::000000000000:root"
    cookie = _session_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert page.evaluate("document.cookie") == ""  # no script can read the session
    assert page.evaluate("JSON.stringify(localStorage)") == "{}"
    page.get_by_role("button", name="Sign out").click()
    page.locator("section.signin").wait_for()
    # The old cookie, presented again, is refused: the session ended on the server.
    context = page.context
    context.add_cookies(
        [{"name": cookie["name"], "value": cookie["value"], "url": iam_console.url}]
    )
    status = page.evaluate(
        "fetch('/console/api/session').then(r => r.json()).then(b => b.SignedIn)"
    )
    assert status is False
    assert page.errors == []


def _session_cookie(page: Any) -> dict[str, Any]:
    cookies = [c for c in page.context.cookies() if c["name"] == "opendynamo-console"]
    assert len(cookies) == 1
    return dict(cookies[0])


def test_a_user_signs_in_with_a_password_it_must_change_first(iam_console: Console) -> None:
    iam = iam_console.client("iam")
    name = unique_name("u")
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword")
    iam.attach_user_policy(
        UserName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
    )
    iam.create_login_profile(UserName=name, Password="First-Password-1", PasswordResetRequired=True)
    page = iam_console.page()
    sign_in_with_password(page, name, "First-Password-1")
    page.get_by_role("heading", name="Change your password").wait_for()
    page.get_by_label("Current password").fill("First-Password-1")
    page.get_by_label("New password", exact=True).fill("Second-Password-2")
    page.get_by_label("Confirm new password").fill("Second-Password-2")
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("heading", name="Tables").wait_for()
    assert page.locator("#identity").inner_text() == f"arn:aws:iam::000000000000:user/{name}"
    profile = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert profile["PasswordResetRequired"] is False
    assert page.errors == []
