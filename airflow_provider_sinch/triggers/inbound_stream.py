"""One ``GET /inbounds`` poll loop per connection and number in a triggerer, serving every inbound watcher.

A hundred ``AssetWatcher``\\ s on one number (one per keyword, say) each polling ``GET /inbounds`` ask
Sinch a hundred times per interval for the same list.  Airflow 3.3's triggerer can run one poll loop for
all of them (``BaseEventTrigger.shared_stream_key`` / ``open_shared_stream`` / ``filter_shared_stream``):
the loop yields raw events, the triggerer copies each into every watcher's queue, and each watcher filters
for itself.

Here a raw event is an :class:`InboundPoll`: one poll's whole answer and the ``start_date`` it asked for.
Each watcher keeps its own :class:`~airflow_provider_sinch.common.inbound_wait.InboundWindow` (where it
resumes after a restart, which ids it has handled), so the shared loop must list from early enough for all
of them: the watchers of a stream register their windows in its :class:`InboundDemand`, and every poll
starts at the earliest registered window's ``query_start()``.  A watcher whose window was not registered
yet when a poll was sent (it was still reading its asset state) skips that poll; the next one starts early
enough for it.  With no watcher registered the loop waits and sends nothing.

The loop itself is :func:`~airflow_provider_sinch.triggers.inbound.poll_inbounds`; it also serves a
watcher running alone (``run()``: a triggerer that does not share, and tests), with a demand of its own, so
there is one set of rules: read-only, backoff after errors, never a hot loop.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_sinch.client.models import InboundMessage
    from airflow_provider_sinch.common.inbound_wait import InboundWindow


@dataclass(frozen=True)
class InboundPoll:
    """One poll's answer, as the stream hands it to every watcher it serves.

    :param start: the ``start_date`` asked for: every message received since then is in ``messages``.
    :param messages: the messages Sinch listed, all pages.
    """

    start: datetime
    messages: tuple[InboundMessage, ...]


@dataclass(frozen=True)
class StreamSettings:
    """What one stream polls and how often: everything its watchers must agree on to share it.

    :param sinch_conn_id: Airflow connection (it decides the account, region and host).
    :param to_numbers: your numbers, digits only, as ``GET /inbounds`` filters them (empty: every number).
    :param poll_interval: seconds between polls.
    :param max_backoff: longest pause, in seconds, after repeated errors.
    """

    sinch_conn_id: str
    to_numbers: tuple[str, ...]
    poll_interval: float
    max_backoff: float

    def backoff(self, failures: int) -> float:
        """The pause after ``failures`` failed polls in a row: doubling from ``poll_interval``, capped."""
        return min(self.max_backoff, self.poll_interval * 2 ** min(failures, 16))


class InboundDemand:
    """The windows of the watchers one stream serves, and so where its next poll must start.

    Found by the stream's key (:func:`demand_for`) both by the shared poll loop and by each watcher's
    filter; forgotten once neither holds it any more.
    """

    def __init__(self) -> None:
        self._windows: dict[int, InboundWindow] = {}
        self._tokens = itertools.count()
        self._changed = asyncio.Event()

    def add(self, window: InboundWindow) -> int:
        """Register a watcher's window (read live: it moves on as the watcher handles messages)."""
        token = next(self._tokens)
        self._windows[token] = window
        self._changed.set()
        return token

    def remove(self, token: int) -> None:
        """Forget a watcher that stopped; the stream goes on for the others."""
        self._windows.pop(token, None)

    def start(self) -> datetime | None:
        """The ``start_date`` the next poll needs: the earliest window's; ``None`` while none is here."""
        return min((window.query_start() for window in self._windows.values()), default=None)

    async def next_start(self) -> datetime:
        """:meth:`start`, waiting (without sending anything) until a watcher has registered."""
        while (start := self.start()) is None:
            self._changed.clear()
            await self._changed.wait()
        return start


_DEMANDS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakValueDictionary[Hashable, InboundDemand]
] = weakref.WeakKeyDictionary()


def demand_for(key: Hashable) -> InboundDemand:
    """The demand of the stream ``key`` in the running event loop (created on first use)."""
    demands = _DEMANDS.setdefault(asyncio.get_running_loop(), weakref.WeakValueDictionary())
    demand = demands.get(key)
    if demand is None:
        demand = demands[key] = InboundDemand()
    return demand
