"""Notifiers: SMS alerts from task and DAG callbacks and from deadline alerts."""

from airflow_provider_sinch.notifications.sinch import SinchNotifier, send_sinch_notification

__all__ = ["SinchNotifier", "send_sinch_notification"]
