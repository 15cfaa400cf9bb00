"""``make bench``: run every benchmark N times, each run in a fresh process, and write ``bench/results.md``.

    .venv/bin/python bench/run.py [--runs 3] [--out bench/results.md] [--readme README.md] [--only NAME]

Each benchmark script measures once and reports through :func:`bench.ratios.report`, which hands its rows to
this harness (``BENCH_JSON``). The results file (the docs' benchmarks page includes it whole) holds the
summary table (also written between a file's ``bench-results`` markers when ``--readme`` names one), then
per benchmark the command, the medians and spreads over the runs and the same-run ratios to its baseline,
and the machine, the date and the command that produced it. A benchmark that fails is reported as failed,
with the end of its error output; the others still run. Arguments are chosen so that the default three runs
take a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ratios import JSON_ENV, markdown_table, number, ratio

ROOT = Path(__file__).resolve().parents[1]
README_START, README_END = "<!-- bench-results:start -->", "<!-- bench-results:end -->"


@dataclass(frozen=True)
class Benchmark:
    """One script and its arguments.

    :param name: short name (``--only`` picks by it; the summary's first column).
    :param argv: the script and its arguments, relative to the repository root.
    :param headline: the metrics the summary table shows (the rest are in the benchmark's own table).
    """

    name: str
    argv: tuple[str, ...]
    headline: tuple[str, ...]


BENCHMARKS = (
    Benchmark("sandbox", ("bench/bench_sandbox.py", "--seconds", "2"), ("req/s",)),
    Benchmark("send", ("bench/bench_send.py", "--recipients", "100000", "--repeat", "1"),
              ("seconds", "peak MiB")),
    Benchmark("triggers", ("bench/bench_triggers.py", "--rounds", "3"),
              ("seconds", "connections", "peak MiB")),
    Benchmark("triggers, 50 ms latency", ("bench/bench_triggers.py", "--rounds", "3", "--latency", "0.05"),
              ("seconds", "connections", "peak MiB")),
    Benchmark("triggerer, 1,000 and 10,000 delivery waits", ("bench/bench_triggerer.py",),
              ("RSS growth MiB", "connections", "first round s", "round CPU s", "lateness median s")),
    Benchmark("async GET paths, before (httpx) and after (aiohttp)",
              ("bench/bench_async_http.py", "--requests", "3000"), ("CPU us per request",)),
    Benchmark("10,000 delivery waits at 100 ms latency", ("bench/bench_wan.py",),
              ("interval median s", "interval p95 s", "steady median s", "steady p95 s", "steady on time %",
               "round CPU s", "RSS growth MiB")),
    Benchmark("DAG-parse imports", ("bench/bench_imports.py", "--repeat", "1"),
              ("CPU ms", "modules", "sockets")),
    Benchmark("rate-limited send", ("bench/bench_ratelimit.py",), ("dispatched s", "accept s")),
    Benchmark("inbound watchers", ("bench/bench_inbound.py", "--watchers", "100", "--seconds", "10"),
              ("GET /inbounds per interval", "CPU ms per interval")),
    Benchmark("hook get_batch", ("bench/bench_hook.py", "--calls", "2000"), ("seconds", "client CPU s")),
    Benchmark("send vs SDK", ("bench/bench_send_sdk.py", "--repeat", "2"), ("seconds", "client CPU s")),
    Benchmark("send vs SDK, 50 ms latency", ("bench/bench_send_sdk.py", "--repeat", "2", "--latency", "0.05"),
              ("seconds", "client CPU s")),
)


@dataclass
class Outcome:
    """What the runs of one benchmark gave.

    :param benchmark: the benchmark.
    :param runs: the rows of every successful run.
    :param meta: title, baseline and notes of the last successful run.
    :param failures: the error of every failed run.
    :param seconds: wall time of all its runs.
    """

    benchmark: Benchmark
    runs: list[dict[str, dict[str, float]]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_benchmark(benchmark: Benchmark, runs: int) -> Outcome:
    """Run ``benchmark`` ``runs`` times, each in a fresh interpreter, collecting its rows."""
    outcome = Outcome(benchmark)
    started = time.monotonic()
    for attempt in range(1, runs + 1):
        print(f"[bench] {benchmark.name}: run {attempt}/{runs}", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "rows.json"
            env = {**os.environ, JSON_ENV: str(target)}
            done = subprocess.run([sys.executable, *benchmark.argv], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=1800)
            sys.stdout.write(done.stdout)
            if done.returncode != 0 or not target.exists():
                tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
                outcome.failures.append(f"exit status {done.returncode}: {tail}")
                continue
            data = json.loads(target.read_text())
        outcome.runs.append(data["rows"])
        outcome.meta = {k: data[k] for k in ("title", "baseline", "notes")}
    outcome.seconds = time.monotonic() - started
    return outcome


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        airflow = importlib.metadata.version("apache-airflow")
    except importlib.metadata.PackageNotFoundError:
        airflow = "not installed"
    return {"nproc": str(usable), "CPU": model, "Python": platform.python_version(), "Airflow": airflow,
            "OS": platform.platform()}


def summary_table(outcomes: list[Outcome]) -> str:
    """Every scenario that is not a baseline, in its headline metrics: median, the baseline's median, and the
    median of the same-run ratios (and the scenario's note, if it has one)."""
    lines = ["| benchmark | scenario | metric | median | baseline (same run), median | ratio to baseline |",
             "|---|---|---|---:|---|---:|"]
    for outcome in outcomes:
        name = outcome.benchmark.name
        if not outcome.runs:
            lines.append(f"| {name} | every run failed | | | | |")
            continue
        baseline = outcome.meta["baseline"]
        for scenario in outcome.runs[0]:
            if scenario == baseline:
                continue
            for metric in outcome.benchmark.headline:
                value = statistics.median(run[scenario][metric] for run in outcome.runs)
                if value != value:
                    continue  # a metric this scenario does not measure (NaN): no row
                base = statistics.median(run[baseline][metric] for run in outcome.runs)
                ratios = [r for r in (ratio(run[scenario][metric], run[baseline][metric])
                                      for run in outcome.runs) if r == r]
                shown = f"{statistics.median(ratios):,.2f}x" if ratios else "n/a"
                lines.append(f"| {name} | {scenario} | {metric} | {number(value)} "
                             f"| {baseline}: {number(base)} | {shown} |")
            notes = outcome.meta["notes"]
            if notes.get(scenario):
                baseline_note = notes.get(baseline, "")
                lines.append(f"| {name} | {scenario} | note | {notes[scenario]} | {baseline_note} | |")
    return "\n".join(lines)


def results_markdown(outcomes: list[Outcome], runs: int, started: dt.datetime, seconds: float,
                     load: tuple[tuple[float, ...], tuple[float, ...]], command: str) -> str:
    """The whole ``bench/results.md``."""
    facts = machine()
    out = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC ({seconds / 60:.1f} min); regenerate with "
        "`make bench` (`BENCH_RUNS=N` for more runs).  Every figure is the median of "
        f"{runs} runs, each run in a fresh process; the spread is the lowest to the highest run; every ratio "
        "is computed inside one run against the baseline measured in that same run, then its median is "
        "shown.",
        "",
        "**The machine was shared while this ran**: other engineers' test suites were running on the same "
        f"{facts['nproc']} cores (load average {_load(load[0])} at the start, {_load(load[1])} at the end), "
        "so absolute times are inflated and noisy; compare the same-run ratios.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in facts.items()),
        f"| date | {started:%Y-%m-%d %H:%M:%S} UTC |",
        f"| command | `{command}` |",
        "",
        "## Summary",
        "",
        "Every scenario's headline metrics against its benchmark's baseline (every metric, with spreads, "
        "below).",
        "",
        summary_table(outcomes),
    ]
    for outcome in outcomes:
        benchmark = outcome.benchmark
        out += ["", f"## {benchmark.name}", ""]
        if outcome.meta:
            out += [outcome.meta["title"], ""]
        out += [f"`python {' '.join(benchmark.argv)}`, {len(outcome.runs)} of {runs} runs succeeded "
                f"({outcome.seconds:.0f} s in all).", ""]
        if outcome.runs:
            out.append(markdown_table(outcome.runs, outcome.meta["baseline"], outcome.meta["notes"]))
        for failure in outcome.failures:
            out.append(f"\n- failed run: {failure}")
    return "\n".join(out) + "\n"


def update_readme(readme: Path, table: str, results: str) -> None:
    """Put the summary table between the README's ``bench-results`` markers."""
    text = readme.read_text()
    head, start, rest = text.partition(README_START)
    _, end, tail = rest.partition(README_END)
    if not start or not end:
        print(f"[bench] {readme}: no {README_START} ... {README_END} markers; not updated")
        return
    readme.write_text(f"{head}{start}\n{table}\n\n(From `{results}`.)\n{end}{tail}")


def _load(values: tuple[float, ...]) -> str:
    return " / ".join(f"{v:.1f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")),
                        help="runs of every benchmark (medians and spreads are over these)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--readme", type=Path, help="also show the summary table in this README")
    parser.add_argument("--only", action="append", help="run only the benchmark of this name (repeatable)")
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    load_before = os.getloadavg()
    outcomes = [run_benchmark(benchmark, args.runs) for benchmark in chosen]
    command = f"make bench BENCH_RUNS={args.runs}" if os.environ.get("MAKELEVEL") else shlex.join(
        ["python", *sys.argv])
    text = results_markdown(outcomes, args.runs, started, time.monotonic() - clock,
                            (load_before, os.getloadavg()), command)
    args.out.write_text(text)
    print(f"[bench] wrote {args.out}")
    if args.readme:
        out = args.out.resolve()
        update_readme(args.readme, summary_table(outcomes),
                      str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out))
    if any(o.failures for o in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    main()
