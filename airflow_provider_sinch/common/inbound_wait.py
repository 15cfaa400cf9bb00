"""What a reply wait decides without I/O: which inbound SMS count, and which are new.

* :class:`InboundMessageFilter`: which messages count (sender, your number, keyword, pattern).
* :class:`InboundWindow`: which messages are *new*: received at or after a floor time and not seen
  before; it also says which ``start_date`` to ask ``GET /inbounds`` for (:func:`inbound_query`), so a busy
  number is not listed from the beginning on every poll.

Shared by ``SinchInboundMessageSensor`` (``poke``, sync hook) and the inbound triggers (async client).
Numbers are compared the way Sinch writes them (digits only, see
:func:`~airflow_provider_sinch.client.normalize_msisdn`), so ``+46 70-123 45 67`` matches ``46701234567``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_sinch.client import mask_msisdn, normalize_msisdn
from airflow_provider_sinch.common.arguments import SinchArgumentError, as_list, shown
from airflow_provider_sinch.common.times import parse_time

if TYPE_CHECKING:
    from airflow_provider_sinch.client.models import InboundMessage

_WORD = re.compile(r"[\w']+", re.UNICODE)

DEFAULT_OVERLAP_SECONDS = 60.0
MAX_SEEN_IDS = 10_000
PAGE_SIZE = 100


def _numbers(value: Any, name: str, where: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalize_msisdn(v) for v in as_list(value, name, where=where)))


@dataclass(frozen=True)
class InboundMessageFilter:
    """Which inbound messages count.  Every condition given must hold; an empty one allows anything.

    :param from_numbers: senders to accept (any spelling; compared as digits).
    :param to_numbers: your numbers the message must have been sent to.
    :param keywords: accepted first words, compared case-insensitively (``["YES", "NO"]`` matches
        ``"yes please"`` and ``"No."``); the matched keyword, as given here, is returned as ``keyword``.
    :param pattern: a regular expression searched in the text, case-insensitively (write ``(?-i:...)`` for
        case-sensitive parts); its named groups are returned as ``groups``.
    :param where: how errors name what was being built (``trigger arguments``, a sensor's arguments).
    """

    from_numbers: tuple[str, ...] = ()
    to_numbers: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    pattern: str | None = None
    where: str = field(default="trigger arguments", compare=False, repr=False)

    def __post_init__(self) -> None:
        where = self.where
        object.__setattr__(self, "from_numbers", _numbers(self.from_numbers, "from_numbers", where))
        object.__setattr__(self, "to_numbers", _numbers(self.to_numbers, "to_numbers", where))
        object.__setattr__(self, "keywords", tuple(as_list(self.keywords, "keywords", where=where)))
        if self.pattern is not None and not isinstance(self.pattern, str):
            raise SinchArgumentError("pattern", f"must be a string, got {shown(self.pattern)}", where)
        if self.pattern:
            try:
                re.compile(self.pattern)
            except (re.error, RecursionError, OverflowError) as exc:
                rule = f"{shown(self.pattern)} is not a valid regular expression: {shown(str(exc), 120)}"
                raise SinchArgumentError("pattern", rule, where) from None
        for keyword in self.keywords:
            if len(_WORD.findall(keyword)) != 1:
                raise SinchArgumentError("keywords", f"must each be one word (a keyword must be one word, "
                                         f"got {shown(keyword)}; use pattern for phrases)", where)

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

    def listed(self, messages: Iterable[InboundMessage]) -> list[InboundMessage]:
        """The messages among ``messages`` that ``GET /inbounds`` from :meth:`query_start` would list.

        A list asked for from an earlier start (one poll serving several windows, see
        :mod:`airflow_provider_sinch.triggers.inbound_stream`) is cut back to this window's own view, so a
        message it has forgotten (further back than its look-back) cannot be new to it again.
        """
        start = self.query_start()
        return [m for m in messages if received_at(m) >= start]

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
    return inbound_query_from(window.query_start(), to_numbers)


def inbound_query_from(start: datetime, to_numbers: Sequence[str]) -> dict[str, Any]:
    """Filters for ``GET /inbounds`` of the messages received since ``start`` (to ``to_numbers``, if any)."""
    query: dict[str, Any] = {"start_date": start, "page_size": PAGE_SIZE}
    if to_numbers:
        query["to"] = list(to_numbers)
    return query
