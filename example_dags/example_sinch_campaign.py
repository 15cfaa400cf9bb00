"""An SMS campaign: build the audience, check the cost, schedule the send, change it, and (by default)
call it off.

1. ``create_audience`` creates the recipient group (or reuses the one with this name).
2. ``cost_guard`` dry-runs the message for the whole group and fails, before anything is sent, when it
   would take more than ``max_messages`` SMS parts or more than one part per message.
3. ``schedule_campaign`` sends to the group one hour from now.  Retried, it sends nothing twice: each
   batch id is kept in the task state store and every batch carries a deterministic ``client_reference``.
4. ``update_campaign`` changes the text and moves the send to two hours from now.
5. ``decide`` takes the cancel path (``cancel_campaign``, then ``delete_audience``) unless the run was
   triggered with ``{"cancel": false}``; ``summary`` prints what happened.

Connection: ``sinch_default``, or the one named by the Airflow Variable ``SINCH_CONN_ID``
(``AIRFLOW_VAR_SINCH_CONN_ID`` in the environment).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_sinch.operators import (
    SinchCancelBatchOperator,
    SinchCreateGroupOperator,
    SinchDeleteGroupOperator,
    SinchDryRunBatchOperator,
    SinchSendBatchOperator,
    SinchUpdateBatchOperator,
)

SINCH_CONN_ID = "{{ var.value.get('SINCH_CONN_ID', 'sinch_default') }}"
OFFER = "Spring sale: 20% off everything until Sunday. Reply STOP to opt out."
LAST_CALL = "Last call: 20% off ends tonight. Reply STOP to opt out."

with DAG(
    dag_id="example_sinch_campaign",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "sinch"],
    doc_md=__doc__,
    default_args={"sinch_conn_id": SINCH_CONN_ID},
    params={
        "audience": Param(["+46701234567", "+46701234568", "+46701234569"], type="array"),
        "group_name": Param("spring-sale", type="string", minLength=1, maxLength=20),
        "sender": Param("+12017777777", type="string"),
        "max_messages": Param(100, type="integer", minimum=1),
        "cancel": Param(True, type="boolean"),
    },
):
    # [START howto_operator_sinch_create_group]
    audience = SinchCreateGroupOperator(
        task_id="create_audience",
        name="{{ params.group_name }}",
        members="{{ params.audience }}",
        if_exists="reuse",
    )
    # [END howto_operator_sinch_create_group]

    # [START howto_operator_sinch_dry_run]
    cost_guard = SinchDryRunBatchOperator(
        task_id="cost_guard",
        to=audience.output,
        from_="{{ params.sender }}",
        body=OFFER,
        max_messages="{{ params.max_messages }}",
        max_parts_per_message=1,
    )
    # [END howto_operator_sinch_dry_run]

    # [START howto_operator_sinch_send_scheduled]
    campaign = SinchSendBatchOperator(
        task_id="schedule_campaign",
        to=audience.output,
        from_="{{ params.sender }}",
        body=OFFER,
        send_at=timedelta(hours=1),
        client_reference="spring-sale",
        cancel_on_kill=True,
    )
    # [END howto_operator_sinch_send_scheduled]

    # [START howto_operator_sinch_update_batch]
    update = SinchUpdateBatchOperator(
        task_id="update_campaign",
        batch_id=campaign.output,
        body=LAST_CALL,
        send_at=timedelta(hours=2),
    )
    # [END howto_operator_sinch_update_batch]

    @task.branch
    def decide(params: dict[str, Any] | None = None) -> str:
        """The cancel path unless the run says ``{"cancel": false}``."""
        return "cancel_campaign" if (params or {}).get("cancel", True) else "keep_campaign"

    # [START howto_operator_sinch_cancel_batch]
    cancel = SinchCancelBatchOperator(task_id="cancel_campaign", batch_id=campaign.output,
                                      skip_if_dispatched=True)
    cleanup = SinchDeleteGroupOperator(task_id="delete_audience", group_id=audience.output,
                                       ignore_if_missing=True)
    # [END howto_operator_sinch_cancel_batch]

    @task
    def keep_campaign() -> None:
        """Leave the campaign scheduled."""

    @task(trigger_rule="none_failed_min_one_success")
    def summary(sent: dict[str, Any], cost: dict[str, Any], ti: Any = None) -> dict[str, Any]:
        """Print and return what the run did."""
        state = "cancelled" if ti.xcom_pull(task_ids="cancel_campaign") else "scheduled"
        print(f"Campaign {sent['client_reference']}: {sent['recipients']} destination(s), "
              f"{cost['number_of_recipients']} recipient(s), {cost['number_of_messages']} SMS part(s); "
              f"batch(es) {', '.join(sent['batch_ids'])} {state}")
        return {"batch_ids": sent["batch_ids"], "state": state}

    branch = decide()
    keep = keep_campaign()
    audience >> cost_guard >> campaign >> update >> branch >> [cancel, keep]
    cancel >> cleanup
    [cleanup, keep] >> summary(campaign.output, cost_guard.output)
