"""The Airflow plugin that serves the Sinch callback receiver from the Airflow API server.

Registered as an ``airflow.plugins`` entry point, so installing the provider mounts the receiver on the API
server at ``/sinch`` (``POST /sinch/callbacks/{conn_id}``, outside Airflow's login).  It serves nothing until
connections opt in: ``[sinch] callback_connections`` lists the ids whose callbacks it accepts (any other id
is answered 404 without a lookup, see :mod:`.served`).  Airflow imports plugins in
every component (scheduler, workers, DAG processor ...), so this module imports nothing heavy: FastAPI,
SQLAlchemy models and the receiver load on the first request, in the API server only.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/sinch"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class LazyReceiverApp:
    """An ASGI app that builds the receiver (:func:`~airflow_provider_sinch.callbacks.app.create_app`) on
    its first request and hands every request to it.

    :param factory: builds the real app (the receiver by default; injectable for tests).
    """

    def __init__(self, factory: Callable[[], Any] | None = None) -> None:
        self._factory = factory
        self._app: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        with self._lock:
            if self._app is None:
                if self._factory is None:
                    from airflow_provider_sinch.callbacks.app import create_app

                    self._app = create_app()
                else:
                    self._app = self._factory()
            return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # a mounted app is not sent lifespan events; answer if it ever is
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        app = self._app or self._build()
        await app(scope, receive, send)


DESCRIPTION = (
    "Receives Sinch SMS callbacks (delivery reports, inbound messages) at POST /sinch/callbacks/{conn_id} "
    "and records each as an asset event. Serves nothing until a connection opts in: list its id in "
    "[sinch] callback_connections (AIRFLOW__SINCH__CALLBACK_CONNECTIONS); other ids get 404."
)
"""What ``airflow plugins`` and the plugins page of the UI show for the mounted app."""


class SinchCallbacksPlugin(AirflowPlugin):
    """Mounts the Sinch callback receiver on the Airflow API server at ``/sinch`` (no arguments).

    It serves ``POST /sinch/callbacks/{conn_id}`` for the connections listed in
    ``[sinch] callback_connections``, none by default (see :data:`DESCRIPTION`)."""

    name = "sinch_callbacks"
    fastapi_apps = [{"app": LazyReceiverApp(), "url_prefix": URL_PREFIX, "name": "Sinch callbacks",
                     "description": DESCRIPTION}]
