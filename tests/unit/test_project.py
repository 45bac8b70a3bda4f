"""Project-wide checks: the README's list of operations matches the operation table, and
imports only point down the stack (server → authz → api → authz.policy → partiql → expr →
engine → model → storage)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from opendynamo.api.dynamodb import OPERATIONS, UNSUPPORTED
from opendynamo.api.streams import OPERATIONS as STREAMS_OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "opendynamo"
# Top to bottom. A module belongs to the longest layer name that prefixes it: the policy
# language (`authz.policy`) lives beside the authorizer but below `api`, whose IAM handlers
# validate policy documents with it.
LAYERS = [
    "server",
    "authz",
    "api",
    "authz.policy",
    "partiql",
    "expr",
    "engine",
    "model",
    "storage",
]


def test_readme_lists_exactly_the_supported_operations() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- operations:start -->")[1].split("<!-- operations:end -->")[0]
    listed = set(re.findall(r"`([A-Z][A-Za-z]+)`", section))
    assert listed == set(OPERATIONS) | set(STREAMS_OPERATIONS)


def test_readme_names_every_operation_not_supported_yet() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Not supported yet")[1].split("\n## ")[0]
    named = set(re.findall(r"`([A-Z][A-Za-z]+)`", section))
    assert {name for name in named if not name.endswith("Exception")} == set(UNSUPPORTED)


def test_unsupported_operations_are_not_also_served() -> None:
    assert not UNSUPPORTED & (set(OPERATIONS) | set(STREAMS_OPERATIONS))


def _layer(module: str) -> int | None:
    """The index in LAYERS of the layer `module` belongs to, or None outside the stack
    (`errors`, `config`, `cli`)."""
    found = [
        index
        for index, layer in enumerate(LAYERS)
        if module == f"opendynamo.{layer}" or module.startswith(f"opendynamo.{layer}.")
    ]
    return max(found, key=lambda index: len(LAYERS[index]), default=None)


def _imported_names(path: Path) -> set[str]:
    """Every dotted name a module imports: `from opendynamo import server` names
    `opendynamo.server`, not only `opendynamo`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_imports_point_down_the_stack() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _layer(_module(path))
        if own is None:
            continue
        for name in sorted(_imported_names(path)):
            layer = _layer(name)
            if layer is not None and layer < own:
                problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert problems == []


def test_api_never_touches_store_bytes() -> None:
    """Key layouts, jobs and tokens are the engine's: `api/` names no layout or key codec and
    writes no raw key (it may hand a transaction to the engine)."""
    problems = []
    for path in sorted((PACKAGE / "api").rglob("*.py")):
        text = path.read_text()
        for name in sorted(_imported_names(path)):
            if name.startswith(("opendynamo.model.layout", "opendynamo.model.keycodec")):
                problems.append(f"{path.relative_to(ROOT)} imports {name}")
        for call in ("txn.put(", "txn.delete(", "txn.lock("):
            if call in text:
                problems.append(f"{path.relative_to(ROOT)} calls {call}…)")
    assert problems == []


@pytest.mark.parametrize(
    "module",
    [
        "opendynamo.api.dynamodb",
        "opendynamo.api.streams",
        "opendynamo.api.iam",
        "opendynamo.api.cloudwatch",
        "opendynamo.server.cloudwatch",
        "opendynamo.authz.table",
        "opendynamo.engine.jobs",
        "opendynamo.cli",
        "opendynamo.testing",
        "opendynamo.api.dynamodb.partiql",  # imported at the first statement, not at start
        "opendynamo.authz.dynamodb.partiql",
    ],
)
def test_each_entry_point_imports_on_its_own(module: str) -> None:
    """No import cycle hides behind the order in which the server happens to import things."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_the_layer_check_sees_imported_names() -> None:
    """A guard on the guard: an upward import spelled through the package is caught."""
    assert _layer("opendynamo.server") == 0
    assert _layer("opendynamo.authz.policy.language") == LAYERS.index("authz.policy")
    assert _layer("opendynamo.authz.decide") == LAYERS.index("authz")
    assert _layer("opendynamo.errors") is None


def test_readme_authorization_table_is_the_authorizers() -> None:
    """The README's table of what each action asks for is generated from the declarations
    the authorizer runs on (`python -m opendynamo.authz.table README.md` refreshes it)."""
    from opendynamo.authz import dynamodb, iam, table

    readme = (ROOT / "README.md").read_text()
    assert table.section(readme) == table.markdown()
    assert set(dynamodb.SPECS) == set(OPERATIONS) | set(STREAMS_OPERATIONS)
    from opendynamo.api.iam import IAM_OPERATIONS, STS_OPERATIONS

    assert set(iam.IAM_SPECS) == set(IAM_OPERATIONS)
    assert set(iam.STS_SPECS) == set(STS_OPERATIONS)
    from opendynamo.api.cloudwatch import OPERATIONS as CLOUDWATCH_OPERATIONS
    from opendynamo.api.cloudwatch.shapes import operations
    from opendynamo.authz import cloudwatch

    # Every served CloudWatch operation is declared (the metric operations may be declared
    # before they are served), and every declaration names an operation of CloudWatch's API.
    assert set(CLOUDWATCH_OPERATIONS) <= set(cloudwatch.SPECS) <= operations()


def test_readme_lists_exactly_the_iam_and_sts_actions() -> None:
    from opendynamo.api.iam import IAM_OPERATIONS, STS_OPERATIONS

    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- iam:start -->")[1].split("<!-- iam:end -->")[0]
    listed = set(re.findall(r"`([A-Z][A-Za-z]+)`", section)) - {
        "AdministratorAccess",
        "AmazonDynamoDBFullAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "IAMFullAccess",
        "IAMReadOnlyAccess",
        "IAMUserChangePassword",
        "Policy",
    }
    assert listed == set(IAM_OPERATIONS) | set(STS_OPERATIONS)


def test_readme_lists_exactly_the_cloudwatch_operations() -> None:
    from opendynamo.api.cloudwatch import OPERATIONS as CLOUDWATCH_OPERATIONS

    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- cloudwatch:start -->")[1].split("<!-- cloudwatch:end -->")[0]
    listed = set(re.findall(r"`([A-Z][A-Za-z]+)`", section)) - {"Metrics"}
    assert listed == set(CLOUDWATCH_OPERATIONS)
