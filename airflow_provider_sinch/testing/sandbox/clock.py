"""Sandbox time: the API's now (the wall clock) and the timeline that ``time_scale`` speeds up.

The sandbox keeps two notions of time apart:

* **now** (:meth:`SandboxClock.time`): what the API shows and judges against (``created_at``, report
  timestamps, ``received_at``, default date windows, OAuth2 token lifetimes, the request log).  It is the
  wall clock, whatever ``time_scale`` is.  Only the manual controls move it away, on purpose: ``advance(s)``
  moves it ``s`` seconds forward (as if that much time had passed), ``time_scale=0`` holds it still (a
  manual clock for deterministic tests), and ``restart()`` (a sandbox reset) brings it back to the wall clock.
* **the timeline** (:meth:`SandboxClock.elapsed`): sandbox seconds since the clock was made, running
  ``time_scale`` times as fast as real time (``0``: frozen), pushed forward by ``advance()``.  The scheduler
  runs on it.  Something received at now ``a0`` when the timeline is at ``v0`` puts an event meant for time
  ``T`` (``send_at``, ``expire_at``) at ``v0 + (T - a0)`` and one after a duration ``d`` (dispatch and
  delivery delays, callback retries) at ``v0 + d`` (see :class:`Moment`).  So ``time_scale`` compresses every
  wait measured from when the sandbox received it, and never moves now: a sandbox that has run for hours at
  scale 10 still accepts a batch that expires in 10 minutes, and expires it one real minute later.

An event is stamped with the time it was meant for, unless that is still ahead of now (a compressed wait):
then with now, the moment it actually happened.  The API never shows a time after its own now.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

# How far (seconds) a stamp may lie ahead of now and still count as reached: absorbs float rounding
# between times summed in a different order (a0 + 1.0 against a0 + 0.99 + 0.01).
_STAMP_TOLERANCE_S = 1e-6


@dataclass(frozen=True)
class Moment:
    """One step of a schedule: the time it is meant for, and where it falls on the sandbox timeline.

    :param at: the API time the step is meant for (epoch seconds), e.g. ``send_at`` or dispatch + delay.
    :param due: the timeline position (:meth:`SandboxClock.elapsed`) at which the step happens.
    """

    at: float
    due: float

    def later(self, seconds: float) -> Moment:
        """The step ``seconds`` after this one (a duration: the same on both scales)."""
        return Moment(self.at + seconds, self.due + seconds)


class SandboxClock:
    """The sandbox's now (the wall clock) and its timeline (sped up by ``time_scale``); see the module doc.

    :param time_scale: timeline seconds per real second (``0`` freezes the timeline and holds now still).
    :param start: now at creation, epoch seconds (default: the wall clock).
    :param wall: the wall clock, epoch seconds (default :func:`time.time`; tests pass a fake one).
    :param monotonic: real elapsed time, seconds (default :func:`time.monotonic`; tests pass a fake one).
    :param sleep: waits real seconds in the server's event loop: latency faults and hung answers (default
        :func:`asyncio.sleep`; tests pass one that records the wait instead of taking it).
    """

    def __init__(self, time_scale: float = 1.0, start: float | None = None, *,
                 wall: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if time_scale < 0:
            raise ValueError("time_scale must not be negative")
        self._lock = threading.Lock()
        self._wall, self._monotonic = wall, monotonic
        self.sleep = sleep
        self._scale = float(time_scale)
        wall_now = wall()
        begin = wall_now if start is None else float(start)
        self._offset = begin - wall_now  # now - wall clock, while now runs
        self._held: float | None = begin if self._scale == 0 else None  # now, while frozen
        self._elapsed = 0.0  # the timeline at the real time self._real
        self._real = monotonic()
        self._listeners: list[Callable[[], None]] = []

    # Now

    def time(self) -> float:
        """Now as the API shows it, epoch seconds (the wall clock unless advanced or frozen)."""
        with self._lock:
            return self._now()

    def now(self) -> datetime:
        """Now as the API shows it, an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    def wall(self) -> float:
        """The wall clock, epoch seconds."""
        return self._wall()

    def stamp(self, at: float) -> float:
        """The timestamp of an event meant for ``at``: ``at`` itself, or now if ``at`` is still ahead."""
        now = self.time()
        return at if at <= now + _STAMP_TOLERANCE_S else now

    # Timeline

    def elapsed(self) -> float:
        """The timeline: sandbox seconds since creation, ``time_scale`` per real second, plus advances."""
        with self._lock:
            return self._timeline()

    def moment(self, at: float) -> Moment:
        """Where an event meant for API time ``at`` falls on the timeline, counted from now."""
        with self._lock:
            return Moment(at, self._timeline() + (at - self._now()))

    def real_delay(self, sandbox_seconds: float) -> float | None:
        """Real seconds until the timeline has run ``sandbox_seconds``; ``None`` when frozen."""
        if self._scale == 0:
            return None
        return max(0.0, sandbox_seconds / self._scale)

    # Control

    @property
    def time_scale(self) -> float:
        return self._scale

    def set_time_scale(self, time_scale: float) -> None:
        """Run the timeline at ``time_scale`` from now on (``0`` freezes it and holds now still)."""
        if time_scale < 0:
            raise ValueError("time_scale must not be negative")
        with self._lock:
            self._rebase(0.0)
            now = self._now()
            self._scale = float(time_scale)
            if self._scale == 0:
                self._held = now
            else:
                self._held, self._offset = None, now - self._wall()
        self._changed()

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` forward: the timeline (what was due in between happens) and now alike."""
        if seconds < 0:
            raise ValueError("the sandbox clock cannot go back")
        with self._lock:
            self._rebase(seconds)
            if self._held is None:
                self._offset += seconds
            else:
                self._held += seconds
        self._changed()

    def restart(self) -> None:
        """Now back to the wall clock (a fresh start; the timeline runs on, monotonic)."""
        with self._lock:
            self._offset = 0.0
            if self._held is not None:
                self._held = self._wall()
        self._changed()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every jump, change of speed or restart."""
        self._listeners.append(listener)

    # Internals (called with the lock held)

    def _now(self) -> float:
        return self._held if self._held is not None else self._wall() + self._offset

    def _timeline(self) -> float:
        return self._elapsed + (self._monotonic() - self._real) * self._scale

    def _rebase(self, jump: float) -> None:
        real = self._monotonic()
        self._elapsed += (real - self._real) * self._scale + jump
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
