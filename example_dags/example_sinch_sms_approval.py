"""Ask a person by SMS and continue on their answer: "Deploy? Reply YES or NO".

1. ``ask`` (``SinchSendBatchOperator``) sends the question to the approver.
2. ``wait_for_reply`` (``SinchInboundMessageSensor``, deferrable) waits in the triggerer for an SMS from
   the approver, to our number, whose first word is YES or NO.  Replies count from the start of this DAG
   run (``received_after``), so a quick answer that arrives before the sensor starts is not missed, while
   answers to earlier runs are ignored.  No answer within ``timeout``: ``AirflowSensorTimeout``.
3. ``decide`` branches on the keyword: ``deploy`` on YES, ``cancel`` on NO.

Connection: ``sinch_default``.  Trigger with ``{"approver": "+46..."}`` to ask someone else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_sinch.operators import SinchSendBatchOperator
from airflow_provider_sinch.sensors import SinchInboundMessageSensor

with DAG(
    "example_sinch_sms_approval",
    doc_md=__doc__,
    schedule=None,
    start_date=datetime(2026, 1, 1),
    max_active_runs=1,  # one open question at a time: a reply answers exactly one run
    tags=["example", "sinch", "approval"],
    params={
        "approver": Param("+46701234567", type="string"),
        "sender": Param("+12017777777", type="string"),
        "question": Param("Deploy release 1.2 to production? Reply YES or NO.", type="string"),
    },
):
    # [START howto_sensor_sinch_inbound_message]
    ask = SinchSendBatchOperator(
        task_id="ask", sinch_conn_id="sinch_default",
        to="{{ params.approver }}", from_="{{ params.sender }}", body="{{ params.question }}",
    )

    # The reply: from the approver, to our number, first word YES or NO, sent during this run.
    wait_for_reply = SinchInboundMessageSensor(
        task_id="wait_for_reply",
        sinch_conn_id="sinch_default",
        from_numbers="{{ params.approver }}",
        to_numbers="{{ params.sender }}",
        keywords=["YES", "NO"],
        received_after="{{ dag_run.start_date }}",
        deferrable=True,
        poke_interval=5,
        timeout=3600,
    )
    # [END howto_sensor_sinch_inbound_message]

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

    ask >> wait_for_reply
    decide(wait_for_reply.output) >> [deploy(), cancel()]
