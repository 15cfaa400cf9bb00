"""What ``SinchSendBatchOperator``'s retry-safe, chunked send costs over the bare client, in the same run.

    .venv/bin/python bench/bench_send.py [--recipients 10000] [--repeat 3]

Both scenarios send the same recipients, 1,000 per batch, to one Sinch sandbox served in another process
(through its real ``sinch-sandbox`` command line), each in a fresh task run:

* ``baseline``: ``SinchClient.send_batch`` once per chunk, one after the other, the least any sender does;
* ``operator``: ``SinchSendBatchOperator.execute``: validation of every chunk before the first request,
  deterministic ``client_reference`` per chunk, ``task_state_store`` writes as each batch id arrives,
  bounded concurrency (``max_concurrency``, default 4);
* ``operator retry``: the same task run again with the same state store, as a retry would: it must send
  nothing, so this is the price of retry safety when everything already went out.

Printed: best wall time and peak Python memory (``tracemalloc``) of each, and their ratios to the baseline.
This is a measurement to read, not a test that passes or fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_sandbox import HOST, _free_port, _process
from bench.ratios import report

PLAN, TOKEN, SENDER = "bench-plan", "bench-token", "+12017777777"


def sandbox_as_default_connection() -> tuple[int, str, list[str]]:
    """A free port, the URL a sandbox on it will have (made the ``sinch_default`` connection) and the
    ``sinch-sandbox`` command line that serves it there (for :func:`bench.bench_sandbox._process`)."""
    port = _free_port()
    url = f"http://{HOST}:{port}"
    os.environ["AIRFLOW_CONN_SINCH_DEFAULT"] = (
        f'{{"conn_type": "sinch", "login": "{PLAN}", "password": "{TOKEN}", "host": "{url}"}}')
    command = [sys.executable, "-m", "airflow_provider_sinch.testing.sandbox", "--host", HOST, "--port",
               str(port), "--service-plan-id", PLAN, "--token", TOKEN]
    return port, url, command


def send_setup(recipients: int) -> tuple[list[str], list[list[str]], int, str, list[str]]:
    """What the send benchmarks start from: operators allowed to execute outside the task runner (as in the
    unit tests), ``recipients`` numbers and their chunks of 1,000, and the sandbox as ``sinch_default``
    (:func:`sandbox_as_default_connection`)."""
    from airflow.sdk.bases.operator import ExecutorSafeguard

    ExecutorSafeguard.test_mode = True
    numbers = [f"+4670{i:07d}" for i in range(recipients)]
    chunks = [numbers[i:i + 1000] for i in range(0, len(numbers), 1000)]
    return numbers, chunks, *sandbox_as_default_connection()


def measure(run: Callable[[], Any], repeat: int) -> tuple[float, int, Any]:
    """Best wall time over ``repeat`` runs, and the peak traced memory of the first."""
    best, peak, result = float("inf"), 0, None
    for attempt in range(repeat):
        if attempt == 0:
            tracemalloc.start()
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
        if attempt == 0:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return best, peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (the best time is kept)")
    args = parser.parse_args()
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # the operator's INFO lines are not measured

    from airflow_provider_sinch.client import ServicePlanAuth, SinchClient, SinchConfig
    from airflow_provider_sinch.operators import SinchSendBatchOperator
    from tests.operators.conftest import FakeStore, make_context

    numbers, chunks, port, url, command = send_setup(args.recipients)
    runs = iter(range(10**6))

    def baseline() -> int:
        with SinchClient(SinchConfig(auth=ServicePlanAuth(PLAN, TOKEN), base_url=url)) as client:
            return len([client.send_batch(to=chunk, from_=SENDER, body="Sale today") for chunk in chunks])

    store = FakeStore()

    def operator(store: FakeStore | None = None, run_id: str | None = None) -> int:
        op = SinchSendBatchOperator(task_id="send", to=numbers, from_=SENDER, body="Sale today")
        context = make_context(store or FakeStore(), run_id=run_id or f"bench_{next(runs)}")
        return len(op.execute(context)["batch_ids"])

    with _process(command, port):
        operator(store, run_id="bench_retry")  # the first try, whose retry is measured below
        results = {
            "baseline": measure(baseline, args.repeat),
            "operator": measure(operator, args.repeat),
            "operator retry": measure(lambda: operator(store, run_id="bench_retry"), args.repeat),
        }
    batches = {result[2] for result in results.values()}
    assert batches == {len(chunks)}, batches  # every scenario ends with the same batches
    report({name: {"seconds": seconds, "peak MiB": peak / 2**20}
            for name, (seconds, peak, _) in results.items()}, baseline="baseline",
           title=f"Send: {args.recipients:,} recipients in {len(chunks)} batches to a loopback sandbox, "
                 f"best of {args.repeat} per scenario, {os.cpu_count()} CPUs")

if __name__ == "__main__":
    main()
