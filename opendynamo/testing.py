"""opendynamo's pytest plugin: DynamoDB for the tests of code that uses it.

Installed with opendynamo, it is loaded by every pytest run (the `pytest11` entry point
`opendynamo.testing`; `-p opendynamo.testing` names it where plugins do not load by
themselves, `-p no:opendynamo.testing` turns it off). It costs nothing until a test asks for
one of its fixtures: the server starts with the first such test, once per session (per
xdist worker), in memory inside the test process (`opendynamo.embedded()`).

- `dynamodb_endpoint` (session): the server's URL.
- `dynamodb_region` (each test): a region of the test's own (`test-1`, `test-2`, …). The
  server keeps the tables of each region apart, so one test never sees another's tables,
  even of the same name.
- `dynamodb_env` (each test): points the AWS SDKs at the server, in that region, with dummy
  credentials, through the environment for the length of the test
  (AWS_ENDPOINT_URL_DYNAMODB, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, …): the code under test
  can make its own `boto3.client("dynamodb")`. The variables set, as a dict.
- `dynamodb_client`, `dynamodb_resource` (each test): boto3's, in the test's region (they
  set `dynamodb_env` too).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from opendynamo.server.embedded import embedded

# Variables that would take the SDKs elsewhere, or sign with other credentials.
UNSET = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"

_regions = itertools.count(1)


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """An in-memory opendynamo server for the test session: its URL."""
    with embedded() as endpoint:
        yield endpoint


@pytest.fixture
def dynamodb_region() -> str:
    """A region no other test of the session uses: the test's own namespace of tables."""
    return f"test-{next(_regions)}"


@pytest.fixture
def dynamodb_env(
    dynamodb_endpoint: str, dynamodb_region: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The environment that takes any AWS SDK's DynamoDB client (and DynamoDB Streams') to
    the server in the test's region, set for the test and put back after it."""
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    env = {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": dynamodb_endpoint,
        "AWS_DEFAULT_REGION": dynamodb_region,
        "AWS_REGION": dynamodb_region,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def dynamodb_client(dynamodb_env: dict[str, str]) -> Any:
    """A boto3 DynamoDB client of the test's region on the server."""
    import boto3  # type: ignore[import-untyped]

    return boto3.client("dynamodb", **_arguments(dynamodb_env))


@pytest.fixture
def dynamodb_resource(dynamodb_env: dict[str, str]) -> Any:
    """A boto3 DynamoDB service resource of the test's region on the server."""
    import boto3

    return boto3.resource("dynamodb", **_arguments(dynamodb_env))


def _arguments(env: dict[str, str]) -> dict[str, str]:
    """boto3's arguments, explicit rather than read from the environment (a test may change
    the environment after the fixture made its client)."""
    return {
        "endpoint_url": env["AWS_ENDPOINT_URL_DYNAMODB"],
        "region_name": env["AWS_DEFAULT_REGION"],
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }
