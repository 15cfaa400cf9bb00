"""Triggers: deferrable delivery and reply waits, and the inbound-SMS event trigger for asset watchers.

``deadline_after``, ``validate_delivery_event`` and ``validate_inbound_event`` are what an operator of your
own needs to defer on a trigger and to read its event."""

from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger, SinchRecipientDeliveryTrigger
from airflow_provider_sinch.triggers.events import (
    deadline_after,
    validate_delivery_event,
    validate_inbound_event,
)
from airflow_provider_sinch.triggers.inbound import (
    SinchInboundMessageEventTrigger,
    SinchInboundMessageTrigger,
)

__all__ = [
    "SinchBatchDeliveryTrigger",
    "SinchInboundMessageEventTrigger",
    "SinchInboundMessageTrigger",
    "SinchRecipientDeliveryTrigger",
    "deadline_after",
    "validate_delivery_event",
    "validate_inbound_event",
]
