"""The service plan's message queue: dispatch paced at the plan's rate limit, first in, first out.

API-NOTES: "Rate limits are messages per second per service plan, counted per recipient; each plan has a
FIFO queue."  So a batch is accepted at once whatever the limit (201), and when its dispatch time comes its
recipients join the back of the plan's queue (a group counts its members: the queue holds recipients, taken
after the group was expanded); the queue lets ``messages_per_second`` of them out per second of the sandbox
timeline, so ``time_scale`` compresses the pacing like every other wait, a frozen clock holds it until
``advance()``, and a batch of M recipients occupies the queue for M / rate seconds.  An empty queue lets a
message out at once (it is paced, not delayed).

Where the notes are silent, the sandbox chose:

* **When a queued batch counts as dispatched.** When its first message leaves the queue.  Until then it is
  still "not dispatched": it can be updated, replaced or cancelled like any batch waiting for its send time
  (an update or replace puts it at the back of the queue; a cancelled one leaves it and frees its place);
  after that, not (409/403/400 ``batch_already_dispatched``, as without a limit).
* **Granularity.** Messages leave in ticks of at least ``MIN_TICK_S`` seconds, of real time as well as of
  the timeline (so ``MIN_TICK_S * time_scale`` timeline seconds when ``time_scale`` is above 1): one message
  per tick up to ``1 / tick`` messages per second, then ``ceil(rate * tick)`` per tick, each tick stamped
  with the time its first message was due.  A fast plan, or a fast clock, then costs at most 100 timer jobs
  per real second, not one per recipient.
* **Changing the limit.** It applies from the next tick on; switching it off lets what is queued out at once.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from airflow_provider_sinch.testing.sandbox.clock import Moment
from airflow_provider_sinch.testing.sandbox.scheduler import Scheduler
from airflow_provider_sinch.testing.sandbox.state import Batch, Store

# The shortest tick, in seconds of the timeline and of real time alike: bounds the timer jobs of a fast plan
# (or of a plan on a sped-up clock) to 100 per real second.
MIN_TICK_S = 0.01

# What the queue hands its messages to: the batch, the recipients' numbers, and the tick's moment.
Send = Callable[[Batch, list[str], Moment], None]


@dataclass
class _Entry:
    """One batch in the queue: the numbers still waiting, and the batch's dispatch moment."""

    batch: Batch
    version: int
    when: Moment
    numbers: deque[str]


class PlanQueue:
    """The FIFO message queue of the sandbox's service plan (see the module docstring).

    :param store: the sandbox's state (a batch no longer in it has left the queue).
    :param scheduler: runs the ticks on the sandbox timeline (under the store's lock).
    :param rate: returns the plan's current limit in messages per second (``None``: no limit).
    :param send: dispatches some recipients of a batch at a moment (the lifecycle's dispatch step).
    """

    def __init__(self, store: Store, scheduler: Scheduler, rate: Callable[[], float | None],
                 send: Send) -> None:
        self._store = store
        self._scheduler = scheduler
        self._rate = rate
        self._send = send
        self._entries: deque[_Entry] = deque()
        self._next_slot = 0.0  # timeline position at which the next message may leave
        self._tick_pending = False

    def enqueue(self, batch: Batch, when: Moment, numbers: list[str]) -> None:
        """Put ``numbers`` of ``batch``, due to be dispatched at ``when``, at the back of the queue."""
        if not self._live():
            self._next_slot = max(self._next_slot, when.due)
        self._entries.append(_Entry(batch, batch.version, when, deque(numbers)))
        self._schedule()

    def waiting(self) -> int:
        """How many messages are waiting (every live batch's recipients not yet let out)."""
        return sum(len(e.numbers) for e in self._entries if self._current(e))

    def clear(self) -> None:
        """Forget the queue (a sandbox reset; the scheduler's jobs are cleared with it)."""
        self._entries.clear()
        self._next_slot = 0.0
        self._tick_pending = False

    # Ticks

    def _schedule(self) -> None:
        if not self._tick_pending and self._live():
            self._tick_pending = True
            self._scheduler.at(self._next_slot, self._tick)

    def _tick(self) -> None:
        """Let out the messages of one tick, from the head of the queue on, then plan the next tick."""
        self._tick_pending = False
        rate = self._rate()
        tick = MIN_TICK_S * max(1.0, self._scheduler.clock.time_scale)
        budget = math.inf if rate is None else max(1, math.ceil(rate * tick - 1e-9))
        slot = self._next_slot
        sent = 0
        while self._live() and sent < budget:
            entry = self._entries[0]
            take = int(min(budget - sent, len(entry.numbers)))
            numbers = [entry.numbers.popleft() for _ in range(take)]
            if not entry.numbers:
                self._entries.popleft()
            sent += take
            self._send(entry.batch, numbers, entry.when.later(slot - entry.when.due))
        if rate is not None:
            self._next_slot = slot + sent / rate
        self._schedule()

    def _live(self) -> bool:
        """Whether a message is waiting; drops retired batches (cancelled, changed, deleted) off the head."""
        while self._entries and not (self._current(self._entries[0]) and self._entries[0].numbers):
            self._entries.popleft()
        return bool(self._entries)

    def _current(self, entry: _Entry) -> bool:
        batch = entry.batch
        return batch.version == entry.version and not batch.canceled and batch.id in self._store.batches
