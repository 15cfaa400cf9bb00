"""How many requests one async client keeps on the wire: a limit that adapts to Sinch, under a ceiling.

A fixed cap bounds every poll round of a triggerer by latency, not by Sinch: a round of N waits takes about
``N x answer time / cap``, so 10,000 waits at 100 ms an answer and 10 in flight need 100 s, whatever their
``poll_interval`` says.  A higher fixed cap would open that many connections for a handful of waits too,
and would keep hammering a Sinch that answers 429.  So :class:`AdaptiveInFlight` adapts the way TCP's
congestion window does (additive increase, multiplicative decrease):

* It starts at :data:`START_IN_FLIGHT` (the old fixed cap), or at the ceiling when that is lower.
* It **grows** only while it is what holds requests back (a request waits for a slot, or every slot is
  taken when an answer comes) and answers are clean: by one per clean answer until the first sign of
  trouble (doubling each round trip, so thousands of waits after a triggerer restart reach the concurrency
  their latency needs within a few round trips), then by ``1 / limit`` per answer (one per round trip).
* It **halves** on a 429, a 5xx or a timeout, and grows by one per round trip from there.  It halves at
  most once per round trip: only an answer to a request that got its slot after the last halving halves it
  again (the others were sent under the old limit; a storm of 429s is one signal, not a hundred).
* It never goes below 1 nor above the ceiling, ``max_in_flight`` (the connection's extra), which is also
  the size of the client's connection pool: connections never outnumber the requests in flight.

A request that fails otherwise (a 404, a refused token) or is cancelled gives its slot back and changes
nothing.  A 429's ``Retry-After`` is honoured by the request's retry (outside the limit), and the slower
rounds it causes stretch the poll interval of every wait on the connection
(:mod:`~airflow_provider_sinch.triggers.sharing`); halving the limit slows every request of the client on
top of that.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from types import TracebackType

from airflow_provider_sinch.client.errors import SinchRateLimitError, SinchServerError

log = logging.getLogger(__name__)

START_IN_FLIGHT = 10
"""Requests in flight a new client allows before answers show that more are needed (the old fixed cap)."""

_TIMEOUT_NAMES = ("Timeout", "TimeoutError", "TimeoutException")
# How HTTP libraries name their timeouts: asyncio's and aiohttp's are TimeoutError, httpx's
# TimeoutException (not a TimeoutError); raised inside the limit, before the client maps them to SinchError.


def is_congestion(exc: BaseException) -> bool:
    """Whether ``exc``, raised while a request held its slot, says Sinch (or the way to it) is overloaded:
    a 429, a 5xx, or a timeout of any HTTP library (by its class names, so no library is imported here)."""
    if isinstance(exc, SinchRateLimitError | SinchServerError):
        return True
    return any(kind.__name__.endswith(_TIMEOUT_NAMES) for kind in type(exc).__mro__)


class AdaptiveInFlight:
    """An ``async with`` limit on requests in flight that adapts to the answers (see the module docstring).

    Used like ``asyncio.Semaphore``: ``async with limit:`` around one request; an exception raised inside
    is how the limit learns the request failed.  Waiting requests get their slot first come, first served.
    Not thread-safe: one event loop, as the client.

    :param ceiling: the most requests in flight, at least 1 (the connection's ``max_in_flight``).
    :param start: requests in flight allowed at first (capped by ``ceiling``).
    """

    def __init__(self, ceiling: int, *, start: int = START_IN_FLIGHT) -> None:
        if ceiling < 1 or start < 1:
            raise ValueError(f"ceiling and start must be at least 1, got {ceiling} and {start}")
        self.ceiling = ceiling
        self.limit = float(min(start, ceiling))
        """The requests in flight allowed now (its whole part counts), from 1 to :attr:`ceiling`."""
        self.threshold = float(ceiling)
        """Below it the limit grows by one per clean answer, above it by one per round trip."""
        self.in_flight = 0
        self.halvings = 0
        """How often the limit was halved (also the generation a request's slot belongs to)."""
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._generation: dict[asyncio.Task[object] | None, int] = {}  # per request holding a slot

    def __repr__(self) -> str:
        return f"AdaptiveInFlight(limit={self.slots}, ceiling={self.ceiling}, in_flight={self.in_flight})"

    @property
    def slots(self) -> int:
        """Requests that may be in flight now: the whole part of :attr:`limit`."""
        return int(self.limit)

    async def __aenter__(self) -> None:
        if self._waiters or self.in_flight >= self.slots:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self.in_flight -= 1  # the slot was handed over as the wait was cancelled: give it back
                self._wake()  # also drops this (and any other) cancelled waiter from the head of the queue
                raise
        else:
            self.in_flight += 1
        self._generation[asyncio.current_task()] = self.halvings

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        generation = self._generation.pop(asyncio.current_task(), self.halvings)
        saturated = bool(self._waiters) or self.in_flight >= self.slots
        self.in_flight -= 1
        if exc is None:
            if saturated:
                self._grow()
        elif is_congestion(exc) and generation == self.halvings:
            self._halve(exc)
        self._wake()

    def _grow(self) -> None:
        step = 1.0 if self.limit < self.threshold else 1.0 / self.limit
        self.limit = min(float(self.ceiling), self.limit + step)

    def _halve(self, exc: BaseException) -> None:
        self.halvings += 1
        self.limit = self.threshold = max(1.0, self.limit / 2)
        log.debug("Sinch requests in flight halved to %d (%s)", self.slots, type(exc).__name__)

    def _wake(self) -> None:
        """Hand free slots to the oldest waiting requests (skipping the ones cancelled meanwhile)."""
        while self._waiters and self.in_flight < self.slots:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self.in_flight += 1
        while self._waiters and self._waiters[0].done():  # cancelled: no request behind them any more
            self._waiters.popleft()
