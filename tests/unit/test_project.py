"""Project-wide checks: the README's list of operations matches the operation table, and
imports only point down the stack (server → api → iam → partiql → expr → engine → model → storage)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from opendynamo.api import OPERATIONS, STREAMS_OPERATIONS, UNSUPPORTED

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "opendynamo"
LAYERS = ["server", "authz", "api", "iam", "partiql", "expr", "engine", "model", "storage"]


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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_imports_point_down_the_stack() -> None:
    problems = []
    for index, layer in enumerate(LAYERS):
        above = {f"opendynamo.{upper}" for upper in LAYERS[:index]}
        for path in (PACKAGE / layer).rglob("*.py"):
            for module in _imports(path):
                if any(module == a or module.startswith(a + ".") for a in above):
                    problems.append(f"{path.relative_to(ROOT)} imports {module}")
    assert problems == []


def test_readme_authorization_table_is_the_authorizers() -> None:
    """The README's table of what each action asks for is generated from the declarations
    the authorizer runs on (`python -m opendynamo.authz.table README.md` refreshes it)."""
    from opendynamo.authz import dynamodb, iam, table

    readme = (ROOT / "README.md").read_text()
    assert table.section(readme) == table.markdown()
    assert set(dynamodb.SPECS) == set(OPERATIONS) | set(STREAMS_OPERATIONS)
    from opendynamo.api.services import IAM_OPERATIONS, STS_OPERATIONS

    assert set(iam.IAM_SPECS) == set(IAM_OPERATIONS)
    assert set(iam.STS_SPECS) == set(STS_OPERATIONS)


def test_readme_lists_exactly_the_iam_and_sts_actions() -> None:
    from opendynamo.api.services import IAM_OPERATIONS, STS_OPERATIONS

    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- iam:start -->")[1].split("<!-- iam:end -->")[0]
    listed = set(re.findall(r"`([A-Z][A-Za-z]+)`", section)) - {
        "AdministratorAccess",
        "AmazonDynamoDBFullAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "IAMFullAccess",
        "IAMReadOnlyAccess",
        "Policy",
    }
    assert listed == set(IAM_OPERATIONS) | set(STS_OPERATIONS)
