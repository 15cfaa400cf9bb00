"""What a triggerer pays for many inbound-SMS asset watchers on one number: one shared ``GET /inbounds`` loop
(what the watchers do on Airflow 3.3) against one loop per watcher (the baseline), measured in the same run.

    .venv/bin/python bench/bench_inbound.py [--watchers 100] [--seconds 10] [--interval 1] [--messages 50]

``--watchers`` ``SinchInboundMessageEventTrigger``\\ s, one keyword each, all on one number, run through
Airflow's own ``TriggerRunner.run_trigger`` (the triggerer's code, with its ``SharedStreamManager``; no DB)
against a Sinch sandbox served in another process:

* ``shared stream``: the watchers as shipped: one poll loop for all of them;
* ``loop per watcher`` (the baseline): the same class with ``shared_stream_key()`` returning ``None``, so
  the triggerer runs each watcher's own ``run()``, as before sharing.

The number is busy: ``--messages`` SMS were received in the last minute, so every poll lists them again (the
look-back) and each watcher whose keyword one starts with fires once.  After a warm-up interval the run is
measured for ``--seconds``: ``GET /inbounds`` per poll interval and this process's CPU per interval (the
triggerer's side; the sandbox's own CPU is not counted), and the events fired (the same in both, a check).
A measurement to read, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_sandbox import HOST, _free_port, _process
from bench.ratios import report

PLAN, TOKEN, OURS = "bench-plan", "bench-token", "+12017777777"


class MemoryStore:
    """The asset state store of one watcher, in memory (so ``since`` counts, as on a first start)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = value


async def measure(trigger_class: type, args: argparse.Namespace, since: str) -> dict[str, float]:
    """Run ``--watchers`` watchers of ``trigger_class`` in a ``TriggerRunner``; the figures per interval."""
    from airflow.jobs.triggerer_job_runner import TriggerRunner

    import airflow_provider_sinch.triggers.inbound as inbound

    polls = 0
    list_inbounds = inbound.list_inbounds

    async def counted(*a: Any, **kw: Any) -> Any:
        nonlocal polls
        polls += 1
        return await list_inbounds(*a, **kw)

    inbound.list_inbounds = counted  # type: ignore[assignment]
    runner = TriggerRunner()
    for trigger_id in range(args.watchers):
        trigger = trigger_class(to_numbers=[OURS], keywords=[f"K{trigger_id}"], since=since,
                                poll_interval=args.interval)
        trigger.asset_state_store = MemoryStore()
        trigger.trigger_id = trigger_id
        runner.triggers[trigger_id] = {"name": f"watcher {trigger_id}", "events": 0, "is_watcher": True}
        runner.triggers[trigger_id]["task"] = asyncio.create_task(runner.run_trigger(trigger_id, trigger))
    await asyncio.sleep(args.interval * 1.5)  # warm-up: every watcher has started and polled once
    polls_before, cpu_before, started = polls, time.process_time(), time.perf_counter()
    await asyncio.sleep(args.seconds)
    cpu, elapsed = time.process_time() - cpu_before, time.perf_counter() - started
    measured_polls = polls - polls_before
    tasks = [entry["task"] for entry in runner.triggers.values()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await runner._shared_streams.stop_all()
    inbound.list_inbounds = list_inbounds
    intervals = elapsed / args.interval
    return {"GET /inbounds per interval": measured_polls / intervals,
            "CPU ms per interval": cpu * 1000 / intervals,
            "events": float(len(runner.events))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watchers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per scenario")
    parser.add_argument("--interval", type=float, default=1.0, help="the watchers' poll_interval")
    parser.add_argument("--messages", type=int, default=50, help="SMS received in the last minute")
    args = parser.parse_args()
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # the triggers' INFO lines are not measured
    os.environ["AIRFLOW_DISABLE_GREENBACK_PORTAL"] = "true"

    import logging
    from datetime import UTC, datetime, timedelta

    import httpx
    import structlog

    from airflow_provider_sinch.triggers.inbound import SinchInboundMessageEventTrigger

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("airflow_provider_sinch").setLevel(logging.WARNING)

    class LoopPerWatcher(SinchInboundMessageEventTrigger):
        """The watcher without a shared stream: the triggerer runs its own ``run()``."""

        def shared_stream_key(self) -> None:
            return None

    port = _free_port()
    url = f"http://{HOST}:{port}"
    os.environ["AIRFLOW_CONN_SINCH_DEFAULT"] = json.dumps(
        {"conn_type": "sinch", "login": PLAN, "password": TOKEN, "host": url})
    command = [sys.executable, "-m", "airflow_provider_sinch.testing.sandbox", "--host", HOST, "--port",
               str(port), "--service-plan-id", PLAN, "--token", TOKEN, "--log-level", "warning"]
    scenarios = (("loop per watcher", LoopPerWatcher), ("shared stream", SinchInboundMessageEventTrigger))
    rows: dict[str, dict[str, float]] = {}
    with _process(command, port):
        since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        for i in range(args.messages):
            httpx.post(f"{url}/_sandbox/inbounds", timeout=10, json={
                "from": f"+4670100{i:04d}", "to": OURS, "body": f"K{i % args.watchers} please"},
            ).raise_for_status()
        for name, trigger_class in scenarios:
            rows[name] = asyncio.run(measure(trigger_class, args, since))

    report(rows, baseline="loop per watcher",
           title=f"Inbound watchers: {args.watchers} asset watchers on one number, poll_interval "
                 f"{args.interval:g} s, {args.messages} SMS in the look-back, {args.seconds:g} s measured, "
                 f"{os.cpu_count()} CPUs",
           notes={"shared stream": "one GET /inbounds loop for every watcher of the number (Airflow 3.3 "
                                   "shared stream); events: each watcher's own matches, as in the baseline"})


if __name__ == "__main__":
    main()
