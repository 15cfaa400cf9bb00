"""The one way the benchmarks report: each measurement next to its ratio to the baseline's, same run."""

from __future__ import annotations

from collections.abc import Mapping


def print_ratios(rows: Mapping[str, Mapping[str, float]], baseline: str) -> None:
    """Print ``rows`` (scenario -> metric -> value, the same metrics for every scenario) as a table with
    a ``vs baseline`` column after each metric."""
    metrics = list(rows[baseline])
    width = max(len(name) for name in rows) + 2
    print(f"{'scenario':<{width}}" + "".join(f"{metric:>12}{'vs baseline':>13}" for metric in metrics))
    base = rows[baseline]
    for name, values in rows.items():
        cells = ""
        for metric in metrics:
            value = values[metric]
            shown = f"{value:,}" if isinstance(value, int) else f"{value:,.3f}"
            ratio = value / base[metric] if base[metric] else float("nan")
            cells += f"{shown:>12}{ratio:>12.2f}x"
        print(f"{name:<{width}}{cells}")
