"""``python -m airflow_provider_sinch.testing.sandbox`` / ``sinch-sandbox``: a sandbox in its own process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SCRIPT = Path(sys.executable).with_name("sinch-sandbox")


def _start(command: list[str]) -> tuple[subprocess.Popen[str], dict]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("export AIRFLOW_CONN_"):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            return process, {"name": name, **json.loads(value.strip("'"))}
    process.kill()
    raise AssertionError("the sandbox printed no AIRFLOW_CONN_ line")


@pytest.fixture
def served() -> Iterator[dict]:
    process, conn = _start([sys.executable, "-m", "airflow_provider_sinch.testing.sandbox", "--port", "0",
                            "--service-plan-id", "cli-plan", "--token", "cli-token", "--time-scale", "100",
                            "--conn-id", "sinch_demo", "--log-level", "warning"])
    try:
        yield conn
    finally:
        process.terminate()
        process.wait(timeout=10)  # uvicorn shuts down, then re-raises SIGTERM (exit status -15)
        if process.stdout is not None:
            process.stdout.close()


def test_it_prints_the_connection_and_serves_it(served: dict) -> None:
    assert served["name"] == "AIRFLOW_CONN_SINCH_DEMO"
    assert (served["conn_type"], served["login"], served["password"]) == ("sinch", "cli-plan", "cli-token")
    with httpx.Client(base_url=f"{served['host']}/xms/v1/{served['login']}", trust_env=False,
                      headers={"Authorization": f"Bearer {served['password']}"}) as api:
        batch = api.post("/batches", json={"to": ["+46701234567"], "from": "Acme", "body": "Hi"}).json()
        advanced = httpx.post(f"{served['host']}/_sandbox/clock/advance", json={"seconds": 10},
                              trust_env=False)
        assert advanced.json()["time_scale"] == 100
        statuses = httpx.get(f"{served['host']}/_sandbox/batches/{batch['id']}/statuses", trust_env=False)
        assert statuses.json() == {"46701234567": "Delivered"}
        assert api.get("/batches", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists()
    help_text = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, timeout=30,
                               check=True)
    assert "--service-plan-id" in help_text.stdout
