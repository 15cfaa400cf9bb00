"""10,000 delivery waits at WAN latency: the interval each wait actually gets, with a fixed cap of 10 requests
in flight (as before) and with the adaptive limit, in the same run.

    .venv/bin/python bench/bench_wan.py [--waits 10000] [--latency 0.1] [--interval 30] [--seconds 200]

A Sinch sandbox is served in another process with its clock frozen (every batch stays ``Queued``, so every
wait keeps polling) and the sandbox's ``latency`` fault adds ``--latency`` real seconds to every answer.  Two
triggerer processes then run at the same time, each with ``--waits`` ``SinchBatchDeliveryTrigger`` (one
batch each, ``poll_interval`` ``--interval``) started together on one event loop, for ``--seconds``:

* ``fixed cap of 10`` (the baseline): the connection's ``max_in_flight`` is 10, so the limit starts at 10
  and cannot grow: the fixed cap every client had before;
* ``adaptive, ceiling 100``: the connection's default, the limit adapting below 100.

The interval a wait got is the time between two answers it received (when Sinch was actually asked, not when
the wait started asking: a poll that queues for a slot is late).  Every interval of every wait counts; a
wait whose last answer is older than 1.1 x ``--interval`` when the run ends adds that age as an interval
(a lower bound: it is at least that late), so a wait that never got a second answer is not left out.

Per scenario: interval median and 95th percentile, the share of intervals within ``--interval`` ± 10%, the
time until every wait had its first answer, RSS growth (peak RSS, ``VmHWM``, over the RSS before the waits
start), process CPU per round of ``--waits`` polls after the first round, the most TCP connections open to
the sandbox, and the limit the client ended at.  A measurement to read, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_sandbox import HOST, _free_port, _process
from bench.bench_triggerer import PLAN, TOKEN, Counting, make_batches, process_cpu, rss_kib, start_measuring
from bench.ratios import report

BASELINE = "fixed cap of 10"
"""The connection's ``max_in_flight`` 10: the limit starts at 10 and cannot grow, as every client was."""


def scenarios(ceiling: int) -> dict[str, int]:
    """Scenario -> the connection's ``max_in_flight`` (the ceiling; 10 is also where the limit starts)."""
    return {BASELINE: 10, f"adaptive, ceiling {ceiling}": ceiling}

TOLERANCE = 0.1
"""An interval is on time within ``poll_interval`` ± this share (the goal of issue 19)."""

STEADY_ROUNDS = 3
"""The ``steady`` figures leave out intervals from answers given in the first this-many intervals: the cold
start (every wait started at once, as after a triggerer restart) and the waves it leaves."""


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of sorted ``values`` (nearest rank), NaN when there are none."""
    return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


def intervals(answers: dict[int, list[float]], end: float, interval: float, since: float = 0.0
              ) -> list[float]:
    """Every interval between two answers of a wait (the earlier one at ``since`` or later), plus, per wait,
    the age of its last answer at ``end`` when that is already more than ``interval`` + :data:`TOLERANCE` (a
    lower bound of a late interval)."""
    found: list[float] = []
    for times in answers.values():
        found += [later - earlier for earlier, later in itertools.pairwise(times) if earlier >= since]
        if times and times[-1] >= since and end - times[-1] > interval * (1 + TOLERANCE):
            found.append(end - times[-1])
    return sorted(found)


def summary(found: list[float], interval: float) -> tuple[float, float, float]:
    """Median, 95th percentile and share on time (%) of sorted intervals ``found``."""
    if not found:
        return float("nan"), float("nan"), float("nan")
    low, high = interval * (1 - TOLERANCE), interval * (1 + TOLERANCE)
    on_time = 100.0 * sum(low <= x <= high for x in found) / len(found)
    return statistics.median(found), percentile(found, 0.95), on_time


async def run_waits(args: argparse.Namespace, ids: list[str]) -> dict[str, float]:
    """Start one wait per id together, let them poll for ``args.seconds``; measure."""
    from airflow_provider_sinch.hooks.sinch import SinchHook
    from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger

    answers: dict[int, list[float]] = {}
    failures = 0
    cpu_marks: list[tuple[float, float, int]] = []  # (seconds since start, process CPU, answers so far)
    done = 0

    class Timed(SinchBatchDeliveryTrigger):
        async def poll(self, client: Any) -> Any:
            nonlocal done, failures
            try:
                found = await super().poll(client)
            except Exception:
                failures += 1
                raise
            answers.setdefault(id(self), []).append(time.perf_counter())
            done += 1
            return found

    async def consume(trigger: Any) -> None:
        async for _ in trigger.run():
            return

    async def mark_cpu() -> None:
        from airflow_provider_sinch.triggers.sharing import shared_polls

        while True:
            cpu_marks.append((time.perf_counter() - started, process_cpu(), done))
            if os.environ.get("BENCH_TRACE"):  # a timeline on stderr, for a look at how the limit moves
                polls, limit = shared_polls(client), client._in_flight
                print(f"{cpu_marks[-1][0]:6.1f} s answers {done:6d} slots {limit.slots:3d} in flight "
                      f"{limit.in_flight:3d} queued {len(limit._waiters):5d} lag {polls.lag:6.2f} "
                      f"stretched {polls.stretched}", file=sys.stderr, flush=True)
            await asyncio.sleep(1.0)

    client = await SinchHook().aget_client()  # the shared client the waits will use (built before the clock)
    before, sampler = start_measuring(args.port)
    started = time.perf_counter()
    triggers = [Timed(batch_ids=[i], poll_interval=args.interval) for i in ids]
    tasks = [asyncio.create_task(consume(t)) for t in triggers]
    del triggers
    marker = asyncio.create_task(mark_cpu())
    await asyncio.sleep(args.seconds)
    end = time.perf_counter()
    for task in [*tasks, marker]:
        task.cancel()
    await asyncio.gather(*tasks, marker, return_exceptions=True)
    sampler.stop.set()
    growth = rss_kib("VmHWM") - before
    firsts = [times[0] for times in answers.values()]
    found = intervals(answers, end, args.interval)
    # after the cold start: intervals from answers given STEADY_ROUNDS intervals after the start or later
    steady = summary(intervals(answers, end, args.interval, started + STEADY_ROUNDS * args.interval),
                     args.interval)
    if os.environ.get("BENCH_TRACE"):
        for since in range(0, int(args.seconds), int(args.interval)):
            part = [later - earlier for times in answers.values()
                    for earlier, later in itertools.pairwise(times)
                    if since <= earlier - started < since + args.interval]
            print(f"answers at {since:3d}-{since + args.interval:3.0f} s: interval median, p95, on time %",
                  [round(x, 2) for x in summary(sorted(part), args.interval)], file=sys.stderr)
    # CPU of the rounds after the first: from the first mark at which every wait had its first answer
    first_round = max(firsts) - started if len(firsts) == len(ids) else float("nan")
    marks = [m for m in cpu_marks if m[0] >= (first_round if first_round == first_round else 0.0)]
    rounds = (marks[-1][2] - marks[0][2]) / len(ids) if len(marks) > 1 else 0.0
    median, p95, on_time = summary(found, args.interval)
    return {
        "interval median s": median,
        "interval p95 s": p95,
        "on time %": on_time,
        "steady median s": steady[0],
        "steady p95 s": steady[1],
        "steady on time %": steady[2],
        "first round s": first_round,
        "RSS growth MiB": growth / 1024,
        "round CPU s": (marks[-1][1] - marks[0][1]) / rounds if rounds else float("nan"),
        "connections": sampler.most,
        "limit at the end": client._in_flight.slots,
        "halvings": client._in_flight.halvings,
        "intervals": len(found),
        "failed polls": failures,
    }


def child(args: argparse.Namespace) -> dict[str, float]:
    lines = Counting()
    sharing_log = logging.getLogger("airflow_provider_sinch.triggers.sharing")
    sharing_log.addHandler(lines)
    sharing_log.setLevel(logging.INFO)
    ids = sys.stdin.read().split()
    result = asyncio.run(run_waits(args, ids))
    result["pacing log lines"] = lines.count
    return result


def start_child(args: argparse.Namespace, url: str, ceiling: int, ids: list[str]) -> subprocess.Popen[str]:
    """One triggerer process whose connection has ``max_in_flight`` ``ceiling``; its rows come back as JSON
    on stdout."""
    conn = {"conn_type": "sinch", "login": PLAN, "password": TOKEN, "host": url,
            "extra": {"max_in_flight": ceiling}}
    command = [sys.executable, __file__, "--child", "--port", str(args.port), "--interval",
               str(args.interval), "--seconds", str(args.seconds)]
    env = {**os.environ, "BENCH_JSON": "", "AIRFLOW_CONN_SINCH_DEFAULT": json.dumps(conn)}
    with tempfile.TemporaryFile("w+") as batch_ids:  # the child's stdin (it reads it whole at start)
        batch_ids.write("\n".join(ids))
        batch_ids.seek(0)
        return subprocess.Popen(command, stdin=batch_ids, stdout=subprocess.PIPE,
                                stderr=None if os.environ.get("BENCH_TRACE") else subprocess.PIPE,
                                text=True, env=env)


def result_of(name: str, process: subprocess.Popen[str], timeout: float) -> dict[str, float]:
    out, err = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise RuntimeError(f"{name} failed: {(err or '')[-2000:]}")
    rows: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waits", type=int, default=10000)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every answer")
    parser.add_argument("--interval", type=float, default=30.0, help="poll_interval of every wait")
    parser.add_argument("--seconds", type=float, default=200.0,
                        help="how long the waits poll (the fixed cap needs two of its ~100 s rounds)")
    parser.add_argument("--ceiling", type=int, default=100, help="max_in_flight of the adaptive scenario")
    parser.add_argument("--only", choices=("fixed", "adaptive"), help="run this scenario alone")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # the triggers' INFO lines are not measured
    if args.child:
        print(json.dumps(child(args)))
        return

    import httpx

    args.port = _free_port()
    url = f"http://{HOST}:{args.port}"
    command = [sys.executable, "-m", "airflow_provider_sinch.testing.sandbox", "--host", HOST, "--port",
               str(args.port), "--service-plan-id", PLAN, "--token", TOKEN, "--time-scale", "0",
               "--log-level", "warning"]
    with _process(command, args.port):
        ids = asyncio.run(make_batches(url, args.waits))
        httpx.post(f"{url}/_sandbox/faults", json={"kind": "latency", "seconds": args.latency},
                   timeout=10).raise_for_status()
        # Both at once against one sandbox: the same latency, the same machine load, half the wall time.
        chosen = {name: ceiling for name, ceiling in scenarios(args.ceiling).items()
                  if args.only is None or name.startswith(args.only)}
        running = {name: start_child(args, url, ceiling, ids) for name, ceiling in chosen.items()}
        rows = {name: result_of(name, process, args.seconds + 600) for name, process in running.items()}
    notes = {name: (f"{row['intervals']:,.0f} intervals, {row['on time %']:.1f}% within {args.interval:g} s "
                    f"± {TOLERANCE:.0%}; limit at the end {row['limit at the end']:.0f} "
                    f"({row['halvings']:.0f} halvings); {row['pacing log lines']:.0f} pacing log line(s); "
                    f"{row['failed polls']:.0f} failed polls")
             for name, row in rows.items()}
    headline = ("interval median s", "interval p95 s", "on time %", "steady median s", "steady p95 s",
                "steady on time %", "first round s", "RSS growth MiB", "round CPU s", "connections")
    report({name: {key: row[key] for key in headline} for name, row in rows.items()},
           baseline=BASELINE if BASELINE in rows else next(iter(rows)), notes=notes,
           title=f"{args.waits:,} delivery waits at {args.latency * 1000:g} ms per answer, poll_interval "
                 f"{args.interval:g} s, for {args.seconds:g} s: the interval each wait got between two "
                 f"answers, a fixed cap of 10 in flight vs the adaptive limit (ceiling {args.ceiling}),"
                 f" both in one run; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
