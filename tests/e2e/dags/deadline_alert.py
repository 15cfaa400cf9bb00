"""A deadline alert by SMS: ``SinchNotifier`` as the callback of a ``DeadlineAlert``, sent by Airflow's
triggerer (``AsyncCallback``, every version) and, where Airflow runs them (3.2+), by an executor
(``SyncCallback``).  Used by ``tests/e2e/test_deadline_alerts.py`` under ``airflow standalone``: the
deadline passes two seconds after the run is queued, while its only task still sleeps.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from airflow.sdk import DAG, task
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

from airflow_provider_sinch.notifications import SinchNotifier
from airflow_provider_sinch.version_compat import HAS_SYNC_DEADLINE_CALLBACKS


def alert(sync: bool) -> DeadlineAlert:
    """A deadline two seconds after the run was queued, alerting by SMS with a reference naming the kind."""
    callback = SinchNotifier.deadline_callback(
        sync=sync, to=["+46701234567"], from_="+12017777777",
        client_reference=f"deadline:{'sync' if sync else 'async'}:{{{{ dag_run.run_id }}}}")
    return DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=timedelta(seconds=2),
                         callback=callback)


with DAG(dag_id="deadline_alert", start_date=datetime(2026, 1, 1), schedule=None, catchup=False,
         deadline=[alert(sync=False), *([alert(sync=True)] if HAS_SYNC_DEADLINE_CALLBACKS else [])]) as dag:

    @task
    def slow() -> None:
        """Still running when the deadline passes."""
        time.sleep(40)

    slow()
