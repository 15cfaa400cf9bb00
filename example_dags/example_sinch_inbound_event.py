"""Start a DAG run for every SMS sent to your Sinch number (event-driven scheduling).

An ``Asset`` is watched by :class:`~airflow_provider_sinch.triggers.SinchInboundMessageEventTrigger`
in the triggerer: every new inbound SMS that passes the filter becomes an asset event whose ``extra``
holds the message (``extra["payload"]``), and the asset event schedules this DAG.  Restarts of the
triggerer do not start runs for old messages again (the watcher keeps its place in the asset's state
store), and each message starts one run.

Keep the trigger's arguments constant (no ``datetime.now()``): Airflow identifies the watcher by them.
Connection: ``sinch_default``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_sinch.triggers import SinchInboundMessageEventTrigger

OUR_NUMBER = "+12017777777"

# [START howto_trigger_sinch_inbound_event]
inbound_sms = Asset(
    "sinch_inbound_sms",
    uri="sinch://inbound/12017777777",
    watchers=[
        AssetWatcher(
            name="sinch_inbound_sms_watcher",
            trigger=SinchInboundMessageEventTrigger(
                sinch_conn_id="sinch_default",
                to_numbers=[OUR_NUMBER],
                poll_interval=5,
            ),
        )
    ],
)
# [END howto_trigger_sinch_inbound_event]

# [START howto_trigger_sinch_inbound_event_dag]
with DAG(
    dag_id="example_sinch_inbound_event",
    schedule=[inbound_sms],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "sinch"],
    doc_md=__doc__,
):

    @task
    def handle_sms(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        """Read the messages that started this run from the triggering asset events.

        A run started by hand (the UI's *Trigger*, or ``airflow dags test``) has no triggering event, so it
        handles nothing and says so instead of failing.
        """
        events = triggering_asset_events.get(inbound_sms, []) if triggering_asset_events else []
        if not events:
            print("No inbound SMS started this run (a manual run): nothing to handle")
        messages = [event.extra["payload"] for event in events]
        for message in messages:
            print(f"SMS {message['id']} from ...{message['from'][-3:]}: {message['text']!r}")
        return messages

    handle_sms()
# [END howto_trigger_sinch_inbound_event_dag]
