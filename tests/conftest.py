"""Test-wide setup: an isolated AIRFLOW_HOME with no DB use, set before anything imports airflow."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SINCH_SHARED = Path(os.environ.get("SINCH_SHARED_DIR", SHARED / "sinch"))

_home = tempfile.mkdtemp(prefix="sinch-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _home)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "example_dags"))
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def sinch_sandbox_validator() -> Any:
    """Check every answer any sandbox gives in the suite against the shared Sinch contract (the pytest
    plugin's hook; 415s and injected 429/5xx faults excepted, an unexplained 429/5xx fails the test)."""
    from tests.contract import contract_available, validate_response

    return validate_response if contract_available() else None


@pytest.fixture
def sinch_shared_dir() -> Path:
    """``../shared/sinch``: the API contract and the SDK/callback fixtures."""
    if not SINCH_SHARED.exists():
        pytest.skip(f"shared Sinch contract not found at {SINCH_SHARED}")
    return SINCH_SHARED


@pytest.fixture
def executor_safeguard_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Allow ``op.execute(context)`` outside the task runner without Airflow logging an error."""
    from airflow.sdk.bases.operator import ExecutorSafeguard

    monkeypatch.setattr(ExecutorSafeguard, "test_mode", True)
