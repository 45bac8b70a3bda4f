"""The README's "Designs as code" section names every subcommand and option of
`opendynamo design`."""

from __future__ import annotations

from pathlib import Path

import click

from opendynamo.cli.design import design

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_design_option_is_documented() -> None:
    section = README.read_text().split("## Designs as code")[1].split("\n## ")[0]
    missing = []
    for name, command in design.commands.items():
        if f"design {name}" not in section:
            missing.append(name)
        for param in command.params:
            if isinstance(param, click.Option):
                missing += [flag for flag in param.opts if f"`{flag}" not in section]
    assert missing == []
