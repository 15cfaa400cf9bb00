"""The callback example DAGs run by hand (``airflow dags test``: no triggering event): they skip their work
and the run still succeeds, without a request to Sinch.  The standalone test covers pushed callbacks
starting them."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("dag_id", "skipped"), [
    ("example_sinch_stop_unsubscribe", "no opt-out in this run"),
    ("example_sinch_delivery_failed", "no failed delivery in this run"),
])
def test_callback_dag_run_by_hand_skips_and_succeeds(
    airflow_home: Any, sinch_sandbox: Any, dag_id: str, skipped: str
) -> None:
    result = airflow_home.dags_test(dag_id, conn_uri=sinch_sandbox.conn_uri)
    log = result.stdout + result.stderr
    states = re.findall(r"DagRun Finished: .*?state=(\w+)", log)
    assert states[-1:] == ["success"], log[-4000:]
    assert skipped in log
    assert sinch_sandbox.requests == []
