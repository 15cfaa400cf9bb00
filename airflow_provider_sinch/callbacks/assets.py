"""For DAG authors: the assets Sinch callbacks are recorded on, and typed access to their events.

::

    from airflow_provider_sinch.callbacks.assets import inbound_asset, inbound_messages

    sms = inbound_asset("sinch_default")            # sinch://sinch_default/inbound

    @dag(schedule=[sms])
    def on_sms():
        @task
        def handle(triggering_asset_events=None):
            for message in inbound_messages(triggering_asset_events[sms]):
                ...

Each asset's name is its URI, so ``Asset("sinch://sinch_default/inbound")`` written by hand is the same
asset.  The accessors read ``extra["payload"]``, where the receiver puts the callback as Sinch sent it (and
where :class:`~airflow_provider_sinch.triggers.inbound.SinchInboundMessageEventTrigger` puts a polled
message), so a DAG handles pushed and polled messages alike.  Only ``airflow.sdk`` and plain modules are
imported here, cheap for DAG parsing; the client's models when a task reads events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset

from airflow_provider_sinch.callbacks.uris import delivery_uri, inbound_uri
from airflow_provider_sinch.client.models.statuses import FINAL_STATUSES, DeliveryStatus
from airflow_provider_sinch.client.webhooks import (
    BATCH_REPORT_TYPES,
    INBOUND_TYPES,
    RECIPIENT_REPORT_TYPES,
)

if TYPE_CHECKING:
    from airflow_provider_sinch.client.models import (
        BatchDeliveryReport,
        InboundMessage,
        RecipientDeliveryReport,
    )

FAILED_STATUSES = frozenset(FINAL_STATUSES - {DeliveryStatus.DELIVERED})
"""Final statuses other than ``Delivered`` (``Unknown`` included: delivered to the carrier, unconfirmed)."""


def inbound_asset(conn_id: str = "sinch_default", number: str | None = None) -> Asset:
    """The asset inbound messages received through ``conn_id`` are recorded on; with ``number``, only those
    sent to that one of your numbers (``sinch://<conn_id>/inbound/<digits>``)."""
    uri = inbound_uri(conn_id, number)
    return Asset(name=uri, uri=uri)


def delivery_asset(conn_id: str = "sinch_default") -> Asset:
    """The asset delivery reports (batch and per-recipient) for ``conn_id`` are recorded on."""
    uri = delivery_uri(conn_id)
    return Asset(name=uri, uri=uri)


def payloads(events: Iterable[Any] | None) -> list[dict[str, Any]]:
    """The callback payloads of asset events (objects with ``extra``, or the ``extra`` mappings themselves);
    events without one (a manual run, another producer) are skipped."""
    out = []
    for event in events or []:
        extra = event if isinstance(event, Mapping) else getattr(event, "extra", None)
        payload = extra.get("payload") if isinstance(extra, Mapping) else None
        if isinstance(payload, Mapping):
            out.append(dict(payload))
    return out


def inbound_messages(events: Iterable[Any] | None) -> list[InboundMessage]:
    """The inbound messages among ``events``, as :class:`InboundMessage` (``.text``, ``.from_``, ``.to``)."""
    from airflow_provider_sinch.client.models import InboundMessage  # defined when a task reads events

    return [InboundMessage.model_validate(p) for p in payloads(events) if p.get("type") in INBOUND_TYPES]


def recipient_reports(events: Iterable[Any] | None, statuses: Iterable[str] | None = None
                      ) -> list[RecipientDeliveryReport]:
    """The per-recipient delivery reports among ``events``, optionally only those with one of ``statuses``
    (e.g. :data:`FAILED_STATUSES`)."""
    from airflow_provider_sinch.client.models import RecipientDeliveryReport  # when a task reads events

    wanted = {str(s) for s in statuses} if statuses is not None else None
    reports = [RecipientDeliveryReport.model_validate(p) for p in payloads(events)
               if p.get("type") in RECIPIENT_REPORT_TYPES]
    return [r for r in reports if wanted is None or r.status in wanted]


def batch_reports(events: Iterable[Any] | None) -> list[BatchDeliveryReport]:
    """The batch delivery reports (``summary`` / ``full``) among ``events``."""
    from airflow_provider_sinch.client.models import BatchDeliveryReport  # when a task reads events

    return [BatchDeliveryReport.model_validate(p) for p in payloads(events)
            if p.get("type") in BATCH_REPORT_TYPES]
