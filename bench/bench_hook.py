"""What ``SinchHook.get_batch`` costs over a bare ``requests.Session``, in the same run.

    .venv/bin/python bench/bench_hook.py [--calls 2000] [--recipients 1000] [--rounds 20]

One Sinch sandbox is served in another process (through its real ``sinch-sandbox`` command line, its
clock held still so that no delivery lifecycle runs in it while measuring) holding one batch of
``--recipients`` recipients; this process then reads it ``--calls`` times per scenario over one keep-alive
connection:

* ``raw requests``: ``requests.Session.get`` with the bearer header, then ``.json()``: the least any Python
  client does (no validation, no retry policy, no typed errors);
* ``raw requests, environment read once``: the same with ``trust_env`` off, as the hook's own session
  has it (it reads proxy and CA-bundle settings from the environment once, where ``requests`` reads them
  on every request): the baseline without the part of requests' cost the hook avoids;
* ``SinchHook.get_batch``: the hook's public method, through the ``sinch_default`` connection: argument
  validation, the retry policy, error mapping and the ``Batch`` model of the answer.

The calls run in ``--rounds`` alternating rounds (raw, raw once, hook, raw, ...) so that a machine shared with
other work slows both alike.  Printed: wall seconds and this process's CPU seconds (the client's cost; the
server's is in its own process) of each, and their ratios to the raw baseline.  This is a measurement to
read, not a test that passes or fails.
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
from bench.bench_send import PLAN, SENDER, TOKEN, sandbox_as_default_connection
from bench.ratios import report


def timed_rounds(scenarios: dict[str, Callable[[int], Any]], calls: int,
                 rounds: int) -> dict[str, list[float]]:
    """Run every scenario ``calls`` times in all, split into ``rounds`` alternating rounds; per scenario the
    summed wall and CPU seconds."""
    totals = {name: [0.0, 0.0] for name in scenarios}
    per_round = max(1, calls // rounds)
    for _ in range(rounds):
        for name, run in scenarios.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run(per_round)
            totals[name][0] += time.perf_counter() - wall
            totals[name][1] += time.process_time() - cpu
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="reads per scenario")
    parser.add_argument("--recipients", type=int, default=1000, help="recipients of the batch read")
    parser.add_argument("--rounds", type=int, default=20, help="alternating rounds the calls are split into")
    args = parser.parse_args()
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"

    import requests

    from airflow_provider_sinch.client import ServicePlanAuth, SinchClient, SinchConfig
    from airflow_provider_sinch.hooks.sinch import SinchHook

    port, url, command = sandbox_as_default_connection()
    command += ["--time-scale", "0"]  # no delivery lifecycle running in the server between scenarios
    numbers = [f"+4670{i:07d}" for i in range(args.recipients)]

    with _process(command, port):
        with SinchClient(SinchConfig(auth=ServicePlanAuth(PLAN, TOKEN), base_url=url)) as client:
            batch_id = client.send_batch(to=numbers, from_=SENDER, body="Sale today").id
        session, bare = requests.Session(), requests.Session()
        bare.trust_env = False
        batch_url = f"{url}/xms/v1/{PLAN}/batches/{batch_id}"
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
        hook = SinchHook()

        def raw(n: int, session: requests.Session = session) -> None:
            for _ in range(n):
                response = session.get(batch_url, headers=headers, timeout=30)
                response.raise_for_status()
                assert len(response.json()["to"]) == args.recipients

        def raw_once(n: int) -> None:
            raw(n, bare)

        def through_hook(n: int) -> None:
            for _ in range(n):
                assert len(hook.get_batch(batch_id).to) == args.recipients

        raw(20), raw_once(20), through_hook(20)  # connections open, the connection looked up, code paths warm
        totals = timed_rounds({"raw requests": raw, "raw requests, environment read once": raw_once,
                               "SinchHook.get_batch": through_hook}, args.calls, args.rounds)
        session.close()
        bare.close()
        hook.client.close()
    report({name: {"seconds": wall, "client CPU s": cpu} for name, (wall, cpu) in totals.items()},
           baseline="raw requests",
           title=f"get_batch: {args.calls:,} reads of a {args.recipients:,}-recipient batch from a loopback "
                 f"sandbox, {args.rounds} alternating rounds, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
