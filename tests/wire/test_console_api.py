"""The console's sessions and its way to the APIs, over raw HTTP (the browser tests drive the
pages; this pins what a hostile page or client meets): sign-in with keys, cookies, CSRF and
origin checks, no CORS, rate-limited failures, sessions that end when the key or user goes,
expiry, IAM deciding each call, the audit trail, and `--console off`."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Backend, Server, creds_of, stored_bytes, unique_name
from tests.wire.helpers import eventually
from tests.wire.http import AMZ_JSON, Reply, send

ROOT_KEY = "AKIAROOTCONSOLEAPI01"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCONSOLEAPI"
ROOT = {"aws_access_key_id": ROOT_KEY, "aws_secret_access_key": ROOT_SECRET}
ACCOUNT = "000000000000"


@dataclass
class Env:
    server: Server
    audit: Path
    iam: Any
    ddb: Any


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Env]:
    data = tmp_path_factory.mktemp("console-api")
    audit = data / "audit.jsonl"
    args = ("--auth", "iam", "--root-access-key-id", ROOT_KEY, "--root-secret-access-key")
    args += (ROOT_SECRET, "--audit-log", str(audit))
    server = Server(data, workers=2, extra_args=args + backend()).start()
    try:
        yield Env(server, audit, server.client("iam", **ROOT), server.client("dynamodb", **ROOT))
    finally:
        server.stop()


@dataclass
class Browser:
    """What a page holds after signing in: its cookie and CSRF token."""

    server: Server
    cookie: str
    csrf: str

    def call(self, target: str, body: Any, **headers: str) -> Reply:
        sent = {
            "Cookie": self.cookie,
            "X-CSRF-Token": self.csrf,
            "Content-Type": AMZ_JSON,
            "X-Amz-Target": target,
            **headers,
        }
        return send(self.server, "POST", "/console/api/dynamodb", json.dumps(body).encode(), sent)

    def iam(self, action: str, **params: str) -> Reply:
        form = "&".join(
            [f"Action={action}", "Version=2010-05-08"] + [f"{k}={v}" for k, v in params.items()]
        )
        headers = {
            "Cookie": self.cookie,
            "X-CSRF-Token": self.csrf,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return send(self.server, "POST", "/console/api/iam", form.encode(), headers)


def sign_in(server: Server, **form: str) -> Reply:
    headers = {"Content-Type": "application/json", "Origin": server.endpoint}
    return send(server, "POST", "/console/api/signin", json.dumps(form).encode(), headers)


def signed_in(server: Server, key: str, secret: str) -> Browser:
    reply = sign_in(server, AccessKeyId=key, SecretAccessKey=secret)
    assert reply.status == 200, reply.body
    cookie = reply.headers["set-cookie"].split(";")[0]
    return Browser(server, cookie, reply.json()["Csrf"])


def only_table_policy(table: str) -> str:
    arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}"
    statement = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": [arn, f"{arn}/*"]}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def new_user(env: Env, policy: str | None = None) -> tuple[str, dict[str, str]]:
    name = unique_name("u")
    env.iam.create_user(UserName=name)
    if policy is not None:
        env.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    return name, creds_of(env.iam.create_access_key(UserName=name)["AccessKey"])


def new_table(env: Env) -> str:
    name = unique_name("t")
    env.ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


# --- signing in ------------------------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_cookie_and_describes_the_caller(env: Env) -> None:
    reply = sign_in(env.server, AccessKeyId=ROOT_KEY, SecretAccessKey=ROOT_SECRET)
    assert reply.status == 200
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("opendynamo-console=")
    attributes = {part.strip().split("=")[0] for part in cookie.split(";")[1:]}
    assert attributes == {"Path", "Max-Age", "HttpOnly", "SameSite"}
    assert "SameSite=Strict" in cookie and "Max-Age=43200" in cookie and "Path=/console" in cookie
    described = reply.json()
    assert described["Identity"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert ROOT_SECRET not in reply.body.decode()
    assert reply.headers["cache-control"] == "no-store"


def test_the_session_describes_who_is_signed_in(env: Env) -> None:
    browser = signed_in(env.server, ROOT_KEY, ROOT_SECRET)
    described = send(env.server, "GET", "/console/api/session", headers={"Cookie": browser.cookie})
    assert described.json()["SignedIn"] is True and described.json()["Csrf"] == browser.csrf
    nobody = send(env.server, "GET", "/console/api/session")
    assert nobody.json() == {"SignedIn": False, "Auth": "iam"}
    assert "set-cookie" not in nobody.headers


@pytest.mark.parametrize(
    "form",
    [
        {"AccessKeyId": ROOT_KEY, "SecretAccessKey": "wrong"},
        {"AccessKeyId": "AKIAUNKNOWNKEY000001", "SecretAccessKey": ROOT_SECRET},
        {"UserName": "nobody", "Password": "Whatever-1"},
    ],
)
def test_a_failed_sign_in_says_one_thing_whatever_was_wrong(env: Env, form: dict[str, str]) -> None:
    reply = sign_in(env.server, **form)
    assert reply.status == 401
    assert reply.json() == {
        "__type": "opendynamo.console#SignInFailed",
        "message": "Your authentication information is incorrect. Please try again.",
    }
    assert "set-cookie" not in reply.headers


def test_repeated_failures_lock_the_key_out_for_a_while(env: Env) -> None:
    _, creds = new_user(env)
    key, secret = creds["aws_access_key_id"], creds["aws_secret_access_key"]
    for _ in range(5):
        assert sign_in(env.server, AccessKeyId=key, SecretAccessKey="wrong").status == 401
    locked = sign_in(env.server, AccessKeyId=key, SecretAccessKey=secret)
    assert locked.status == 429
    assert locked.json()["message"] == (
        "Too many failed sign-in attempts. Wait 15 minutes and try again."
    )
    # Another key is not locked out by this one's failures.
    assert sign_in(env.server, AccessKeyId=ROOT_KEY, SecretAccessKey=ROOT_SECRET).status == 200


@pytest.mark.parametrize("body", [b"[]", b"{", b'{"AccessKeyId": 7}', b'{"Region": "US EAST"}'])
def test_malformed_sign_ins_are_refused_without_a_500(env: Env, body: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    reply = send(env.server, "POST", "/console/api/signin", body, headers)
    assert 400 <= reply.status < 500


# --- CSRF, origins, CORS ---------------------------------------------------------------------


def test_an_api_call_needs_the_session_and_its_csrf_token(env: Env) -> None:
    browser = signed_in(env.server, ROOT_KEY, ROOT_SECRET)
    assert browser.call("DynamoDB_20120810.ListTables", {}).status == 200
    forged = browser.call("DynamoDB_20120810.ListTables", {}, **{"X-CSRF-Token": "guess"})
    assert forged.status == 403
    assert forged.json()["message"] == "The request lacks this session's CSRF token."
    other = signed_in(env.server, ROOT_KEY, ROOT_SECRET)  # another session's token
    assert (
        browser.call("DynamoDB_20120810.ListTables", {}, **{"X-CSRF-Token": other.csrf}).status
        == 403
    )
    no_cookie = Browser(env.server, "", browser.csrf).call("DynamoDB_20120810.ListTables", {})
    assert no_cookie.status == 401
    assert no_cookie.json()["__type"] == "opendynamo.console#NotSignedIn"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_requests_from_another_origin_are_refused(env: Env, headers: dict[str, str]) -> None:
    browser = signed_in(env.server, ROOT_KEY, ROOT_SECRET)
    table = new_table(env)
    refused = browser.call("DynamoDB_20120810.DeleteTable", {"TableName": table}, **headers)
    assert refused.status == 403
    assert refused.json()["message"] == "The console answers requests from its own pages only."
    assert env.ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    login = dict(headers, **{"Content-Type": "application/json"})
    form = json.dumps({"AccessKeyId": ROOT_KEY, "SecretAccessKey": ROOT_SECRET}).encode()
    assert send(env.server, "POST", "/console/api/signin", form, login).status == 403


def test_console_answers_carry_no_cors_headers(env: Env) -> None:
    browser = signed_in(env.server, ROOT_KEY, ROOT_SECRET)
    origin = {"Origin": env.server.endpoint}
    answered = browser.call("DynamoDB_20120810.ListTables", {}, **origin)
    assert answered.status == 200
    assert not any(name.startswith("access-control-") for name in answered.headers)
    preflight = send(
        env.server,
        "OPTIONS",
        "/console/api/dynamodb",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status == 404
    assert not any(name.startswith("access-control-") for name in preflight.headers)
    page = send(env.server, "GET", "/console/")
    assert page.status == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/console/static/../../app.py",
        "/console/static/js/../../__init__.py",
        "/console/static/.hidden",
        "/console/static/js/",
        "/console/api/nothing",
        "/console/static/js/app.py",
    ],
)
def test_only_the_console_files_are_served(env: Env, path: str) -> None:
    assert send(env.server, "GET", path).status == 404


def test_a_console_file_is_revalidated_by_its_etag(env: Env) -> None:
    first = send(env.server, "GET", "/console/static/js/app.js")
    assert first.status == 200 and first.headers["content-type"].startswith("text/javascript")
    again = send(
        env.server,
        "GET",
        "/console/static/js/app.js",
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status == 304 and again.body == b""


# --- IAM decides every call ----------------------------------------------------------------


def test_a_limited_user_reaches_only_its_table(env: Env) -> None:
    own, other = new_table(env), new_table(env)
    user, creds = new_user(env, only_table_policy(own))
    browser = signed_in(env.server, creds["aws_access_key_id"], creds["aws_secret_access_key"])
    put = browser.call("DynamoDB_20120810.PutItem", {"TableName": own, "Item": {"pk": {"S": "a"}}})
    assert put.status == 200
    refused = browser.call(
        "DynamoDB_20120810.PutItem", {"TableName": other, "Item": {"pk": {"S": "a"}}}
    )
    assert refused.status == 400
    assert refused.json()["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: "
        f"dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{other} "
        "because no identity-based policy allows the dynamodb:PutItem action"
    )
    assert "Item" not in env.ddb.get_item(TableName=other, Key={"pk": {"S": "a"}})
    listed = browser.call("DynamoDB_20120810.ListTables", {})
    assert listed.status == 400 and "dynamodb:ListTables" in listed.json()["Message"]
    iam_refused = browser.iam("ListUsers")
    assert iam_refused.status == 403 and b"iam:ListUsers" in iam_refused.body


def test_a_session_ends_when_its_key_is_deactivated_or_its_policy_changes(env: Env) -> None:
    own = new_table(env)
    user, creds = new_user(env, only_table_policy(own))
    browser = signed_in(env.server, creds["aws_access_key_id"], creds["aws_secret_access_key"])
    describe = {"TableName": own}
    assert browser.call("DynamoDB_20120810.DescribeTable", describe).status == 200
    env.iam.delete_user_policy(UserName=user, PolicyName="p")
    assert browser.call("DynamoDB_20120810.DescribeTable", describe).status == 400  # at once
    env.iam.update_access_key(
        UserName=user, AccessKeyId=creds["aws_access_key_id"], Status="Inactive"
    )
    ended = browser.call("DynamoDB_20120810.DescribeTable", describe)
    assert ended.status == 401 and ended.json()["__type"] == "opendynamo.console#NotSignedIn"


def test_region_is_the_sessions_unless_the_page_names_another(env: Env) -> None:
    browser = signed_in(env.server, ROOT_KEY, ROOT_SECRET)
    table = new_table(env)  # in us-east-1
    assert table in browser.call("DynamoDB_20120810.ListTables", {}).json()["TableNames"]
    west = browser.call("DynamoDB_20120810.ListTables", {}, **{"X-Console-Region": "eu-west-1"})
    assert table not in west.json()["TableNames"]
    bad = browser.call("DynamoDB_20120810.ListTables", {}, **{"X-Console-Region": "../x"})
    assert bad.status == 400


# --- the audit trail and signing out -----------------------------------------------------------


def test_console_calls_and_sign_ins_are_audited_as_from_the_console(env: Env) -> None:
    browser = signed_in(env.server, ROOT_KEY, ROOT_SECRET)
    table = new_table(env)
    assert browser.call("DynamoDB_20120810.DescribeTable", {"TableName": table}).status == 200
    sign_in(env.server, AccessKeyId=ROOT_KEY, SecretAccessKey="wrong")

    def events() -> list[dict[str, Any]]:
        return [json.loads(line) for line in env.audit.read_text().splitlines()]

    described = eventually(
        lambda: [
            e
            for e in events()
            if e["eventName"] == "DescribeTable" and e["resources"][0]["ARN"].endswith(table)
        ]
    )
    assert described[0]["sessionCredentialFromConsole"] == "true"
    assert described[0]["eventSource"] == "dynamodb.amazonaws.com"
    logins = [e for e in events() if e["eventName"] == "ConsoleLogin"]
    assert {e["eventSource"] for e in logins} == {"signin.amazonaws.com"}
    assert any(e["errorCode"] == "SignInFailed" for e in logins)
    assert any(
        e["errorCode"] is None and e["userIdentity"]["arn"].endswith(":root") for e in logins
    )
    assert all(ROOT_SECRET not in json.dumps(e) for e in events())
    sdk = [e for e in events() if e["eventName"] == "CreateTable"]
    assert sdk and all("sessionCredentialFromConsole" not in e for e in sdk)


def test_signing_out_ends_the_session_on_the_server(env: Env) -> None:
    browser = signed_in(env.server, ROOT_KEY, ROOT_SECRET)
    headers = {"Cookie": browser.cookie, "X-CSRF-Token": "wrong", "Origin": env.server.endpoint}
    assert send(env.server, "POST", "/console/api/signout", b"", headers).status == 403
    headers["X-CSRF-Token"] = browser.csrf
    out = send(env.server, "POST", "/console/api/signout", b"", headers)
    assert out.status == 200 and "Max-Age=0" in out.headers["set-cookie"]
    assert browser.call("DynamoDB_20120810.ListTables", {}).status == 401


# --- expiry, --auth off, --console off ---------------------------------------------------------


def test_a_session_expires_on_the_server(tmp_path: Path) -> None:
    args = ("--auth", "sigv4", "--root-access-key-id", ROOT_KEY, "--root-secret-access-key")
    args += (ROOT_SECRET, "--console-session-hours", str(2 / 3600))
    server = Server(tmp_path, extra_args=args).start()
    try:
        browser = signed_in(server, ROOT_KEY, ROOT_SECRET)
        assert browser.call("DynamoDB_20120810.ListTables", {}).status == 200
        time.sleep(2.2)
        expired = browser.call("DynamoDB_20120810.ListTables", {})
        assert expired.status == 401
        assert expired.json()["message"] == "Your console session has ended. Sign in again."
    finally:
        server.stop()


def test_with_auth_off_a_visit_is_the_default_root_and_nothing_is_stored(tmp_path: Path) -> None:
    server = Server(tmp_path).start()
    try:
        first = send(server, "GET", "/console/api/session")
        described = first.json()
        assert described["SignedIn"] is True
        assert described["Identity"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
        cookie = first.headers["set-cookie"].split(";")[0]
        browser = Browser(server, cookie, described["Csrf"])
        assert browser.call("DynamoDB_20120810.ListTables", {}).status == 200
        assert Browser(server, cookie, "x").call("DynamoDB_20120810.ListTables", {}).status == 403
        refused = sign_in(server, AccessKeyId="AKIA", SecretAccessKey="x")
        assert refused.status == 400
    finally:
        server.stop()


def test_console_off_serves_nothing_under_console(tmp_path: Path) -> None:
    server = Server(tmp_path, extra_args=("--console", "off")).start()
    try:
        assert send(server, "GET", "/console/").status == 404
        assert send(server, "GET", "/console/api/session").status == 404
    finally:
        server.stop()


# --- IAM users with passwords --------------------------------------------------------------------

PASSWORD = "Correct-Horse-7"


def password_user(env: Env, policy: str | None, reset: bool = False) -> str:
    name, _ = new_user(env, policy)
    env.iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=reset)
    return name


def signed_in_with_password(env: Env, name: str, password: str = PASSWORD) -> tuple[Browser, Any]:
    reply = sign_in(env.server, Account=ACCOUNT, UserName=name, Password=password)
    assert reply.status == 200, reply.body
    cookie = reply.headers["set-cookie"].split(";")[0]
    return Browser(env.server, cookie, reply.json()["Csrf"]), reply.json()


def test_a_user_signs_in_with_its_password_and_acts_as_itself(env: Env) -> None:
    own = new_table(env)
    name = password_user(env, only_table_policy(own))
    wrong = sign_in(env.server, Account=ACCOUNT, UserName=name, Password="Correct-Horse-8")
    assert wrong.status == 401 and wrong.json()["__type"] == "opendynamo.console#SignInFailed"
    browser, described = signed_in_with_password(env, name.upper())  # names ignore case
    assert described["Identity"] == {
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "Account": ACCOUNT,
        "UserName": name,
        "Type": "User",
    }
    assert described["ResetRequired"] is False
    assert browser.call("DynamoDB_20120810.DescribeTable", {"TableName": own}).status == 200
    assert browser.call("DynamoDB_20120810.ListTables", {}).status == 400  # not in its policy
    assert "PasswordLastUsed" in env.iam.get_user(UserName=name)["User"]
    env.iam.delete_login_profile(UserName=name)
    env.iam.delete_user_policy(UserName=name, PolicyName="p")
    for key in env.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        env.iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    env.iam.delete_user(UserName=name)
    gone = browser.call("DynamoDB_20120810.DescribeTable", {"TableName": own})
    assert gone.status == 401  # the user is gone, and its session with it


def test_a_password_that_must_change_allows_nothing_else_until_changed(env: Env) -> None:
    own = new_table(env)
    name = password_user(env, only_table_policy(own), reset=True)
    env.iam.attach_user_policy(
        UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword"
    )
    browser, described = signed_in_with_password(env, name)
    assert described["ResetRequired"] is True
    held = browser.call("DynamoDB_20120810.DescribeTable", {"TableName": own})
    assert held.status == 403
    assert held.json()["message"] == "You must change your password before you continue."
    assert browser.iam("ListUsers").status == 403
    weak = browser.iam("ChangePassword", OldPassword=PASSWORD, NewPassword="short")
    assert weak.status == 400 and b"PasswordPolicyViolation" in weak.body
    changed = browser.iam("ChangePassword", OldPassword=PASSWORD, NewPassword="Battery-Staple-9")
    assert changed.status == 200, changed.body
    assert browser.call("DynamoDB_20120810.DescribeTable", {"TableName": own}).status == 200
    assert sign_in(env.server, Account=ACCOUNT, UserName=name, Password=PASSWORD).status == 401
    signed_in_with_password(env, name, "Battery-Staple-9")


def test_no_password_or_hash_is_ever_answered_or_stored_in_the_clear(env: Env) -> None:
    name = password_user(env, None)
    browser, _ = signed_in_with_password(env, name)
    user = env.iam.get_user(UserName=name)["User"]
    profile = env.iam.get_login_profile(UserName=name)["LoginProfile"]
    assert PASSWORD not in json.dumps([user, profile], default=str)
    assert "scrypt" not in json.dumps([user, profile], default=str)
    assert not any(PASSWORD.encode() in blob for blob in stored_bytes(env.server))


# --- hostile input ---------------------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(
                [
                    "AccessKeyId",
                    "SecretAccessKey",
                    "UserName",
                    "Password",
                    "Account",
                    "Region",
                    "SessionToken",
                ]
            ),
            st.one_of(
                st.text(max_size=600), st.integers(), st.none(), st.lists(st.text(max_size=3))
            ),
        ).map(lambda form: json.dumps(form).encode()),
    ),
    cookie=st.binary(max_size=120).map(
        lambda raw: raw.decode("latin-1").replace("\r", "").replace("\n", "")
    ),
)
def test_no_sign_in_or_cookie_makes_the_console_fail(env: Env, body: bytes, cookie: str) -> None:
    headers = {"Content-Type": "application/json", "Cookie": "opendynamo-console=" + cookie}
    signed = send(env.server, "POST", "/console/api/signin", body, headers)
    assert 400 <= signed.status < 500 or signed.status == 200
    called = send(
        env.server, "POST", "/console/api/dynamodb", body, {**headers, "X-CSRF-Token": cookie}
    )
    assert called.status in (400, 401, 403)  # 400: a header the HTTP parser refuses


def test_without_sign_in_only_an_ip_or_localhost_host_is_answered(tmp_path: Path) -> None:
    """A page of a DNS name rebound to 127.0.0.1 (DNS rebinding) sends its own name as Host."""
    server = Server(tmp_path).start()
    try:
        for host, status in [
            ("127.0.0.1:8000", 200),
            ("localhost:8000", 200),
            ("[::1]:8000", 200),
            ("evil.example:8000", 403),
            ("127.0.0.1.nip.io", 403),
        ]:
            reply = send(server, "GET", "/console/api/session", headers={"Host": host})
            assert reply.status == status, host
    finally:
        server.stop()


def test_console_files_go_gzipped_once_to_a_browser_that_accepts_it(env: Env) -> None:
    plain = send(env.server, "GET", "/console/static/vendor/uplot/uPlot.esm.js")
    zipped = send(
        env.server,
        "GET",
        "/console/static/vendor/uplot/uPlot.esm.js",
        headers={"Accept-Encoding": "gzip, deflate, br"},
    )
    assert "content-encoding" not in plain.headers
    assert (
        zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
    )
    assert gzip.decompress(zipped.body) == plain.body  # compressed once, not twice
    assert zipped.headers["etag"] == plain.headers["etag"]
