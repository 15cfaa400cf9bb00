"""``SinchInboundMessageSensor``: wait for an SMS reply ("reply YES to continue")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import PokeReturnValue

from airflow_provider_sinch.common.arguments import SinchArgumentError
from airflow_provider_sinch.common.inbound_wait import InboundMessageFilter, InboundWindow, inbound_query
from airflow_provider_sinch.common.times import parse_time
from airflow_provider_sinch.sensors.base import SinchPollingSensor
from airflow_provider_sinch.triggers.events import EventKind
from airflow_provider_sinch.triggers.inbound import SinchInboundMessageTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context


class SinchInboundMessageSensor(SinchPollingSensor):
    """Wait for an SMS from given number(s), optionally to given number(s) and matching a keyword or pattern.

    Returns (XCom) the first matching message as plain JSON: ``id``, ``from``, ``to``, ``body``, ``text``,
    ``received_at``, ``type``, ..., ``keyword`` (the keyword it matched, as spelled in ``keywords``) and
    ``groups`` (named groups of ``pattern``).  Branch on ``keyword`` to act on "YES" or "NO".

    Which messages count: received at or after ``received_after``.  By default that is the start of this
    task (its first try in reschedule mode: ``ti.start_date``, or the first reschedule's start), so a reply
    sent before the sensor started is *not* seen.  When the question is sent by an upstream task, pass the
    time it was sent (e.g. ``"{{ ti.xcom_pull('ask')['created_at'] }}"``) so a quick answer is not missed.

    :param from_numbers: the sender(s) to wait for (any spelling; compared as digits); templated.
    :param to_numbers: your number(s) the reply must go to (optional; also filters server side); templated.
    :param keywords: accepted first words, case-insensitive, e.g. ``["YES", "NO"]`` (optional); templated.
    :param pattern: regular expression searched case-insensitively in the text (optional); templated.
    :param received_after: ISO-8601 time or datetime; default: the task's start (see above); templated.
    :param kwargs: ``sinch_conn_id``, ``deferrable``, ``max_consecutive_failures`` and the
        :class:`~airflow.sdk.BaseSensorOperator` arguments (``poke_interval``, ``timeout``, ``mode``,
        ``soft_fail``, ...).
    """

    template_fields: Sequence[str] = (
        "from_numbers", "to_numbers", "keywords", "pattern", "received_after", "sinch_conn_id",
    )
    event_kind: ClassVar[EventKind] = "inbound"

    def __init__(
        self,
        *,
        from_numbers: Sequence[str] | str,
        to_numbers: Sequence[str] | str | None = None,
        keywords: Sequence[str] | str | None = None,
        pattern: str | None = None,
        received_after: str | datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not from_numbers:
            raise SinchArgumentError("from_numbers", "is required: whose reply to wait for", self.where)
        self.from_numbers = from_numbers
        self.to_numbers = to_numbers
        self.keywords = keywords
        self.pattern = pattern
        self.received_after = received_after
        self._wait: tuple[InboundMessageFilter, InboundWindow] | None = None

    def since(self, context: Context) -> datetime:
        """``received_after`` if given, else when this task started (the first poke, in reschedule mode)."""
        given = parse_time(self.received_after, "received_after", self.where)
        if given is not None:
            return given
        ti = context["ti"]
        if self.reschedule:
            first = ti.get_first_reschedule_date(context)
            if first is not None:
                return parse_time(first, "first reschedule date") or datetime.now(UTC)
        return parse_time(getattr(ti, "start_date", None), "start_date") or datetime.now(UTC)

    def wait(self, context: Context) -> tuple[InboundMessageFilter, InboundWindow]:
        """The filter and the window of this wait, built at the first poke from the rendered fields (the
        trigger it defers to gets the same filter and ``since``)."""
        if self._wait is None:
            match = InboundMessageFilter(self.from_numbers, self.to_numbers, self.keywords,  # type: ignore[arg-type]
                                         self.pattern, where=self.where)
            self._wait = match, InboundWindow(self.since(context))
            self.log.info("Waiting for an SMS %s since %s", match.describe(), self._wait[1].floor.isoformat())
        return self._wait

    def make_trigger(self, context: Context, deadline: str | None) -> SinchInboundMessageTrigger:
        match, window = self.wait(context)
        return SinchInboundMessageTrigger(since=window.floor, **match.to_kwargs(), deadline=deadline,
                                          **self.poll_settings())

    def poke(self, context: Context) -> bool | PokeReturnValue:
        match, window = self.wait(context)
        query = inbound_query(window, match.to_numbers)
        messages = self.call_sinch(context, lambda: list(self.hook.iter_inbounds(**query)))
        for message in window.take(messages or []):
            result = match.match(message)
            if result is not None:
                self.log.info("Inbound SMS %s matched", message.id)
                return PokeReturnValue(is_done=True, xcom_value=result)
        return False
