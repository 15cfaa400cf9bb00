"""Ask a person by SMS and continue on their answer: "Deploy? Reply YES or NO".

1. ``ask`` sends the question to the approver.
2. ``wait_for_reply`` (``SinchInboundMessageSensor``, deferrable) waits in the triggerer for an SMS from
   the approver whose first word is YES or NO.  It counts replies received after the question was
   created at Sinch (``received_after``), so a quick answer that arrives before the sensor starts is not
   missed and Sinch's clock is compared with Sinch's clock.  No answer within ``timeout``: the task times
   out (``AirflowSensorTimeout``).
3. ``decide`` branches on the keyword: ``deploy`` on YES, ``cancel`` on NO.

Connection: ``sinch_default``.  Trigger with ``{"approver": "+46..."}`` to ask someone else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.sensors.inbound import SinchInboundMessageSensor

with DAG(
    dag_id="example_sinch_sms_approval",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "sinch"],
    doc_md=__doc__,
    params={
        "approver": Param("+46701234567", type="string"),
        "sender": Param("+12017777777", type="string"),
        "question": Param("Deploy release 1.2 to production? Reply YES or NO.", type="string"),
    },
):

    @task
    def ask(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send the question; return the batch id and when Sinch created it."""
        assert params is not None
        batch = SinchHook("sinch_default").send_batch(
            to=[params["approver"]], from_=params["sender"], body=params["question"]
        )
        return {"batch_ids": [batch.id], "created_at": batch.to_dict().get("created_at")}

    question = ask()

    wait_for_reply = SinchInboundMessageSensor(
        task_id="wait_for_reply",
        sinch_conn_id="sinch_default",
        from_numbers="{{ params.approver }}",
        to_numbers="{{ params.sender }}",
        keywords=["YES", "NO"],
        received_after="{{ ti.xcom_pull(task_ids='ask')['created_at'] }}",
        deferrable=True,
        poke_interval=5,
        timeout=3600,
    )

    @task.branch
    def decide(reply: dict[str, Any]) -> str:
        """Follow the approver's answer."""
        return "deploy" if reply["keyword"] == "YES" else "cancel"

    @task
    def deploy() -> None:
        print("Approved by SMS: deploying.")

    @task
    def cancel() -> None:
        print("Declined by SMS: not deploying.")

    question >> wait_for_reply
    decide(wait_for_reply.output) >> [deploy(), cancel()]
