"""Sending SMS at any size, safely retried: ``SinchSendBatchOperator``; and ``SinchDryRunBatchOperator``.

The operators read and check their arguments, render templates, defer and return XCom; the send itself -
chunks of at most 1,000 destinations, validation before the first request, the cost guard, the ledger in
``task_state_store``, lookups by ``client_reference``, concurrency and patience with 429s - is
:meth:`~airflow_provider_sinch.hooks.sinch.SinchHook.send_exactly_once`
(:mod:`~airflow_provider_sinch.hooks.send_engine`), which TaskFlow code can call without the operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_sinch.client.limits import MAX_RECIPIENTS
from airflow_provider_sinch.client.retry import is_number
from airflow_provider_sinch.common.arguments import as_int, as_list, shown
from airflow_provider_sinch.common.delivery_wait import criteria_from
from airflow_provider_sinch.common.polling import DEFAULT_MAX_CONSECUTIVE_FAILURES, check_poll_settings
from airflow_provider_sinch.hooks.send_engine import SendControl, check_options, dry_run, plan
from airflow_provider_sinch.hooks.send_ledger import RELATIVE_TIMES, RESULT_KEY, SendLedger
from airflow_provider_sinch.operators.batches import SinchBatchContentOperator
from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger
from airflow_provider_sinch.triggers.events import (
    DEFERRAL_GRACE_SECONDS,
    deadline_after,
    validate_delivery_event,
)

MAX_WAIT_SECONDS = 365 * 24 * 3600.0
"""The longest wait setting a send takes (a year): longer overflows Airflow's deferral timeout."""

if TYPE_CHECKING:
    from airflow.sdk import Context

DESTINATION_KEYS = ("id",)
"""An upstream group (``{"id": ...}``, e.g. from ``SinchCreateGroupOperator``) is sent to by its id."""


class SinchChunkedBatchOperator(SinchBatchContentOperator):
    """Shared by send and dry run: destinations, chunking, bounded concurrency and the cost limits.

    :param to: numbers and/or group ids: a list, one value, ``"a, b"``, a JSON list, an XCom list (e.g.
        ``members.output``) or an upstream group (its ``id``); templated.  Repeats are dropped.
    :param chunk_size: destinations per batch, 1 to 1,000 (Sinch's maximum, the default).
    :param max_concurrency: batches in flight at once (threads).
    :param max_messages: cost guard: the most message parts the whole send may take; templated.
    :param max_parts_per_message: cost guard: the most parts any one recipient's message may take;
        templated.
    :param kwargs: the content fields of
        :class:`~airflow_provider_sinch.operators.batches.SinchBatchContentOperator`, ``sinch_conn_id`` and
        :class:`~airflow.sdk.BaseOperator` arguments.
    """

    template_fields: Sequence[str] = (*SinchBatchContentOperator.template_fields, "to", "max_messages",
                                      "max_parts_per_message")

    def __init__(self, *, to: Any, chunk_size: int = MAX_RECIPIENTS, max_concurrency: int = 4,
                 max_messages: int | str | None = None, max_parts_per_message: int | str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.to = to
        check_options(chunk_size, max_concurrency, self.where)  # not templated: checked at DAG parse
        self.chunk_size = chunk_size
        self.max_concurrency = max_concurrency
        self.max_messages = max_messages
        self.max_parts_per_message = max_parts_per_message

    def limits(self) -> dict[str, int | None]:
        return {"max_messages": as_int(self.max_messages, "max_messages", 0),
                "max_parts_per_message": as_int(self.max_parts_per_message, "max_parts_per_message", 1)}

    def destinations(self) -> list[str]:
        """``to``, rendered and read (an upstream group counts by its id)."""
        return as_list(self.to, "to", keys=DESTINATION_KEYS)


class SinchDryRunBatchOperator(SinchChunkedBatchOperator):
    """Find out what a send would cost without sending it (``POST /batches/dry_run``, chunk by chunk for
    more than 1,000 destinations) and optionally fail when it is too much.

    :param per_recipient: also return each recipient's rendered body, parts and encoding.
    :param kwargs: ``to``, the cost limits and the other arguments of :class:`SinchChunkedBatchOperator`
        (``body``, ``from_``, ``parameters``, ...).
    :return: ``{"number_of_recipients", "number_of_messages", "max_parts_per_message", "chunks"}`` (plus
        ``per_recipient`` when asked).
    """

    def __init__(self, *, per_recipient: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.per_recipient = per_recipient

    def execute(self, context: Context) -> dict[str, Any]:
        fields = self.content_fields()
        fields.pop("client_reference", None)
        limits = self.limits()
        chunks, _ = plan(self.destinations(), fields, base=None, size=self.chunk_size)
        fields.pop("parameters", None)  # each chunk carries its own
        cost = dry_run(self.hook, chunks, fields, self.max_concurrency, details=self.per_recipient)
        cost.check(**limits)
        return cost.to_dict()


class SinchSendBatchOperator(SinchChunkedBatchOperator):
    """Send an SMS to any number of recipients (``POST /batches``), exactly once even across retries.

    More than ``chunk_size`` (1,000) destinations become several batches, sent ``max_concurrency`` at a time.
    Rate limits (429) slow the send down (the client backs off; then the chunk waits up to
    ``rate_limit_patience`` seconds) without losing anyone.

    Retry safety: every chunk is sent with ``client_reference``
    ``{client_reference or "airflow"}:{dag_id}:{task_id}:{run_id}:{map_index}:{chunk}``, and each batch id is
    written to a ledger in ``task_state_store`` (Airflow 3.3) the moment it exists.  A retry reads each batch
    the ledger names once, looks the other chunks up at Sinch by their reference, and sends only what is
    missing.  When an answer is lost on the way back (timeout or 5xx after the request was sent), the chunk
    is looked up before anything else happens; if it cannot be found the task fails, and the retry looks
    again before it sends.  A batch found cancelled is sent again.  Without ``task_state_store`` (Airflow
    3.1 and 3.2, or ``durable=False``) every try looks every chunk up by its reference, the first one too:
    still exactly once, for one more ``GET`` per chunk on the first try.  A retried chunk costs one ``GET``
    either way (plus its ``POST`` if it still has to be sent).

    :param to: numbers and/or group ids (see :class:`SinchChunkedBatchOperator`); templated.
    :param body: the message, or a ``.txt``/``.j2`` template file; templated.
    :param from_: the sender (default: the connection's ``default_from``); templated.
    :param client_reference: readable start of each chunk's reference (default ``airflow``); templated.
    :param send_at: schedule the send (datetime, ISO-8601 string, or ``timedelta`` from now); templated.
    :param max_messages: cost guard on the total message parts, checked by dry runs before anything is sent.
    :param max_parts_per_message: cost guard on the parts of any one recipient's message.
    :param cancel_on_kill: when the task is killed, cancel the batches of this send that Sinch has not
        dispatched yet (scheduled ones), and start no more.
    :param rate_limit_patience: seconds a chunk keeps retrying through 429s after the client's own
        retries, before the task fails (a retry then resumes).
    :param ambiguous_lookup_delays: seconds to wait before each lookup of a chunk whose answer was lost.
    :param durable: keep the batch ids in ``task_state_store`` (default ``True``); without it retries rely
        on lookups by ``client_reference`` alone.
    :param wait_for_delivery: after sending, defer (free the worker slot) to
        :class:`~airflow_provider_sinch.triggers.delivery.SinchBatchDeliveryTrigger` until every recipient
        of every batch has a final status; the task then succeeds or fails exactly as
        :class:`~airflow_provider_sinch.sensors.delivery.SinchBatchDeliverySensor` would.  Needs a
        triggerer (``airflow dags test`` runs triggers inline).  A retry of the task resumes the send
        (nothing is sent again) and waits on the same batches.
    :param delivery_timeout: seconds to wait for delivery before failing with ``AirflowSensorTimeout``.
    :param poll_interval: seconds between delivery checks while waiting.
    :param success_statuses: final statuses that count as delivered (default ``["Delivered"]``).
    :param min_success_ratio: share of recipients that must end in ``success_statuses`` (default 1.0);
        below it, once everything is final, the task fails without retry, naming counts and codes.
    :param unknown_is_success: count ``Unknown`` as delivered.
    :param max_consecutive_failures: transient Sinch errors in a row tolerated while waiting.
    :param kwargs: the other content fields (``parameters``, ``delivery_report``, ``expire_at``, ...),
        ``chunk_size``, ``max_concurrency``, ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator`
        arguments.
    :return: ``{"batch_ids": [...], "client_reference": <base>, "recipients": N, "chunks": K,
        "groups": G, "send_at": ..., "cost": {...} (with a guard)}``: ``N`` distinct destinations (a group id
        counts once), ``G`` of them group ids;
        with ``wait_for_delivery`` also ``"delivery"``: the final delivery summary.
    """

    def __init__(self, *, cancel_on_kill: bool = False, rate_limit_patience: float = 300.0,
                 ambiguous_lookup_delays: Sequence[float] = (0.5, 2.0, 5.0), durable: bool = True,
                 wait_for_delivery: bool = False, delivery_timeout: float = 3600.0,
                 poll_interval: float = 30.0, success_statuses: Sequence[str] = ("Delivered",),
                 min_success_ratio: float = 1.0, unknown_is_success: bool = False,
                 max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cancel_on_kill = cancel_on_kill
        self.rate_limit_patience = self._seconds(rate_limit_patience, "rate_limit_patience", 0.0)
        for delay in ambiguous_lookup_delays if isinstance(ambiguous_lookup_delays, list | tuple) else [None]:
            self._seconds(delay, "ambiguous_lookup_delays", 0.0, "a list of ")
        self.ambiguous_lookup_delays = tuple(ambiguous_lookup_delays)
        self.durable = durable
        self.wait_for_delivery = wait_for_delivery
        # Checked here, at DAG parse time, so a bad wait setting never lets the send go out first.
        self.delivery_criteria = criteria_from({"success_statuses": success_statuses,
                                                "min_success_ratio": min_success_ratio,
                                                "unknown_is_success": unknown_is_success}, self.where)
        self.poll_interval, self.max_consecutive_failures = check_poll_settings(
            poll_interval, max_consecutive_failures, self.where)
        self.delivery_timeout = self._seconds(delivery_timeout, "delivery_timeout")
        self._control: SendControl | None = None  # what on_kill reaches; made on first use (not deep-copied)

    def _seconds(self, value: Any, field: str, minimum: float | None = None, kind: str = "") -> float:
        """A finite number of seconds (above 0, or from ``minimum``), at most :data:`MAX_WAIT_SECONDS`."""
        low_ok = is_number(value) and (
            value >= minimum if minimum is not None else value > 0)
        if not low_ok or not value <= MAX_WAIT_SECONDS:  # NaN fails both comparisons
            least = f"from {minimum:g}" if minimum is not None else "above 0"
            rule = f"must be {kind}seconds {least} and at most {MAX_WAIT_SECONDS:.0f}, got {shown(value)}"
            raise self.invalid(field, rule)
        return float(value)

    @property
    def control(self) -> SendControl:
        """What a running send shares with ``on_kill`` (which Airflow calls while ``execute`` runs)."""
        if self._control is None:
            self._control = SendControl(cancel_on_kill=self.cancel_on_kill)
        return self._control

    def execute(self, context: Context) -> dict[str, Any]:
        """Send every chunk that is not a batch yet (:meth:`SinchHook.send_exactly_once`, with this task's
        ledger); with ``wait_for_delivery``, then defer until delivered."""
        fields = self.content_fields()
        prefix = fields.pop("client_reference", None)
        for name in RELATIVE_TIMES:  # a timedelta counts from the first try: the hook keeps that try's times
            if isinstance(getattr(self, name), timedelta):
                fields[name] = getattr(self, name)
        ledger = SendLedger.for_task(context, prefix=prefix, durable=self.durable)
        result = self.hook.send_exactly_once(
            {**fields, "to": self.destinations()}, ledger=ledger, chunk_size=self.chunk_size,
            max_concurrency=self.max_concurrency, rate_limit_patience=self.rate_limit_patience,
            ambiguous_lookup_delays=self.ambiguous_lookup_delays, control=self.control, **self.limits())
        if self.wait_for_delivery:  # off the worker, until every recipient has a final status
            self.defer_until_delivered(result)
        return result

    def defer_until_delivered(self, result: dict[str, Any]) -> None:
        """Hand the wait to the triggerer (which only reads from Sinch); resume in
        :meth:`execute_complete` with the send result."""
        trigger = SinchBatchDeliveryTrigger(
            batch_ids=result["batch_ids"], sinch_conn_id=self.sinch_conn_id, poll_interval=self.poll_interval,
            deadline=deadline_after(self.delivery_timeout),
            max_consecutive_failures=self.max_consecutive_failures, **self.delivery_criteria.to_dict(),
        )
        self.log.info("Waiting for delivery of %d batch(es) until %s", len(trigger.batch_ids),
                      trigger.deadline)
        self.defer(
            trigger=trigger,
            method_name="execute_complete",
            kwargs={"send_result": result},
            timeout=timedelta(seconds=self.delivery_timeout + max(DEFERRAL_GRACE_SECONDS,
                                                                  2 * self.poll_interval)),
        )

    def execute_complete(self, context: Context, event: Any = None,
                         send_result: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the delivery wait: the send result plus ``delivery``, or the matching failure.

        Strict: a missing or unknown event raises instead of passing for success.
        """
        summary = validate_delivery_event(event)
        self.log.info("%s", event.get("detail") if isinstance(event, dict) else "delivered")
        if send_result is None:
            send_result = self._stored_send_result(context, summary)
        return {**send_result, "delivery": summary}

    def _stored_send_result(self, context: Context, summary: dict[str, Any]) -> dict[str, Any]:
        """The send result when the resume lost the defer kwargs (``airflow dags test`` in 3.3 resumes
        with the event alone; the triggerer keeps them): ``task_state_store`` has it; without a store, the
        batch ids the delivery summary names."""
        store: Any = context.get("task_state_store") if self.durable else None  # 3.3+ (3.1 types: none)
        stored = store.get(RESULT_KEY) if store is not None else None
        if isinstance(stored, dict) and stored.get("batch_ids"):
            return dict(stored)
        return {"batch_ids": list((summary.get("batches") or {}).keys())}

    def on_kill(self) -> None:
        """Stop starting chunks; with ``cancel_on_kill``, cancel this send's batches not dispatched yet (those
        whose request is in flight are cancelled when their answer arrives)."""
        self.control.kill()
