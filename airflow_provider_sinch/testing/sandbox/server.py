"""Serve a sandbox over HTTP with uvicorn: in a background thread (tests) or in the foreground (the CLI)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from airflow_provider_sinch.testing.sandbox.core import Sandbox


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (``port=0``: a free port, read it from ``getsockname()``).

    Connections made before the server runs wait in the backlog instead of being refused.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _config(sandbox: Sandbox, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        sandbox.app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on",
        timeout_graceful_shutdown=1, server_header=False,
    )


class SandboxServer:
    """A :class:`~.core.Sandbox` served by uvicorn on a background thread, on ``127.0.0.1`` by default.

    Use it as a context manager (or ``start()`` / ``stop()``); ``start()`` returns once the server accepts
    connections and sets ``sandbox.url``.

    :param sandbox: the sandbox to serve (default: a new one built from ``settings``).
    :param host: interface to listen on (loopback by default).
    :param port: port to listen on; ``0`` picks a free one.
    :param log_level: uvicorn's log level.
    :param settings: :class:`~.settings.SandboxSettings` fields for a new sandbox.
    """

    def __init__(self, sandbox: Sandbox | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning", **settings: Any) -> None:
        self.sandbox = sandbox or Sandbox(**settings)
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Sandbox:
        """Serve in a background thread; returns the sandbox once it accepts connections."""
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(_config(self.sandbox, self.host, self.port, self.log_level))
        self._server = server
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name=f"sinch-sandbox-{self.port}")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Sinch sandbox did not start on {self.url}")
            time.sleep(0.01)
        self.sandbox.url = self.url
        return self.sandbox

    def stop(self) -> None:
        """Shut the server down and wait for it (pending hung answers are cut after a second)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None
        self.sandbox.url = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(sandbox: Sandbox, sock: socket.socket, log_level: str = "info") -> None:
    """Serve ``sandbox`` on a socket from :func:`bind` in the foreground until Ctrl-C or SIGTERM."""
    host, port = sock.getsockname()[:2]
    sandbox.url = f"http://{host}:{port}"
    uvicorn.Server(_config(sandbox, host, port, log_level)).run(sockets=[sock])
