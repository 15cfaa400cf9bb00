"""Waiting for SMS replies in the triggerer, and turning every inbound SMS into an asset event.

* :class:`SinchInboundMessageTrigger`: the deferrable half of ``SinchInboundMessageSensor``: fires once,
  with the first matching message.
* :class:`SinchInboundMessageEventTrigger`: a ``BaseEventTrigger`` for ``AssetWatcher``: runs for ever and
  fires one event per matching message.

Which messages count and which are new is decided by the filter and window of
:mod:`airflow_provider_sinch.common.inbound_wait`, which the sensor's ``poke`` uses too.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_sinch.common.arguments import SinchArgumentError
from airflow_provider_sinch.common.inbound_wait import (
    DEFAULT_OVERLAP_SECONDS,
    InboundMessageFilter,
    InboundWindow,
    inbound_query,
)
from airflow_provider_sinch.common.polling import as_seconds, describe_error, is_transient
from airflow_provider_sinch.common.times import parse_time
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID
from airflow_provider_sinch.triggers.base import SinchPollingTrigger, masked_repr
from airflow_provider_sinch.triggers.events import EventKind

if TYPE_CHECKING:
    from airflow_provider_sinch.client import AsyncSinchClient


async def list_inbounds(
    client: AsyncSinchClient, window: InboundWindow, to_numbers: Sequence[str]
) -> list[Any]:
    """Every inbound message the window may not have seen yet, all pages."""
    return [m async for m in client.aiter_inbounds(**inbound_query(window, to_numbers))]


class SinchInboundMessageTrigger(SinchPollingTrigger):
    """Wait for one inbound SMS matching a filter, received at or after ``since``.

    Fires ``success`` with the message (``from``, ``to``, ``body``, ``text``, ``received_at``, ``id``,
    ``keyword``, ``groups``...), ``timeout`` at the deadline, ``error`` when Sinch cannot be asked.

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
        for message in self.window.take(await list_inbounds(client, self.window, self.filter.to_numbers)):
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
    ``triggering_asset_events``.  ``run()`` never ends: Sinch errors are logged and retried with a growing
    pause (up to ``max_backoff``), never turned into a failure that would make the triggerer restart the
    watcher in a tight loop.

    **Restarts fire nothing twice.**  The watcher's kwargs identify it (Airflow hashes them), so they must
    be the same on every parse: ``since`` is a fixed time or ``None``, never ``now()``.  Where the next poll
    starts is kept in the watched asset's state store (Airflow 3.3+, key ``sinch_inbound:<filter hash>``):
    the newest ``received_at`` handled and the ids within ``overlap_seconds`` before it.  The state is saved
    *before* each event is yielded, so a crash in between can lose that one event but never repeat it
    (at-most-once).  On the very first start, messages from ``since`` on count (``None``: from the start).
    Without a state store (one trigger watching several assets, or an older Airflow) a restart starts from
    the restart time: nothing is fired twice, but messages that arrived while it was down are skipped.
    Within a process, message ids are de-duplicated too.

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

    async def _load_window(self) -> InboundWindow:
        state = await self._store("aget", self.state_key)
        window = InboundWindow.from_state(state, self.overlap_seconds)
        if window is not None:
            self.log.info("Inbound watcher resumes after %s (%d recent ids)", state["watermark"],
                          len(window.seen))
            return window
        now = datetime.now(UTC)
        floor = parse_time(self.since, "since")
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

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_sinch.hooks.sinch import SinchHook  # in the triggerer, not at parse

        failures = 0
        while True:
            try:
                client = await SinchHook(sinch_conn_id=self.sinch_conn_id).aget_client()
                if self._window is None:
                    self._window = await self._load_window()
                    self.log.info("Watching inbound SMS %s from %s", self.filter.describe(),
                                  self._window.query_start().isoformat())
                messages = await list_inbounds(client, self._window, self.filter.to_numbers)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                pause = min(self.max_backoff, self.poll_interval * 2 ** min(failures, 16))
                log = self.log.warning if is_transient(exc) and failures < 5 else self.log.error
                log("Listing inbound SMS failed (%d in a row), retrying in %.0fs: %s",
                    failures, pause, describe_error(exc))
                await asyncio.sleep(pause)
                continue
            failures = 0
            window = self._window
            fresh = window.new(messages)
            for message in fresh:
                window.mark(message)
                result = self.filter.match(message)
                if result is None:
                    continue
                # Saved before the event is handed over: a crash between the two loses it, never repeats it.
                await self._store("aset", self.state_key, window.state())
                self.log.info("Inbound SMS %s -> asset event", message.id)
                yield TriggerEvent(result)
            if fresh:
                await self._store("aset", self.state_key, window.state())
            await asyncio.sleep(self.poll_interval)
