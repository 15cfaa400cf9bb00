"""Waiting for SMS replies in the triggerer, and turning every inbound SMS into an asset event.

* :class:`SinchInboundMessageTrigger`: the deferrable half of ``SinchInboundMessageSensor``: fires once,
  with the first matching message.
* :class:`SinchInboundMessageEventTrigger`: a ``BaseEventTrigger`` for ``AssetWatcher``: runs for ever and
  fires one event per matching message; the watchers of one connection and number share one poll loop
  (:func:`poll_inbounds`) in a triggerer, see :mod:`airflow_provider_sinch.triggers.inbound_stream`.

Which messages count and which are new is decided by the filter and window of
:mod:`airflow_provider_sinch.common.inbound_wait`, which the sensor's ``poke`` uses too.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Hashable, Sequence
from contextlib import aclosing
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_sinch.common.arguments import SinchArgumentError
from airflow_provider_sinch.common.inbound_wait import (
    DEFAULT_OVERLAP_SECONDS,
    InboundMessageFilter,
    InboundWindow,
    inbound_query_from,
)
from airflow_provider_sinch.common.polling import as_seconds, describe_error, is_transient
from airflow_provider_sinch.common.times import parse_time
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID
from airflow_provider_sinch.triggers.base import SinchPollingTrigger, masked_repr
from airflow_provider_sinch.triggers.events import EventKind
from airflow_provider_sinch.triggers.inbound_stream import (
    InboundDemand,
    InboundPoll,
    StreamSettings,
    demand_for,
)

if TYPE_CHECKING:
    from airflow_provider_sinch.client import AsyncSinchClient
    from airflow_provider_sinch.client.models import InboundMessage

log = logging.getLogger(__name__)

LOUD_AFTER_FAILURES = 5
"""Failed polls in a row after which each further failure is logged as an error, not a warning."""

async def list_inbounds(
    client: AsyncSinchClient, start: datetime, to_numbers: Sequence[str]
) -> list[InboundMessage]:
    """Every inbound message received since ``start`` (to ``to_numbers``, if given), all pages."""
    return [m async for m in client.aiter_inbounds(**inbound_query_from(start, to_numbers))]


async def poll_inbounds(
    settings: StreamSettings, demand: InboundDemand
) -> AsyncGenerator[InboundPoll, None]:
    """Poll ``GET /inbounds`` for ever, from where ``demand`` says; yield every answer that lists anything.

    Never ends and never raises but for cancellation: an error is logged and the next poll waits
    :meth:`StreamSettings.backoff` (at least ``poll_interval``), so a Sinch outage costs one request per
    pause, not a loop that restarts every watcher.  Only ever reads.
    """
    from airflow_provider_sinch.hooks.sinch import SinchHook  # in the triggerer, not at DAG parse

    failures = 0
    while True:
        start = await demand.next_start()
        try:
            # Asked for at every poll (a dictionary lookup): a rotated token reaches a stream of months.
            client = await SinchHook(sinch_conn_id=settings.sinch_conn_id).aget_client()
            messages = await list_inbounds(client, start, settings.to_numbers)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            pause = settings.backoff(failures)
            loud = failures >= LOUD_AFTER_FAILURES or not is_transient(exc)
            (log.error if loud else log.warning)(
                "Listing inbound SMS failed (%d in a row), retrying in %gs: %s",
                failures, pause, describe_error(exc))
            await asyncio.sleep(pause)
            continue
        failures = 0
        if messages:
            yield InboundPoll(start, tuple(messages))
        await asyncio.sleep(settings.poll_interval)


class SinchInboundMessageTrigger(SinchPollingTrigger):
    """Wait for one inbound SMS matching a filter, received at or after ``since``.

    Fires ``success`` with the message (``from``, ``to``, ``body``, ``text``, ``received_at``, ``id``,
    ``keyword``, ``groups``...), ``timeout`` at the deadline, ``error`` when Sinch cannot be asked.

    Polls on its own, per task: Airflow's shared streams serve event triggers only (the triggerer
    never asks a task's trigger for a stream key), and a reply wait is short-lived and usually the only one
    on its number.

    :param since: ISO-8601 time; older messages are ignored.
    :param from_numbers: senders to accept.
    :param to_numbers: your numbers the reply must be sent to (optional).
    :param keywords: accepted first words, case-insensitive (optional).
    :param pattern: regular expression searched case-insensitively in the text (optional).
    :param kwargs: ``sinch_conn_id``, ``poll_interval``, ``deadline``, ``max_consecutive_failures``.
    """

    event_kind: ClassVar[EventKind] = "inbound"

    def __init__(
        self,
        *,
        since: str | datetime,
        from_numbers: Sequence[str] | str | None = None,
        to_numbers: Sequence[str] | str | None = None,
        keywords: Sequence[str] | str | None = None,
        pattern: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        start = parse_time(since, "since")
        if start is None:
            raise SinchArgumentError("since", "is required: the time after which a reply counts")
        self.since = start.isoformat()
        self.filter = InboundMessageFilter(from_numbers, to_numbers, keywords, pattern)  # type: ignore[arg-type]
        self.window = InboundWindow(start)

    def target_kwargs(self) -> dict[str, Any]:
        return {"since": self.since, **self.filter.to_kwargs()}

    async def poll(self, client: AsyncSinchClient) -> TriggerEvent | None:
        listed = await list_inbounds(client, self.window.query_start(), self.filter.to_numbers)
        for message in self.window.take(listed):
            result = self.filter.match(message)
            if result is not None:
                self.log.info("Inbound SMS %s matched (%s)", message.id, self.filter.describe())
                return self.event("success", f"received SMS {message.id}", result)
        return None

    def timeout_detail(self) -> tuple[str, Any]:
        return (
            f"no SMS {self.filter.describe()} received since {self.since} "
            f"before the deadline {self.deadline}",
            None,
        )


class SinchInboundMessageEventTrigger(BaseEventTrigger):
    """Fire an event for every new inbound SMS matching a filter; for ``AssetWatcher``.

    Each event's payload is the message as plain JSON (see :meth:`InboundMessageFilter.match`); Airflow
    stores it in the asset event's ``extra["payload"]``, so the started DAG reads it from
    ``triggering_asset_events``.  It never ends: Sinch errors are logged and retried with a growing
    pause (up to ``max_backoff``), never turned into a failure that would make the triggerer restart the
    watcher in a tight loop.

    **Restarts fire nothing twice.**  The watcher's kwargs identify it (Airflow hashes them), so they must
    be the same on every parse: ``since`` is a fixed time or ``None``, never ``now()``.  Where the next poll
    starts is kept in the watched asset's state store (Airflow 3.3+, key ``sinch_inbound:<filter hash>``):
    the newest ``received_at`` handled and the ids within ``overlap_seconds`` before it.  The state is saved
    *before* each event is yielded, so a crash in between can lose that one event but never repeat it
    (at-most-once).  On the very first start, messages from ``since`` on count (``None``: from the start).
    Without a state store (one trigger watching several assets, or Airflow 3.1/3.2, which give triggers
    none) the watcher keeps where it is in memory only: a restart starts from the restart time, nothing is
    fired twice, but messages that arrived while it was down are skipped; and since a first start cannot
    be told from a restart there, ``since`` is not honoured (the watcher starts from now, and says so).
    Within a process, message ids are de-duplicated too.

    **Watchers of one number share one poll** (Airflow 3.3's shared streams): in a triggerer, the watchers
    with the same connection, ``to_numbers``, ``poll_interval`` and ``max_backoff``
    (:meth:`shared_stream_key`) are served by one ``GET /inbounds`` loop (:meth:`open_shared_stream`), each
    keeping its own filter, window and asset state (:meth:`filter_shared_stream`); a hundred keyword
    watchers on a number cost one request per interval instead of a hundred.  The loop lists from the
    earliest point any of them needs (:mod:`~airflow_provider_sinch.triggers.inbound_stream`), so what each
    watcher fires is exactly what it would fire polling alone.  Sharing is per triggerer: two triggerers
    running the same watchers (HA, failover) poll once each, and each copy keeps the rules above.  Airflow
    3.1 and 3.2 have no shared streams: there the triggerer runs each watcher's :meth:`run`, its own poll
    loop with the same rules, so N watchers on one number cost N ``GET /inbounds`` per ``poll_interval``.

    **No ack mode** (``create_shared_stream_producer`` is not overridden).  Ack mode is for brokers with one
    consumer cursor that must only move once every subscriber's events are persisted (a Kafka offset, an SQS
    delete); the triggerer redelivers what was not acknowledged.  ``GET /inbounds`` is a read-only list with
    nothing to acknowledge, and the cursor is per watcher (its window, saved in its asset's state before it
    yields), so the broker advance would have nothing to do, while ack mode's per-event timeout would fail a
    watcher whose event Airflow was slow to store, and its redelivery contradicts at-most-once.

    :param sinch_conn_id: Airflow connection of type ``sinch``.
    :param from_numbers: senders to accept (optional).
    :param to_numbers: your numbers (optional; also filters ``GET /inbounds`` server side).
    :param keywords: accepted first words, case-insensitive (optional).
    :param pattern: regular expression searched case-insensitively in the text (optional).
    :param since: fixed ISO-8601 time from which messages count on the first start; ``None`` = from the
        first start.
    :param poll_interval: seconds between polls.
    :param overlap_seconds: look-back before the newest message seen, for messages Sinch lists late.
    :param max_backoff: longest pause, in seconds, after repeated errors.
    """

    STATE_PREFIX = "sinch_inbound:"

    def __init__(
        self,
        *,
        sinch_conn_id: str = DEFAULT_CONN_ID,
        from_numbers: Sequence[str] | str | None = None,
        to_numbers: Sequence[str] | str | None = None,
        keywords: Sequence[str] | str | None = None,
        pattern: str | None = None,
        since: str | datetime | None = None,
        poll_interval: float = 10.0,
        overlap_seconds: float = DEFAULT_OVERLAP_SECONDS,
        max_backoff: float = 300.0,
    ) -> None:
        super().__init__()
        self.sinch_conn_id = sinch_conn_id
        self.filter = InboundMessageFilter(from_numbers, to_numbers, keywords, pattern)  # type: ignore[arg-type]
        start = parse_time(since, "since")
        self.since = start.isoformat() if start else None
        self.poll_interval = as_seconds(poll_interval, "poll_interval")
        self.overlap_seconds = as_seconds(overlap_seconds, "overlap_seconds")
        self.max_backoff = max(as_seconds(max_backoff, "max_backoff"), self.poll_interval)
        self._window: InboundWindow | None = None
        self._store_usable = True

    def __repr__(self) -> str:
        return masked_repr(self)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """``(classpath, JSON kwargs)``: only configuration, so the watcher's identity is stable."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "sinch_conn_id": self.sinch_conn_id,
                **self.filter.to_kwargs(),
                "since": self.since,
                "poll_interval": self.poll_interval,
                "overlap_seconds": self.overlap_seconds,
                "max_backoff": self.max_backoff,
            },
        )

    @property
    def state_key(self) -> str:
        """State-store key: the connection, filter and ``since`` (not poll settings, which may be tuned).

        Changing the filter or ``since`` starts a new watch; tuning ``poll_interval`` resumes the old one.
        """
        ident = json.dumps({"conn": self.sinch_conn_id, "since": self.since, **self.filter.to_kwargs()},
                           sort_keys=True)
        return self.STATE_PREFIX + hashlib.sha256(ident.encode()).hexdigest()[:16]

    # Sharing one poll loop (Airflow 3.3 shared streams)

    @property
    def stream_settings(self) -> StreamSettings:
        """What this watcher's poll loop asks Sinch, and how often."""
        return StreamSettings(self.sinch_conn_id, tuple(sorted(self.filter.to_numbers)), self.poll_interval,
                              self.max_backoff)

    def shared_stream_key(self) -> Hashable:
        """The watchers whose keys are equal share one poll loop in a triggerer.

        The class (Airflow keys streams of every trigger class in one table), the connection (it decides
        account, region and host) and :attr:`stream_settings`; the filter, ``since`` and the overlap are
        each watcher's own.  The numbers are in it as a digest: Airflow logs keys and names tasks after
        them, and phone numbers never reach a log unmasked.
        """
        settings = self.stream_settings
        numbers = hashlib.sha256(",".join(settings.to_numbers).encode()).hexdigest()[:16]
        return (f"{type(self).__module__}.{type(self).__qualname__}", settings.sinch_conn_id,
                f"to:{numbers}", settings.poll_interval, settings.max_backoff)

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[InboundPoll]:
        """The one poll loop of a stream, run by the triggerer for all its watchers (from one's kwargs)."""
        first = cls(**kwargs)
        settings = first.stream_settings
        numbers = InboundMessageFilter(to_numbers=settings.to_numbers).describe()  # masked
        first.log.info("One GET /inbounds loop on %r (%s) for all its watchers, every %gs",
                       settings.sinch_conn_id, numbers, settings.poll_interval)
        async for poll in poll_inbounds(settings, demand_for(first.shared_stream_key())):
            yield poll

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        """This watcher's events from the polls of the stream it shares."""
        async with aclosing(self._events(shared_stream, demand_for(self.shared_stream_key()))) as events:
            async for event in events:
                yield event

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Alone (no shared stream): the same filter over a poll loop of its own."""
        demand = InboundDemand()
        polls = poll_inbounds(self.stream_settings, demand)
        async with aclosing(polls), aclosing(self._events(polls, demand)) as events:
            async for event in events:
                yield event

    async def _events(self, polls: AsyncIterator[InboundPoll],
                      demand: InboundDemand) -> AsyncGenerator[TriggerEvent, None]:
        """Turn polls into this watcher's events: its window decides what is new, its filter what counts."""
        from airflow_provider_sinch.common.masked_event import SinchTriggerEvent  # a model: not at parse

        if self._window is None:
            self._window = await self._load_window()
            self.log.info("Watching inbound SMS %s from %s", self.filter.describe(),
                          self._window.query_start().isoformat())
        window = self._window
        token = demand.add(window)  # from now on every poll starts early enough for this window
        try:
            async for poll in polls:
                if poll.start > window.query_start():
                    continue  # sent before this window was known; the next poll covers it
                fresh = window.new(window.listed(poll.messages))
                for message in fresh:
                    window.mark(message)
                    result = self.filter.match(message)
                    if result is None:
                        continue
                    # Saved before the event is handed over: a crash between the two loses it, never
                    # repeats it.
                    await self._store("aset", self.state_key, window.state())
                    self.log.info("Inbound SMS %s -> asset event", message.id)
                    yield SinchTriggerEvent(result)
                if fresh:
                    await self._store("aset", self.state_key, window.state())
        finally:
            demand.remove(token)

    # Where a restart resumes (the asset state store)

    async def _load_window(self) -> InboundWindow:
        state = await self._store("aget", self.state_key)
        try:
            window = InboundWindow.from_state(state, self.overlap_seconds)
        except (ValueError, TypeError, AttributeError) as exc:
            # Raising would make the triggerer restart the watcher over and over on the same state; replaying
            # from ``since`` could fire again what was fired.  Like a watcher without a store: from now.
            self.log.warning("Unreadable asset state %s (%s): starting from now", self.state_key,
                             describe_error(exc))
            window, unreadable = None, True
        else:
            unreadable = False
        if window is not None:
            self.log.info("Inbound watcher resumes after %s (%d recent ids)", state["watermark"],
                          len(window.seen))
            return window
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # Sinch's times are in milliseconds
        floor = None if unreadable else parse_time(self.since, "since")
        if floor and not self._store_usable:
            self.log.warning("No usable asset state store: starting from now, not from since=%s", self.since)
            floor = None
        window = InboundWindow(min(floor, now) if floor else now, self.overlap_seconds)
        # Saved at once, so a restart before the first message resumes from here rather than from then.
        await self._store("aset", self.state_key, window.state())
        return window

    async def _store(self, method: str, *args: Any) -> Any:
        """Call the asset state store, if there is a usable one; errors are logged, never raised."""
        store = getattr(self, "asset_state_store", None)
        if store is None or not self._store_usable:
            self._store_usable = False
            return None
        try:
            return await getattr(store, method)(*args)
        except ValueError as exc:  # several watched assets: no single place to keep the state
            self.log.warning("Asset state store not usable (%s); restarts will start from now", exc)
            self._store_usable = False
        except Exception as exc:
            self.log.warning("Asset state store %s failed: %s", method, describe_error(exc))
        return None
