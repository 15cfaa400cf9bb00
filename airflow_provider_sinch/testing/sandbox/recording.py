"""The inspection log of API requests: what was asked and what was answered.

Request headers are not kept (they carry tokens); bodies are kept raw and decoded on access, so recording
costs little per request.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class SeenRequest:
    """One API request and its answer.

    :param method: HTTP method.
    :param path: URL path (``/xms/v1/{id}/batches``).
    :param query: the raw query string.
    :param raw_body: the request body.
    :param status: the answer's status; ``None`` when the connection was dropped without one.
    :param raw_response: the answer's body (also kept for a dropped answer: what the client missed).
    :param response_headers: the answer's headers, lower-case names.
    :param fault: the injected fault's kind, if one hit the request (``request_limit``: the plan's request
        limit answered 429, see :mod:`.throttle`).
    :param at: sandbox time of the request.
    """

    method: str
    path: str
    query: str
    raw_body: bytes
    status: int | None
    raw_response: bytes
    response_headers: dict[str, str]
    fault: str | None
    at: float

    @property
    def body(self) -> Any:
        """The request body as JSON (text if it is not JSON, ``None`` if empty)."""
        return _decode(self.raw_body)

    @property
    def response(self) -> Any:
        """The answer's body as JSON (text if it is not JSON, ``None`` if empty)."""
        return _decode(self.raw_response)

    def summary(self) -> dict[str, Any]:
        """A JSON-safe description (what the control endpoint returns)."""
        return {"method": self.method, "path": self.path, "query": self.query, "body": self.body,
                "status": self.status, "response": self.response, "fault": self.fault, "at": self.at}


class RequestLog:
    """The last ``size`` requests, oldest first (thread-safe).

    :param size: how many requests to keep.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[SeenRequest] = deque(maxlen=size)

    def add(self, entry: SeenRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
