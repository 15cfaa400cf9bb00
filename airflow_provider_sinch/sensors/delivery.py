"""Sensors that wait until Sinch reports a send delivered: a whole send, or one recipient.

"Done" means every expected recipient has a final status (pending = expected - final); see
:mod:`airflow_provider_sinch.delivery` for how ``expected`` is worked out.  Then:

* at or above ``min_success_ratio``: success, and the final report summary (plain JSON) goes to XCom;
* below it: ``AirflowFailException`` (no retry: a retry would read the same final statuses) naming the
  per-status counts and codes.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, cast

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow.sdk import PokeReturnValue

from airflow_provider_sinch.client.identifiers import check_path_id
from airflow_provider_sinch.common.arguments import has_template
from airflow_provider_sinch.common.delivery_wait import (
    as_batch_ids,
    check_recipient,
    criteria_from,
    delivery_event,
)
from airflow_provider_sinch.delivery import (
    BatchDeliveryProbe,
    DeliveryProbe,
    RecipientDeliveryProbe,
    run_probe,
)
from airflow_provider_sinch.sensors.base import SinchPollingSensor
from airflow_provider_sinch.triggers.delivery import (
    SinchBatchDeliveryTrigger,
    SinchDeliveryTriggerBase,
    SinchRecipientDeliveryTrigger,
)
from airflow_provider_sinch.triggers.events import EventKind

if TYPE_CHECKING:
    from airflow.sdk import Context


class SinchDeliverySensorBase(SinchPollingSensor):
    """Shared by the delivery sensors: the success criteria, ``poke`` and the trigger hand-off.

    :param success_statuses: final statuses that count as success (default ``["Delivered"]``).
    :param min_success_ratio: share of expected recipients, 0.0 to 1.0, that must end in a success status
        (default 1.0).  Below it, once everything is final, the task fails without retry.
    :param unknown_is_success: count ``Unknown`` (given to the carrier, never confirmed) as success.
    :param kwargs: ``sinch_conn_id``, ``deferrable``, ``max_consecutive_failures`` and the
        :class:`~airflow.sdk.BaseSensorOperator` arguments (``poke_interval``, ``timeout``, ``mode``,
        ``soft_fail``, ...).
    """

    event_kind: ClassVar[EventKind] = "delivery"
    trigger_class: ClassVar[type[SinchDeliveryTriggerBase]]

    def __init__(
        self,
        *,
        success_statuses: Sequence[str] = ("Delivered",),
        min_success_ratio: float = 1.0,
        unknown_is_success: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.criteria = criteria_from({"success_statuses": success_statuses,
                                       "min_success_ratio": min_success_ratio,
                                       "unknown_is_success": unknown_is_success}, self.where)
        self.success_statuses = list(self.criteria.success_statuses)
        self.min_success_ratio = self.criteria.min_success_ratio
        self.unknown_is_success = unknown_is_success

    @abstractmethod
    def make_probe(self) -> DeliveryProbe:
        """The sans-I/O check of what to wait for, from the rendered template fields (errors name this
        sensor's arguments)."""

    @cached_property
    def probe(self) -> DeliveryProbe:
        """:meth:`make_probe`, built once: every poke runs it, and a deferral hands its target on."""
        return self.make_probe()

    @abstractmethod
    def delivery_target(self) -> dict[str, Any]:
        """The trigger kwargs naming what to wait for, read from :attr:`probe`."""

    def make_trigger(self, context: Context, deadline: str | None) -> SinchDeliveryTriggerBase:
        return self.trigger_class(
            **self.delivery_target(), **self.criteria.to_dict(), **self.poll_settings(), deadline=deadline
        )

    def poke(self, context: Context) -> bool | PokeReturnValue:
        probe = self.probe
        progress = self.call_sinch(context, lambda: run_probe(probe, self.hook))
        if progress is None:
            return False
        payload = delivery_event(progress)
        if payload is None:
            self.log.info("Waiting for Sinch delivery: %s", progress.describe())
            return False
        if payload["status"] != "success":
            raise AirflowFailException(payload["detail"])
        self.log.info("%s", payload["detail"])
        return PokeReturnValue(is_done=True, xcom_value=payload["result"])


class SinchBatchDeliverySensor(SinchDeliverySensorBase):
    """Wait until every recipient of one or several batches has a final delivery status.

    Returns (XCom) the final summary: ``expected``, ``final``, ``pending``, ``succeeded``,
    ``success_ratio``, ``counts`` per status, ``statuses`` per status and code, ``batches`` per batch.

    :param batch_ids: one batch id or several (all chunks of one send); templated.  A string such as
        ``"a,b"`` or ``"['a', 'b']"`` (a rendered list) and a send result dict with ``batch_ids`` work too.
    :param kwargs: criteria (``success_statuses``, ``min_success_ratio``, ``unknown_is_success``),
        ``sinch_conn_id``, ``deferrable``, ``max_consecutive_failures`` and sensor arguments.
    """

    template_fields: Sequence[str] = ("batch_ids", "sinch_conn_id")
    trigger_class = SinchBatchDeliveryTrigger

    def __init__(self, *, batch_ids: Sequence[str] | str | Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_ids = batch_ids
        if not has_template(batch_ids):  # else checked once rendered
            as_batch_ids(batch_ids, self.where)

    def make_probe(self) -> BatchDeliveryProbe:
        return BatchDeliveryProbe(as_batch_ids(self.batch_ids, self.where), self.criteria)

    def delivery_target(self) -> dict[str, Any]:
        probe = cast(BatchDeliveryProbe, self.probe)
        return {"batch_ids": list(probe.batch_ids)}


class SinchRecipientDeliverySensor(SinchDeliverySensorBase):
    """Wait until one recipient of a batch has a final delivery status.

    Returns (XCom) the same summary as :class:`SinchBatchDeliverySensor` plus ``recipient``.

    :param batch_id: the batch; templated.
    :param recipient: the phone number, in any spelling (``+``, ``00``, spaces); templated.
    :param kwargs: criteria, ``sinch_conn_id``, ``deferrable``, ``max_consecutive_failures`` and sensor
        arguments, as for :class:`SinchBatchDeliverySensor`.
    """

    template_fields: Sequence[str] = ("batch_id", "recipient", "sinch_conn_id")
    trigger_class = SinchRecipientDeliveryTrigger

    def __init__(self, *, batch_id: str, recipient: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_id = batch_id
        self.recipient = recipient

    def make_probe(self) -> RecipientDeliveryProbe:
        return RecipientDeliveryProbe(check_path_id(self.batch_id, "batch_id", model=self.where),
                                      check_recipient(self.recipient, self.where), self.criteria)

    def delivery_target(self) -> dict[str, Any]:
        probe = cast(RecipientDeliveryProbe, self.probe)
        return {"batch_id": probe.batch_id, "recipient": probe.recipient}
