"""A delivery wait in ``reschedule`` mode: every poke is a new task-runner process, so the sensor's
consecutive-failure budget must live in the real ``task_state_store`` to survive between pokes.

Used by ``tests/e2e/test_rescheduled_wait.py`` with server errors injected in the sandbox.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_sinch.operators.send import SinchSendBatchOperator
from airflow_provider_sinch.sensors.delivery import SinchBatchDeliverySensor

with DAG(dag_id="rescheduled_wait", start_date=datetime(2026, 1, 1), schedule=None):
    send = SinchSendBatchOperator(task_id="send", to=["+46701234567"], from_="+12017777777", body="Hi")
    SinchBatchDeliverySensor(
        task_id="wait",
        batch_ids=send.output,
        mode="reschedule",
        poke_interval=1,
        timeout=120,
        max_consecutive_failures=3,
        deferrable=False,
    )
