"""The poll loop every Sinch wait trigger shares: deadline, failure budget, sleeping, one shared client.

Rules every subclass inherits:

* **Read-only.** A triggerer restart (or a second triggerer taking over) replays the trigger from its
  kwargs, so a trigger only ever reads from Sinch; sending happens in the worker before deferring.
* **JSON-only kwargs.** ``serialize()`` returns ``(classpath, kwargs)`` with nothing but JSON values, and
  ``cls(**kwargs)`` rebuilds an equal trigger.
* **Wall-clock deadline.** ``deadline`` (ISO-8601 UTC) ends the wait with a ``timeout`` event even after
  a triggerer restart; the sensor turns that into ``AirflowSensorTimeout``.
* **Failure budget.** Transient errors (429, 5xx, connection problems, a poll that took too long) are
  retried on the next poll until ``max_consecutive_failures`` polls in a row failed; any success resets
  the count.  A 404 for a recipient's report counts as such a failure too (Sinch may not have the first
  report yet).  Errors that a retry cannot fix (401 with the connection's current credentials, 404
  unknown batch, 400, a broken connection definition) end the wait at once with an ``error`` event.
* **Always sleeps** ``poll_interval`` between polls, after a failure too, so a trigger never spins.
* **One HTTP pool per connection** in a triggerer: the client comes from
  :meth:`SinchHook.aget_client() <airflow_provider_sinch.hooks.sinch.SinchHook.aget_client>`, shared by
  every trigger of the process that uses the same connection, and is never closed here.  It is asked for
  at every poll, so a changed connection (a rotated token) reaches a long wait.
* **Cancellation wins.** A poll is bounded with ``asyncio.timeout`` (never ``asyncio.wait_for``, which on
  Python 3.11 can swallow a cancellation), so a trigger the triggerer drops stops at once.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_sinch.client.msisdn import mask_msisdn
from airflow_provider_sinch.common.polling import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES,
    DEFAULT_POLL_INTERVAL,
    check_poll_settings,
    describe_error,
    is_transient,
)
from airflow_provider_sinch.common.times import parse_time
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID
from airflow_provider_sinch.triggers.events import EventKind, EventStatus, make_event

if TYPE_CHECKING:
    from airflow_provider_sinch.client import AsyncSinchClient

NUMBER_KWARGS = ("recipient", "from_numbers", "to_numbers")


def masked_repr(trigger: BaseTrigger) -> str:
    """``BaseTrigger.__repr__`` with phone numbers masked (reprs end up in triggerer logs)."""
    classpath, kwargs = trigger.serialize()
    for key in NUMBER_KWARGS:
        value = kwargs.get(key)
        if isinstance(value, str):
            kwargs[key] = mask_msisdn(value)
        elif isinstance(value, list):
            kwargs[key] = [mask_msisdn(str(v)) for v in value]
    return trigger.repr(classpath, kwargs)


class SinchPollingTrigger(BaseTrigger):
    """Base of the Sinch wait triggers: polls until :meth:`poll` returns an event or the deadline passes.

    Subclasses implement :meth:`poll`, :meth:`target_kwargs` and :meth:`timeout_detail`, and set
    ``event_kind``.

    :param sinch_conn_id: Airflow connection of type ``sinch``.
    :param poll_interval: seconds between polls (after failed polls too).
    :param deadline: ISO-8601 UTC wall-clock time after which the trigger fires a ``timeout`` event;
        ``None`` waits for ever.
    :param max_consecutive_failures: transient failures in a row that end the wait with an ``error`` event.
    """

    event_kind: ClassVar[EventKind]

    def __init__(
        self,
        *,
        sinch_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        deadline: str | datetime | None = None,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ) -> None:
        super().__init__()
        self.sinch_conn_id = sinch_conn_id
        self.poll_interval, self.max_consecutive_failures = check_poll_settings(
            poll_interval, max_consecutive_failures
        )
        self._deadline = parse_time(deadline, "deadline")
        self.deadline = self._deadline.isoformat() if self._deadline else None

    def __repr__(self) -> str:
        return masked_repr(self)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """``(classpath, JSON kwargs)``; ``cls(**kwargs)`` rebuilds the same trigger."""
        kwargs = {
            "sinch_conn_id": self.sinch_conn_id,
            "poll_interval": self.poll_interval,
            "deadline": self.deadline,
            "max_consecutive_failures": self.max_consecutive_failures,
            **self.target_kwargs(),
        }
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    @abstractmethod
    def target_kwargs(self) -> dict[str, Any]:
        """The subclass's own kwargs (what it waits for), JSON only."""

    @abstractmethod
    async def poll(self, client: AsyncSinchClient) -> TriggerEvent | None:
        """Check once; return the final event, or ``None`` to poll again after ``poll_interval``."""

    @abstractmethod
    def timeout_detail(self) -> tuple[str, Any]:
        """``(detail, result)`` of the ``timeout`` event: what was still missing at the deadline."""

    def event(self, status: EventStatus, detail: str, result: Any = None) -> TriggerEvent:
        """A :class:`TriggerEvent` of this trigger's kind."""
        from airflow_provider_sinch.common.masked_event import SinchTriggerEvent  # a model: not at parse

        return SinchTriggerEvent(make_event(self.event_kind, status, detail, result))

    def now(self) -> datetime:
        """The wall clock the deadline is judged by (UTC; tests replace it with a fake one)."""
        return datetime.now(UTC)

    def remaining(self) -> float | None:
        """Seconds left before the deadline (negative once passed), ``None`` without one."""
        if self._deadline is None:
            return None
        return (self._deadline - self.now()).total_seconds()

    async def get_client(self) -> AsyncSinchClient:
        """The triggerer-wide client for the connection (shared pool, not closed by the trigger)."""
        from airflow_provider_sinch.hooks.sinch import SinchHook  # in the triggerer, not at parse

        return await SinchHook(sinch_conn_id=self.sinch_conn_id).aget_client()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        failures = 0
        while True:
            # The shared client is asked for at every poll (a dictionary lookup): a changed connection
            # reaches a wait of hours within about a minute (a revoked token at once: the client re-reads
            # the connection when Sinch refuses it, see hooks/shared_clients.py).
            try:
                client = await self.get_client()
            except Exception as exc:
                self.log.error("Cannot set up the Sinch client for %r: %s", self.sinch_conn_id,
                               describe_error(exc))
                yield self.event("error",
                                 f"cannot use connection {self.sinch_conn_id!r}: {describe_error(exc)}")
                return
            # Poll first, then look at the clock (as BaseSensorOperator does): a trigger resumed after the
            # deadline by a restarted triggerer still reports a send that finished meanwhile.
            remaining = self.remaining()
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the cancellation of a
                # trigger whose poll completes in the same loop iteration (CPython gh-86296), and the
                # dropped trigger would poll on until its deadline.
                if remaining is None:  # no deadline, nothing to bound (and no timer to arm each poll)
                    found = await self.poll(client)
                else:
                    async with asyncio.timeout(max(remaining, 1.0)):
                        found = await self.poll(client)
            except Exception as exc:
                if not is_transient(exc):
                    self.log.error("Sinch poll failed and will not be retried: %s", describe_error(exc))
                    yield self.event("error", f"Sinch check failed: {describe_error(exc)}")
                    return
                failures += 1
                if failures >= self.max_consecutive_failures and not self.expired():
                    yield self.event(
                        "error",
                        f"Sinch check failed {failures} times in a row (budget "
                        f"{self.max_consecutive_failures}); last error: {describe_error(exc)}",
                    )
                    return
                self.log.warning(
                    "Sinch poll failed (%d of %d allowed in a row): %s",
                    failures, self.max_consecutive_failures, describe_error(exc),
                )
            else:
                failures = 0
                if found is not None:
                    yield found
                    return
            if self.expired():
                detail, result = self.timeout_detail()
                yield self.event("timeout", detail, result)
                return
            await asyncio.sleep(self.sleep_time())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def sleep_time(self) -> float:
        """:meth:`next_interval`, shortened so the deadline is noticed on time (but never zero)."""
        interval, remaining = self.next_interval(), self.remaining()
        if remaining is None:
            return interval
        return max(min(interval, remaining), min(interval, 0.05))

    def next_interval(self) -> float:
        """Seconds from this poll to the next: ``poll_interval`` (subclasses may pace many waits)."""
        return self.poll_interval
