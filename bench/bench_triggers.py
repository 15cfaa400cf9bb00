"""What the triggerer pays for many deferred Sinch waits: one shared HTTP pool per connection (what the
triggers do) against one client per trigger (the naive way), measured in the same run.

    .venv/bin/python bench/bench_triggers.py [--triggers 200] [--rounds 5] [--latency 0.05]

``--triggers`` delivery triggers (``SinchBatchDeliveryTrigger``, one batch each) poll a Sinch sandbox served
in another process, all at once on one event loop, ``--rounds`` times, as one triggerer process would:

* ``shared pool``: every trigger gets its client from ``SinchHook.aget_client()``, one per connection and
  event loop;
* ``client per trigger`` (the baseline): every trigger opens its own ``AsyncSinchClient``, so its own pool.

``--latency`` adds that many seconds to every sandbox answer, for a network like the one to real Sinch.

Printed: wall time of all the polls, TCP connections the process opened to the sandbox, and peak Python
memory (``tracemalloc``), each with its ratio to the baseline.  A measurement to read, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_sandbox import HOST, _free_port, _process
from bench.ratios import report

PLAN, TOKEN = "bench-plan", "bench-token"


def sockets_to(port: int) -> int:
    """Established TCP connections from this process to ``port`` (Linux ``/proc``)."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01" and fields[9] in inodes:
                count += 1
    return count


async def run_polls(triggers: list[Any], client_for: Callable[[Any], Awaitable[Any]], rounds: int,
                    port: int, *, own_clients: bool) -> tuple[float, int]:
    """All triggers poll ``rounds`` times together; returns (seconds, most connections open at once)."""
    clients = [await client_for(t) for t in triggers]
    most = 0
    started = time.perf_counter()
    for _ in range(rounds):
        await asyncio.gather(*(t.poll(c) for t, c in zip(triggers, clients, strict=True)))
        most = max(most, sockets_to(port))
    seconds = time.perf_counter() - started
    if own_clients:  # the shared client belongs to the hook (and ends with the event loop)
        await asyncio.gather(*(c.aclose() for c in clients))
    return seconds, most


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triggers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    args = parser.parse_args()
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # the triggers' INFO lines are not measured

    import httpx

    from airflow_provider_sinch.client import AsyncSinchClient, ServicePlanAuth, SinchClient, SinchConfig
    from airflow_provider_sinch.hooks.sinch import SinchHook
    from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger

    port = _free_port()
    url = f"http://{HOST}:{port}"
    os.environ["AIRFLOW_CONN_SINCH_DEFAULT"] = json.dumps(
        {"conn_type": "sinch", "login": PLAN, "password": TOKEN, "host": url})
    config = SinchConfig(auth=ServicePlanAuth(PLAN, TOKEN), base_url=url)
    command = [sys.executable, "-m", "airflow_provider_sinch.testing.sandbox", "--host", HOST, "--port",
               str(port), "--service-plan-id", PLAN, "--token", TOKEN, "--time-scale", "0"]

    async def shared(trigger: Any) -> Any:
        return await SinchHook(sinch_conn_id=trigger.sinch_conn_id).aget_client()

    async def per_trigger(trigger: Any) -> Any:
        return AsyncSinchClient(config)

    scenarios = (("client per trigger", per_trigger, True), ("shared pool", shared, False))
    results: dict[str, tuple[float, int, int]] = {}
    with _process(command, port):
        if args.latency:
            httpx.post(f"{url}/_sandbox/faults", json={"kind": "latency", "seconds": args.latency},
                       timeout=10).raise_for_status()
        with SinchClient(config) as client:  # one queued batch per trigger: every poll reads a report
            ids = [client.send_batch(to=["+46701234567"], from_="Acme", body="Hi").id
                   for _ in range(args.triggers)]
        for name, client_for, own in scenarios:
            triggers = [SinchBatchDeliveryTrigger(batch_ids=[i], poll_interval=1) for i in ids]
            tracemalloc.start()
            seconds, connections = asyncio.run(
                run_polls(triggers, client_for, args.rounds, port, own_clients=own))
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            results[name] = (seconds, connections, peak)

    report({name: {"seconds": seconds, "connections": connections, "peak MiB": peak / 2**20}
            for name, (seconds, connections, peak) in results.items()}, baseline="client per trigger",
           title=f"Triggers: {args.triggers} delivery triggers x {args.rounds} polls (batch + report) on one "
                 f"event loop, {args.latency * 1000:.0f} ms added latency, {os.cpu_count()} CPUs")

if __name__ == "__main__":
    main()
