"""The README's authorization table, generated from the declarations the authorizer runs on
(`authz/dynamodb.SPECS`, `authz/iam.IAM_SPECS`, `authz/iam.STS_SPECS`,
`authz/cloudwatch.SPECS`), so the two cannot
drift apart: a test compares the README with `markdown()`.

`python -m opendynamo.authz.table README.md` rewrites the section in place.
"""

from __future__ import annotations

import sys
from pathlib import Path

from opendynamo import generated
from opendynamo.authz import cloudwatch, dynamodb, iam
from opendynamo.authz.access import GLOBAL_KEYS

START = "<!-- authz:start -->"
END = "<!-- authz:end -->"


def _codes(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names) or "—"


def markdown() -> str:
    lines = [
        f"Every request also carries the global keys {_codes(list(GLOBAL_KEYS))}.",
        "",
        "| DynamoDB operation | asks for | on | condition keys | another account's |",
        "|---|---|---|---|---|",
    ]
    for operation, spec in dynamodb.SPECS.items():
        crosses = "with its resource policy" if operation in dynamodb.CROSS_ACCOUNT else "never"
        if all(resource == "*" for resource in spec.resources):
            crosses = "—"
        elif operation in ("ExportTableToPointInTime", "ImportTable"):
            crosses = "table never; bucket with its bucket policy"
        elif spec.resources == ("stream",):
            crosses = "never (no stream policies yet)"
        lines.append(
            f"| `{operation}` | {_codes(spec.actions)} | {', '.join(spec.resources)} | "
            f"{_codes(spec.keys)} | {crosses} |"
        )
    lines += [
        "",
        "| IAM action | on | named by | condition keys |",
        "|---|---|---|---|",
    ]
    for action, declared in iam.IAM_SPECS.items():
        if declared.account:
            on, named = "`*`", "—"
        elif declared.member is None and declared.caller:
            on, named = declared.kind, "the calling user, always"
        elif declared.member is None:
            on, named = f"`arn:aws:iam::<account>:{declared.kind}<PathPrefix>`", "—"
            if declared.kind == "policy":
                on = "`policy path <PathPrefix>`"
        else:
            on = declared.kind
            named = f"`{declared.member}`" + (" (else the calling user)" if declared.caller else "")
        lines.append(f"| `iam:{action}` | {on} | {named} | {_codes(declared.spec.keys)} |")
    lines += ["", "| STS action | on | condition keys |", "|---|---|---|"]
    for action, spec in iam.STS_SPECS.items():
        on = ", ".join(spec.resources) or "no permission needed"
        lines.append(f"| `sts:{action}` | {on} | {_codes(spec.keys)} |")
    lines += [
        "",
        "| CloudWatch operation | asks for | on | condition keys |",
        "|---|---|---|---|",
    ]
    for operation, spec in cloudwatch.SPECS.items():
        on = ", ".join(_ALARM_RESOURCES.get(resource, resource) for resource in spec.resources)
        lines.append(f"| `{operation}` | {_codes(spec.actions)} | {on} | {_codes(spec.keys)} |")
    return "\n".join(lines) + "\n"


_ALARM_RESOURCES = {
    "alarm": "alarm (each named)",
    cloudwatch.ALL_ALARMS: "`arn:aws:cloudwatch:<region>:<account>:alarm:*`",
    cloudwatch.BY_ARN: "alarm (`ResourceARN`)",
    cloudwatch.INSIGHT_RULE: "insight rule (named)",
}


def section(readme: str) -> str:
    """The generated part of the README as it stands."""
    return generated.section(readme, START, END)


def rewrite(path: Path) -> None:
    generated.rewrite(path, START, END, markdown)


if __name__ == "__main__":
    rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
