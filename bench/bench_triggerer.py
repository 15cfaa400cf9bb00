"""A triggerer full of delivery waits: cold start, CPU per poll round and 10,000 waits, against threads with
the sync client measured in the same run.

    .venv/bin/python bench/bench_triggerer.py [--triggers 1000] [--big 10000] [--big-seconds 40]

A Sinch sandbox is served in another process with its clock frozen, so every batch stays ``Queued`` and every
wait keeps polling.  Each scenario runs in a fresh interpreter (its RSS is its own):

* ``threads, sync client`` (the baseline): ``--triggers`` threads, each with its own ``SinchClient``, poll
  their batch with the same sans-I/O probe the sensors use, wait ``--interval`` seconds, poll again (what as
  many poking sensors would cost in one process);
* ``triggers, cold start``: ``--triggers`` ``SinchBatchDeliveryTrigger.run()`` started together on one event
  loop with no shared client yet (a triggerer restart), polling every ``--interval`` seconds;
* ``10,000 triggers``: ``--big`` triggers started together, ``poll_interval`` 5 s, run for
  ``--big-seconds``; every poll after a trigger's first is timed against its interval;
* ``..., before (httpx)``: the two trigger scenarios again with the shared clients on ``httpx.AsyncClient``,
  as the async client was before issue 19 (``bench/before_httpx.py``; ``--no-before`` skips them).  The lean
  GET path of that time (removed) measured 0.28 CPU-s per round of 1,000 waits; it cannot be run again.

Per scenario: RSS growth (peak RSS, ``VmHWM``, over the RSS before the waits start), the most TCP
connections open to the sandbox, the time until every wait finished its first poll (``first round s``), the
process CPU seconds of a round after the first (between the moments the kN-th and the (k+1)N-th poll
completed; nothing else runs then; the median of rounds 2 to 4), bytes of Python state each waiting trigger
keeps between polls (``tracemalloc``, measured apart), and for the 10,000: lateness of a poll (its start
minus the previous start minus ``poll_interval``), median and 95th percentile.  A measurement to read,
not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib
import itertools

from bench.bench_sandbox import HOST, _free_port, _process
from bench.bench_triggers import sockets_to
from bench.ratios import report

PLAN, TOKEN = "bench-plan", "bench-token"


def rss_kib(field: str = "VmRSS") -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    """Start ``VmHWM`` again from the current RSS (Linux 4.0+), so the peak is this scenario's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


ROUNDS = 4
"""Poll rounds of the 1,000-wait scenarios: the first (cold start) and three whose CPU is measured."""


class Rounds:
    """Counts completed polls; notes the CPU and wall clock when each full round (N polls) is complete."""

    def __init__(self, waits: int) -> None:
        self.waits, self.done, self.lock = waits, 0, threading.Lock()
        self.started = time.perf_counter()
        self.marks: list[tuple[float, float]] = []  # (wall since start, process CPU) per completed round
        self.starts: dict[int, list[float]] = {}

    def poll_started(self, key: int) -> None:
        self.starts.setdefault(key, []).append(time.perf_counter())

    def poll_done(self) -> None:
        with self.lock:
            self.done += 1
            if self.done % self.waits == 0:
                self.marks.append((time.perf_counter() - self.started, process_cpu()))

    def first_round(self) -> float:
        return self.marks[0][0] if self.marks else float("nan")

    def round_cpu(self) -> float:
        """Median CPU of the rounds after the first: one round alone is decided by whether one of Python's
        full garbage collections (0.15 CPU-s over Airflow's heap) happens to fall into it."""
        spans = [later[1] - earlier[1] for earlier, later in itertools.pairwise(self.marks)][:ROUNDS - 1]
        return statistics.median(spans) if spans else float("nan")


class Sampler(threading.Thread):
    """Samples the connections open to the sandbox every 0.1 s, keeping the most; counts its own CPU (reading
    ``/proc/net/tcp`` of a busy machine is not free), which :class:`Rounds` leaves out."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port, self.most, self.stop, self.cpu = port, 0, threading.Event(), 0.0

    def run(self) -> None:
        while not self.stop.wait(0.1):
            started = time.thread_time()
            self.most = max(self.most, sockets_to(self.port))
            self.cpu += time.thread_time() - started


SAMPLER: list[Sampler] = []  # the running one (its CPU is not the waits')


def start_measuring(port: int) -> tuple[int, Sampler]:
    """Collect garbage, restart the peak RSS, start the connection sampler: ``(RSS KiB now, sampler)``."""
    gc.collect()
    reset_peak()
    before = rss_kib()
    sampler = Sampler(port)
    SAMPLER.append(sampler)
    sampler.start()
    return before, sampler


def process_cpu() -> float:
    """CPU seconds of this process, the connection sampler's left out."""
    return time.process_time() - sum(s.cpu for s in SAMPLER)


def child_threads(args: argparse.Namespace, ids: list[str]) -> dict[str, float]:
    from airflow_provider_sinch.client import ServicePlanAuth, SinchClient, SinchConfig
    from airflow_provider_sinch.delivery import BatchDeliveryProbe, DeliveryCriteria, run_probe

    config = SinchConfig(auth=ServicePlanAuth(PLAN, TOKEN), base_url=f"http://{HOST}:{args.port}")
    threading.stack_size(256 * 1024)
    before, sampler = start_measuring(args.port)
    rounds = Rounds(len(ids))

    def wait(batch_id: str) -> None:
        with SinchClient(config) as client:
            probe = BatchDeliveryProbe([batch_id], DeliveryCriteria())
            for poll in range(ROUNDS):
                if poll:
                    time.sleep(args.interval)
                run_probe(probe, client)
                rounds.poll_done()

    threads = [threading.Thread(target=wait, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sampler.stop.set()
    return {"RSS growth MiB": (rss_kib("VmHWM") - before) / 1024, "connections": sampler.most,
            "first round s": rounds.first_round(), "round CPU s": rounds.round_cpu()}


async def run_triggers(args: argparse.Namespace, ids: list[str], interval: float, seconds: float | None
                       ) -> tuple[Rounds, Sampler, int]:
    """Start one trigger per id together; run until two rounds are complete (or for ``seconds``)."""
    from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger

    rounds = Rounds(len(ids))
    enough = asyncio.Event()
    rounds_wanted = ROUNDS

    class Timed(SinchBatchDeliveryTrigger):
        async def poll(self, client: Any) -> Any:
            rounds.poll_started(id(self))
            try:
                return await super().poll(client)
            finally:
                if not asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    rounds.poll_done()  # a poll cut short at the end is no poll
                if len(rounds.marks) >= rounds_wanted and seconds is None:
                    enough.set()

    async def consume(trigger: Any) -> None:
        async for _ in trigger.run():
            return

    from airflow_provider_sinch.hooks.sinch import SinchHook

    # Airflow's lazy imports behind a connection lookup are done in a running triggerer already: do them
    # before the clock (the shared client is still not built, so this is still a cold start).
    await SinchHook().aget_config()
    before, sampler = start_measuring(args.port)
    rounds.started = time.perf_counter()
    triggers = [Timed(batch_ids=[i], poll_interval=interval) for i in ids]
    tasks = [asyncio.create_task(consume(t)) for t in triggers]
    del triggers
    if seconds is None:
        await enough.wait()
    else:
        await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    sampler.stop.set()
    return rounds, sampler, before


def child_triggers(args: argparse.Namespace, ids: list[str]) -> dict[str, float]:
    profile = os.environ.get("BENCH_PROFILE")  # a cProfile of the whole run, written there
    if profile:
        import cProfile

        with cProfile.Profile(time.process_time) as profiler:  # CPU, not wall (the machine is shared)
            rounds, sampler, before = asyncio.run(run_triggers(args, ids, args.interval, None))
        profiler.dump_stats(profile)
    else:
        rounds, sampler, before = asyncio.run(run_triggers(args, ids, args.interval, None))
    return {"RSS growth MiB": (rss_kib("VmHWM") - before) / 1024, "connections": sampler.most,
            "first round s": rounds.first_round(), "round CPU s": rounds.round_cpu()}


class Counting(logging.Handler):
    """Counts the records of a logger (the stretch lines of the shared polls)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def child_big(args: argparse.Namespace, ids: list[str]) -> dict[str, float]:
    lines = Counting()
    sharing_log = logging.getLogger("airflow_provider_sinch.triggers.sharing")
    sharing_log.addHandler(lines)
    sharing_log.setLevel(logging.INFO)
    rounds, sampler, before = asyncio.run(run_triggers(args, ids, 5.0, args.big_seconds))
    late = [later - earlier - 5.0 for starts in rounds.starts.values()
            for earlier, later in itertools.pairwise(starts)]
    late.sort()
    growth = rss_kib("VmHWM") - before
    return {"RSS growth MiB": growth / 1024, "RSS bytes per trigger": growth * 1024 / len(ids),
            "connections": sampler.most, "first round s": rounds.first_round(),
            "polls per trigger": rounds.done / len(ids), "pacing log lines": lines.count,
            "lateness median s": statistics.median(late) if late else float("nan"),
            "lateness p95 s": late[int(len(late) * 0.95)] if late else float("nan")}


def child_state(args: argparse.Namespace, ids: list[str]) -> dict[str, float]:
    """Bytes of Python objects a trigger keeps between polls (after its first poll), by ``tracemalloc``."""

    async def measure() -> float:
        from airflow_provider_sinch.hooks.sinch import SinchHook
        from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger

        client = await SinchHook().aget_client()
        warm = SinchBatchDeliveryTrigger(batch_ids=[ids[0]], poll_interval=5)
        await warm.poll(client)  # imports, caches and the pool are not per-trigger state
        gc.collect()
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        triggers = [SinchBatchDeliveryTrigger(batch_ids=[i], poll_interval=5) for i in ids]
        for trigger in triggers:
            await trigger.poll(client)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - start
        tracemalloc.stop()
        return kept / len(triggers)

    return {"state bytes per trigger": asyncio.run(measure())}


def before(child: Any) -> Any:
    """``child`` with the triggerer's shared clients on httpx, as before issue 19 (bench/before_httpx.py)."""

    def run(args: argparse.Namespace, ids: list[str]) -> dict[str, float]:
        from airflow_provider_sinch.hooks import shared_clients
        from bench.before_httpx import HttpxAsyncSinchClient

        shared_clients.AsyncSinchClient = HttpxAsyncSinchClient  # type: ignore[misc]
        result: dict[str, float] = child(args, ids)
        return result

    return run


CHILDREN = {"threads": child_threads, "triggers": child_triggers, "big": child_big, "state": child_state,
            "triggers-httpx": before(child_triggers), "big-httpx": before(child_big)}


def in_child(args: argparse.Namespace, scenario: str, ids: list[str]) -> dict[str, float]:
    """Run one scenario in a fresh interpreter; its rows come back as JSON on stdout."""
    command = [sys.executable, __file__, "--child", scenario, "--port", str(args.port),
               "--interval", str(args.interval), "--big-seconds", str(args.big_seconds)]
    done = subprocess.run(command, input="\n".join(ids), capture_output=True, text=True, timeout=900,
                          env={**os.environ, "BENCH_JSON": ""})
    if done.returncode != 0:
        raise RuntimeError(f"{scenario} failed: {done.stderr[-2000:]}")
    rows = [line for line in done.stdout.splitlines() if line.startswith("{")]  # log lines may follow
    result: dict[str, float] = json.loads(rows[-1])
    return result


async def make_batches(url: str, count: int) -> list[str]:
    """``count`` one-recipient batches (queued for ever: the sandbox clock is frozen)."""
    from airflow_provider_sinch.client import AsyncSinchClient, ServicePlanAuth, SinchConfig

    config = SinchConfig(auth=ServicePlanAuth(PLAN, TOKEN), base_url=url)
    async with AsyncSinchClient(config) as client:
        sent = await asyncio.gather(*(client.send_batch(to=[f"+4670{n:07d}"], from_="Acme", body="Hi")
                                      for n in range(count)))
    return [b.id for b in sent]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--big", type=int, default=10000, help="triggers of the large scenario (0: skip)")
    parser.add_argument("--big-seconds", type=float, default=40.0, help="how long the large scenario runs")
    parser.add_argument("--interval", type=float, default=10.0, help="poll interval of the 1,000 waits")
    parser.add_argument("--no-before", dest="before", action="store_false",
                        help="skip the runs on httpx (the async client before issue 19)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # the triggers' INFO lines are not measured
    if args.child:
        ids = sys.stdin.read().split()
        print(json.dumps(CHILDREN[args.child](args, ids)))
        return

    args.port = _free_port()
    url = f"http://{HOST}:{args.port}"
    os.environ["AIRFLOW_CONN_SINCH_DEFAULT"] = json.dumps(
        {"conn_type": "sinch", "login": PLAN, "password": TOKEN, "host": url})
    command = [sys.executable, "-m", "airflow_provider_sinch.testing.sandbox", "--host", HOST, "--port",
               str(args.port), "--service-plan-id", PLAN, "--token", TOKEN, "--time-scale", "0",
               "--log-level", "warning"]
    rows: dict[str, dict[str, float]] = {}
    keys = ("RSS growth MiB", "connections", "first round s", "round CPU s")
    with _process(command, args.port):
        ids = asyncio.run(make_batches(url, max(args.triggers, args.big)))
        rows["threads, sync client"] = in_child(args, "threads", ids[:args.triggers])
        if args.before:
            rows["triggers, cold start, before (httpx)"] = in_child(args, "triggers-httpx",
                                                                   ids[:args.triggers])
        rows["triggers, cold start"] = in_child(args, "triggers", ids[:args.triggers])
        state = in_child(args, "state", ids[:args.triggers])["state bytes per trigger"]
        for row in rows.values():
            row["state bytes per trigger"] = state if row is rows["triggers, cold start"] else float("nan")
        notes = {}
        for suffix, child in ((", before (httpx)", "big-httpx"), ("", "big")) if args.big else ():
            if child == "big-httpx" and not args.before:
                continue
            name = f"{args.big:,} triggers{suffix}"
            big = in_child(args, child, ids[:args.big])
            rows[name] = {**{k: big.get(k, float("nan")) for k in keys},
                          "state bytes per trigger": state if not suffix else float("nan")}
            notes[name] = (
                f"poll_interval 5 s for {args.big_seconds:g} s: {big['polls per trigger']:.2f} polls per "
                f"trigger, lateness median {big['lateness median s']:.2f} s, p95 "
                f"{big['lateness p95 s']:.2f} s; RSS {big['RSS bytes per trigger']:,.0f} bytes per trigger; "
                f"{big.get('pacing log lines', 0):.0f} pacing log line(s)")
            rows[name]["lateness median s"] = big["lateness median s"]
            rows[name]["lateness p95 s"] = big["lateness p95 s"]
        if args.big:
            for name in rows:
                rows[name].setdefault("lateness median s", float("nan"))
                rows[name].setdefault("lateness p95 s", float("nan"))
    report(rows, baseline="threads, sync client", notes=notes,
           title=f"Triggerer: {args.triggers:,} delivery waits started together on one event loop vs as many "
                 f"threads with the sync client (poll interval {args.interval:g} s), and {args.big:,} waits "
                 f"polling every 5 s; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
