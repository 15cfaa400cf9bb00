"""Notifiers: SMS alerts from task and DAG callbacks and from deadline alerts."""

from airflow_provider_sinch.notifications.hitl import SinchHITLNotifier, check_hitl_task
from airflow_provider_sinch.notifications.sinch import SinchNotifier, send_sinch_notification

__all__ = ["SinchHITLNotifier", "SinchNotifier", "check_hitl_task", "send_sinch_notification"]
