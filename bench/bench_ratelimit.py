"""What a service plan's rate limit does to a send: the same send to a sandbox without a limit and with one.

    .venv/bin/python bench/bench_ratelimit.py [--recipients 1000] [--rates 100,25] [--time-scale 10]

Sinch accepts every batch at once and lets a plan's messages out of its FIFO queue at the plan's rate,
counted per recipient (the sandbox's ``messages_per_second``: see ``airflow_provider_sinch/testing/sandbox/
pacing.py``).  So a limit does not slow the send's requests down; it stretches the time until the last
recipient is dispatched to about recipients / rate.  Each scenario serves a fresh sandbox in another process
(``sinch-sandbox --messages-per-second R``, dispatch delay 0, ``--time-scale`` to keep the run short) and
sends the recipients in batches of 500 with the provider's ``SinchClient`` (after one dry run of a batch,
which warms the sandbox and the connection up), then polls the sandbox until its queue is empty:

* ``unlimited`` (the baseline): no rate limit;
* ``R msg/s``: a plan limit of R messages per second, for each R of ``--rates``.

Measured: ``accept s`` (real seconds for every batch to be accepted), ``dispatched s`` (plan seconds from
the first batch's ``created_at`` until the last recipient left the queue: real seconds times
``--time-scale``; the poll's resolution is 10 ms real, so 0.1 plan s at scale 10, and the unlimited send
shows only that and the acceptance of the second batch) and ``vs recipients/rate`` (that span over
recipients / R: about 1 when the sandbox paces as a plan does).  A measurement to read, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_sandbox import HOST, _free_port, _process
from bench.ratios import report

PLAN, TOKEN, SENDER = "bench-plan", "bench-token", "+12017777777"
CHUNK = 500
POLL_S = 0.01


def send_and_drain(rate: float | None, numbers: list[str], time_scale: float) -> tuple[float, float]:
    """One send to a fresh sandbox: (real seconds to accept every batch, plan seconds until dispatched)."""
    import httpx

    from airflow_provider_sinch.client import ServicePlanAuth, SinchClient, SinchConfig

    port = _free_port()
    url = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "airflow_provider_sinch.testing.sandbox", "--host", HOST, "--port",
               str(port), "--service-plan-id", PLAN, "--token", TOKEN, "--time-scale", f"{time_scale:g}",
               "--dispatch-delay", "0", "--log-level", "warning"]
    if rate is not None:
        command += ["--messages-per-second", f"{rate:g}"]
    with _process(command, port), httpx.Client(base_url=f"{url}/_sandbox", trust_env=False,
                                               timeout=30) as control:
        with SinchClient(SinchConfig(auth=ServicePlanAuth(PLAN, TOKEN), base_url=url)) as client:
            # warm up the sandbox's first request (and the connection): not part of the send
            client.dry_run(to=numbers[:CHUNK], from_=SENDER, body="Sale today")
            started = time.perf_counter()
            batches = [client.send_batch(to=numbers[i:i + CHUNK], from_=SENDER, body="Sale today")
                       for i in range(0, len(numbers), CHUNK)]
            accepted = time.perf_counter() - started
            while control.get("/queue").json()["waiting"]:
                time.sleep(POLL_S)
            drained = time.time()  # the sandbox's now is the wall clock too (same machine)
        first = batches[0].created_at
        assert first is not None
        for batch_id in (b.id for b in batches):  # every recipient really left the queue
            statuses = control.get(f"/batches/{batch_id}/statuses").json()
            assert "Queued" not in statuses.values(), json.dumps(statuses)[:200]
    return accepted, (drained - first.timestamp()) * time_scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--rates", default="100,25", help="plan limits to try, messages per second")
    parser.add_argument("--time-scale", type=float, default=10.0, help="the sandboxes' time_scale")
    args = parser.parse_args()
    numbers = [f"+4670{i:07d}" for i in range(args.recipients)]
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    rows: dict[str, dict[str, float]] = {}
    for rate in [None, *rates]:
        accepted, dispatched = send_and_drain(rate, numbers, args.time_scale)
        name = "unlimited" if rate is None else f"{rate:g} msg/s"
        expected = args.recipients / rate if rate else float("nan")
        rows[name] = {"accept s": accepted, "dispatched s": dispatched,
                      "vs recipients/rate": dispatched / expected if rate else 0.0}
    report(rows, baseline="unlimited",
           title=f"Rate-limited send: {args.recipients:,} recipients in batches of {CHUNK} to a sandbox "
                 f"plan limit, time_scale {args.time_scale:g} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
