"""Authenticating one request of a served connection, with the connection read again when a rotated
credential may be why it was refused.

Headers first (refused before the body is read), then the body within its size and time limits, then its
signature (:mod:`.auth`, :mod:`.body`).  The settings come from the :class:`~.settings.SettingsCache`; when
they refuse the request on its credentials (a wrong signature or password, none configured), the connection
is read again at once (:meth:`~.settings.SettingsCache.fresher`) and, if its settings changed, the request
is checked once more with the new ones: a secret rotated at Sinch and in the connection is used by the next
callback, not one ``ttl`` later (a 401 is final at Sinch: callbacks refused in between would be lost).
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from airflow_provider_sinch.callbacks.auth import (
    Authenticated,
    CallbackRefused,
    check_headers,
    check_signature,
    not_enabled,
)
from airflow_provider_sinch.callbacks.body import check_declared_length, read_limited
from airflow_provider_sinch.callbacks.nonces import NonceCache
from airflow_provider_sinch.callbacks.settings import SettingsCache

log = logging.getLogger(__name__)


async def authenticate(request: Request, conn_id: str, settings: SettingsCache, nonces: NonceCache, *,
                       max_body: int, body_timeout: float, tolerance: float,
                       now: float | None = None) -> tuple[Authenticated, bytes]:
    """How ``request`` authenticated for ``conn_id``, and its body (the nonce of a signature claimed).

    :param request: the callback request.
    :param conn_id: a connection the receiver serves.
    :param settings: the callback settings of connections.
    :param nonces: nonces already used.
    :param max_body: largest body accepted, in bytes.
    :param body_timeout: seconds the whole body may take to arrive.
    :param tolerance: seconds a signature timestamp may be off.
    :param now: epoch seconds (``None``: the time now).
    :raises CallbackRefused: with the status to answer.
    """
    current = await run_in_threadpool(settings, conn_id)
    body: bytes | None = None
    reread = False
    while True:
        try:
            if current is None:
                log.warning("Sinch callback refused: connection %s is missing or not a sinch connection",
                            conn_id)
                raise not_enabled()
            authenticated = check_headers(request.headers, current, now, tolerance)
            if body is None:
                check_declared_length(request.headers, max_body)
                body = await read_limited(request.stream(), max_body, body_timeout)
            check_signature(authenticated, body, request.headers, current, nonces)
            return authenticated, body
        except CallbackRefused as refused:
            if reread or not refused.credentials:
                raise
            reread = True
            fresher = await run_in_threadpool(settings.fresher, conn_id, current)
            if fresher is None:
                raise
            log.info("Sinch connection %s read again after a callback was refused (%s): its callback "
                     "settings changed, checking the callback with them", conn_id, refused.reason)
            current = fresher
