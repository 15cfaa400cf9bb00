"""The plan's request limit: too many API requests in one second are answered 429 without being handled.

API-NOTES: "429 = too many outstanding requests; Retry-After is not documented ... A 429 means the request
was not accepted, so resending is safe."  The notes give neither the number nor how "outstanding" is
counted, so the sandbox chose: at most ``requests_per_second`` API requests of the plan (any operation,
authenticated) in any window of one second of the sandbox timeline (so ``time_scale`` shortens the window
in real time like every other wait, and a frozen clock holds it until ``advance()``); a request over it is
answered 429 ``too_many_requests`` before it is handled and does not count; no ``Retry-After`` header (not
documented; a ``rate_limit`` fault can add one).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from airflow_provider_sinch.testing.sandbox.clock import SandboxClock
from airflow_provider_sinch.testing.sandbox.errors import ApiError

_WINDOW_S = 1.0


def too_many_requests() -> ApiError:
    """Sinch's 429 (the same answer as a ``rate_limit`` fault without ``retry_after``)."""
    return ApiError(429, "too_many_requests", "Too many outstanding requests")


class RequestThrottle:
    """Counts the plan's API requests in a sliding one-second window of the sandbox timeline (thread-safe).

    :param clock: the sandbox clock (its timeline, :meth:`~.clock.SandboxClock.elapsed`).
    :param limit: returns the current limit per second (``None``: no limit).
    """

    def __init__(self, clock: SandboxClock, limit: Callable[[], int | None]) -> None:
        self._clock = clock
        self._limit = limit
        self._lock = threading.Lock()
        self._seen: deque[float] = deque()  # timeline positions of the accepted requests in the window

    def admit(self) -> bool:
        """Count one request; ``False`` if it is over the limit (it is then not counted)."""
        limit = self._limit()
        if limit is None:
            return True
        with self._lock:
            now = self._clock.elapsed()
            while self._seen and self._seen[0] <= now - _WINDOW_S:
                self._seen.popleft()
            if len(self._seen) >= limit:
                return False
            self._seen.append(now)
            return True

    def reset(self) -> None:
        """Forget the window (a sandbox reset)."""
        with self._lock:
            self._seen.clear()
