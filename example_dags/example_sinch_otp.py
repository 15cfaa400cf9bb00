"""A one-time passcode by SMS, sent and confirmed delivered in one deferrable task.

``SinchSendBatchOperator(wait_for_delivery=True)`` sends in the worker (retry-safe: a retry finds the batch
by its ``client_reference`` instead of texting the code twice), then frees the worker slot and waits in the
triggerer until Sinch reports the message ``Delivered``.  The task returns the send result plus the delivery
summary; when the message fails (an unroutable number, say) the task fails without retrying and names the
status and delivery code, so the next task can fall back to e-mail.  The code itself is a ``${code}``
parameter, so the body template is the same for everyone; ``expire_at`` stops Sinch trying after 10 minutes.

Connection: ``sinch_default``.  Trigger with ``{"phone": "+4670...", "code": "123456"}``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_sinch.operators import SinchSendBatchOperator

with DAG(
    dag_id="example_sinch_otp",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    params={
        "phone": Param("+46701234567", type="string"),
        "code": Param("482913", type="string", pattern=r"^\d{4,8}$"),
        "sender": Param("Acme", type="string"),
    },
    tags=["example", "sinch"],
    doc_md=__doc__,
):
    # [START howto_operator_sinch_send_wait_for_delivery]
    send_code = SinchSendBatchOperator(
        task_id="send_code",
        to="{{ params.phone }}",
        from_="{{ params.sender }}",
        body="Your Acme code is ${code}. It expires in 10 minutes.",
        parameters={"code": {"default": "{{ params.code }}"}},
        expire_at=timedelta(minutes=10),
        wait_for_delivery=True,
        delivery_timeout=600,
        poll_interval=2,  # an OTP is urgent; Sinch reports delivery within seconds
        retries=1,
    )
    # [END howto_operator_sinch_send_wait_for_delivery]

    @task
    def confirm(result: dict[str, Any]) -> str:
        """What the next step of a login flow would record."""
        delivery = result["delivery"]
        print(f"OTP batch {result['batch_ids'][0]}: {delivery['succeeded']} of {delivery['expected']} "
              f"delivered ({delivery['counts']})")
        return result["batch_ids"][0]

    confirm(send_code.output)
