"""Approve a release by SMS, through Airflow's own human-in-the-loop: "Deploy 1.2? Reply K7Q4MZ YES or NO".

1. ``approve`` (Airflow's ``ApprovalOperator``) writes the request, which waits in the UI's "required
   actions" like any HITL task, and ``SinchHITLNotifier`` texts it to each assigned approver with a number
   in ``APPROVERS``: the subject, the body, how to reply (with a code bound to this try, this number and
   this approver) and the link to the request in the UI.
2. The approver answers in the UI, or replies by SMS ("K7Q4MZ yes", "k7q4mz 2").  A valid reply is
   submitted through Airflow's REST API as the bridge user (connection ``sinch_hitl_default``), exactly as
   a click: by the callback receiver when Sinch pushes inbound SMS (``hitl_conn_id`` in the ``sinch``
   connection's extra), or by ``example_sinch_hitl_replies`` polling for them.
3. Approve: ``deploy`` runs.  Reject, or no answer within the hour (the default is Reject): ``deploy`` is
   skipped and ``not_deployed`` runs.

The users: ``release-manager`` is texted; ``admin`` may answer in the UI; ``sms-bridge`` records the SMS
answers (it must be assigned, or Airflow refuses its answer with 403).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, Param, task

from airflow_provider_sinch.notifications import SinchHITLNotifier

# [START howto_notifier_sinch_hitl_approvers]
OUR_NUMBER = "+12017777777"
APPROVERS = {"release-manager": "+46701234567"}
"""Airflow user id -> phone number: the DAG author's configuration, never taken from an SMS."""
# [END howto_notifier_sinch_hitl_approvers]

with DAG(
    "example_sinch_hitl_approval",
    doc_md=__doc__,
    schedule=None,
    start_date=datetime(2026, 1, 1),
    tags=["example", "sinch", "approval", "hitl"],
    params={"release": Param("1.2", type="string")},
):
    # [START howto_notifier_sinch_hitl]
    approve = ApprovalOperator(
        task_id="approve",
        subject="Deploy release {{ params.release }}?",
        body="All checks passed.",
        assigned_users=[
            {"id": "release-manager", "name": "Release manager"},
            {"id": "admin", "name": "admin"},
            {"id": "sms-bridge", "name": "SMS bridge"},
        ],
        defaults="Reject",
        response_timeout=timedelta(hours=1),
        notifiers=[SinchHITLNotifier(approvers=APPROVERS, from_=OUR_NUMBER)],
    )
    # [END howto_notifier_sinch_hitl]

    # [START howto_notifier_sinch_hitl_branches]
    @task
    def deploy() -> None:
        print("Approved: deploying.")

    not_deployed = EmptyOperator(task_id="not_deployed", trigger_rule="all_skipped")

    approve >> deploy() >> not_deployed
    # [END howto_notifier_sinch_hitl_branches]
