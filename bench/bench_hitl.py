"""Approval by SMS: the time from an SMS reply to the HITL task resumed, push against poll, in a real
``airflow standalone`` (scheduler, dag-processor, triggerer, API server; ``AIRFLOW__CORE__PARALLELISM=4``).

    .venv/bin/python bench/bench_hitl.py [--rounds 3] [--modes push,poll]

Each round triggers ``example_sinch_hitl_approval``, waits for its question to be texted (Sinch sandbox),
replies ``CODE yes`` from the approver's number, and takes the time from the reply (the sandbox receiving it)
to the ``approve`` task's ``end_date`` (it resumed and finished).

* ``push``: the sandbox posts the reply to the callback receiver on the API server, which answers the
  request through the REST API at once; on 3.3 the ``PATCH`` resumes the task, on 3.1/3.2 the
  ``HITLTrigger`` sees the answer at its next poll (every 5 s).
* ``poll`` (the baseline): no push; ``example_sinch_hitl_replies``'s watcher lists inbound SMS every 5 s, the
  asset event starts a run, and its task answers.

Prints one line per round, the medians, and a JSON line.  A measurement to read, not a test (it needs the
test extras: it drives standalone with the end-to-end test's helpers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="replies per mode (default 3)")
    parser.add_argument("--modes", default="push,poll", help="comma-separated: push, poll (default both)")
    args = parser.parse_args()

    import airflow

    from airflow_provider_sinch.testing.sandbox import SandboxServer
    from tests.e2e import test_standalone
    from tests.e2e.test_standalone_callbacks import utc
    from tests.e2e.test_standalone_hitl import ask_and_reply, finished, hitl_standalone, resumed

    test_standalone.BUDGET_SECONDS = 600  # per round: a loaded machine
    modes = [m.strip() for m in args.modes.split(",") if m.strip() in ("push", "poll")]
    latencies: dict[str, list[float]] = {mode: [] for mode in modes}
    for mode in modes:  # each in its own standalone
        with SandboxServer(time_scale=10) as sandbox, tempfile.TemporaryDirectory() as tmp, \
                hitl_standalone(Path(tmp), sandbox, push=mode == "push") as (standalone, base):
            for index in range(args.rounds):
                standalone.started = time.monotonic()
                try:
                    run_id, _, replied_at = ask_and_reply(standalone, base, sandbox, "yes")
                except AssertionError as exc:  # e.g. a worker that could not start on a loaded machine
                    print(f"{mode} round {index + 1}: not measured: {str(exc)[:200]}", flush=True)
                    continue
                state, end_date = resumed(standalone, run_id)
                latency = utc(end_date) - replied_at
                standalone.wait("the run", lambda run_id=run_id: finished(standalone, run_id))
                if state != "success":  # not a measurement: keep the log to look into
                    kept = Path(tempfile.gettempdir()) / f"bench_hitl_{mode}_{index + 1}.log"
                    kept.write_bytes(standalone.log.read_bytes())
                    print(f"{mode} round {index + 1}: approve {state}, not counted; log in {kept}",
                          flush=True)
                    continue
                latencies[mode].append(latency)
                print(f"{mode} round {index + 1}: reply -> approve {state} in {latency:.2f} s", flush=True)
    medians = {mode: round(statistics.median(values), 2) for mode, values in latencies.items() if values}
    print(f"Airflow {airflow.__version__}: median reply -> task resumed: "
          + ", ".join(f"{mode} {value} s" for mode, value in medians.items()))
    print(json.dumps({"airflow": airflow.__version__, "rounds": args.rounds, "latency_s": latencies,
                      "median_s": medians}))


if __name__ == "__main__":
    main()
