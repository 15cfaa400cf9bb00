"""Hooks: ``SinchHook``, a ``sinch`` connection turned into a Sinch SMS client (:mod:`.sinch`), how the
connection is read (:mod:`.connection`), and the exactly-once send behind
:meth:`~.sinch.SinchHook.send_exactly_once` (:mod:`.send_engine`) with its :class:`~.send_ledger.SendLedger`.

The hook and the connection error are imported on first use (:mod:`~airflow_provider_sinch.client.lazy`):
operators, sensors, triggers and the notifier take :data:`DEFAULT_CONN_ID` from here when a DAG file is
parsed, without defining the hook (and with it every operation and model) or reading connection code.
"""

from typing import TYPE_CHECKING

from airflow_provider_sinch.client.lazy import lazy_exports

if TYPE_CHECKING:
    from airflow_provider_sinch.hooks.connection import SinchConnectionError
    from airflow_provider_sinch.hooks.send_ledger import SendLedger
    from airflow_provider_sinch.hooks.sinch import SinchHook

DEFAULT_CONN_ID = "sinch_default"
"""The connection every hook, operator, sensor, trigger and notifier uses unless told otherwise."""

_EXPORTS = {"connection": ("SinchConnectionError",), "send_ledger": ("SendLedger",), "sinch": ("SinchHook",)}

__all__ = ["DEFAULT_CONN_ID", "SendLedger", "SinchConnectionError", "SinchHook"]

if not TYPE_CHECKING:  # mypy reads the imports above, so a misspelt name stays an error there
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
