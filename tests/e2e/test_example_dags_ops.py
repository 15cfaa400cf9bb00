"""The campaign and alerts example DAGs under ``airflow dags test`` against the sandbox, and every example
DAG parsing cleanly and cheaply."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"

pytestmark = pytest.mark.e2e


def run_state(result: Any) -> str:
    """The final state from ``DagRun Finished: ... state=...`` (``dags test`` exits 0 on failed runs too)."""
    found = re.findall(r"DagRun Finished: .*?state=(\w+)", result.stdout + result.stderr)
    assert found, f"no DagRun Finished line:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return str(found[-1])


def test_every_example_dag_parses_without_errors() -> None:
    """(How fast they parse is bench/'s business: bench_import_cost.)"""
    from airflow_provider_sinch.version_compat import AIRFLOW_V_3_2_PLUS

    if AIRFLOW_V_3_2_PLUS:
        from airflow.dag_processing.dagbag import DagBag
    else:  # Airflow 3.1 keeps it in airflow.models
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    bag = DagBag(dag_folder=str(EXAMPLE_DAGS))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {
        "example_sinch_campaign", "example_sinch_alerts", "example_sinch_send_and_wait", "example_sinch_otp",
        "example_sinch_sms_approval", "example_sinch_inbound_event", "example_sinch_reminders",
        "example_sinch_stop_unsubscribe", "example_sinch_delivery_failed", "example_sinch_hitl_approval",
        "example_sinch_hitl_replies",
    }


def test_campaign_cancel_path(airflow_home: Any, sinch_sandbox: Any) -> None:
    result = airflow_home.dags_test("example_sinch_campaign", conn_uri=sinch_sandbox.conn_uri, timeout=150)
    log = result.stdout + result.stderr
    assert run_state(result) == "success", log[-4000:]
    (batch,) = sinch_sandbox.batches()
    assert batch["canceled"] is True
    assert batch["body"].startswith("Last call")  # updated before it was cancelled
    assert batch["client_reference"].startswith("spring-sale:example_sinch_campaign:schedule_campaign:")
    assert f"batch(es) {batch['id']} cancelled" in log
    assert "3 recipient(s), 3 SMS part(s)" in log  # the dry run expanded the group
    dry_runs = [r for r in sinch_sandbox.requests if r.path.endswith("/batches/dry_run")]
    assert dry_runs[0].at < next(r.at for r in sinch_sandbox.requests if r.path.endswith("/batches")
                                 and r.method == "POST")
    assert not [r for r in sinch_sandbox.requests if r.method == "GET" and r.path.endswith("/groups")]
    assert [r.method for r in sinch_sandbox.requests if "/groups/" in r.path] == ["DELETE"]


def test_campaign_keep_path_leaves_it_scheduled(airflow_home: Any, sinch_sandbox: Any) -> None:
    result = airflow_home.dags_test("example_sinch_campaign", conn_uri=sinch_sandbox.conn_uri, timeout=150,
                                    conf=json.dumps({"cancel": False, "group_name": "keep-path"}))
    log = result.stdout + result.stderr
    assert run_state(result) == "success", log[-4000:]
    (batch,) = sinch_sandbox.batches()
    assert batch["canceled"] is False
    assert batch["send_at"]  # still scheduled, in about two hours
    assert "scheduled" in log


def test_alerts_dag_sends_the_alert_and_ends_success(airflow_home: Any, sinch_sandbox: Any) -> None:
    result = airflow_home.dags_test("example_sinch_alerts", conn_uri=sinch_sandbox.conn_uri, timeout=150)
    log = result.stdout + result.stderr
    assert run_state(result) == "success", log[-4000:]
    assert "the orders feed is unavailable" in log
    (alert,) = sinch_sandbox.batches()
    assert alert["to"] == ["46701234567"]
    assert re.fullmatch(r"Airflow: example_sinch_alerts\.load_orders failed \(try 1\), run manual__\S+",
                        alert["body"])
    assert f"Alert sent: batch {alert['id']}" in log
