"""Hooks: ``SinchHook``, a ``sinch`` connection turned into a Sinch SMS client (:mod:`.sinch`), and how the
connection is read (:mod:`.connection`).

Names are imported on first use (:mod:`~airflow_provider_sinch.client.lazy`): operators, sensors and triggers
take :data:`~airflow_provider_sinch.hooks.connection.DEFAULT_CONN_ID` from here without defining the hook
(and with it every operation and model) when a DAG file is parsed.
"""

from typing import TYPE_CHECKING

from airflow_provider_sinch.client.lazy import lazy_exports

if TYPE_CHECKING:
    from airflow_provider_sinch.hooks.connection import SinchConnectionError
    from airflow_provider_sinch.hooks.sinch import SinchHook

_EXPORTS = {"connection": ("SinchConnectionError",), "sinch": ("SinchHook",)}

__all__ = ["SinchConnectionError", "SinchHook"]

if not TYPE_CHECKING:  # mypy reads the imports above, so a misspelt name stays an error there
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
