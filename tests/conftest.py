"""Test-wide setup: an isolated AIRFLOW_HOME with no DB use, set before anything imports airflow; with
``SINCH_TEST_POSTGRES_URL`` set, a fresh PostgreSQL database as this process's metadata DB (see
``tests/metadata_db.py``)."""

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

from tests import metadata_db  # noqa: E402  (no Airflow import)

if metadata_db.server_url():
    os.environ[metadata_db.SQL_ALCHEMY_CONN] = metadata_db.create_database("session")

import pytest  # noqa: E402

# The sandbox's fixtures (sinch_sandbox, sinch_sandbox_connection, ...): opted in here, as a user's suite
# does; installing the provider registers no pytest plugin.
pytest_plugins = ["airflow_provider_sinch.testing.pytest_plugin"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres`` tests are skipped, saying why, when no PostgreSQL was given."""
    if metadata_db.server_url() is None:
        skip = pytest.mark.skip(reason=metadata_db.SKIP_REASON)
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line saying which metadata DB the run used and, on SQLite, how many tests needed PostgreSQL
    (any skip whose reason names ``SINCH_TEST_POSTGRES_URL``)."""
    url = os.environ.get(metadata_db.SQL_ALCHEMY_CONN) if metadata_db.server_url() else None
    if url:
        from sqlalchemy.engine import make_url

        terminalreporter.write_line(f"metadata DB: PostgreSQL (database {make_url(url).database}, from "
                                    f"{metadata_db.ENV_VAR}; dags test and standalone homes get their own)")
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if metadata_db.ENV_VAR in str(getattr(r, "longrepr", ""))]
    terminalreporter.write_line(f"metadata DB: SQLite; {len(skipped)} PostgreSQL-only test(s) skipped "
                                f"({metadata_db.SKIP_REASON})")


def pytest_sessionfinish() -> None:
    """Drop this process's PostgreSQL database (after closing Airflow's pooled connections to it)."""
    url = os.environ.get(metadata_db.SQL_ALCHEMY_CONN) if metadata_db.server_url() else None
    if url:
        import sys

        if (settings := sys.modules.get("airflow.settings")) is not None:
            settings.dispose_orm()
        metadata_db.drop_database(url)


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
