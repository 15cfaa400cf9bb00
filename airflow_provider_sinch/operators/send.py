"""Sending SMS at any size, safely retried: ``SinchSendBatchOperator``; and ``SinchDryRunBatchOperator``.

A send is planned into chunks of at most 1,000 destinations (:mod:`~.chunking`), every chunk request is
validated before the first one goes out, the optional cost guard dry-runs every chunk (:mod:`~.cost`), and
the chunks are sent a few at a time.  Each batch id is written to ``task_state_store`` as soon as Sinch
returns it (:mod:`~.resume`), and every chunk carries a deterministic ``client_reference``, so a retry -
or the recovery from an answer lost on the way back - finds what already exists instead of sending again.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_sinch.client import (
    SinchAmbiguousSendError,
    SinchConflictError,
    SinchError,
    SinchNotFoundError,
    SinchRateLimitError,
)
from airflow_provider_sinch.client.limits import MAX_RECIPIENTS
from airflow_provider_sinch.client.retry import is_number, is_whole
from airflow_provider_sinch.common.arguments import as_int, as_list, shown
from airflow_provider_sinch.common.delivery_wait import criteria_from
from airflow_provider_sinch.common.output import brief_list, masked
from airflow_provider_sinch.common.polling import DEFAULT_MAX_CONSECUTIVE_FAILURES, check_poll_settings
from airflow_provider_sinch.operators.batches import SinchBatchContentOperator
from airflow_provider_sinch.operators.chunking import (
    Chunk,
    Destinations,
    base_reference,
    missing_parameter_values,
    plan_chunks,
)
from airflow_provider_sinch.operators.concurrency import ClientPool, run_bounded
from airflow_provider_sinch.operators.cost import CostEstimate
from airflow_provider_sinch.operators.resume import RESULT_KEY, ChunkLedger, find_batch, lookup_since
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

    from airflow_provider_sinch.client import SinchClient

TIMES_KEY = "sinch_send_times"
"""``task_state_store`` key: the first try's ``send_at``/``expire_at`` where they were given as timedeltas."""

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
        # Not templated, so checked when the DAG is parsed.
        if not is_whole(chunk_size) or not 1 <= chunk_size <= MAX_RECIPIENTS:
            raise self.invalid("chunk_size", f"must be a whole number from 1 to {MAX_RECIPIENTS}, got "
                               f"{chunk_size!r}")
        if not is_whole(max_concurrency) or max_concurrency < 1:
            raise self.invalid("max_concurrency", f"must be a whole number from 1, got {max_concurrency!r}")
        self.chunk_size = chunk_size
        self.max_concurrency = max_concurrency
        self.max_messages = max_messages
        self.max_parts_per_message = max_parts_per_message

    def limits(self) -> dict[str, int | None]:
        return {"max_messages": as_int(self.max_messages, "max_messages", 0),
                "max_parts_per_message": as_int(self.max_parts_per_message, "max_parts_per_message", 1)}

    def plan(self, base: str | None) -> tuple[list[Chunk], dict[str, Any], Destinations]:
        """Chunks, the shared fields and the destinations; every chunk's request is validated here,
        before anything is sent (each chunk keeps its validated request, which is what is sent)."""
        fields = self.content_fields()
        fields.pop("client_reference", None)
        destinations = Destinations.of(as_list(self.to, "to", keys=DESTINATION_KEYS))
        if not destinations.entries:
            raise self.invalid("to", "is empty: give at least one phone number or group id")
        if destinations.repeats:
            self.log.info("Dropped %d repeated destination(s)", destinations.repeats)
        parameters = fields.pop("parameters", None)
        chunks = self.validated(plan_chunks(destinations, parameters=parameters, base=base,
                                            size=self.chunk_size), fields)
        for key, count in missing_parameter_values(parameters, destinations).items():
            self.log.warning("Parameter %r has no value and no default for %d recipient(s): Sinch will not "
                             "deliver to them (code 405)", key, count)
        return chunks, fields, destinations

    @staticmethod
    def validated(chunks: list[Chunk], fields: dict[str, Any]) -> list[Chunk]:
        """``chunks``, each with its request validated into a ``BatchRequest`` (the first bad one raises)."""
        from airflow_provider_sinch.client.models import BatchRequest, build  # not at DAG parse

        return [dataclasses.replace(chunk, request_model=build(BatchRequest, chunk.request(fields),
                                                               f"batch (chunk {chunk.index})"))
                for chunk in chunks]

    def estimate(self, chunks: list[Chunk], fields: dict[str, Any], pool: ClientPool,
                 details: bool = False) -> CostEstimate:
        """Dry-run every chunk (concurrently) and add the answers up."""

        def dry_run(chunk: Chunk) -> Any:
            return pool.get().dry_run(per_recipient=True, number_of_recipients=MAX_RECIPIENTS,
                                      **chunk.request(fields))

        estimate = CostEstimate()
        answers: dict[int, Any] = {}
        for chunk, answer, error in run_bounded(dry_run, chunks, self.max_concurrency, threading.Event()):
            if error is not None:
                raise error
            answers[chunk.index] = answer
        for index in sorted(answers):
            estimate.add(answers[index], keep_details=details, keep_bodies=details)
        self.log.info("Dry run: %d recipient(s), %d message part(s), at most %d part(s) per message, "
                      "%d batch(es)", estimate.recipients, estimate.messages, estimate.max_parts,
                      estimate.chunks)
        return estimate


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
        chunks, fields, _ = self.plan(base=None)
        limits = self.limits()
        pool = ClientPool(self.hook.config, self.hook.renew_config)
        try:
            estimate = self.estimate(chunks, fields, pool, details=self.per_recipient)
        finally:
            pool.close()
        estimate.check(**limits)
        return estimate.to_dict()


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
    again before it sends.  A batch found cancelled is sent again.

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
        # What a running send shares with on_kill (which Airflow calls while execute runs): ``stop``, made on
        # first use, tells it to start no more requests; ``batches`` (chunk index -> batch id) are this send's
        # batches known so far, the ones ``cancel_on_kill`` cancels; ``killed`` says on_kill ran, so that a
        # batch learnt after it (its request was in flight) is cancelled as it arrives.
        self._stop: threading.Event | None = None
        self.batches: dict[int, str] = {}
        self.killed = False

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
    def stop(self) -> threading.Event:
        """Set to stop starting new requests (``on_kill``, or a chunk that failed)."""
        if self._stop is None:
            self._stop = threading.Event()
        return self._stop

    def execute(self, context: Context) -> dict[str, Any]:
        """Send every chunk that is not a batch yet; with ``wait_for_delivery``, then defer until delivered.

        The same story on every try, read top to bottom.
        """
        self.stop.clear()  # on_kill's state, fresh for this try
        self.killed = False
        self.batches = {}
        # 1. Plan: the same chunks on every try, every request validated before the first is sent.
        base = self._reference(context)
        chunks, fields, destinations = self.plan(base)
        groups, recipients = destinations.groups, len(destinations.entries)
        del destinations  # its 100,000 keys are not needed through the send
        limits = self.limits()
        store = self._store(context)
        pinned = self._pin_relative_times(fields, store)
        repinned, fields = pinned is not fields, pinned
        ledger = ChunkLedger(store)
        pool = ClientPool(self.hook.config, self.hook.renew_config)
        estimate = None
        try:
            # 2. What exists already: the ledger's batches (each read once), then lookups by reference.
            self._find_existing(chunks, ledger, context, pool)
            todo = [chunk for chunk in chunks if chunk.index not in self.batches]
            self.log.info("Send %s: %d destination(s) (%d group(s)) in %d batch(es); %d already sent, %d to "
                          "send, up to %d at a time", base, recipients, groups, len(chunks),
                          len(self.batches), len(todo), self.max_concurrency)
            if repinned:  # a retry sends the first try's send_at/expire_at: what it sends is validated with
                # them; only what it sends, so an expiry passed since does not stop it finding its batches
                todo = self.validated(todo, fields)
            # 3. The cost guard, on the whole send, before anything new goes out.
            if todo and any(limit is not None for limit in limits.values()):
                estimate = self.estimate(chunks, fields, pool)
                estimate.check(**limits)
            # 4. Send the rest, each batch written to the ledger the moment it exists.
            self._send(todo, len(chunks), fields, ledger, pool, lookup_since(context))
        finally:
            pool.close()

        # 5. The result, kept for a retry with nothing to send (it answers as the try that sent: same cost
        # and send_at) and for a resumed wait that lost its kwargs.
        batch_ids = [self.batches[chunk.index] for chunk in chunks]
        stored = store.get(RESULT_KEY) if store is not None else None
        if not todo and isinstance(stored, dict) and stored.get("batch_ids") == batch_ids:
            result = dict(stored)
        else:
            send_at = fields.get("send_at")
            result = {"batch_ids": batch_ids, "client_reference": base, "recipients": recipients,
                      "chunks": len(chunks), "groups": groups,
                      "send_at": send_at.isoformat() if isinstance(send_at, datetime) else None}
            if estimate is not None:
                result["cost"] = estimate.to_dict()
            if store is not None:
                store.set(RESULT_KEY, result)
        self.log.info("Send %s: all %d batch(es) exist: %s", base, len(batch_ids), brief_list(batch_ids))

        # 6. Optionally wait, off the worker, until every recipient has a final status.
        if self.wait_for_delivery:
            self.defer_until_delivered(result)
        return result

    def _pin_relative_times(self, fields: dict[str, Any], store: Any | None) -> dict[str, Any]:
        """``send_at``/``expire_at`` given as a ``timedelta`` count from the first try: its times are kept in
        the state store, so the chunks a retry sends go out with those the first try sent."""
        relative = [name for name in ("send_at", "expire_at") if isinstance(getattr(self, name), timedelta)]
        if store is None or not relative:
            return fields
        kept = store.get(TIMES_KEY)
        if isinstance(kept, dict) and all(isinstance(kept.get(name), str) for name in relative):
            return {**fields, **{name: datetime.fromisoformat(kept[name]) for name in relative}}
        store.set(TIMES_KEY, {name: fields[name].isoformat() for name in relative})
        return fields

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
        store = context.get("task_state_store") if self.durable else None
        stored = store.get(RESULT_KEY) if store is not None else None
        if isinstance(stored, dict) and stored.get("batch_ids"):
            return dict(stored)
        return {"batch_ids": list((summary.get("batches") or {}).keys())}

    # What a run needs to know, the same on every try

    def _reference(self, context: Context) -> str:
        ti: Any = context["ti"]
        map_index = getattr(ti, "map_index", None)
        prefix = self.content_fields().get("client_reference")
        return base_reference(prefix=prefix, dag_id=ti.dag_id, task_id=ti.task_id, run_id=ti.run_id,
                              map_index=-1 if map_index is None else int(map_index))

    def _store(self, context: Context) -> Any | None:
        """Where the ledger and the result are kept: ``task_state_store``, unless ``durable=False`` or the run
        has none (then a retry finds this send's batches by their ``client_reference`` alone)."""
        if not self.durable:
            return None
        store = context.get("task_state_store")
        if store is None:
            self.log.warning("task_state_store not available in context: a retry finds this send's batches "
                             "by their client_reference only")
        return store

    def _find_existing(self, chunks: list[Chunk], ledger: ChunkLedger, context: Context,
                       pool: ClientPool) -> None:
        """Remember the chunks that already are live batches, asking Sinch at most once per chunk.

        A batch the ledger names is read by its id: live (or too old for Sinch to know), it counts;
        cancelled, it is forgotten and its chunk sent again.  Any other chunk is looked up by its
        ``client_reference`` when an earlier attempt may have sent it unrecorded: on a retry, or when there
        is no state store.
        """
        recorded = ledger.recorded(chunks)  # refuses a changed input before any request
        try_number = int(getattr(context.get("ti"), "try_number", 1) or 1)
        # On a first try with a state store nothing can exist yet that the ledger does not name.
        look_up = ledger.store is None or try_number > 1 or len(ledger) > 0
        since = lookup_since(context)

        def find(chunk: Chunk) -> tuple[str | None, bool]:
            """(live batch id or None, whether the recorded batch was cancelled); runs on a worker thread,
            so it leaves the ledger alone."""
            batch_id = recorded.get(chunk.index)
            if batch_id is not None:
                try:
                    if not pool.get().get_batch(batch_id).canceled:
                        return batch_id, False
                except SinchNotFoundError:
                    self.log.warning("Batch %s of chunk %d is unknown to Sinch (older than its reach?); "
                                     "counting it as sent", batch_id, chunk.index)
                    return batch_id, False
                self.log.warning("Batch %s of chunk %d was cancelled: the chunk is sent again",
                                 batch_id, chunk.index)
            if not look_up or chunk.client_reference is None:
                return None, batch_id is not None
            found, live = find_batch(pool.get(), chunk.client_reference, since)
            if found is not None and live > 1:
                self.log.warning("%d live batches carry reference %s; using the oldest, %s",
                                 live, chunk.client_reference, found.id)
            return (found.id if found is not None else None), batch_id is not None

        to_ask = [chunk for chunk in chunks if look_up or chunk.index in recorded]
        for chunk, answer, error in run_bounded(find, to_ask, self.max_concurrency, threading.Event()):
            if error is not None or answer is None:
                raise error or AirflowException("lookup gave no answer")
            batch_id, cancelled = answer
            if cancelled:
                ledger.forget(chunk)
            if batch_id is not None:
                self._remember(chunk, batch_id, ledger)

    def _remember(self, chunk: Chunk, batch_id: str, ledger: ChunkLedger) -> None:
        """``chunk`` is batch ``batch_id``: into the ledger (at once) and :attr:`batches`; when the task was
        killed while this was being learnt, cancelled now (with ``cancel_on_kill``)."""
        ledger.record(chunk, batch_id)
        self.batches[chunk.index] = batch_id
        if self.killed and self.cancel_on_kill:
            self._cancel(batch_id)

    # Sending

    def _send(self, todo: list[Chunk], total: int, fields: dict[str, Any], ledger: ChunkLedger,
              pool: ClientPool, since: datetime) -> None:
        """Send ``todo`` concurrently, recording each batch the moment it exists; after a failure no new
        chunk starts, those in flight finish and are recorded, then the first error is raised."""
        stop = self.stop
        failures: list[tuple[Chunk, BaseException]] = []
        for chunk, batch, error in run_bounded(lambda c: self._send_chunk(c, fields, pool, since), todo,
                                               self.max_concurrency, stop):
            if error is not None or batch is None:
                failures.append((chunk, error or AirflowException("no batch returned")))
                stop.set()
                continue
            self.log.info("Chunk %d/%d sent as batch %s: %d destination(s) [%s]", chunk.index + 1, total,
                          batch.id, len(chunk.to), masked(chunk.to))
            self._remember(chunk, batch.id, ledger)
        if failures:
            chunk, error = failures[0]
            raise AirflowException(
                f"{len(failures)} chunk(s) of this send failed (first: chunk {chunk.index}: {error}). "
                f"{len(self.batches)} of {total} batch(es) exist and are recorded; a retry sends only the "
                "rest."
            ) from error
        if len(self.batches) < total or self.killed:
            raise AirflowException(f"send stopped after {len(self.batches)} of {total} batch(es)"
                                   + (": the task was killed" if self.killed else ""))

    def _send_chunk(self, chunk: Chunk, fields: dict[str, Any], pool: ClientPool, since: datetime) -> Any:
        """One chunk: waits out a rate-limit storm (up to ``rate_limit_patience``), recovers a lost answer
        by looking the chunk up, and never sends a chunk twice."""
        client = pool.get()
        deadline = time.monotonic() + self.rate_limit_patience
        pause = 1.0
        while True:
            if self.stop.is_set():
                raise AirflowException(f"chunk {chunk.index} not sent: the send was stopped")
            try:
                if chunk.request_model is not None:  # validated when planned: not validated again
                    return client.send_batch(request=chunk.request_model)
                return client.send_batch(**chunk.request(fields))
            except SinchRateLimitError as exc:  # not accepted by Sinch: sending again is safe
                # The client already retried; wait at least ``pause`` (growing) even when Sinch says
                # ``Retry-After: 0``, or a refusing Sinch would be hammered until the patience runs out.
                wait_for = max(pause, exc.retry_after or 0.0)
                if time.monotonic() + wait_for > deadline:
                    raise
                self.log.warning("Chunk %d rate limited by Sinch; again in %.1f s", chunk.index, wait_for)
                self.stop.wait(wait_for)
                pause = min(pause * 2, 30.0)
            except SinchAmbiguousSendError as exc:
                found = self._recover(chunk, client, since)
                if found is None:
                    raise AirflowException(
                        f"Sinch's answer was lost ({exc.cause}) and no batch with "
                        f"client_reference {chunk.client_reference} can be found yet. Not sending it again "
                        "now; a retry of this task looks it up again first."
                    ) from exc
                return found

    def _recover(self, chunk: Chunk, client: SinchClient, since: datetime) -> Any:
        """Look for the batch of a chunk whose answer was lost, a few times with pauses."""
        assert chunk.client_reference is not None
        for pause in self.ambiguous_lookup_delays:
            self.stop.wait(pause)
            try:
                found, _ = find_batch(client, chunk.client_reference, since)
            except SinchError as exc:
                self.log.warning("Lookup of chunk %d failed: %s", chunk.index, exc)
                continue
            if found is not None:
                self.log.warning("Chunk %d: the answer was lost, but Sinch has it as batch %s; not resending",
                                 chunk.index, found.id)
                return found
        return None

    def on_kill(self) -> None:
        """Stop starting chunks; with ``cancel_on_kill``, cancel this send's batches not dispatched yet (those
        whose request is in flight are cancelled when their answer arrives)."""
        self.killed = True  # before reading ``batches``: one remembered from now on is cancelled at once
        self.stop.set()
        if self.cancel_on_kill:
            for batch_id in list(self.batches.values()):
                self._cancel(batch_id)

    def _cancel(self, batch_id: str) -> None:
        try:
            self.hook.cancel_batch(batch_id)
            self.log.info("Cancelled batch %s", batch_id)
        except SinchConflictError:
            self.log.info("Batch %s was already dispatched: not cancelled", batch_id)
        except SinchError as exc:
            self.log.error("Could not cancel batch %s: %s", batch_id, exc)
