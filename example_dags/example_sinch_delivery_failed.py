"""Follow up every SMS that finally failed, as soon as Sinch reports it (delivery reports pushed by Sinch).

Send with ``delivery_report="per_recipient_final"`` and ``callback_url`` set to the receiver on the
Airflow API server (``https://<airflow>/sinch/callbacks/sinch_default``): Sinch POSTs one report per
recipient once its status is final, and the receiver records each, exactly once, as an event of the asset
``sinch://sinch_default/delivery``, which starts this DAG.  The first task keeps the failed final statuses
(``Failed``, ``Expired``, ``Rejected``, ``Aborted`` ...; not ``Delivered``); the second is where a real
follow-up goes (another channel, a ticket, cleaning the number from a list): here it groups them per
``client_reference`` and prints them, numbers masked.

Several reports arriving close together may start one run with all of them: the tasks handle a list.
Connection ``sinch_default`` with ``callback_secret`` (or Basic credentials) set, and opted in to the
receiver (``[sinch] callback_connections = sinch_default``; it serves no connection by default): see the
docs' callbacks guide (``docs/howto/callbacks.md``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import AirflowSkipException
from airflow.sdk import DAG, task

from airflow_provider_sinch.callbacks.assets import FAILED_STATUSES, delivery_asset, recipient_reports
from airflow_provider_sinch.client import mask_msisdn

# [START howto_callbacks_sinch_delivery]
delivery_reports = delivery_asset("sinch_default")

with DAG(
    dag_id="example_sinch_delivery_failed",
    schedule=[delivery_reports],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "sinch", "callbacks"],
    doc_md=__doc__,
) as dag:

    @task
    def failed_reports(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        """The final, failed per-recipient reports that started this run (skips the rest if none)."""
        events = triggering_asset_events[delivery_reports] if triggering_asset_events else []
        failed = recipient_reports(events, statuses=FAILED_STATUSES)
        if not failed:
            raise AirflowSkipException("no failed delivery in this run")
        return [r.model_dump(mode="json", include={"batch_id", "recipient", "status", "code", "at",
                                                   "client_reference"}) for r in failed]

    @task
    def follow_up(failed: list[dict[str, Any]]) -> dict[str, int]:
        """Group the failures per client reference (a campaign, an order ...) and act on them."""
        per_reference: dict[str, int] = {}
        for report in failed:
            reference = report.get("client_reference") or "(none)"
            per_reference[reference] = per_reference.get(reference, 0) + 1
            print(f"Batch {report['batch_id']}: {mask_msisdn(report['recipient'])} {report['status']} "
                  f"(code {report['code']}), reference {reference}")
        return per_reference

    follow_up(failed_reports())
# [END howto_callbacks_sinch_delivery]
