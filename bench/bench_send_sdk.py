"""``SinchSendBatchOperator`` against the official ``sinch`` SDK sending the same chunks, in the same run.

    .venv/bin/python bench/bench_send_sdk.py [--recipients 100000] [--repeat 3] [--latency 0.05]

One Sinch sandbox is served in another process (through its real ``sinch-sandbox`` command line), its
clock held still (``--time-scale 0``): no batch's delivery lifecycle runs in the server while a later
scenario is measured (with it running, whichever scenario comes second pays for the first's 100,000
deliveries);
``--latency`` makes it answer every API request that many seconds late, for a network like the one to
real Sinch (0: loopback, where only the client's own cost and the server's show).  Scenarios, each sending
``--recipients`` recipients as batches of 1,000:

* ``official SDK``: ``sinch.SinchClient().sms.batches.send_sms`` once per chunk, one after the other, as
  a script using the SDK would (the SDK validates nothing before sending);
* ``operator``: ``SinchSendBatchOperator.execute`` in a fresh task run: every chunk planned and validated
  before the first request, deterministic ``client_reference`` per chunk, the ledger in
  ``task_state_store``, ``max_concurrency`` (default 4) batches in flight;
* ``operator planning``: only the operator's planning (de-duplicating, chunking and validating every
  chunk's request), the work done before its first request.

The ``operator`` row includes building the operator (as a task run does when its DAG file is parsed;
Airflow walks the 100,000-entry ``to`` for XCom references then, some 40 ms); ``operator planning`` does
not.

Printed: best wall seconds and this process's CPU seconds (the client's cost; the sandbox runs in its own
process) of each, and their ratios to the SDK.  A ratio below 1 means faster than the SDK.  This is a
measurement to read, not a test that passes or fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_sandbox import _process
from bench.bench_send import PLAN, SENDER, TOKEN, send_setup
from bench.ratios import report

BODY = "Sale today"


def best_of(scenarios: dict[str, Callable[[], Any]], repeat: int) -> dict[str, dict[str, float]]:
    """Each scenario ``repeat`` times, the scenarios alternating; per scenario its best wall and CPU
    seconds."""
    best = {name: {"seconds": float("inf"), "client CPU s": float("inf")} for name in scenarios}
    for _ in range(repeat):
        for name, run in scenarios.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            row = best[name]
            row["seconds"] = min(row["seconds"], time.perf_counter() - wall)
            row["client CPU s"] = min(row["client CPU s"], time.process_time() - cpu)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (the best is kept)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    args = parser.parse_args()
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # the operator's INFO lines are not measured

    import requests
    import sinch

    from airflow_provider_sinch.hooks.send_engine import plan
    from airflow_provider_sinch.operators import SinchSendBatchOperator
    from tests.operators.conftest import FakeStore, make_context

    numbers, chunks, port, url, command = send_setup(args.recipients)
    command += ["--time-scale", "0"]  # no delivery lifecycle running in the server between scenarios
    runs = iter(range(10**6))
    sent: dict[str, int] = {}

    def sdk() -> None:
        client = sinch.SinchClient(service_plan_id=PLAN, sms_api_token=TOKEN, sms_region="us")
        client.configuration.sms_domain_with_service_plan_id = url  # the region host, overridden
        sent["official SDK"] = len([client.sms.batches.send_sms(to=chunk, from_=SENDER, body=BODY).id
                                    for chunk in chunks])
        client.configuration.transport.http_session.close()

    def new_operator() -> SinchSendBatchOperator:
        return SinchSendBatchOperator(task_id="send", to=numbers, from_=SENDER, body=BODY)

    def operator() -> None:
        context = make_context(FakeStore(), run_id=f"bench_{next(runs)}")
        sent["operator"] = len(new_operator().execute(context)["batch_ids"])

    planner = new_operator()  # built once: Airflow's constructor walks the 100,000 entries for XComArgs

    def planning() -> None:  # what the operator does before the first request, and the hook's plan
        base = f"bench_plan_{next(runs)}"
        sent["operator planning"] = len(plan(planner.destinations(), planner.content_fields(), base)[0])

    with _process(command, port):
        if args.latency:
            requests.post(f"{url}/_sandbox/faults", json={"kind": "latency", "seconds": args.latency},
                          timeout=10).raise_for_status()
        scenarios = {"official SDK": sdk, "operator": operator, "operator planning": planning}
        rows = best_of(scenarios, args.repeat)
    assert set(sent.values()) == {len(chunks)}, sent  # every scenario made (or planned) the same batches
    report(rows, baseline="official SDK",
           title=f"Send vs the official SDK: {args.recipients:,} recipients in {len(chunks)} batches, "
                 f"{args.latency * 1000:.0f} ms added latency per answer, best of {args.repeat}, "
                 f"{os.cpu_count()} CPUs (below 1x: faster than the SDK)",
           notes={"operator planning": "before the first request: every chunk planned and validated"})


if __name__ == "__main__":
    main()
