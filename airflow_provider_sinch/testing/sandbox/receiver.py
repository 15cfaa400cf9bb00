"""A webhook receiver for tests: records the callbacks the sandbox POSTs and answers what it is told to."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedCallback:
    """One POST the receiver got.

    :param path: request path (with query).
    :param headers: request headers, lower-case names.
    :param body: the raw body (what a signature covers).
    :param status: what the receiver answered.
    :param at: real time it arrived (``time.monotonic()``).
    """

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class CallbackReceiver:
    """An HTTP server on ``127.0.0.1`` (free port) that records POSTs, in a background thread.

    Answers 200 unless told otherwise with :meth:`respond_with` (a list of statuses used one per request,
    in order, before falling back to 200).  Use it as a context manager.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedCallback] = []
        self._plan: deque[int] = deque()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True, name="callback-receiver")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def received(self) -> list[ReceivedCallback]:
        with self._lock:
            return list(self._received)

    def respond_with(self, *statuses: int) -> None:
        """Answer the next requests with ``statuses``, one each, then 200 again."""
        with self._lock:
            self._plan.extend(statuses)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedCallback]:
        """Wait until at least ``count`` POSTs arrived; returns all of them."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} callbacks arrived within {timeout} s")
            time.sleep(0.01)
        return self.received

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            status = self._plan.popleft() if self._plan else 200
            self._received.append(ReceivedCallback(path, headers, body, status, time.monotonic()))
            return status

    def start(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
