"""Deferrable waits for Sinch delivery reports: a whole send (one or several batches) or one recipient.

Both triggers poll read-only endpoints (``GET /batches/{id}``, ``GET /batches/{id}/delivery_report``,
``GET /batches/{id}/delivery_report/{msisdn}``) and decide with the plain-Python criteria of
:mod:`airflow_provider_sinch.client.delivery`, exactly as the sensors' ``poke`` does.  Their events are
checked with :func:`validate_delivery_event`, which the sensors and ``SinchSendBatchOperator`` share.

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

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from airflow.triggers.base import TriggerEvent

from airflow_provider_sinch.client import AsyncSinchClient
from airflow_provider_sinch.client.delivery import (
    BatchDeliveryProbe,
    DeliveryCriteria,
    DeliveryProbe,
    DeliveryProgress,
    RecipientDeliveryProbe,
    arun_probe,
)
from airflow_provider_sinch.client.identifiers import check_path_id
from airflow_provider_sinch.client.msisdn import mask_destination, number_problem
from airflow_provider_sinch.triggers.base import SinchPollingTrigger
from airflow_provider_sinch.triggers.events import (
    EventKind,
    SinchArgumentError,
    argument_error,
    shown,
)


def criteria_from(kwargs: dict[str, Any], where: str = "trigger arguments") -> DeliveryCriteria:
    """Take the success criteria out of ``kwargs``, every bad one as a
    :class:`~airflow_provider_sinch.triggers.events.SinchArgumentError` naming it."""
    unknown_is_success = kwargs.get("unknown_is_success", False)
    if not isinstance(unknown_is_success, bool):
        raise SinchArgumentError("unknown_is_success",
                                 f"must be true or false, got {shown(unknown_is_success)}", where)
    statuses = kwargs.get("success_statuses", ())
    if not isinstance(statuses, list | tuple | set | frozenset | str) \
            or not all(isinstance(s, str) for s in ([statuses] if isinstance(statuses, str) else statuses)):
        raise SinchArgumentError("success_statuses", f"must be a list of final Sinch statuses, got "
                                 f"{shown(statuses)}", where)
    try:
        return DeliveryCriteria.pop_from(kwargs)
    except ValueError as exc:
        raise argument_error(exc, where) from None


def check_batch_ids(batch_ids: Any, where: str = "trigger arguments") -> list[str]:
    """Batch ids as a trigger keeps them: a non-empty list of distinct ids (one id alone is accepted)."""
    if isinstance(batch_ids, str):
        batch_ids = [batch_ids]
    if not isinstance(batch_ids, list | tuple) or not all(isinstance(b, str | int) for b in batch_ids):
        raise SinchArgumentError("batch_ids", f"must be a batch id or a list of them, got {shown(batch_ids)}",
                                 where)
    try:
        ids = BatchDeliveryProbe(batch_ids, DeliveryCriteria()).batch_ids
    except ValueError as exc:
        raise argument_error(exc, where) from None
    field = "batch_ids" if len(ids) == 1 else "batch_ids[{}]"
    return [check_path_id(b, field.format(i), model=where) for i, b in enumerate(ids)]


def check_recipient(recipient: Any, where: str = "trigger arguments") -> str:
    """A recipient as a trigger keeps it: a phone number in international format (any spelling the client
    accepts), never a group id or text that would go into the report's URL."""
    problem = number_problem(recipient)  # the client's destination rule, group ids excluded
    if problem is not None:
        got = f"; got {mask_destination(recipient)}" if isinstance(recipient, str) else ""
        raise SinchArgumentError("recipient", problem + got, where)
    return str(recipient)


def delivery_event(progress: DeliveryProgress) -> dict[str, Any] | None:
    """The event payload for a finished send (``success`` or ``failure``), ``None`` while pending."""
    if not progress.done:
        return None
    if progress.ok:
        detail = f"delivered: {progress.describe()}"
        return {"status": "success", "detail": detail, "result": progress.summary()}
    return {"status": "failure", "detail": progress.failure_message(), "result": progress.summary()}


class SinchDeliveryTriggerBase(SinchPollingTrigger):
    """Shared by the delivery triggers: criteria kwargs, the probe loop and the timeout message.

    :param success_statuses: final statuses that count as success (default ``["Delivered"]``).
    :param min_success_ratio: share of expected recipients that must succeed, 0.0 to 1.0 (default 1.0).
    :param unknown_is_success: count ``Unknown`` as success.
    :param kwargs: ``sinch_conn_id``, ``poll_interval``, ``deadline``, ``max_consecutive_failures`` (see
        :class:`~airflow_provider_sinch.triggers.base.SinchPollingTrigger`).
    """

    event_kind: ClassVar[EventKind] = "delivery"

    def __init__(self, **kwargs: Any) -> None:
        self.criteria = criteria_from(kwargs)
        super().__init__(**kwargs)
        self.last_progress: DeliveryProgress | None = None
        self._probe: DeliveryProbe | None = None

    @abstractmethod
    def make_probe(self) -> DeliveryProbe:
        """The sans-I/O check this trigger runs each poll."""

    @abstractmethod
    def delivery_target(self) -> dict[str, Any]:
        """The kwargs naming what is waited for (batch ids, or batch id and recipient)."""

    def target_kwargs(self) -> dict[str, Any]:
        return {**self.delivery_target(), **self.criteria.to_dict()}

    async def poll(self, client: AsyncSinchClient) -> TriggerEvent | None:
        if self._probe is None:
            self._probe = self.make_probe()
        progress = await arun_probe(self._probe, client)
        self.last_progress = progress
        payload = delivery_event(progress)
        if payload is None:
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
        self.batch_ids = check_batch_ids(batch_ids)

    def delivery_target(self) -> dict[str, Any]:
        return {"batch_ids": list(self.batch_ids)}

    def make_probe(self) -> DeliveryProbe:
        return BatchDeliveryProbe(self.batch_ids, self.criteria)


class SinchRecipientDeliveryTrigger(SinchDeliveryTriggerBase):
    """Wait until one recipient of a batch has a final delivery status.

    :param batch_id: the batch.
    :param recipient: the phone number (``+``, ``00`` or bare; compared as Sinch returns it, digits only).
    :param kwargs: criteria and poll settings, as for :class:`SinchBatchDeliveryTrigger`.
    """

    def __init__(self, *, batch_id: str, recipient: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        probe = RecipientDeliveryProbe(check_path_id(batch_id, "batch_id", model="trigger arguments"),
                                       check_recipient(recipient), self.criteria)
        self.batch_id, self.recipient = probe.batch_id, probe.recipient

    def delivery_target(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "recipient": self.recipient}

    def make_probe(self) -> DeliveryProbe:
        return RecipientDeliveryProbe(self.batch_id, self.recipient, self.criteria)
