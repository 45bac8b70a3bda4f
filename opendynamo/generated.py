"""The README's generated sections: the text between a start and an end marker is made by
code (the authorization table from authz's specs, the Prometheus names from
server/prometheus), checked by a test and rewritten by running the generating module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def section(readme: str, start: str, end: str) -> str:
    """The generated part of the README as it stands."""
    return readme.split(start, 1)[1].split(end, 1)[0].strip("\n") + "\n"


def rewrite(path: Path, start: str, end: str, markdown: Callable[[], str]) -> None:
    """Replace the generated part of the README at `path` with `markdown()`."""
    text = path.read_text()
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    path.write_text(f"{before}{start}\n{markdown()}{end}{after}")
