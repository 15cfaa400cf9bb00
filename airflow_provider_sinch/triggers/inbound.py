"""Waiting for SMS replies, and turning every inbound SMS into an asset event.

* :class:`InboundMessageFilter`: which messages count (sender, your number, keyword, pattern).
* :class:`InboundWindow`: which messages are *new*: received at or after a floor time and not seen
  before; it also says which ``start_date`` to ask ``GET /inbounds`` for, so a busy number is not listed
  from the beginning on every poll.
* :class:`SinchInboundMessageTrigger`: the deferrable half of ``SinchInboundMessageSensor``: fires once,
  with the first matching message.
* :class:`SinchInboundMessageEventTrigger`: a ``BaseEventTrigger`` for ``AssetWatcher``: runs for ever and
  fires one event per matching message.

Numbers are compared the way Sinch writes them (digits only, see
:func:`~airflow_provider_sinch.client.normalize_msisdn`), so ``+46 70-123 45 67`` matches ``46701234567``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_sinch.client import AsyncSinchClient, mask_msisdn, normalize_msisdn
from airflow_provider_sinch.client.models import InboundMessage
from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.triggers.base import (
    SinchPollingTrigger,
    check_poll_settings,
    describe_error,
    is_transient,
    masked_repr,
)
from airflow_provider_sinch.triggers.events import EventKind, SinchArgumentError, parse_time, shown

_WORD = re.compile(r"[\w']+", re.UNICODE)

DEFAULT_OVERLAP_SECONDS = 60.0
MAX_SEEN_IDS = 10_000
PAGE_SIZE = 100


def _as_tuple(value: Sequence[str] | str | None, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, list | tuple | set | frozenset) or \
            not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        raise SinchArgumentError(field, f"must be a string or a list of strings, got {shown(value)}")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _numbers(value: Sequence[str] | str | None, field: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalize_msisdn(v) for v in _as_tuple(value, field)))


@dataclass(frozen=True)
class InboundMessageFilter:
    """Which inbound messages count.  Every condition given must hold; an empty one allows anything.

    :param from_numbers: senders to accept (any spelling; compared as digits).
    :param to_numbers: your numbers the message must have been sent to.
    :param keywords: accepted first words, compared case-insensitively (``["YES", "NO"]`` matches
        ``"yes please"`` and ``"No."``); the matched keyword, as given here, is returned as ``keyword``.
    :param pattern: a regular expression searched in the text, case-insensitively (write ``(?-i:...)`` for
        case-sensitive parts); its named groups are returned as ``groups``.
    """

    from_numbers: tuple[str, ...] = ()
    to_numbers: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    pattern: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "from_numbers", _numbers(self.from_numbers, "from_numbers"))
        object.__setattr__(self, "to_numbers", _numbers(self.to_numbers, "to_numbers"))
        object.__setattr__(self, "keywords", _as_tuple(self.keywords, "keywords"))
        if self.pattern is not None and not isinstance(self.pattern, str):
            raise SinchArgumentError("pattern", f"must be a string, got {shown(self.pattern)}")
        if self.pattern:
            try:
                re.compile(self.pattern)
            except (re.error, RecursionError, OverflowError) as exc:
                rule = f"{shown(self.pattern)} is not a valid regular expression: {shown(str(exc), 120)}"
                raise SinchArgumentError("pattern", rule) from None
        for keyword in self.keywords:
            if len(_WORD.findall(keyword)) != 1:
                raise SinchArgumentError("keywords", f"must each be one word (a keyword must be one word, "
                                         f"got {shown(keyword)}; use pattern for phrases)")

    def to_kwargs(self) -> dict[str, Any]:
        """JSON-safe form, with the names the triggers and sensor take."""
        return {
            "from_numbers": list(self.from_numbers),
            "to_numbers": list(self.to_numbers),
            "keywords": list(self.keywords),
            "pattern": self.pattern or None,
        }

    def match(self, message: InboundMessage) -> dict[str, Any] | None:
        """The message as plain JSON, plus ``text``, ``keyword`` and ``groups``, if it counts; else ``None``.
        """
        if self.from_numbers and normalize_msisdn(message.from_) not in self.from_numbers:
            return None
        if self.to_numbers and normalize_msisdn(message.to) not in self.to_numbers:
            return None
        text = message.text
        keyword = None
        if self.keywords:
            words = _WORD.findall(text)
            first = words[0].casefold() if words else None
            keyword = next((k for k in self.keywords if k.casefold() == first), None)
            if keyword is None:
                return None
        groups: dict[str, Any] = {}
        if self.pattern:
            found = re.search(self.pattern, text, re.IGNORECASE)
            if found is None:
                return None
            groups = found.groupdict()
        return {**message.to_dict(), "text": text, "keyword": keyword, "groups": groups}

    def describe(self) -> str:
        """For logs (numbers masked)."""
        parts = []
        if self.from_numbers:
            parts.append("from " + ", ".join(mask_msisdn(n) for n in self.from_numbers))
        if self.to_numbers:
            parts.append("to " + ", ".join(mask_msisdn(n) for n in self.to_numbers))
        if self.keywords:
            parts.append("keyword " + "/".join(self.keywords))
        if self.pattern:
            parts.append(f"matching /{self.pattern}/")
        return " ".join(parts) or "any message"


def received_at(message: InboundMessage) -> datetime:
    """When Sinch received the message (UTC); a message without a time counts as received now."""
    when = message.received_at or datetime.now(UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class InboundWindow:
    """Which inbound messages are new.

    A message is new when it was received at or after ``floor`` and its id was not seen before.  Sinch may
    list a message a little after its ``received_at`` (and clocks differ), so each poll asks for messages
    from ``overlap`` seconds before the newest one seen, and the seen ids make that overlap harmless.

    :param floor: messages received before this are never new.
    :param overlap: seconds of look-back before the newest message seen.
    :param seen: ``{id: received_at}`` of messages already handled.
    """

    def __init__(
        self,
        floor: datetime,
        overlap: float = DEFAULT_OVERLAP_SECONDS,
        seen: dict[str, datetime] | None = None,
    ) -> None:
        self.floor = floor
        self.overlap = timedelta(seconds=overlap)
        ordered = sorted((seen or {}).items(), key=lambda kv: kv[1])
        self.seen: OrderedDict[str, datetime] = OrderedDict(ordered)
        self.newest = max([floor, *self.seen.values()])

    def query_start(self) -> datetime:
        """The ``start_date`` for the next ``GET /inbounds``."""
        return max(self.floor, self.newest - self.overlap)

    def new(self, messages: Iterable[InboundMessage]) -> list[InboundMessage]:
        """The new messages among ``messages``, oldest first (not yet marked as seen)."""
        found: dict[str, InboundMessage] = {}
        for message in messages:
            if message.id not in self.seen and received_at(message) >= self.floor:
                found.setdefault(message.id, message)
        return sorted(found.values(), key=lambda m: (received_at(m), m.id))

    def mark(self, message: InboundMessage) -> None:
        """Remember ``message`` as handled."""
        self.seen[message.id] = received_at(message)
        self.newest = max(self.newest, received_at(message))
        while len(self.seen) > MAX_SEEN_IDS:
            self.seen.popitem(last=False)

    def take(self, messages: Iterable[InboundMessage]) -> list[InboundMessage]:
        """:meth:`new`, all marked as seen at once."""
        fresh = self.new(messages)
        for message in fresh:
            self.mark(message)
        return fresh

    def state(self) -> dict[str, Any]:
        """What a restart needs (JSON): the floor, the newest time seen, the ids in the overlap before it."""
        horizon = self.newest - self.overlap
        return {
            "floor": self.floor.isoformat(),
            "watermark": self.newest.isoformat(),
            "ids": {k: v.isoformat() for k, v in self.seen.items() if v >= horizon},
        }

    @classmethod
    def from_state(cls, state: Any, overlap: float = DEFAULT_OVERLAP_SECONDS) -> InboundWindow | None:
        """Resume from :meth:`state`: new means at or after ``max(floor, watermark - overlap)`` and not one
        of the saved ids."""
        if not isinstance(state, dict) or not state.get("watermark"):
            return None
        watermark = parse_time(state["watermark"], "watermark")
        if watermark is None:
            return None
        saved_floor = parse_time(state.get("floor"), "floor") or watermark
        floor = max(saved_floor, watermark - timedelta(seconds=overlap))
        saved_ids = dict(state.get("ids") or {})
        ids = {str(k): parse_time(v, "received_at") or watermark for k, v in saved_ids.items()}
        window = cls(floor, overlap, ids)
        window.newest = max(window.newest, watermark)
        return window


def inbound_query(window: InboundWindow, to_numbers: Sequence[str]) -> dict[str, Any]:
    """Filters for ``GET /inbounds`` from the window's start (``to`` filtered server side when given)."""
    query: dict[str, Any] = {"start_date": window.query_start(), "page_size": PAGE_SIZE}
    if to_numbers:
        query["to"] = list(to_numbers)
    return query


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


def _seconds(value: float, field: str) -> float:
    """A positive number of seconds, checked as ``poll_interval`` is, with the error naming ``field``."""
    try:
        return check_poll_settings(value, 1)[0]
    except SinchArgumentError as exc:
        raise SinchArgumentError(field, exc.errors[0][1]) from None


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
        sinch_conn_id: str = SinchHook.default_conn_name,
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
        self.poll_interval, _ = check_poll_settings(poll_interval, 1)
        self.overlap_seconds = _seconds(overlap_seconds, "overlap_seconds")
        self.max_backoff = max(_seconds(max_backoff, "max_backoff"), self.poll_interval)
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
