"""Run callables at given points of the sandbox timeline, in order, from a background thread or on demand.

The timeline is :meth:`~.clock.SandboxClock.elapsed` (sped up by ``time_scale``), not the API's now: see
:mod:`~.clock`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from airflow_provider_sinch.testing.sandbox.clock import SandboxClock

log = logging.getLogger(__name__)

# Upper bound of one wait of the background thread, so a missed wake-up costs at most this long.
_MAX_WAIT_S = 0.5
# A job this close (timeline seconds) to the timeline counts as due: absorbs float rounding between jumps
# summed in a different order (0.99 + 0.01 against 1.0).
_DUE_TOLERANCE_S = 1e-9


@dataclass(order=True)
class _Job:
    when: float
    seq: int
    action: Callable[[], object] = field(compare=False)


class Scheduler:
    """A timer queue on the sandbox timeline.

    Jobs run in time order, one at a time, holding ``lock`` (the store's lock), so a job and a request never
    see each other half done.  A background thread runs jobs as they fall due; ``run_due()`` runs them at
    once (every API request calls it first, and ``advance()`` does after moving the clock), which makes
    what a request sees independent of how promptly the thread woke up.

    :param clock: the sandbox clock; job times are points of its timeline (``clock.elapsed()``).
    :param lock: the lock jobs run under (re-entrant; shared with the store).
    """

    def __init__(self, clock: SandboxClock, lock: threading.RLock) -> None:
        self.clock = clock
        self.lock = lock
        self._jobs: list[_Job] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        clock.subscribe(self.wake)

    def at(self, when: float, action: Callable[[], object]) -> None:
        """Run ``action`` once the timeline reaches ``when`` (a :meth:`~.clock.SandboxClock.elapsed` value;
        :meth:`~.clock.SandboxClock.moment` turns an API time into one)."""
        with self._wake:
            heapq.heappush(self._jobs, _Job(when, next(self._seq), action))
            self._wake.notify()

    def after(self, seconds: float, action: Callable[[], object]) -> None:
        """Run ``action`` once the timeline has run ``seconds`` more (real: ``seconds / time_scale``)."""
        self.at(self.clock.elapsed() + seconds, action)

    def run_due(self) -> int:
        """Run every job that is due now; returns how many ran."""
        ran = 0
        with self.lock:
            while True:
                with self._wake:
                    if not self._jobs or self._jobs[0].when > self.clock.elapsed() + _DUE_TOLERANCE_S:
                        return ran
                    job = heapq.heappop(self._jobs)
                try:
                    job.action()
                except Exception:
                    log.exception("sandbox job failed")
                ran += 1

    def pending(self) -> int:
        with self._wake:
            return len(self._jobs)

    def clear(self) -> None:
        """Forget every pending job."""
        with self._wake:
            self._jobs.clear()

    def wake(self) -> None:
        """Make the background thread look at the queue again (after the clock jumped or sped up)."""
        with self._wake:
            self._wake.notify()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="sinch-sandbox-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        with self._wake:
            self._stopping = True
            self._wake.notify()
        thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                self._wake.wait(self._next_wait())
                if self._stopping:
                    return
            self.run_due()

    def _next_wait(self) -> float:
        if not self._jobs:
            return _MAX_WAIT_S
        delay = self.clock.real_delay(self._jobs[0].when - self.clock.elapsed())
        return _MAX_WAIT_S if delay is None else min(delay, _MAX_WAIT_S)
