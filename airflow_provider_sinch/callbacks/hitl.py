"""Push: the receiver answers HITL requests from the inbound SMS Sinch posts to it.

Opt-in per ``sinch`` connection: extra ``hitl_conn_id`` names the bridge connection (Airflow API URL,
bridge user, ``code_secret``).  For every inbound callback the receiver accepted (not a duplicate), the
receiver calls :func:`answer_in_background`, which returns at once: Sinch gets its 200 without waiting for
Airflow's REST API (the receiver runs inside the API server, and a request handler that waited on a request
to its own server could hold the worker it needs).  A thread of this module then reads the SMS and, when it
is a valid answer, submits it through the bridge
(:class:`~airflow_provider_sinch.common.hitl_replies.ReplyHandler`), logging the outcome with the masked
number.

One handler per bridge connection and API-server process, so the wrong-code and SMS-back limits are per
process (two API-server workers allow up to twice as many guesses: still out of reach of a 30-bit code).
A crash between Sinch's 200 and the answer loses that answer; the approver sees the request still open in
the UI and can answer again, or a poll DAG (``SinchHITLReplyOperator``) on the same inbound asset picks it
up.  The text back (``hitl_text_back: true`` in the ``sinch`` connection's extra) goes out through that
connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_sinch.client.webhooks import Callback

log = logging.getLogger(__name__)

CACHE_S = 10.0
"""How long a connection's HITL settings are reused (as the receiver's own settings)."""

BRIDGE: Callable[[Any], Any] | None = None
"""Builds the bridge from its settings (``None``: :class:`~..common.hitl_bridge.AirflowBridge`; tests)."""

_lock = threading.Lock()
_handlers: dict[str, Any] = {}
_options: dict[str, tuple[float, tuple[str | None, bool]]] = {}


def _connection(conn_id: str) -> Any:
    from airflow.models.connection import Connection

    return Connection.get_connection_from_secrets(conn_id)


def hitl_options(conn_id: str, now: Callable[[], float] = time.monotonic) -> tuple[str | None, bool]:
    """``(hitl_conn_id, text_back)`` of ``sinch`` connection ``conn_id`` (cached :data:`CACHE_S`)."""
    with _lock:
        cached = _options.get(conn_id)
        if cached and now() - cached[0] < CACHE_S:
            return cached[1]
    extra = _connection(conn_id).extra_dejson
    options = (extra.get("hitl_conn_id") or None, str(extra.get("hitl_text_back", "")).lower() == "true")
    with _lock:
        _options[conn_id] = (now(), options)
    return options


def _text_back(sinch_conn_id: str) -> Callable[[str, str, str], None]:
    def send(to: str, from_: str, text: str) -> None:
        from airflow_provider_sinch.hooks.sinch import SinchHook

        SinchHook(sinch_conn_id=sinch_conn_id).send_batch(to=[to], from_=from_, body=text)

    return send


def handler_for(hitl_conn_id: str, sinch_conn_id: str, text_back: bool) -> Any:
    """The process's :class:`ReplyHandler` for a bridge connection (its limits live as long as it)."""
    from airflow_provider_sinch.common.hitl_bridge import AirflowBridge, load_settings
    from airflow_provider_sinch.common.hitl_replies import ReplyHandler

    key = f"{hitl_conn_id}\x1f{sinch_conn_id}\x1f{text_back}"
    with _lock:
        handler = _handlers.get(key)
    settings = load_settings(hitl_conn_id, getter=_connection)
    if handler is None or handler.bridge.settings != settings:  # a changed connection: a new client
        handler = ReplyHandler((BRIDGE or AirflowBridge)(settings),
                               send_sms=_text_back(sinch_conn_id) if text_back else None)
        with _lock:
            _handlers[key] = handler
    return handler


def answer(conn_id: str, callback: Callback) -> Any:
    """Decide one inbound SMS of ``conn_id`` and submit it when valid; ``None`` when HITL is not enabled on
    the connection or the message is not a text.  Never raises (a failure is logged)."""
    from airflow_provider_sinch.client.msisdn import mask_msisdn
    from airflow_provider_sinch.common.hitl_replies import InboundSMS

    try:
        hitl_conn_id, text_back = hitl_options(conn_id)
        sms = InboundSMS.from_payload(callback.payload) if hitl_conn_id else None
        if hitl_conn_id is None or sms is None:
            return None
        return handler_for(hitl_conn_id, conn_id, text_back).handle(sms)
    except Exception as exc:  # the bridge's and the settings' messages are log-safe; others may quote data
        from airflow_provider_sinch.common.hitl_bridge import BridgeError

        why = str(exc)[:300] if isinstance(exc, BridgeError | ValueError) else type(exc).__name__
        log.error("HITL answer by SMS from %s on %s failed: %s",
                  mask_msisdn(str(callback.payload.get("from"))), conn_id, why)
        return None


def answer_in_background(conn_id: str, callback: Callback) -> None:
    """The receiver's hook: :func:`answer` in a daemon thread, so the callback is acknowledged at once."""
    threading.Thread(target=answer, args=(conn_id, callback), name="sinch-hitl-answer", daemon=True).start()
