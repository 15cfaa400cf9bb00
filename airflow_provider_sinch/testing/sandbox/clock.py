"""Sandbox time: a clock tests can speed up, freeze and move forward, and the timestamp format Sinch uses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime


class SandboxClock:
    """The sandbox's notion of now, as epoch seconds.

    It starts at the wall-clock time and runs ``time_scale`` times as fast as real time; ``advance()`` jumps
    ahead.  With ``time_scale=0`` it stands still, so only ``advance()`` moves it (a manual clock).

    :param time_scale: sandbox seconds per real second (``0`` freezes the clock).
    :param start: the sandbox time at creation, epoch seconds (default: now).
    """

    def __init__(self, time_scale: float = 1.0, start: float | None = None) -> None:
        if time_scale < 0:
            raise ValueError("time_scale must not be negative")
        self._lock = threading.Lock()
        self._scale = float(time_scale)
        self._base = time.time() if start is None else float(start)
        self._real = time.monotonic()
        self._listeners: list[Callable[[], None]] = []

    def time(self) -> float:
        """Sandbox now, epoch seconds."""
        with self._lock:
            return self._base + (time.monotonic() - self._real) * self._scale

    def now(self) -> datetime:
        """Sandbox now, as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    @property
    def time_scale(self) -> float:
        return self._scale

    def set_time_scale(self, time_scale: float) -> None:
        """Run at ``time_scale`` from now on (``0`` freezes the clock)."""
        if time_scale < 0:
            raise ValueError("time_scale must not be negative")
        with self._lock:
            self._rebase(0.0)
            self._scale = float(time_scale)
        self._changed()

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` into the future."""
        if seconds < 0:
            raise ValueError("the sandbox clock cannot go back")
        with self._lock:
            self._rebase(seconds)
        self._changed()

    def restart(self) -> None:
        """Back to the wall-clock time (only for a fresh start: anything scheduled is meaningless after)."""
        with self._lock:
            self._base, self._real = time.time(), time.monotonic()
        self._changed()

    def real_delay(self, sandbox_seconds: float) -> float | None:
        """Real seconds until ``sandbox_seconds`` of sandbox time have passed; ``None`` when frozen."""
        if self._scale == 0:
            return None
        return max(0.0, sandbox_seconds / self._scale)

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every jump or change of speed."""
        self._listeners.append(listener)

    def _rebase(self, jump: float) -> None:
        real = time.monotonic()
        self._base = self._base + (real - self._real) * self._scale + jump
        self._real = real

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()


def iso(ts: float) -> str:
    """Epoch seconds as Sinch writes timestamps: UTC with milliseconds, ``2024-06-06T07:52:37.386Z``."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_minute(ts: float) -> str:
    """Epoch seconds truncated to the minute (operators report ``operator_status_at`` that coarsely)."""
    return datetime.fromtimestamp(ts - ts % 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(value: datetime) -> float:
    """An aware datetime (or a naive one, read as UTC) as epoch seconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def parse_timestamp(text: str) -> float:
    """An ISO-8601 timestamp from a query string as epoch seconds; without an offset it is UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return epoch(value)
