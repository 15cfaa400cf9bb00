"""A ``reschedule``-mode delivery sensor under ``airflow dags test``: its failure budget is kept in the
real ``task_state_store`` across pokes (each poke is a new process), so it is neither reset by every
reschedule nor carried into the next try.  Airflow 3.1 and 3.2 have no ``task_state_store``: each poke
counts its failures alone (documented), so the errors cost pokes, never the wait, and the log says why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_sinch.version_compat import HAS_TASK_STATE_STORE
from tests.e2e.test_example_dags_sensing import output, run_state

pytestmark = pytest.mark.e2e

TEST_DAGS = {"AIRFLOW__CORE__DAGS_FOLDER": str(Path(__file__).with_name("dags"))}
REPORTS = "/delivery_report$"


@pytest.mark.parametrize(("errors", "state"),
                         [(2, "success"), (3, "failed" if HAS_TASK_STATE_STORE else "success")])
def test_the_budget_survives_reschedules(
    airflow_home: Any, sinch_sandbox: Any, errors: int, state: str
) -> None:
    sinch_sandbox.add_fault(kind="server_error", method="GET", path=REPORTS, times=errors)
    no_client_retries = json.dumps({**json.loads(sinch_sandbox.conn_uri), "extra": {"retries": 0}})
    result = airflow_home.dags_test("rescheduled_wait", conn_uri=no_client_retries, extra_env=TEST_DAGS)
    log = output(result)
    assert run_state(result) == state, log[-4000:]
    assert log.count("up_for_reschedule") >= errors  # each failed poke gave the slot back
    if not HAS_TASK_STATE_STORE:  # each poke counted alone; the outage ended before the timeout
        assert "(1 of 3 allowed in a row)" in log
        assert "(2 of 3 allowed in a row)" not in log
        assert "gives no task_state_store (3.3 does)" in log
        return
    assert f"({errors - 1} of 3 allowed in a row)" in log
    if state == "failed":
        assert "Sinch check failed 3 times in a row" in log
