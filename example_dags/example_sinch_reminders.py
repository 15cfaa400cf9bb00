"""Appointment reminders: one personalised SMS per patient, one mapped send per clinic, one wait for all.

1. ``appointments`` returns tomorrow's appointments per clinic (in real life: a query).
2. ``reminder`` turns each clinic into the arguments of one send: its patients, its sender, and the
   per-recipient ``parameters`` that fill ``${name}`` and ``${time}`` in the shared body.
3. ``send_reminders`` is ``SinchSendBatchOperator`` mapped over the clinics (dynamic task mapping).  Each
   mapped instance has its own ``client_reference`` (the map index is part of it), so retrying one clinic's
   send never touches, or repeats, another's.
4. ``all_batches`` gathers every clinic's batch ids, and ``delivered`` waits for all of them in the
   triggerer (deferrable) until at least 80 % of the patients have the reminder; a wrong number or two does
   not fail the run, a broken route does.
5. ``report`` prints the outcome per status and delivery code.

Connection: ``sinch_default``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_sinch.operators import SinchSendBatchOperator
from airflow_provider_sinch.sensors import SinchBatchDeliverySensor

BODY = "Hi ${name}, a reminder of your appointment tomorrow at ${time}. Reply C to cancel."

with DAG(
    dag_id="example_sinch_reminders",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    tags=["example", "sinch"],
    doc_md=__doc__,
):

    # Tasks that return phone numbers keep them out of the task log (Airflow logs return values).
    # [START howto_operator_sinch_send_mapped]
    @task(show_return_value_in_logs=False)
    def appointments() -> list[dict[str, Any]]:
        """Tomorrow's appointments, per clinic; ``+46700999901`` is a number the sandbox cannot reach."""
        return [
            {"clinic": "North", "sender": "+12017777777", "patients": [
                {"phone": "+46701234567", "name": "Ada", "time": "09:30"},
                {"phone": "+46701234568", "name": "Linus", "time": "10:15"},
                {"phone": "+46700999901", "name": "Grace", "time": "11:00"},
            ]},
            {"clinic": "South", "sender": "+12017777778", "patients": [
                {"phone": "+46701234570", "name": "Alan", "time": "08:45"},
                {"phone": "+46701234571", "name": "Edsger", "time": "13:00"},
            ]},
        ]

    @task(show_return_value_in_logs=False)
    def reminder(clinic: dict[str, Any]) -> dict[str, Any]:
        """The arguments of one clinic's send: ``${name}`` and ``${time}`` per phone number."""
        patients = clinic["patients"]
        return {
            "to": [p["phone"] for p in patients],
            "from_": clinic["sender"],
            "parameters": {key: {p["phone"]: p[key] for p in patients} for key in ("name", "time")},
        }

    send = SinchSendBatchOperator.partial(
        task_id="send_reminders", body=BODY, client_reference="reminders",
    ).expand_kwargs(reminder.expand(clinic=appointments()))
    # [END howto_operator_sinch_send_mapped]

    @task
    def all_batches(results: list[dict[str, Any]]) -> list[str]:
        """Every batch id of every clinic's send (each mapped send returns its own ``batch_ids``)."""
        # Indexing up to len() reads exactly the mapped results; iterating probes one past the end.
        return [batch_id for i in range(len(results)) for batch_id in results[i]["batch_ids"]]

    # [START howto_sensor_sinch_batch_delivery_many]
    delivered = SinchBatchDeliverySensor(
        task_id="delivered",
        batch_ids=all_batches(send.output),
        min_success_ratio=0.8,
        deferrable=True,
        poke_interval=2,
        timeout=600,
    )
    # [END howto_sensor_sinch_batch_delivery_many]

    @task
    def report(summary: dict[str, Any]) -> dict[str, int]:
        """Per-status counts of the whole run."""
        print(f"Reminders: {summary['succeeded']} of {summary['expected']} delivered; "
              f"statuses {summary['counts']}")
        return dict(summary["counts"])

    report(delivered.output)
