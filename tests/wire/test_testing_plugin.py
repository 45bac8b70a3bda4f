"""The pytest plugin (`opendynamo.testing`) as a user meets it: a small project of their own in
a temporary directory — the README's example (a module whose function makes its own
`boto3.resource("dynamodb")`, and a test using the plugin's fixtures) and more tests of the
same kind — run by `python -m pytest` in a subprocess.

- Installed, the plugin loads without being named (its `pytest11` entry point, read from
  pyproject.toml and installed here as a distribution's metadata on the path).
- Named with `-p opendynamo.testing`, it loads where plugins do not load by themselves.
- Each test has a namespace of its own: two tests creating the same table both pass.
- The code under test, making its own client with no arguments, reaches the server in the
  test's region; the environment is put back after each test.
- A failing user test is reported as failing.
- Unused, it starts nothing; importing it imports neither boto3 nor the server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_example(first_line: str) -> str:
    """The README's code block (section "Testing your code with opendynamo") that starts with
    `first_line`: the example runs here as it is printed there."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Testing your code with opendynamo")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    found = [block for block in blocks if block.startswith(first_line)]
    assert len(found) == 1, f"the README has no example starting {first_line!r}"
    return found[0]


MAKE_TABLE = """
def make_table(resource):
    return resource.create_table(
        TableName="inventory",
        KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
"""

# Each test creates the same table, in a region of its own; the code under test makes its own
# resource, with no arguments.
TEST_ISOLATION = (
    """
import os

import inventory
"""
    + MAKE_TABLE
    + """

def test_one(dynamodb_resource):
    table = make_table(dynamodb_resource)
    inventory.add("pear", 1)
    assert table.get_item(Key={"sku": "pear"})["Item"]["stock"] == 1


def test_the_same_table_again_is_new(dynamodb_resource, dynamodb_client, dynamodb_region):
    table = make_table(dynamodb_resource)  # ResourceInUseException if it saw test_one's
    assert "Item" not in table.get_item(Key={"sku": "pear"})
    assert dynamodb_client.list_tables()["TableNames"] == ["inventory"]
    assert os.environ["AWS_DEFAULT_REGION"] == dynamodb_region


def test_env(dynamodb_env, dynamodb_endpoint):
    assert dynamodb_env["AWS_ENDPOINT_URL_DYNAMODB"] == dynamodb_endpoint
    assert dynamodb_endpoint.startswith("http://127.0.0.1:")
    assert "AWS_PROFILE" not in os.environ


def test_environment_is_put_back_after_the_tests():
    assert os.environ.get("AWS_DEFAULT_REGION") == "before"
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in os.environ
"""
)

# Collected first (file order): nothing has asked for a fixture yet.
TEST_A_PLAIN = """
import sys
import threading


def test_the_plugin_costs_nothing_unused():
    assert "opendynamo.testing" in sys.modules  # loaded, yet no server was started
    assert "opendynamo.server.app" not in sys.modules
    assert not [t for t in threading.enumerate() if t.name.startswith("opendynamo")]
"""

TEST_FAILING = (
    """
import inventory
"""
    + MAKE_TABLE
    + """

def test_counts_wrong(dynamodb_resource):
    table = make_table(dynamodb_resource)
    inventory.add("plum", 1)
    assert table.get_item(Key={"sku": "plum"})["Item"]["stock"] == 2
"""
)


def project(path: Path, **tests: str) -> Path:
    """A user's project: the README's `inventory.py` and `test_inventory.py`, and the given
    test files."""
    path.mkdir()
    (path / "inventory.py").write_text(readme_example("# inventory.py"))
    (path / "test_inventory.py").write_text(readme_example("# test_inventory.py"))
    for name, text in tests.items():
        (path / f"{name}.py").write_text(text)
    return path


def installed_entry_point(site: Path) -> Path:
    """A directory holding the metadata an install of opendynamo writes for its pytest11
    entry point (as pyproject.toml declares it), to put on the path."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entry_points = declared["project"]["entry-points"]["pytest11"]
    info = site / "opendynamo_plugin_check-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: opendynamo-plugin-check\nVersion: 0\n"
    )
    lines = [f"{name} = {target}" for name, target in entry_points.items()]
    (info / "entry_points.txt").write_text("[pytest11]\n" + "\n".join(lines) + "\n")
    return site


def run_pytest(
    where: Path, *args: str, path: tuple[Path, ...] = (), autoload: bool = True
) -> subprocess.CompletedProcess[str]:
    """`python -m pytest` in the user's project, with opendynamo importable from this
    checkout and an environment of the user's own (AWS variables included)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "AWS_", "OPENDYNAMO_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (*path, ROOT))
    env["AWS_DEFAULT_REGION"] = "before"
    env["AWS_PROFILE"] = "a-profile-that-does-not-exist"  # the fixtures set it aside
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", *args],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_installed_plugin_loads_by_itself_and_isolates_tests(tmp_path: Path) -> None:
    site = installed_entry_point(tmp_path / "site")
    user = project(tmp_path / "user", test_a_plain=TEST_A_PLAIN, test_isolation=TEST_ISOLATION)
    done = run_pytest(user, "-v", path=(site,))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout
    assert "test_inventory.py::test_add_twice PASSED" in done.stdout
    for test in ("test_one", "test_the_same_table_again_is_new", "test_env"):
        assert f"test_isolation.py::{test} PASSED" in done.stdout


def test_named_plugin_and_a_failing_test(tmp_path: Path) -> None:
    user = project(tmp_path / "user", test_failing=TEST_FAILING)
    done = run_pytest(user, "-p", "opendynamo.testing", autoload=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 1 passed" in done.stdout
    assert "FAILED test_failing.py::test_counts_wrong" in done.stdout
    assert "assert Decimal('1') == 2" in done.stdout


def test_importing_the_plugin_imports_neither_boto3_nor_the_server() -> None:
    """What every pytest run pays once opendynamo is installed."""
    check = "import sys, opendynamo.testing; print(sorted({'boto3', 'asyncio', 'opendynamo.server.app'} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", check],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


def test_without_the_plugin_its_fixtures_are_unknown(tmp_path: Path) -> None:
    """The fixtures come from the plugin alone (nothing else of opendynamo's provides them)."""
    user = project(tmp_path / "user")
    done = run_pytest(user, "-p", "no:opendynamo.testing")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "fixture 'dynamodb_resource' not found" in done.stdout
