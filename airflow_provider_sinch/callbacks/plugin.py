"""The Airflow plugin that serves the Sinch callback receiver from the Airflow API server.

Registered through the provider info (``plugins``), so installing the provider is the whole set-up: the API
server mounts the receiver at ``/sinch`` (``POST /sinch/callbacks/{conn_id}``).  Airflow imports plugins in
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


class SinchCallbacksPlugin(AirflowPlugin):
    """Mounts the Sinch callback receiver on the Airflow API server at ``/sinch`` (no arguments)."""

    name = "sinch_callbacks"
    fastapi_apps = [{"app": LazyReceiverApp(), "url_prefix": URL_PREFIX, "name": "Sinch callbacks"}]
