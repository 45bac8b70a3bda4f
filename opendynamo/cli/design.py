"""`opendynamo design`: a NoSQL Workbench model or a CloudFormation template checked
(validate), compared with a server's tables (diff), applied to them (apply), and the
server's tables written out as a Workbench model (export). The work is in opendynamo/design;
this module parses options and prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import click

from opendynamo.design.model import Model, ModelError

F = TypeVar("F", bound=Callable[..., Any])
DRIFT = 2  # diff's exit status when the server differs from the model


@click.group()
def design() -> None:
    """Designs as code: apply a NoSQL Workbench model or a CloudFormation template to a
    server, compare them, export a server's tables as a model."""


def connection_options(command: F) -> F:
    options = [
        click.option(
            "--endpoint",
            "--endpoint-url",
            "endpoint",
            metavar="URL",
            help="The server's endpoint, e.g. http://127.0.0.1:8000.",
        ),
        click.option(
            "--data-dir",
            metavar="DIR",
            help="Instead of --endpoint: start a server on this data directory for the "
            "command's duration.",
        ),
        click.option("--profile", help="The AWS CLI profile whose credentials and region to use."),
        click.option(
            "--region",
            help="The region (its tables) [default: the profile's or AWS_REGION, else us-east-1].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


model_argument = click.argument("model_file", metavar="MODEL", type=click.Path(allow_dash=True))


@design.command()
@model_argument
def validate(model_file: str) -> None:
    """Check MODEL (a Workbench model or a CloudFormation template; - for standard input)
    and print each problem with its JSON path."""
    model = _load(model_file)
    names = ", ".join(table.name for table in model.tables)
    click.echo(f"{model.source}: {len(model.tables)} table(s): {names}")


@design.command()
@model_argument
@connection_options
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--with-data", is_flag=True, help="Also put the model's sample items.")
@click.option(
    "--prune-indexes",
    is_flag=True,
    help="Delete the global secondary indexes of the model's tables that the model lacks.",
)
@click.option(
    "--wait-timeout",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="Seconds to wait for each change to leave its table ACTIVE.",
)
def apply(
    model_file: str,
    endpoint: str | None,
    data_dir: str | None,
    profile: str | None,
    region: str | None,
    dry_run: bool,
    with_data: bool,
    prune_indexes: bool,
    wait_timeout: float,
) -> None:
    """Make the server's tables what MODEL describes: create missing tables and global
    indexes, change billing and capacity; refuse what cannot change in place."""
    from opendynamo.design import live, plan

    model = _load(model_file)
    with _client(endpoint, data_dir, profile, region) as client:
        found = _plan(client, model, prune_indexes)
        if with_data:
            found += plan.Plan(plan.load_items(model))
        for line in found.lines():
            click.echo(line)
        if found.refused:
            raise click.ClickException(
                f"nothing changed: {len(found.refused)} change(s) cannot be made in place"
            )
        if dry_run or not found.steps:
            click.echo("dry run: nothing changed" if dry_run else "no changes")
            return
        with _failures():
            live.execute(client, found.steps, wait_timeout, lambda _: None)
        click.echo(f"applied {len(found.steps)} change(s)")


@design.command()
@model_argument
@connection_options
def diff(
    model_file: str,
    endpoint: str | None,
    data_dir: str | None,
    profile: str | None,
    region: str | None,
) -> None:
    """Print how the server's tables differ from MODEL, as the changes apply would make;
    exit with status 0 when they do not differ, 2 when they do, 1 on errors."""
    model = _load(model_file)
    with _client(endpoint, data_dir, profile, region) as client:
        found = _plan(client, model, prune_indexes=False)
    if not found.drift:
        click.echo("no differences")
        return
    for line in found.lines():
        click.echo(line)
    sys.exit(DRIFT)


@design.command()
@connection_options
@click.option(
    "--tables",
    multiple=True,
    metavar="NAMES",
    help="Only these tables (comma-separated, or the option repeated) [default: every table].",
)
@click.option(
    "--sample",
    type=click.IntRange(min=0),
    default=25,
    show_default=True,
    help="Sample items to include per table (a Scan's first items).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Write the model to this file [default: standard output].")  # fmt: skip
@click.option("--model-name", default="opendynamo", show_default=True, help="The ModelName.")
def export(
    endpoint: str | None,
    data_dir: str | None,
    profile: str | None,
    region: str | None,
    tables: tuple[str, ...],
    sample: int,
    output: str,
    model_name: str,
) -> None:
    """Write the server's tables as a NoSQL Workbench model (format 3.0) with up to
    --sample items each."""
    from opendynamo.design import export as exporting
    from opendynamo.design import live

    wanted = [name.strip() for given in tables for name in given.split(",") if name.strip()]
    with _client(endpoint, data_dir, profile, region) as client, _failures():
        names = wanted or live.list_tables(client)
        found = []
        for name in names:
            description = live.describe(client, name)
            if description is None:
                raise click.ClickException(f"table {name} not found")
            found.append((live.table_of(description), live.sample_items(client, name, sample)))
    document, warnings = exporting.workbench_model(found, model_name, datetime.now())
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    with click.open_file(output, "w", encoding="utf-8") as file:
        file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _load(path: str) -> Model:
    """The model in the file, its warnings printed; its errors end the command."""
    from opendynamo.design.reading import parse_model

    try:
        with click.open_file(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    try:
        model, warnings = parse_model(text)
    except ModelError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        errors = sum(not problem.warning for problem in exc.problems)
        raise click.ClickException(f"{path}: {errors} error(s)") from None
    for warning in warnings:
        click.echo(str(warning), err=True)
    return model


def _plan(client: Any, model: Model, prune_indexes: bool) -> Any:
    from opendynamo.design import live, plan

    with _failures():
        current = live.live_tables(client, [table.name for table in model.tables])
    return plan.plan(model, current, prune_indexes)


@contextmanager
def _client(
    endpoint: str | None, data_dir: str | None, profile: str | None, region: str | None
) -> Iterator[Any]:
    """A DynamoDB client of the server named by --endpoint, or of one started on
    --data-dir for the block's duration."""
    from opendynamo.design import live, local

    if bool(endpoint) == bool(data_dir):
        raise click.UsageError("give --endpoint URL or --data-dir DIR (one of them)")
    with _failures():
        if endpoint:
            yield live.connect(endpoint, profile, region)
            return
        assert data_dir is not None
        with local.local_server(data_dir) as started:
            yield live.connect(started, profile, region)


@contextmanager
def _failures() -> Iterator[None]:
    from opendynamo.design.live import DesignError

    try:
        yield
    except DesignError as exc:
        raise click.ClickException(str(exc)) from None
