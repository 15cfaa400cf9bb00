"""Send an SMS batch, then wait - without holding a worker slot - until Sinch reports it delivered.

``SinchBatchDeliverySensor`` in deferrable mode hands the wait to the triggerer, which polls the batch's
delivery report until every recipient has a final status.  With ``min_success_ratio=0.6`` the run succeeds
when at least 60 % of the recipients end ``Delivered``; below that it fails (without retrying) and the
error lists each status with its delivery codes.  The summary (expected, final, per-status counts and
codes) is returned to XCom for the next task.

Connection: ``sinch_default``.  Trigger with ``{"recipients": [...], "body": "..."}`` to change the
defaults below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.sensors.delivery import SinchBatchDeliverySensor

with DAG(
    dag_id="example_sinch_send_and_wait",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "sinch"],
    doc_md=__doc__,
    params={
        "recipients": Param(["+46701234567", "+46701234568", "+46700999901"], type="array"),
        "sender": Param("+12017777777", type="string"),
        "body": Param("Your order has shipped.", type="string"),
    },
):

    @task
    def send(params: dict[str, Any] | None = None, run_id: str | None = None) -> dict[str, Any]:
        """Send one batch; return its id and creation time."""
        assert params is not None
        batch = SinchHook("sinch_default").send_batch(
            to=params["recipients"], from_=params["sender"], body=params["body"], client_reference=run_id
        )
        return {"batch_ids": [batch.id], "created_at": batch.to_dict().get("created_at")}

    sent = send()

    wait = SinchBatchDeliverySensor(
        task_id="wait_for_delivery",
        sinch_conn_id="sinch_default",
        batch_ids=sent,
        min_success_ratio=0.6,
        deferrable=True,
        poke_interval=5,
        timeout=3600,
    )

    @task
    def report(summary: dict[str, Any]) -> None:
        """Print what the delivery summary says."""
        print(f"{summary['succeeded']} of {summary['expected']} delivered; statuses: {summary['counts']}")

    report(wait.output)
