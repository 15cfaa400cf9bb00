"""Deadline alerts by SMS under a real ``airflow standalone``: Airflow's scheduler sees the deadline pass,
and its triggerer (``AsyncCallback``) - and on 3.2+ an executor (``SyncCallback``) - builds
``SinchNotifier`` from the callback's kwargs and sends one alert each (``tests/e2e/dags/deadline_alert.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_sinch.version_compat import HAS_SYNC_DEADLINE_CALLBACKS
from tests.e2e.test_standalone import running_standalone

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

DAGS = Path(__file__).with_name("dags")


def test_a_missed_deadline_sends_one_sms_per_alert(tmp_path: Path, sinch_sandbox: Any) -> None:
    kinds = {"async", "sync"} if HAS_SYNC_DEADLINE_CALLBACKS else {"async"}

    def alerts() -> list[dict[str, Any]]:
        return [b for b in sinch_sandbox.batches() if str(b.get("client_reference")).startswith("deadline:")]

    with running_standalone(tmp_path, sinch_sandbox.conn_uri, AIRFLOW__CORE__DAGS_FOLDER=str(DAGS)) as af:
        af.wait("the DAG", lambda: af.query("select 1 from dag where dag_id = ?", "deadline_alert"))
        af.airflow("dags", "trigger", "deadline_alert")
        af.wait("the alerts", lambda: {b["client_reference"].split(":")[1] for b in alerts()} >= kinds)
        (run_id,) = [r for (r,) in af.query("select run_id from dag_run where dag_id = ?", "deadline_alert")]
    sent = alerts()
    assert sorted(b["client_reference"] for b in sent) == sorted(f"deadline:{k}:{run_id}" for k in kinds)
    for batch in sent:
        assert batch["to"] == ["46701234567"]
        assert batch["body"].startswith("Airflow: DAG deadline_alert missed its deadline (")
        assert batch["body"].endswith(f", run {run_id}")
