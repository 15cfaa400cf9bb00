"""Reply STOP, get unsubscribed: a DAG started by the inbound SMS Sinch *pushes* to Airflow.

Sinch POSTs every inbound message to the receiver on the Airflow API server
(``https://<airflow>/sinch/callbacks/sinch_default``, set as the service plan's inbound callback URL); the
receiver verifies the signature and records the message, exactly once, as an event of the asset
``sinch://sinch_default/inbound``, which starts this DAG within seconds: no polling, no API quota.  The
first task picks the senders whose first word is an opt-out keyword; the second removes them from the
marketing group (Airflow Variable ``sinch_marketing_group``).  A run without a STOP does nothing else.

Connection ``sinch_default`` with ``callback_secret`` (or Basic credentials) set, and opted in to the
receiver (``[sinch] callback_connections = sinch_default``; it serves no connection by default): see the
docs' callbacks guide (``docs/howto/callbacks.md``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import AirflowSkipException
from airflow.sdk import DAG, task

from airflow_provider_sinch.callbacks.assets import inbound_asset, inbound_messages
from airflow_provider_sinch.client import mask_msisdn
from airflow_provider_sinch.operators import SinchUpdateGroupOperator

OPT_OUT = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
# [START howto_callbacks_sinch_inbound]
inbound_sms = inbound_asset("sinch_default")

with DAG(
    dag_id="example_sinch_stop_unsubscribe",
    schedule=[inbound_sms],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "sinch", "callbacks"],
    doc_md=__doc__,
) as dag:

    @task
    def opted_out(triggering_asset_events: Any = None) -> list[str]:
        """Senders (as Sinch wrote them) whose message starts with an opt-out keyword; skips the rest of the
        run when there are none (a manual run, or messages that are not STOP)."""
        messages = inbound_messages(triggering_asset_events[inbound_sms] if triggering_asset_events else [])
        senders = []
        for message in messages:
            words = re.findall(r"\w+", message.text.casefold())
            if words and words[0] in OPT_OUT:
                senders.append(message.from_)
        print(f"{len(messages)} inbound SMS, {len(senders)} opt-out(s): "
              f"{', '.join(mask_msisdn(s) for s in senders) or 'none'}")
        if not senders:
            raise AirflowSkipException("no opt-out in this run")
        return sorted(set(senders))

    SinchUpdateGroupOperator(
        task_id="unsubscribe",
        group_id="{{ var.value.get('sinch_marketing_group', 'marketing-group-id') }}",
        remove=opted_out(),
    )
# [END howto_callbacks_sinch_inbound]
