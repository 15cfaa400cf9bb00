"""Sensors: wait for Sinch delivery reports (:mod:`.delivery`) and SMS replies (:mod:`.inbound`).

Each class is imported on first use (:mod:`~airflow_provider_sinch.client.lazy`): a DAG file that takes one
sensor from here does not import the other's module.
"""

from typing import TYPE_CHECKING

from airflow_provider_sinch.client.lazy import lazy_exports

if TYPE_CHECKING:
    from airflow_provider_sinch.sensors.delivery import SinchBatchDeliverySensor, SinchRecipientDeliverySensor
    from airflow_provider_sinch.sensors.inbound import SinchInboundMessageSensor

_EXPORTS = {
    "delivery": ("SinchBatchDeliverySensor", "SinchRecipientDeliverySensor"),
    "inbound": ("SinchInboundMessageSensor",),
}

__all__ = ["SinchBatchDeliverySensor", "SinchInboundMessageSensor", "SinchRecipientDeliverySensor"]

if not TYPE_CHECKING:  # mypy reads the imports above, so a misspelt name stays an error there
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
