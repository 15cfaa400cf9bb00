"""``make demo``: an example DAG end to end against a local Sinch sandbox, no Sinch account needed.

What it does, in order: starts a :class:`~airflow_provider_sinch.testing.sandbox.SandboxServer` on a free
loopback port (its clock 10x faster than real time), migrates a throw-away Airflow home (SQLite), runs
``airflow dags test <dag>`` with ``AIRFLOW_CONN_SINCH_DEFAULT`` pointing at the sandbox (``dags test`` runs
deferred tasks' triggers inline, so a deferrable wait really defers and resumes), then prints what Sinch
saw - each batch with its recipients (masked) and their delivery statuses, and the API calls made - and
stops the sandbox.  The exit status is 0 only when every DAG run ended ``success``.

Usage::

    python -m airflow_provider_sinch.testing.demo                    # example_sinch_send_and_wait
    python -m airflow_provider_sinch.testing.demo --dag example_sinch_otp --dag example_sinch_campaign
    python -m airflow_provider_sinch.testing.demo --verbose          # the whole `dags test` output

The example DAGs are read from ``--dags-folder`` (default: ``example_dags`` in the current directory).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from airflow_provider_sinch.client.msisdn import mask_msisdn
from airflow_provider_sinch.testing.sandbox import Sandbox, SandboxServer

DEFAULT_DAG = "example_sinch_send_and_wait"
APPROVER = "46701234567"
"""The approval example asks this number; in the demo it answers YES two sandbox seconds later."""

RUN_LINE = re.compile(r"DagRun Finished: .*?state=(\w+)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_sinch.testing.demo",
                                     description="Run example Sinch DAGs against a local Sinch sandbox.")
    parser.add_argument("--dag", action="append", dest="dags", metavar="DAG_ID",
                        help=f"DAG to run (repeatable; default {DEFAULT_DAG})")
    parser.add_argument("--dags-folder", type=Path, default=Path("example_dags"),
                        help="folder with the example DAGs (default: ./example_dags)")
    parser.add_argument("--time-scale", type=float, default=10.0, help="sandbox seconds per real second")
    parser.add_argument("--verbose", action="store_true", help="print the whole `airflow dags test` output")
    return parser


def airflow_env(home: Path, dags_folder: Path) -> dict[str, str]:
    """The environment of the ``airflow`` commands: a private home, only our DAGs, no example DAGs."""
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder.resolve()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }


def airflow(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """``airflow ARGS`` with this interpreter (so the venv's Airflow runs, whatever is on PATH); stdout and
    stderr as one stream in the order written (unbuffered), because :func:`task_states` reads the API's
    ``new_state=`` lines, which Airflow 3.1 logs to the other stream, against ``dags test``'s task lines."""
    return subprocess.run([sys.executable, "-m", "airflow", *args], env={**env, "PYTHONUNBUFFERED": "1"},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          check=False)


def run_state(output: str) -> str:
    """The run's final state (``dags test`` exits 0 for a failed run too, so read its last line)."""
    found = RUN_LINE.findall(output)
    return found[-1] if found else "unknown"


def task_states(output: str) -> list[str]:
    """``task_id: state`` (``task_id[i]`` for a mapped instance) for each task ``dags test`` ran, in order
    (its last state update before the ``end task`` line)."""
    states: list[str] = []
    state = "unknown"
    for line in output.splitlines():
        if (updated := re.search(r"new_state=(\w+)", line)) is not None:
            state = updated.group(1)
        elif (ended := re.search(r"\[DAG TEST\] end task task_id=(\w+)(?: map_index=(-?\d+))?", line)):
            task_id, map_index = ended.group(1), int(ended.group(2) or -1)
            states.append(f"{task_id}{f'[{map_index}]' if map_index >= 0 else ''}: {state}")
            state = "unknown"
    return states


def describe(sandbox: Sandbox) -> list[str]:
    """What Sinch saw: batches (newest last) with masked recipients and statuses, and the calls made."""
    lines: list[str] = []
    for batch in reversed(sandbox.batches()):
        statuses = sandbox.statuses(batch["id"])
        recipients = ", ".join(f"{mask_msisdn(n)}={s}" for n, s in statuses.items()) or (
            "no recipient reports yet (groups are expanded at send time)")
        state = "cancelled" if batch.get("canceled") else (
            f"scheduled for {batch['send_at']}" if batch.get("send_at") else "sent at once")
        lines.append(f"  batch {batch['id']} from {batch.get('from')} ({state}): {recipients}")
    inbounds = sandbox.inbounds()
    if inbounds:
        lines.append(f"  inbound messages: {len(inbounds)}")
    calls = Counter(f"{r.method} {_route(r.path)}" for r in sandbox.requests)
    lines.append("  API calls: " + ", ".join(f"{route} x{count}" for route, count in sorted(calls.items())))
    return lines


def _route(path: str) -> str:
    """``/xms/v1/<plan>/batches/<id>/delivery_report`` -> ``/batches/{id}/delivery_report``."""
    parts = path.split("/")[4:] if path.startswith("/xms/v1/") else path.split("/")[1:]
    named = [p if not i % 2 or p in ("dry_run", "delivery_report", "members") else "{id}"
             for i, p in enumerate(parts)]
    return "/" + "/".join(named)


def run_dag(dag_id: str, sandbox: Sandbox, env: dict[str, str], verbose: bool) -> bool:
    """Run one DAG with ``airflow dags test`` against ``sandbox``; print what happened; True on success."""
    sandbox.reset()
    if dag_id == "example_sinch_sms_approval":
        sandbox.add_auto_reply("YES", recipient=APPROVER, delay=2)
    print(f"\n== airflow dags test {dag_id}")
    started = time.monotonic()
    result = airflow("dags", "test", dag_id, env={**env, "AIRFLOW_CONN_SINCH_DEFAULT": sandbox.conn_uri},
                     timeout=600)
    output = result.stdout
    state = run_state(output)
    if verbose or state == "unknown":
        print(output)
    for line in task_states(output):
        print(f"  task {line}")
    print(f"  DAG run: {state} in {time.monotonic() - started:.1f} s")
    print("What the Sinch sandbox saw:")
    print("\n".join(describe(sandbox)))
    return state == "success"


def main(argv: list[str] | None = None) -> int:
    """``make demo``: run the chosen example DAGs (``--dag``, default the send-and-wait one) against a sandbox
    and print what it saw; returns the exit status (non-zero when a run did not succeed)."""
    args = _parser().parse_args(argv)
    dags = args.dags or [DEFAULT_DAG]
    if not args.dags_folder.is_dir():
        print(f"no DAG folder at {args.dags_folder.resolve()}: run from the repository root or pass "
              "--dags-folder", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="sinch-demo-") as home, \
            SandboxServer(time_scale=args.time_scale) as sandbox:
        print(f"Sinch sandbox serving {sandbox.url} (clock x{args.time_scale:g}); Airflow home {home}")
        env = airflow_env(Path(home), args.dags_folder)
        migrated = airflow("db", "migrate", env=env, timeout=600)
        if migrated.returncode != 0:
            print(migrated.stdout, file=sys.stderr)
            return migrated.returncode
        outcomes = {dag_id: run_dag(dag_id, sandbox, env, args.verbose) for dag_id in dags}
    print("\n" + "; ".join(f"{d}: {'success' if ok else 'FAILED'}" for d, ok in outcomes.items()))
    return 0 if all(outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
