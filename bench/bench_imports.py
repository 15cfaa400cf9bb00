"""What a DAG file pays to import the provider: every operator, sensor, trigger and notifier module, measured
in a fresh process after ``from airflow.sdk import BaseOperator``, against that import alone.

    .venv/bin/python bench/bench_imports.py [--repeat 3]

The scheduler's DAG processor parses DAG files over and over; whatever the provider's modules cost at import
is paid on every parse.  Scenarios, each in its own fresh interpreter (best of ``--repeat``):

* ``BaseOperator alone`` (the baseline): ``from airflow.sdk import BaseOperator``, nothing else;
* ``provider modules``: after that same import (not counted), every module of
  ``airflow_provider_sinch.{operators,sensors,triggers,notifications}`` (found on disk, not by importing);
* ``provider modules, from source``: the same with no bytecode at all, every module compiled as it is
  imported.

Bytecode: a deployed Airflow reads every module's cached bytecode (pip writes it at install, the interpreter
on first import), so the first two scenarios run with a bytecode cache of their own
(``PYTHONPYCACHEPREFIX``, filled by one warm-up interpreter first).  A checkout run with
``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` (this project's development machines) compiles every
module at every import instead: the third scenario shows what that adds for the provider's modules (Airflow's
own ``BaseOperator`` import then takes seconds rather than the baseline's ~1).

Measured: CPU milliseconds of the measured imports (``time.process_time``: the process's user + system CPU,
so a loaded machine inflates it less than wall time), the modules they added to ``sys.modules``, and the
sockets they opened (an audit hook on ``socket.__new__``: urllib3 probes IPv6 with one).  The note beside
each scenario says which of requests, urllib3, charset_normalizer and pydantic were loaded by then.  The
issue's goal: at most 50 ms over the baseline, no network at import.  A measurement to read, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ratios import report

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("operators", "sensors", "triggers", "notifications")
HEAVY = ("requests", "urllib3", "charset_normalizer", "pydantic")

# Runs in the fresh interpreter: argv[1] is a JSON list of modules to time after the baseline import
# (empty: time the baseline import itself), argv[2] a JSON list of modules to report as loaded or not.
_CHILD = r"""
import json, sys, time
sockets = []
sys.addaudithook(lambda event, args: sockets.append(event) if event == "socket.__new__" else None)
modules = json.loads(sys.argv[1])
import importlib
def timed(action):
    before_cpu, before_modules, before_sockets = time.process_time(), len(sys.modules), len(sockets)
    action()
    return ((time.process_time() - before_cpu) * 1000, len(sys.modules) - before_modules,
            len(sockets) - before_sockets)
base = timed(lambda: __import__("airflow.sdk", fromlist=["BaseOperator"]).BaseOperator)
result = timed(lambda: [importlib.import_module(m) for m in modules]) if modules else base
heavy = {name: name in sys.modules for name in json.loads(sys.argv[2])}
print(json.dumps({"cpu_ms": result[0], "modules": result[1], "sockets": result[2], "heavy": heavy}))
"""


def provider_modules() -> list[str]:
    """Every module of the four packages a DAG file imports from, found on disk."""
    found = []
    for package in PACKAGES:
        folder = ROOT / "airflow_provider_sinch" / package
        found.append(f"airflow_provider_sinch.{package}")
        found += [f"airflow_provider_sinch.{package}.{p.stem}" for p in sorted(folder.glob("*.py"))
                  if p.stem != "__init__"]
    return found


def bytecode_env(cache: str, write: bool) -> dict[str, str]:
    """The environment of an interpreter whose bytecode lives (only) in ``cache``; with ``write`` false and an
    empty ``cache`` it compiles every module from source."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def fresh_import(modules: list[str], env: dict[str, str]) -> dict[str, object]:
    """One fresh interpreter's measurement (see ``_CHILD``)."""
    command = [sys.executable, "-c", _CHILD, json.dumps(modules), json.dumps(HEAVY)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT, timeout=300, env=env)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def best(modules: list[str], repeat: int, env: dict[str, str]) -> dict[str, object]:
    """The run with the least CPU of ``repeat`` fresh interpreters."""
    runs = (fresh_import(modules, env) for _ in range(repeat))
    return min(runs, key=lambda r: float(r["cpu_ms"]))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh interpreters per scenario (best kept)")
    args = parser.parse_args()
    modules = provider_modules()
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cached, \
            tempfile.TemporaryDirectory(prefix="bench-no-pycache-") as empty:
        warm, source = bytecode_env(cached, write=True), bytecode_env(empty, write=False)
        fresh_import(modules, warm)  # writes the bytecode of everything the scenarios import
        results = {"BaseOperator alone": best([], args.repeat, warm),
                   "provider modules": best(modules, args.repeat, warm),
                   "provider modules, from source": best(modules, args.repeat, source)}
    notes = {}
    for name, result in results.items():
        heavy = result["heavy"]
        assert isinstance(heavy, dict)
        loaded = [m for m in HEAVY if heavy[m]]
        notes[name] = "loaded by then: " + (", ".join(loaded) if loaded else "none of " + ", ".join(HEAVY))
    report({name: {"CPU ms": float(r["cpu_ms"]), "modules": int(r["modules"]), "sockets": int(r["sockets"])}  # type: ignore[arg-type]
            for name, r in results.items()}, baseline="BaseOperator alone",
           title=f"DAG-parse import cost: {len(modules)} operator/sensor/trigger/notifier modules after "
                 f"`from airflow.sdk import BaseOperator`, fresh process, bytecode cached unless \"from "
                 f"source\", best of {args.repeat}",
           notes=notes)


if __name__ == "__main__":
    main()
