"""SMS alerts on failure with ``SinchNotifier``.

``load_orders`` fails on purpose (it has no retries).  Its ``on_failure_callback`` is a ``SinchNotifier``:
the on-call numbers get one short SMS naming the DAG, the task, its state and try number, and the run.
``check_alert_sent`` runs only because ``load_orders`` failed (``trigger_rule="all_failed"``) and confirms
at Sinch that the alert went out, looking it up by the ``client_reference`` the notifier set; as the last
task it decides the run's state, so the demo run ends ``success`` while showing the failure path.

Connection: ``sinch_default``, or the one named by the Airflow Variable ``SINCH_CONN_ID``.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_sinch.hooks import SinchHook
from airflow_provider_sinch.notifications import SinchNotifier

SINCH_CONN_ID = "{{ var.value.get('SINCH_CONN_ID', 'sinch_default') }}"
ALERT_REFERENCE = "alert:{{ ti.dag_id }}:{{ ti.run_id }}:{{ ti.task_id }}"

with DAG(
    dag_id="example_sinch_alerts",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "sinch"],
    doc_md=__doc__,
    params={
        "oncall": Param(["+46701234567"], type="array"),
        "sender": Param("+12017777777", type="string"),
    },
):

    # [START howto_notifier_sinch]
    @task(
        retries=0,
        on_failure_callback=SinchNotifier(
            sinch_conn_id=SINCH_CONN_ID,
            to="{{ params.oncall }}",
            from_="{{ params.sender }}",
            client_reference=ALERT_REFERENCE,
        ),
    )
    def load_orders() -> None:
        """Fails on purpose, to show the alert."""
        raise RuntimeError("the orders feed is unavailable (on purpose: this DAG demonstrates SMS alerts)")

    # [END howto_notifier_sinch]

    @task(trigger_rule="all_failed")
    def check_alert_sent(conn_id: str, reference: str, timeout: float = 30.0) -> dict[str, Any]:
        """Find the alert batch at Sinch (the callback may still be sending when this starts)."""
        hook = SinchHook(sinch_conn_id=conn_id)
        deadline = time.monotonic() + timeout
        while True:
            batches = list(hook.iter_batches(client_reference=reference))
            if batches:
                ids = [b.id for b in batches]
                print(f"Alert sent: batch {', '.join(ids)} to {len(batches[0].to)} on-call number(s)")
                return {"batch_ids": ids}
            if time.monotonic() > deadline:
                raise RuntimeError(f"no alert with client_reference {reference!r} reached Sinch")
            time.sleep(1)

    failed = load_orders()
    checked = check_alert_sent(
        conn_id=SINCH_CONN_ID,
        reference="alert:{{ ti.dag_id }}:{{ ti.run_id }}:load_orders",
    )
    failed >> checked
