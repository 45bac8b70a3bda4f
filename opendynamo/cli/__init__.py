"""The `opendynamo` command: `serve` (cli/serve), DynamoDB Local's command line (cli/local),
the offline administration of a store (cli/admin), client tools (cli/tools), a view of the
busiest tables (cli/top) and designs kept as code (cli/design)."""

from __future__ import annotations

import os

import click

from opendynamo.cli import admin, local, tools, top
from opendynamo.cli import serve as serving
from opendynamo.cli.design import design
from opendynamo.config import tuning_from_env
from opendynamo.engine import tuning


@click.group()
@click.version_option(package_name="opendynamo")
def main() -> None:
    """opendynamo: a DynamoDB-compatible database."""
    # Every file opendynamo creates (store, WAL, exports, keys, logs) is for its own user
    # alone; a stricter umask stays as it is.
    os.umask(os.umask(0o077) | 0o077)
    # The offline commands run jobs (a backup, a restore) with the same tuning a server has.
    tuning.configure(tuning_from_env())


for command in (
    serving.serve,
    local.local,
    admin.migrate,
    admin.create_account,
    admin.create_bucket,
    admin.load,
    admin.backup,
    admin.restore,
    admin.rekey,
    tools.streams,
    tools.decrypt_export,
    design,
    top.top,
):
    main.add_command(command)
