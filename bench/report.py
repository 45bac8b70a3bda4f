"""The benchmark's outputs: a markdown table (printed and pasted into bench/README.md), the
same numbers with every round as JSON, and a chart.

A cell reads `ops/s · p50/p90/p99 ms`, the medians of the rounds. `⚠` marks a disturbed or
client-bound cell and `✗` one whose answers or writes failed their checks; the reasons are
listed under the table and kept in the JSON. Ratios compare opendynamo's ops/s with each
other target's, measured in the same run; `✗` on a ratio: one side failed its checks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import Cell

RATIO_TO = ("dynalite", "moto", "ceiling")


@dataclass(frozen=True, slots=True)
class Result:
    target: str
    scenario: str  # title, e.g. "GetItem"
    connections: int
    cell: Cell


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return "–"
    if not cell.answered:
        return "✗ no correct answer"
    marks = ("✗" if cell.failed else "") + ("⚠" if cell.warnings and not cell.failed else "")
    latency = "/".join(_ms(cell.median(p)) for p in ("p50_ms", "p90_ms", "p99_ms"))
    return f"{cell.median('ops'):,.0f} · {latency}{' ' + marks if marks else ''}"


def _rows(results: Sequence[Result]) -> list[tuple[str, int]]:
    seen: dict[tuple[str, int], None] = {}
    for r in results:
        seen.setdefault((r.scenario, r.connections))
    return list(seen)


def ratio(results: Sequence[Result], scenario: str, connections: int, other: str) -> float | None:
    cells = {
        r.target: r.cell for r in results if (r.scenario, r.connections) == (scenario, connections)
    }
    ours, theirs = cells.get("opendynamo"), cells.get(other)
    if ours is None or theirs is None or not (ours.answered and theirs.answered):
        return None
    return ours.median("ops") / theirs.median("ops")


def table(results: Sequence[Result], targets: Sequence[str]) -> str:
    """The markdown table, then one line per warning."""
    ratios = [t for t in RATIO_TO if t in targets and "opendynamo" in targets]
    head = ["scenario", "c", *targets, *(f"opendynamo / {t}" for t in ratios)]
    lines = [
        "| " + " | ".join(head) + " |",
        "|---|--:|" + "--:|" * (len(targets) + len(ratios)),
    ]
    notes = []
    for scenario, connections in _rows(results):
        cells = {
            r.target: r.cell
            for r in results
            if (r.scenario, r.connections) == (scenario, connections)
        }
        row = [scenario, str(connections), *(_cell(cells.get(t)) for t in targets)]
        for other in ratios:
            value = ratio(results, scenario, connections, other)
            failed = any(c.failed for t, c in cells.items() if t in ("opendynamo", other))
            row.append("–" if value is None else f"{value:.2f}{' ✗' if failed else ''}")
        lines.append("| " + " | ".join(row) + " |")
        for target in targets:
            cell = cells.get(target)
            for warning in cell.warnings if cell else ():
                notes.append(f"- {target}, {scenario}, c={connections}: {warning}")
    legend = (
        "cells: correct answers/s · latency p50/p90/p99 in ms (medians of the rounds); "
        "⚠ disturbed or client-bound, ✗ failed checks"
    )
    return "\n".join([*lines, "", legend, *notes])


def _atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_json(
    path: Path, meta: dict[str, Any], results: Sequence[Result], targets: Sequence[str]
) -> None:
    ratios = [
        {"scenario": s, "connections": c, "to": t, "ratio": ratio(results, s, c, t)}
        for s, c in _rows(results)
        for t in RATIO_TO
        if t in targets
    ]
    document = {
        "meta": meta,
        "results": [
            {
                "target": r.target,
                "scenario": r.scenario,
                "connections": r.connections,
                **r.cell.summary(),
            }
            for r in results
        ],
        "ratios": ratios,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic(path, json.dumps(document, indent=1, ensure_ascii=False).encode())


def write_chart(path: Path, title: str, results: Sequence[Result], targets: Sequence[str]) -> None:
    """Grouped bars of ops/s and p99 latency per scenario, log scale (the targets differ by
    orders of magnitude); hatched bars are disturbed or failed cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _rows(results)
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(max(8, 1.1 * len(rows) + 3), 8), sharex=True
    )
    width = 0.8 / max(1, len(targets))
    for k, target in enumerate(targets):
        cells = {
            (r.scenario, r.connections): r.cell
            for r in results
            if r.target == target and r.cell.answered  # no bar for an unsupported call
        }
        xs = [
            i + (k - (len(targets) - 1) / 2) * width for i, row in enumerate(rows) if row in cells
        ]
        chosen = [cells[row] for row in rows if row in cells]
        hatches = ["//" if c.warnings else "" for c in chosen]
        for axis, values in (
            (top, [c.median("ops") for c in chosen]),
            (bottom, [c.median("p99_ms") for c in chosen]),
        ):
            bars = axis.bar(xs, values, width, label=target, color=f"C{k}")
            for bar, hatch in zip(bars, hatches, strict=True):
                bar.set_hatch(hatch)
    top.set_yscale("log")
    top.set_ylabel("ops/s (median)")
    top.set_title(title, loc="left")
    top.legend(ncol=len(targets), fontsize="small", loc="lower right", bbox_to_anchor=(1, 1))
    bottom.set_yscale("log")
    bottom.set_ylabel("p99 latency, ms")
    bottom.set_xticks(range(len(rows)), [f"{s}\nc={c}" for s, c in rows], fontsize="small")
    for axis in (top, bottom):
        axis.grid(axis="y", which="both", alpha=0.3)
    figure.text(0.01, 0.005, "hatched: disturbed, client-bound or failed checks", fontsize="small")
    figure.tight_layout()
    tmp = path.with_name(path.name + ".tmp")
    figure.savefig(tmp, format="png", dpi=110)
    plt.close(figure)
    os.replace(tmp, path)
