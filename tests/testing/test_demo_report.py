"""The demo's reading of ``airflow dags test`` output and of the sandbox (no Airflow run here)."""

from __future__ import annotations

from typing import Any

from airflow_provider_sinch.testing.demo import _route, describe, run_state, task_states

DAGS_TEST_OUTPUT = """\
[info] Task instance state updated new_state=deferred rows_affected=1
[info] [DAG TEST] running trigger in line
[info] Task instance state updated new_state=success rows_affected=1
[info] [DAG TEST] end task task_id=send map_index=-1
[info] Task instance state updated new_state=failed rows_affected=1
[info] [DAG TEST] end task task_id=report map_index=-1
[info] Task instance state updated new_state=success rows_affected=1
[info] [DAG TEST] end task task_id=per_clinic map_index=1
[info] DagRun Finished: dag_id=x, run_id=manual__1, state=failed, run_type=manual
"""


def test_task_states_and_run_state_are_read_from_the_output() -> None:
    assert task_states(DAGS_TEST_OUTPUT) == ["send: success", "report: failed", "per_clinic[1]: success"]
    assert run_state(DAGS_TEST_OUTPUT) == "failed"
    assert run_state("no run line") == "unknown"


def test_routes_hide_ids_and_the_plan() -> None:
    assert _route("/xms/v1/plan-1/batches") == "/batches"
    assert _route("/xms/v1/plan-1/batches/01ABC/delivery_report") == "/batches/{id}/delivery_report"
    assert _route("/xms/v1/plan-1/batches/dry_run") == "/batches/dry_run"
    assert _route("/xms/v1/plan-1/groups/G1/members") == "/groups/{id}/members"


def test_describe_masks_numbers_and_counts_calls(sinch_sandbox: Any, sinch_sandbox_connection: str) -> None:
    from airflow_provider_sinch.hooks.sinch import SinchHook

    batch = SinchHook().send_batch(to=["+46701234567"], from_="+12017777777", body="hi")
    sinch_sandbox.wait_for(lambda: sinch_sandbox.statuses(batch.id)["46701234567"] == "Delivered")
    lines = describe(sinch_sandbox)
    assert lines[0] == f"  batch {batch.id} from 12017777777 (sent at once): +4670****567=Delivered"
    assert lines[-1] == "  API calls: POST /batches x1"
