"""The console in a real browser: headless Chromium from Debian's `chromium` package, driven by
Playwright for Python (nothing downloads a browser build). Without Chromium the tests skip,
saying how to install it.

Fixtures give a console server with `--auth off` (no sign-in) and one with `--auth iam` (root
signs in with its keys; users with passwords or keys). Each test gets a fresh browser context,
so cookies and storage never leak between tests. Screenshots of the main pages are saved under
`test-artifacts/console/` for people to look at (CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Backend, Server

CHROMIUM = os.environ.get("OPENDYNAMO_CHROMIUM") or shutil.which("chromium")
ARTIFACTS = Path(os.environ.get("OPENDYNAMO_ARTIFACTS", "test-artifacts")) / "console"
# Chromium as this machine runs it: no sandbox (root in a container), and none of the
# background connections a closed network refuses.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ROOT_KEY = "AKIAROOTCONSOLETEST1"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCONSOLE01"
ROOT_CREDS = {"aws_access_key_id": ROOT_KEY, "aws_secret_access_key": ROOT_SECRET}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM:
        pytest.skip(
            "the console's browser tests need Chromium: install Debian's package "
            "(apt-get install chromium) or set OPENDYNAMO_CHROMIUM to its path"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@dataclass
class Console:
    """A server whose console the tests open, with root's credentials when it has any."""

    server: Server
    browser: Any
    root: dict[str, str] | None = None

    @property
    def url(self) -> str:
        return self.server.endpoint + "/console/"

    def page(self, hash_route: str = "#/tables", viewport: tuple[int, int] = (1280, 800)) -> Any:
        """A page of a new browser context (its own cookies) at `hash_route`."""
        context = self.browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.errors = []  # uncaught script errors: a test may assert there were none
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(self.url + hash_route)
        return page

    def client(self, service: str = "dynamodb", **credentials: Any) -> Any:
        return self.server.client(service, **(credentials or self.root or {}))


def sign_in_with_key(page: Any, key: str, secret: str) -> None:
    page.wait_for_selector("section.signin")
    if page.get_by_label("Access key ID").count() == 0:
        page.get_by_role("button", name="Sign in with an access key instead").click()
    page.get_by_label("Access key ID").fill(key)
    page.get_by_label("Secret access key").fill(secret)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in_with_password(
    page: Any, user: str, password: str, account: str = "000000000000"
) -> None:
    page.wait_for_selector("section.signin")
    page.get_by_label("Account ID").fill(account)
    page.get_by_label("IAM user name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def screenshot(page: Any, name: str) -> None:
    """Keep a picture of the page as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def open_console(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Console]:
    """A console with `--auth off` on SQLite: every visitor is the default account's root."""
    server = Server(tmp_path_factory.mktemp("console"), workers=2).start()
    try:
        yield Console(server, browser)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def iam_console(
    tmp_path_factory: pytest.TempPathFactory, browser: Any, backend: Backend
) -> Iterator[Console]:
    """A console with `--auth iam`, on each backend: people sign in, IAM decides."""
    data = tmp_path_factory.mktemp("console-iam")
    args = ("--auth", "iam", "--root-access-key-id", ROOT_KEY)
    args += ("--root-secret-access-key", ROOT_SECRET, "--audit-log", str(data / "audit.jsonl"))
    server = Server(data, workers=2, extra_args=args + backend()).start()
    try:
        yield Console(server, browser, dict(ROOT_CREDS))
    finally:
        server.stop()
