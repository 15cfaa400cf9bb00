"""Sensors: wait for Sinch delivery reports (:mod:`.delivery`) and SMS replies (:mod:`.inbound`)."""

from airflow_provider_sinch.sensors.delivery import SinchBatchDeliverySensor, SinchRecipientDeliverySensor
from airflow_provider_sinch.sensors.inbound import SinchInboundMessageSensor

__all__ = ["SinchBatchDeliverySensor", "SinchInboundMessageSensor", "SinchRecipientDeliverySensor"]
