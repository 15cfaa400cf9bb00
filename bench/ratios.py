"""The one way the benchmarks report: each measurement next to its ratio to the baseline's, same run.

A benchmark script measures once and calls :func:`report` with its rows (scenario -> metric -> value) and
the name of its baseline scenario: that prints the table, and, when ``bench/run.py`` runs the script (it sets
``BENCH_JSON``), also writes the rows as JSON for it.  ``bench/run.py`` runs every script ``N`` times and
turns the runs into ``bench/results.md`` with :func:`markdown_table`: per metric the median over the runs,
the spread (lowest to highest), and the ratio to the baseline computed inside each run, then its median, so
a machine that is slower in one run than in the next does not skew the ratios.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path

Rows = Mapping[str, Mapping[str, float]]  # scenario -> metric -> value, the same metrics for every scenario

# The environment variable naming the file a script run by bench/run.py writes its rows to.
JSON_ENV = "BENCH_JSON"


def print_ratios(rows: Rows, baseline: str) -> None:
    """Print ``rows`` as a table with a ``vs baseline`` column after each metric."""
    metrics = list(rows[baseline])
    width = max(len(name) for name in rows) + 2
    columns = {metric: max(12, len(metric) + 2) for metric in metrics}
    print(f"{'scenario':<{width}}" + "".join(f"{m:>{columns[m]}}{'vs baseline':>13}" for m in metrics))
    base = rows[baseline]
    for name, values in rows.items():
        cells = ""
        for metric in metrics:
            value = values[metric]
            cells += f"{number(value):>{columns[metric]}}{ratio(value, base[metric]):>12.2f}x"
        print(f"{name:<{width}}{cells}")


def report(rows: Rows, baseline: str, *, title: str, notes: Mapping[str, str] | None = None) -> None:
    """Print the table (:func:`print_ratios`) and, under ``bench/run.py``, hand the rows to it.

    :param rows: scenario -> metric -> value of this run.
    :param baseline: the scenario the others are compared with.
    :param title: one line saying what was measured (the heading in ``bench/results.md``).
    :param notes: scenario -> a remark shown beside it (what a number cannot say, e.g. modules loaded).
    """
    print(title)
    print_ratios(rows, baseline)
    for scenario, note in (notes or {}).items():
        print(f"  {scenario}: {note}")
    target = os.environ.get(JSON_ENV)
    if target:
        Path(target).write_text(json.dumps({"title": title, "baseline": baseline, "rows": rows,
                                            "notes": dict(notes or {})}))


def ratio(value: float, base: float) -> float:
    """``value / base``; NaN when the baseline is 0 (no ratio to speak of)."""
    return value / base if base else float("nan")


def markdown_table(runs: Sequence[Rows], baseline: str, notes: Mapping[str, str] | None = None) -> str:
    """A Markdown table of several runs of the same scenarios: per scenario and metric the median, the
    spread (lowest to highest) and the median of the same-run ratios to ``baseline``."""
    first = runs[0]
    lines = ["| scenario | metric | median | spread (min to max) | vs baseline, same run (median) |",
             "|---|---|---:|---:|---:|"]
    for scenario, metrics in first.items():
        for metric in metrics:
            values = [run[scenario][metric] for run in runs if scenario in run]
            ratios = [ratio(run[scenario][metric], run[baseline][metric]) for run in runs if scenario in run]
            shown_ratio = "baseline" if scenario == baseline else _ratio_text(ratios)
            spread = f"{number(min(values))} to {number(max(values))}" if len(values) > 1 else "one run"
            lines.append(f"| {scenario} | {metric} | {number(statistics.median(values))} | {spread} "
                         f"| {shown_ratio} |")
    for scenario, note in (notes or {}).items():
        lines.append(f"| {scenario} | note | {note} | | |")
    return "\n".join(lines)


def _ratio_text(ratios: list[float]) -> str:
    known = [r for r in ratios if r == r]  # NaN (a zero baseline) has no median
    if not known:
        return "n/a (baseline 0)"
    text = f"{statistics.median(known):,.2f}x"
    if len(known) > 1:
        text += f" ({min(known):,.2f} to {max(known):,.2f})"
    return text


def number(value: float) -> str:
    """A figure as the tables show it: whole numbers with thousands separators, others to 3 decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}"
