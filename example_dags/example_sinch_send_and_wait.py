"""Send an SMS batch, then wait - without holding a worker slot - until Sinch reports it delivered.

``SinchSendBatchOperator`` sends (retry-safe, chunked above 1,000 recipients) and returns the batch ids;
``SinchBatchDeliverySensor`` in deferrable mode hands the wait to the triggerer, which polls the delivery
reports of every batch of the send until each recipient has a final status.  With
``min_success_ratio=0.6`` the run succeeds when at least 60 % of the recipients end ``Delivered``; below
that it fails (without retrying) and the error lists each status with its delivery codes.  The summary
(expected, final, per-status counts and codes) is returned to XCom for the next task.

Connection: ``sinch_default``.  Trigger with ``{"recipients": [...], "body": "..."}`` to change the
defaults below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_sinch.operators import SinchSendBatchOperator
from airflow_provider_sinch.sensors import SinchBatchDeliverySensor

with DAG(
    dag_id="example_sinch_send_and_wait",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    params={
        "recipients": Param(["+46701234567", "+46701234568", "+46700999901"], type="array"),
        "sender": Param("+12017777777", type="string"),
        "body": Param("Your order has shipped.", type="string"),
    },
    tags=["example", "sinch"],
    doc_md=__doc__,
    default_args={"sinch_conn_id": "sinch_default"},
):
    # [START howto_operator_sinch_send_batch]
    send = SinchSendBatchOperator(
        task_id="send", to="{{ params.recipients }}", from_="{{ params.sender }}", body="{{ params.body }}"
    )
    # [END howto_operator_sinch_send_batch]

    # [START howto_sensor_sinch_batch_delivery]
    # Deferrable: the wait runs in the triggerer; polls every 5 s for the demo (30-60 s in real use).
    wait = SinchBatchDeliverySensor(
        task_id="wait_for_delivery", batch_ids=send.output, min_success_ratio=0.6,
        deferrable=True, poke_interval=5, timeout=3600,
    )
    # [END howto_sensor_sinch_batch_delivery]

    @task
    def report(summary: dict[str, Any]) -> None:
        """Print what the delivery summary says."""
        print(f"{summary['succeeded']} of {summary['expected']} delivered; statuses: {summary['counts']}")

    report(wait.output)
