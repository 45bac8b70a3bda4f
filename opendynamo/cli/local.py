"""`opendynamo local`: DynamoDB Local's command line, as its users type it, run by `serve`.

DynamoDB Local (`java -jar DynamoDBLocal.jar -port 8000 -sharedDb …`) parses single-dash long
options with Apache Commons CLI, which click does not do; so this command takes its arguments
as they come and reads them here, in DynamoDB Local's order of checks and with its refusals
word for word (its `CommandLineInput`), then prints its start-up summary and hands `serve` the
settings they mean. Any of `serve`'s own long options (`--host 0.0.0.0 --auth off`, `--log-level
debug`) may follow and are passed on as they are.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version

import click

from opendynamo.cli import serve as serving

FLAGS = (
    "delayTransientStatuses",
    "disableTelemetry",
    "help",
    "inMemory",
    "optimizeDbBeforeStartup",
    "sharedDb",
    "version",
)
VALUED = ("cors", "dbPath", "port")
DELAY_SECONDS = 5.0  # -delayTransientStatuses takes no value; serve's option sets another

INVALID_PORT = "Invalid Port. Port number must lie between 1 and 65535."
IN_MEMORY_AND_PATH = "dbPath and inMemory cannot be set at the same time."
INVALID_DIRECTORY = "Invalid directory for database creation."
OPTIMIZE_NEEDS_PATH = (
    "optimizeDbBeforeStartup option must be used with dbPath to determine the location of "
    "database files to optimize."
)
PARSING = "Error while parsing options."
USAGE = (
    "usage: opendynamo local [-port <port-no.>] [-inMemory] [-delayTransientStatuses] "
    "[-dbPath <path>] [-sharedDb] [-disableTelemetry] [-version] [-cors <allow-list>] "
    "[-optimizeDbBeforeStartup] [serve's --options]"
)
OPTIONS = (
    ("-cors <allow-list>", "Comma-separated origins whose browser requests get CORS headers; "
     "'*' for every origin (the default)."),
    ("-dbPath <path>", "The directory of the database file (opendynamo.db). Default is the "
     "current directory."),
    ("-delayTransientStatuses", f"Keep created, updated and deleted tables and indexes "
     f"CREATING, UPDATING or DELETING for {DELAY_SECONDS:g} seconds, as on AWS "
     "(serve's --delay-transient-statuses SECONDS chooses another length)."),
    ("-disableTelemetry", "Accepted; opendynamo sends no telemetry at all."),
    ("-help", "Display this usage and the options."),
    ("-inMemory", "Keep the data in memory only."),
    ("-optimizeDbBeforeStartup", "Compact the database file (VACUUM) before starting."),
    ("-port <port-no.>", "Specify a port number. Default is 8000"),
    ("-sharedDb", "One set of tables for every access key and region, instead of one per "
     "access key and region."),
    ("-version", "Display the opendynamo version."),
)  # fmt: skip


class Refused(Exception):
    """DynamoDB Local's refusal of its command line, worded as it words it."""


@dataclass(slots=True)
class Given:
    """What the command line says: DynamoDB Local's flags and values, and serve's options."""

    flags: set[str] = field(default_factory=set)
    values: dict[str, str] = field(default_factory=dict)
    passed: list[str] = field(default_factory=list)  # serve's own options, as given
    ignored: list[str] = field(default_factory=list)  # the Java launcher's (-jar, -D…, -X…)


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def local(args: tuple[str, ...]) -> None:
    """Serve as DynamoDB Local does, from its command line (-port 8000 -sharedDb …)."""
    try:
        given = parse(list(args))
    except Refused as exc:
        click.echo(f"{PARSING} {exc}", err=True)
        click.echo(usage())
        sys.exit(1)
    if "help" in given.flags:
        click.echo(usage())
        return
    if "version" in given.flags:
        click.echo(version("opendynamo"))
        return
    try:
        port = check(given)
    except Refused as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for token in given.ignored:
        click.echo(f"ignored {token} (an option of the Java launcher)", err=True)
    click.echo(summary(given, port))
    serving.serve.main(serve_args(given, port), prog_name="opendynamo local")


def parse(args: list[str]) -> Given:
    """DynamoDB Local's options (one dash or two, as Commons CLI reads them), serve's long
    options, and the Java launcher's `-jar FILE`, `-D…`, `-X…`, which are ignored."""
    given = Given()
    tokens = iter(args)
    for token in tokens:
        name = token.lstrip("-")
        if not token.startswith("-") or not name:
            continue  # DynamoDB Local ignores what is not an option
        if name in FLAGS:
            given.flags.add(name)
        elif name in VALUED:
            given.values[name] = _value_of(name, tokens)
        elif token == "-jar":
            given.ignored.append(f"{token} {next(tokens, '')}".strip())
        elif token.startswith(("-D", "-X")) and not token.startswith("--"):
            given.ignored.append(token)
        elif token.startswith("--") and token.split("=", 1)[0] in _serve_options():
            given.passed += _passed(token, tokens)
        else:
            raise Refused(f"Unrecognized option: {token}")
    return given


def _value_of(name: str, tokens: Iterator[str]) -> str:
    value = next(tokens, None)
    if value is None:
        raise Refused(f"Missing argument for option: {name}")
    return value


def _serve_options() -> dict[str, bool]:
    """serve's long options, each with whether it takes a value."""
    options: dict[str, bool] = {}
    for param in serving.serve.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                options[opt] = not param.is_flag
    return options


def _passed(token: str, tokens: Iterator[str]) -> list[str]:
    if "=" in token or not _serve_options()[token]:
        return [token]
    value = next(tokens, None)
    return [token] if value is None else [token, value]


def check(given: Given) -> int:
    """The port, after DynamoDB Local's checks in its order."""
    text = given.values.get("port", "8000")
    try:
        port = int(text)
    except ValueError:
        raise Refused(INVALID_PORT) from None
    if port <= 1 or port > 65535:  # DynamoDB Local refuses 1 too, whatever its message says
        raise Refused(INVALID_PORT)
    path = given.values.get("dbPath")
    if "optimizeDbBeforeStartup" in given.flags and path is None:
        raise Refused(OPTIMIZE_NEEDS_PATH)
    if "inMemory" in given.flags and path is not None:
        raise Refused(IN_MEMORY_AND_PATH)
    if path is not None and not os.path.isdir(path):
        raise Refused(INVALID_DIRECTORY)
    return port


def summary(given: Given, port: int) -> str:
    """DynamoDB Local's start-up lines (its 2.x form), with opendynamo's version."""
    lines = [
        "Initializing DynamoDB Local with the following configuration:",
        f"Port:\t{port}",
        f"InMemory:\t{_bool('inMemory' in given.flags)}",
        f"Version:\t{version('opendynamo')}",
        f"DbPath:\t{given.values.get('dbPath', 'null')}",
        f"SharedDb:\t{_bool('sharedDb' in given.flags)}",
        f"shouldDelayTransientStatuses:\t{_bool('delayTransientStatuses' in given.flags)}",
        f"CorsParams:\t{given.values.get('cors', 'null')}",
        "",
    ]
    return "\n".join(lines)


def serve_args(given: Given, port: int) -> list[str]:
    """serve's options for what DynamoDB Local's mean; serve's own options given after them,
    so they win."""
    args = ["--port", str(port)]
    if "inMemory" in given.flags:
        args.append("--in-memory")
    else:
        args += ["--data-dir", given.values.get("dbPath", ".")]
    args += ["--namespace", "shared" if "sharedDb" in given.flags else "key-region"]
    args += ["--cors", given.values.get("cors", "*")]
    if "delayTransientStatuses" in given.flags:
        args += ["--delay-transient-statuses", f"{DELAY_SECONDS:g}"]
    if "optimizeDbBeforeStartup" in given.flags:
        args.append("--optimize-db-before-startup")
    return args + given.passed


def usage() -> str:
    """The usage line and the options, laid out as Commons CLI's HelpFormatter lays them."""
    width = max(len(option) for option, _ in OPTIONS) + 3
    lines = textwrap.wrap(USAGE, 96, subsequent_indent=" " * 12, break_on_hyphens=False)
    for option, text in OPTIONS:
        wrapped = textwrap.wrap(text, 96 - width, break_on_hyphens=False)
        lines.append(f" {option:<{width}}{wrapped[0]}")
        lines += [" " * (width + 1) + rest for rest in wrapped[1:]]
    return "\n".join(lines)


def _bool(value: bool) -> str:
    return "true" if value else "false"
