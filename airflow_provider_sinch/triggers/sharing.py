"""What the delivery waits of one triggerer share per connection: their reads, and the pace of their polls.

A triggerer runs every deferred wait in one event loop, and the waits of one connection share one
:class:`~airflow_provider_sinch.client.AsyncSinchClient` (at most ``max_in_flight`` requests on the wire, the
limit adapting below it: :mod:`~airflow_provider_sinch.client.in_flight`).
Two things follow, both kept here, one :class:`SharedPolls` per client:

* **One read per batch and interval.**  Several waits often watch the same batch (mapped tasks, a send and
  its sensor).  A read (``get_delivery_report`` of a batch, ``get_batch``, a recipient's report) that
  another wait made less than the asking wait's ``poll_interval`` ago, or is making right now, is shared
  instead of repeated: each wait still sees an answer at most one of its intervals old, as if it had
  polled itself, and never the same answer twice.  A failed read is never kept (the next poll asks
  again), and the read runs as a task of its own, so a wait that is cancelled (the triggerer dropped it)
  stops at once without failing the others.  Entries are dropped once older than every interval that
  asked for them, and all of them when the last wait leaves, so the cache holds only what live waits read.
* **A round longer than the interval stretches it, evenly.**  With L requests in flight, a round of N
  waits takes about ``N x request time / L``: the client's limit grows while polls queue for it, but not
  beyond ``max_in_flight`` nor while Sinch answers 429 (10,000 waits at 100 ms a request and 100 in flight
  need 10 s; a 429 halves L).  Once a round is longer than ``poll_interval`` the polls queue for a slot, and
  how long a poll takes (its *lag*, a running mean over the client's waits; a wait's first poll does not
  count, it queues behind every wait that started with it) grows to ``round - poll_interval``.  Once the
  lag passes :data:`STRETCH_SHARE` of ``poll_interval`` the interval is stretched: each wait sleeps
  ``poll_interval + lag`` times a random factor from ``1 - JITTER / 2`` to ``1 + JITTER / 2`` (:data:`JITTER`:
  on average the round itself, not more), so the round is spread
  over sleeping rather than queueing and polls arrive evenly instead of in waves; the log says so once (not
  per poll), and once more when polls are on time again (not before :data:`STAY_STRETCHED` intervals).
  Below that, a wait sleeps exactly ``poll_interval``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from airflow_provider_sinch.client import AsyncSinchClient

log = logging.getLogger(__name__)

JITTER = 0.1
"""A stretched interval is multiplied by a random factor from ``1 - JITTER / 2`` to ``1 + JITTER / 2`` at
each sleep: a spread as wide as a tenth of the round, centred on it (a stretch that outlives the queue it
drained, :data:`STAY_STRETCHED`, then keeps polls within 5% of the round, not up to 10% beyond it)."""

STRETCH_SHARE = 0.2
"""Polls lagging more than this share of ``poll_interval`` (queued for the client's in-flight slots) stretch
the interval."""

STAY_STRETCHED = 10
"""A stretched interval stays so for at least this many intervals, and until polls lag less than a quarter
of :data:`STRETCH_SHARE`: stretching drains the queue, so a lag that drops right after is its effect, not a
sign the round got shorter (without this the log would flap)."""

_EWMA = 0.05  # weight of the newest value in a running mean


@dataclass
class _Read:
    """One shared read: in flight (``future`` not done) or answered ``at`` (monotonic seconds).

    ``seen`` holds the waits (their ids) that got it: a wait polling again wants a newer answer than its
    last, so it never gets the same read twice.
    """

    future: asyncio.Future[Any]
    at: float = float("inf")
    keep_for: float = 0.0  # the longest poll interval that asked for it
    seen: set[int] = field(default_factory=set)


@dataclass
class SharedPolls:
    """The shared reads and the poll pace of one client's waits (see the module docstring).

    :param client: the shared client of one connection in this event loop.
    :param clock: monotonic seconds (tests pass a fake one).
    :param rng: random numbers in [0, 1) for the jitter (tests pass a fixed one).
    """

    client: AsyncSinchClient
    clock: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = random.random
    waits: int = field(default=0, init=False)
    """Waits polling with this client now (they join at their first poll and leave when they end)."""
    fetches: int = field(default=0, init=False)
    """Reads that went to Sinch (the others were shared)."""
    lag: float = field(default=0.0, init=False)
    """Running mean of the seconds a poll of these waits takes (see :meth:`polled`)."""
    stretched: bool = field(default=False, init=False)
    _reads: dict[Hashable, _Read] = field(default_factory=dict, init=False)
    _next_sweep: float = field(default=0.0, init=False)
    _stretched_at: float = field(default=0.0, init=False)
    _max_in_flight: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._max_in_flight = self.client.max_in_flight
        # Held weakly: these polls are the value of the client's entry in a WeakKeyDictionary, which a
        # strong reference back would keep for ever (every client a changed connection retired, leaked).
        self.client = cast("AsyncSinchClient", weakref.proxy(self.client))

    def join(self) -> None:
        self.waits += 1

    def leave(self) -> None:
        self.waits = max(0, self.waits - 1)
        if not self.waits:
            self._reads.clear()

    async def read(self, wait: object, name: str, kwargs: dict[str, Any], max_age: float) -> Any:
        """``client.<name>(**kwargs)`` for ``wait``, shared with the other waits asking for the same read
        within ``max_age`` seconds of its answer (or while it is in flight); never the read ``wait`` got
        last time."""
        key = (name, *sorted(kwargs.items()))
        now = self.clock()
        self._sweep(now)
        entry = self._reads.get(key)
        if entry is None or id(wait) in entry.seen or (entry.future.done() and now - entry.at >= max_age):
            self.fetches += 1
            entry = self._reads[key] = _Read(asyncio.ensure_future(getattr(self.client, name)(**kwargs)))
            entry.future.add_done_callback(functools.partial(self._answered, key, entry))
        assert entry is not None
        entry.keep_for = max(entry.keep_for, max_age)
        entry.seen.add(id(wait))
        # shield: a wait cancelled meanwhile must not cancel the read the others wait for
        return await asyncio.shield(entry.future)

    def _answered(self, key: Hashable, entry: _Read, _: object = None) -> None:
        entry.at = self.clock()
        failed = entry.future.cancelled() or entry.future.exception() is not None  # retrieved: no warning
        if failed and self._reads.get(key) is entry:
            del self._reads[key]  # a failure is not shared with later polls

    def _sweep(self, now: float) -> None:
        """Drop answers older than the longest interval that asked for them (at most once a second)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + 1.0
        stale = [k for k, e in self._reads.items() if e.future.done() and now - e.at >= e.keep_for]
        for key in stale:
            del self._reads[key]

    def polled(self, seconds: float) -> None:
        """Note how long a wait's poll took (its reads, queued behind the other waits' included)."""
        self.lag += _EWMA * (seconds - self.lag)

    def interval(self, poll_interval: float, who: str) -> float:
        """The sleep before a wait's next poll: ``poll_interval``, or, while polls lag (said once in the log),
        ``poll_interval + lag`` times a random factor from ``1 - JITTER / 2`` to ``1 + JITTER / 2``, so the
        polls spread."""
        now = self.clock()
        if not self.stretched and self.lag > STRETCH_SHARE * poll_interval:
            self.stretched, self._stretched_at = True, now
            log.warning(
                "%d Sinch waits on %s share at most %d requests in flight: a round of polls takes about "
                "%.1f s, longer than poll_interval %.1f s, so their interval stretches to that, with polls "
                "spread evenly over it (said once)", self.waits, who, self._max_in_flight,
                poll_interval + self.lag, poll_interval)
        elif self.stretched and self.lag < STRETCH_SHARE * poll_interval / 4 \
                and now - self._stretched_at >= STAY_STRETCHED * poll_interval:
            self.stretched = False
            log.info("The %d Sinch waits on %s poll every poll_interval again (%.1f s)", self.waits, who,
                     poll_interval)
        if not self.stretched:
            return poll_interval
        return (poll_interval + self.lag) * (1 + JITTER * (self.rng() - 0.5))


_SHARED: weakref.WeakKeyDictionary[AsyncSinchClient, SharedPolls] = weakref.WeakKeyDictionary()


def shared_polls(client: AsyncSinchClient) -> SharedPolls:
    """The :class:`SharedPolls` of ``client`` (a client belongs to one event loop; see
    :mod:`~airflow_provider_sinch.hooks.shared_clients`)."""
    polls = _SHARED.get(client)
    if polls is None:
        polls = _SHARED[client] = SharedPolls(client)
    return polls


class SharedReader:
    """What a wait's probe calls instead of the client: each read goes through :meth:`SharedPolls.read`.

    :param polls: the shared polls of the client.
    :param wait: the wait (trigger) reading.
    :param max_age: the wait's ``poll_interval`` (an answer younger than it is shared).
    """

    def __init__(self, polls: SharedPolls, wait: object, max_age: float) -> None:
        self.polls, self.wait, self.max_age = polls, wait, max_age

    def __getattr__(self, name: str) -> Callable[..., Any]:
        async def read(**kwargs: Any) -> Any:
            return await self.polls.read(self.wait, name, kwargs, self.max_age)

        return read
