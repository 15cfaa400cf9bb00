"""Test-wide setup: an isolated AIRFLOW_HOME with no DB use, set before anything imports airflow."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SINCH_API = Path(__file__).resolve().parent / "sinch_api"

_home = tempfile.mkdtemp(prefix="sinch-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _home)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "example_dags"))
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")

import pytest  # noqa: E402

# The sandbox's fixtures (sinch_sandbox, sinch_sandbox_connection, ...): opted in here, as a user's suite
# does; installing the provider registers no pytest plugin.
pytest_plugins = ["airflow_provider_sinch.testing.pytest_plugin"]


@pytest.fixture(scope="session")
def sinch_sandbox_validator() -> Any:
    """Check every answer any sandbox gives in the suite against the Sinch contract (the pytest
    plugin's hook; 415s and injected 429/5xx faults excepted, an unexplained 429/5xx fails the test)."""
    from tests.contract import validate_response

    return validate_response


@pytest.fixture
def sinch_api_dir() -> Path:
    """``tests/sinch_api``: the vendored API contract and the SDK/callback fixtures."""
    return SINCH_API


@pytest.fixture
def executor_safeguard_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Allow ``op.execute(context)`` outside the task runner without Airflow logging an error."""
    from airflow.sdk.bases.operator import ExecutorSafeguard

    monkeypatch.setattr(ExecutorSafeguard, "test_mode", True)
