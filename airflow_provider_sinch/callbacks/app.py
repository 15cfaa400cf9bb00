"""The receiver: ``POST /callbacks/{conn_id}`` (mounted under ``/sinch`` by the plugin).

Order of checks, each refusing before the next, costlier, step (nothing is parsed before authentication):

===========================================  ======  =======================================================
id not in ``[sinch] callback_connections``   404     nothing looked up or logged per request (counted, one
                                                     line a minute at most: :mod:`.served`)
connection unknown, not ``sinch``, or no     403     final at Sinch: configure the connection
secret / Basic credentials configured
no accepted credentials; wrong Basic; bad    401     final at Sinch (a forged or replayed request)
algorithm; timestamp over 5 min off
``Content-Length`` or streamed body > 1 MiB  413     final
body not received within 30 s                503     Sinch retries (a trickled body holds nothing open)
wrong HMAC; nonce already used               401     final
not JSON / not an object                     400     final
unknown callback ``type`` or missing id      422     final
DB busy or unavailable (3 s budget), or      503     Sinch retries (5 s, 10 s, ... for ~22 h)
nothing recorded and not a known duplicate
any other failure                            500     Sinch retries
recorded / duplicate / no DAG uses it        200     ``{"status": "recorded" | "duplicate" | "ignored"}``
===========================================  ======  =======================================================

A request refused on its credentials makes the receiver read the connection again at once (a rotated
secret, :mod:`.gate`).  Logs name the connection, the callback type, the batch id and masked numbers; never
the body or a secret, and every line has its numbers masked, asset URIs included (:mod:`.masking`).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError

from airflow_provider_sinch.callbacks.auth import TIMESTAMP_TOLERANCE_S, CallbackRefused
from airflow_provider_sinch.callbacks.body import BODY_TIMEOUT_S, MAX_BODY_BYTES
from airflow_provider_sinch.callbacks.gate import authenticate
from airflow_provider_sinch.callbacks.hitl import answer_in_background
from airflow_provider_sinch.callbacks.masking import mask_numbers_in
from airflow_provider_sinch.callbacks.nonces import NonceCache
from airflow_provider_sinch.callbacks.recorder import CallbackRecorder, NotRecorded, Outcome
from airflow_provider_sinch.callbacks.served import RefusalLog, served_connections
from airflow_provider_sinch.callbacks.settings import CallbackSettings, SettingsCache
from airflow_provider_sinch.client.msisdn import mask_msisdn
from airflow_provider_sinch.client.webhooks import Callback, CallbackPayloadError, parse_callback

log = logging.getLogger(__name__)

SettingsLookup = Callable[[str], CallbackSettings | None]

RECEIVER_LOGGERS = (__name__, CallbackRecorder.__module__, authenticate.__module__,
                    served_connections.__module__)
"""The loggers of the receiver's modules, each masking the numbers of every line (:mod:`.masking`)."""


def connection_settings(conn_id: str) -> CallbackSettings | None:
    """The callback settings of Airflow connection ``conn_id``; ``None`` when it is missing or not ``sinch``.
    """
    from airflow.models.connection import Connection
    from airflow.providers.common.compat.sdk import AirflowNotFoundException

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None
    if conn.conn_type != "sinch":
        return None
    return CallbackSettings.from_extra(conn.extra_dejson)


def describe(callback: Callback) -> str:
    """A log-safe description: the type, the batch or message id, numbers masked."""
    payload = callback.payload
    parts = [callback.type]
    if callback.kind == "inbound":
        parts.append(f"message {payload.get('id')} from {mask_msisdn(str(payload.get('from', '')))} "
                     f"to {mask_msisdn(str(payload.get('to', '')))}")
    else:
        parts.append(f"batch {payload.get('batch_id')}")
        if "recipient" in payload:
            parts.append(f"recipient {mask_msisdn(str(payload['recipient']))} {payload.get('status')}")
    return " ".join(parts)


def create_app(
    lookup: SettingsLookup = connection_settings,
    recorder: CallbackRecorder | None = None,
    nonces: NonceCache | None = None,
    max_body: int = MAX_BODY_BYTES,
    body_timeout: float = BODY_TIMEOUT_S,
    tolerance: float = TIMESTAMP_TOLERANCE_S,
    now: Callable[[], float] | None = None,
    served: str | None = None,
    refusals: RefusalLog | None = None,
    on_inbound: Callable[[str, Callback], None] | None = answer_in_background,
) -> FastAPI:
    """The receiver app.

    :param lookup: conn id -> callback settings (by default the Airflow connection); wrapped in a
        :class:`~.settings.SettingsCache` (each answer reused for 10 s, read again at once when a request is
        refused on its credentials) unless it is one.
    :param recorder: records accepted callbacks (the metadata DB by default).
    :param nonces: nonces seen (a fresh cache remembering ``2 * tolerance`` by default).
    :param max_body: largest body accepted, in bytes.
    :param body_timeout: seconds the whole body may take to arrive.
    :param tolerance: seconds a signature timestamp may be off.
    :param now: epoch seconds (injectable for tests).
    :param served: the connection ids served, as ``[sinch] callback_connections`` lists them (``None``: read
        that option, once, now).
    :param refusals: counts and logs requests for connections not served (one line a minute at most).
    :param on_inbound: called with each accepted inbound callback that is not a duplicate (default: HITL
        answers by SMS, :mod:`.hitl`; it returns at once).
    """
    mask_numbers_in(*(logging.getLogger(name) for name in RECEIVER_LOGGERS))
    recorder = recorder or CallbackRecorder()
    nonces = nonces or NonceCache(ttl=2 * tolerance)
    settings = lookup if isinstance(lookup, SettingsCache) else SettingsCache(lookup)
    serving = served_connections(served)
    refusals = refusals or RefusalLog()
    app = FastAPI(title="Sinch callbacks", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/callbacks/{conn_id}")
    async def receive(conn_id: str, request: Request) -> JSONResponse:
        authenticated = None
        if conn_id not in serving:  # ids opted in (and checked) only: nothing else is looked up or logged
            refusals.refused(conn_id)
            return JSONResponse({"detail": "Not Found"}, 404)
        try:
            authenticated, body = await authenticate(
                request, conn_id, settings, nonces, max_body=max_body, body_timeout=body_timeout,
                tolerance=tolerance, now=now() if now else None)
            try:
                callback = parse_callback(body)
            except CallbackPayloadError as exc:
                status = 400 if "JSON" in exc.reason else 422
                raise CallbackRefused(status, exc.reason) from None
            outcome: Outcome = await recorder.arecord(conn_id, callback)
        except CallbackRefused as refused:
            _release(nonces, authenticated, refused.status)
            log.warning("Sinch callback on %s refused (%d): %s", conn_id, refused.status, refused.reason)
            return JSONResponse({"detail": refused.reason}, refused.status, headers=refused.headers)
        except NotRecorded as exc:  # the message names no number (see the recorder)
            _release(nonces, authenticated, 503)
            log.warning("Sinch callback on %s not recorded: %s; Sinch will retry", conn_id, exc)
            return JSONResponse({"detail": "temporarily unavailable"}, 503, headers={"Retry-After": "5"})
        except OperationalError as exc:
            _release(nonces, authenticated, 503)
            log.warning("Sinch callback on %s not recorded: the metadata DB is busy or down (%s); Sinch will "
                        "retry", conn_id, safe_error(exc))
            return JSONResponse({"detail": "temporarily unavailable"}, 503, headers={"Retry-After": "5"})
        except Exception as exc:
            _release(nonces, authenticated, 500)
            log.error("Sinch callback on %s not recorded (%s); Sinch will retry. Where:\n%s", conn_id,
                      safe_error(exc), "".join(traceback.format_tb(exc.__traceback__)))
            return JSONResponse({"detail": "internal error"}, 500)
        if outcome.status == "ignored":
            log.warning("Sinch callback on %s (%s) acknowledged and ignored: no DAG uses its asset",
                        conn_id, describe(callback))
        else:
            log.info("Sinch callback on %s (%s) via %s: %s %s", conn_id, describe(callback),
                     authenticated.method, outcome.status, ", ".join(outcome.recorded or outcome.duplicates))
        if on_inbound is not None and callback.kind == "inbound" and outcome.status != "duplicate":
            on_inbound(conn_id, callback)
        answer: dict[str, Any] = {"status": outcome.status, "event_ids": outcome.event_ids}
        return JSONResponse(answer, 200)

    return app


def safe_error(exc: BaseException) -> str:
    """An error for the log without its message's values: SQLAlchemy's text carries the statement's
    parameters (the payload, numbers included), other messages may quote the body.  The type, and for a
    database error the driver's own message (``database is locked``)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc).__name__}: {type(exc.orig).__name__}: {str(exc.orig)[:200]}"
    return type(exc).__name__


def _release(nonces: NonceCache, authenticated: Any, status: int) -> None:
    """A signed request not acknowledged because of *our* failure may be resent with its nonce."""
    if authenticated is not None and authenticated.nonce is not None and status >= 500:
        nonces.release(authenticated.nonce)
