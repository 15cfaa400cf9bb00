"""Hooks: ``SinchHook``, a ``sinch`` connection turned into a Sinch SMS client (:mod:`.sinch`), and how the
connection is read (:mod:`.connection`)."""

from airflow_provider_sinch.hooks.connection import SinchConnectionError
from airflow_provider_sinch.hooks.sinch import SinchHook

__all__ = ["SinchConnectionError", "SinchHook"]
