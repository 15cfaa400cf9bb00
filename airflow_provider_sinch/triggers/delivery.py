"""Deferrable waits for Sinch delivery reports: a whole send (one or several batches) or one recipient.

Both triggers poll read-only endpoints (``GET /batches/{id}/delivery_report``, ``GET /batches/{id}`` once
a report could finish the batch, ``GET /batches/{id}/delivery_report/{msisdn}``), through the reads the
waits of one triggerer share (:mod:`~airflow_provider_sinch.triggers.sharing`: one read per batch and
interval, polls paced evenly when a round takes longer than the interval), and decide with the
plain-Python criteria of :mod:`airflow_provider_sinch.delivery` and
:mod:`airflow_provider_sinch.common.delivery_wait`, exactly as the sensors' ``poke`` does.  Their events
are checked with :func:`~airflow_provider_sinch.triggers.events.validate_delivery_event`, which the
sensors and ``SinchSendBatchOperator`` share.

An operator that sends in the worker and then waits defers like this (the trigger never sends, so a
triggerer restart replaying it is harmless)::

    self.defer(
        trigger=SinchBatchDeliveryTrigger(
            batch_ids=batch_ids, sinch_conn_id=self.sinch_conn_id, poll_interval=30,
            deadline=deadline_after(wait_timeout), min_success_ratio=0.95,
        ),
        method_name="execute_complete",
        timeout=timedelta(seconds=wait_timeout + 120),
    )

    def execute_complete(self, context, event=None):
        return validate_delivery_event(event)  # summary, or AirflowFailException / AirflowSensorTimeout
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, ClassVar, cast

from airflow.triggers.base import TriggerEvent

from airflow_provider_sinch.client.identifiers import check_path_id
from airflow_provider_sinch.common.delivery_wait import (
    check_batch_ids,
    check_recipient,
    criteria_from,
    delivery_event,
)
from airflow_provider_sinch.delivery import (
    BatchDeliveryProbe,
    DeliveryProbe,
    DeliveryProgress,
    RecipientDeliveryProbe,
    arun_probe,
)
from airflow_provider_sinch.triggers.base import SinchPollingTrigger
from airflow_provider_sinch.triggers.events import EventKind
from airflow_provider_sinch.triggers.sharing import SharedPolls, SharedReader, shared_polls

if TYPE_CHECKING:
    from airflow_provider_sinch.client import AsyncSinchClient


class SinchDeliveryTriggerBase(SinchPollingTrigger):
    """Shared by the delivery triggers: criteria kwargs, the probe loop and the timeout message.

    :param success_statuses: final statuses that count as success (default ``["Delivered"]``).
    :param min_success_ratio: share of expected recipients that must succeed, 0.0 to 1.0 (default 1.0).
    :param unknown_is_success: count ``Unknown`` as success.
    :param kwargs: ``sinch_conn_id``, ``poll_interval``, ``deadline``, ``max_consecutive_failures`` (see
        :class:`~airflow_provider_sinch.triggers.base.SinchPollingTrigger`).
    """

    event_kind: ClassVar[EventKind] = "delivery"

    probe: DeliveryProbe
    """The sans-I/O check run at each poll, built once by the subclass from its checked kwargs."""

    def __init__(self, **kwargs: Any) -> None:
        self.criteria = criteria_from(kwargs)
        super().__init__(**kwargs)
        self.last_progress: DeliveryProgress | None = None
        self._polls: SharedPolls | None = None
        self._polled = False  # whether this wait has polled before (its first poll's time is not a lag)

    @abstractmethod
    def delivery_target(self) -> dict[str, Any]:
        """The kwargs naming what is waited for (batch ids, or batch id and recipient)."""

    def target_kwargs(self) -> dict[str, Any]:
        return {**self.delivery_target(), **self.criteria.to_dict()}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # The base loop, plus leaving the client's shared polls when the wait ends (or is cancelled).
        try:
            async with aclosing(cast(AsyncGenerator[TriggerEvent, None], super().run())) as events:
                async for event in events:
                    yield event
        finally:
            self._use_polls(None)

    def _use_polls(self, polls: SharedPolls | None) -> None:
        """Count this wait in ``polls`` (its client's), no longer in the ones of a client it left."""
        if polls is not self._polls:
            if self._polls is not None:
                self._polls.leave()
            if polls is not None:
                polls.join()
            self._polls = polls

    def next_interval(self) -> float:
        if self._polls is None:
            return self.poll_interval
        return self._polls.interval(self.poll_interval, f"connection {self.sinch_conn_id!r}")

    async def poll(self, client: AsyncSinchClient) -> TriggerEvent | None:
        # Reads go through the client's shared polls: waits of one batch make one request per interval.
        polls = shared_polls(client)
        self._use_polls(polls)
        started = polls.clock()
        progress = await arun_probe(self.probe, SharedReader(polls, self, self.poll_interval))
        if self._polled:  # a first poll queues behind every wait starting with it: a stampede, not a round
            polls.polled(polls.clock() - started)
        self._polled = True
        self.last_progress = progress
        payload = delivery_event(progress)
        if payload is None:
            if self.log.isEnabledFor(logging.INFO):  # describe() is not free; it runs 1,000 times a round
                self.log.info("Waiting for Sinch delivery: %s", progress.describe())
            return None
        self.log.info("Sinch delivery finished (%s): %s", payload["status"], progress.describe())
        return self.event(payload["status"], payload["detail"], payload["result"])

    def timeout_detail(self) -> tuple[str, Any]:
        progress = self.last_progress
        state = progress.describe() if progress else "no delivery report could be read yet"
        return (
            f"Sinch delivery did not finish before the deadline {self.deadline}: {state}",
            progress.summary() if progress else None,
        )


class SinchBatchDeliveryTrigger(SinchDeliveryTriggerBase):
    """Wait until every recipient of one or several batches has a final delivery status.

    Fires ``success`` with the delivery summary when the share of recipients in ``success_statuses``
    reaches ``min_success_ratio``, ``failure`` (with per-status counts and codes) when everything is final
    below it, ``timeout`` at the deadline, ``error`` when Sinch cannot be asked.

    :param batch_ids: the batch ids (a single id is accepted too), e.g. every chunk of one send.
    :param kwargs: criteria (``success_statuses``, ``min_success_ratio``, ``unknown_is_success``) and poll
        settings (``sinch_conn_id``, ``poll_interval``, ``deadline``, ``max_consecutive_failures``).
    """

    def __init__(self, *, batch_ids: Sequence[str] | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Batches are read when a report could finish them, not up front: one request a poll per batch.
        self.probe = BatchDeliveryProbe(check_batch_ids(batch_ids), self.criteria, batches_first=False)
        self.batch_ids = self.probe.batch_ids

    def delivery_target(self) -> dict[str, Any]:
        return {"batch_ids": list(self.batch_ids)}


class SinchRecipientDeliveryTrigger(SinchDeliveryTriggerBase):
    """Wait until one recipient of a batch has a final delivery status.

    :param batch_id: the batch.
    :param recipient: the phone number (``+``, ``00`` or bare; compared as Sinch returns it, digits only).
    :param kwargs: criteria and poll settings, as for :class:`SinchBatchDeliveryTrigger`.
    """

    def __init__(self, *, batch_id: str, recipient: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probe = probe = RecipientDeliveryProbe(
            check_path_id(batch_id, "batch_id", model="trigger arguments"), check_recipient(recipient),
            self.criteria)
        self.batch_id, self.recipient = probe.batch_id, probe.recipient

    def delivery_target(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "recipient": self.recipient}
