"""Answer HITL requests from SMS replies by polling Sinch (for deployments without the callback receiver).

The watcher (``SinchInboundMessageEventTrigger``, read-only, in the triggerer) lists new inbound SMS to our
number every 5 s and turns each one that carries a code-shaped word into an asset event; this DAG runs on
them, and ``SinchHITLReplyOperator`` submits the valid answers through Airflow's REST API as the bridge user
(connection ``sinch_hitl_default``), texting a short hint back to a sender who proved a valid code but gave
no valid answer.  ``max_active_runs=1``: the wrong-code limits in the Variable ``sinch_hitl_limits`` are
read and written by one run at a time.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Asset, AssetWatcher

from airflow_provider_sinch.operators import SinchHITLReplyOperator
from airflow_provider_sinch.triggers import SinchInboundMessageEventTrigger

# [START howto_operator_sinch_hitl_reply_watcher]
OUR_NUMBER = "+12017777777"

replies = Asset("sinch_hitl_replies", watchers=[AssetWatcher(
    name="sinch_hitl_replies_watcher",
    trigger=SinchInboundMessageEventTrigger(to_numbers=[OUR_NUMBER], pattern=r"\b[2-9A-HJKMNP-Z]{5,6}\b",
                                            poll_interval=5),
)])
# [END howto_operator_sinch_hitl_reply_watcher]

# [START howto_operator_sinch_hitl_reply]
with DAG(
    "example_sinch_hitl_replies",
    doc_md=__doc__,
    schedule=[replies],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["example", "sinch", "approval", "hitl"],
):
    # to_numbers: also read replies Sinch listed in the last 10 minutes that no run read yet (two replies
    # within one scheduler loop: Airflow gives the run the first event only).
    SinchHITLReplyOperator(task_id="answer", text_back=True, to_numbers=[OUR_NUMBER])
# [END howto_operator_sinch_hitl_reply]
