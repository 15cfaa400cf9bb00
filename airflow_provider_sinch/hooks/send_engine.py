"""Sending SMS at any size, exactly once across retries: the engine behind
:meth:`~airflow_provider_sinch.hooks.sinch.SinchHook.send_exactly_once`.

A send is planned into chunks of at most 1,000 destinations (:mod:`~.chunking`), every chunk's request is
validated before the first one goes out, the optional cost guard dry-runs every chunk (:mod:`~.cost`), and
the chunks are sent a few at a time (:mod:`~.concurrency`).  Each batch id is written to the ledger's store
the moment Sinch returns it (:mod:`~.send_ledger`), and every chunk carries a deterministic
``client_reference``, so a retry - or the recovery from an answer lost on the way back - finds what already
exists instead of sending again.  429s that outlast the client's retries are waited out under a
:class:`~airflow_provider_sinch.client.patience.RateLimitPatience` policy.

The same story on every try, read top to bottom in :meth:`ExactlyOnceSend.run`.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_sinch.client.errors import (
    SinchAmbiguousSendError,
    SinchConflictError,
    SinchError,
    SinchNotFoundError,
    SinchValidationError,
)
from airflow_provider_sinch.client.limits import MAX_RECIPIENTS
from airflow_provider_sinch.client.msisdn import mask_all
from airflow_provider_sinch.client.patience import RateLimitPatience
from airflow_provider_sinch.client.retry import is_finite_number, is_whole, shown_number
from airflow_provider_sinch.hooks.chunking import Chunk, Destinations, missing_parameter_values, plan_chunks
from airflow_provider_sinch.hooks.concurrency import ClientPool, run_bounded
from airflow_provider_sinch.hooks.cost import CostEstimate
from airflow_provider_sinch.hooks.send_ledger import (
    RELATIVE_TIMES,
    RESULT_KEY,
    ChunkLedger,
    SendLedger,
    find_batch,
)

if TYPE_CHECKING:
    from airflow_provider_sinch.client import SinchClient
    from airflow_provider_sinch.hooks.sinch import SinchHook

log = logging.getLogger(__name__)


def brief_list(values: Sequence[str], limit: int = 10) -> str:
    """Ids for a log line, at most ``limit`` of them: a send to a million numbers has a thousand batches."""
    rest = len(values) - limit
    return ", ".join(values[:limit]) + (f" (+{rest} more)" if rest > 0 else "")


class SendControl:
    """What a running send shares with whoever may stop it from another thread (an operator's ``on_kill``).

    :param cancel_on_kill: when killed, cancel the batches of this send that Sinch has not dispatched yet
        (scheduled ones), including those whose answer arrives after the kill.
    """

    def __init__(self, cancel_on_kill: bool = False) -> None:
        self.cancel_on_kill = cancel_on_kill
        self.stop = threading.Event()
        """Set to start no more requests (a kill, or a chunk that failed); interrupts every wait."""
        self.batches: dict[int, str] = {}
        """Chunk index -> batch id of this send known so far: what a kill cancels."""
        self.killed = False
        self._cancel: Callable[[str], Any] | None = None
        self.log: Any = log

    def begin(self, cancel: Callable[[str], Any], logger: Any) -> None:
        """A new try starts: nothing known, nothing stopped.

        :param cancel: cancels one batch.
        :param logger: where to report cancellations.
        """
        self.stop.clear()
        self.killed = False
        self.batches = {}
        self._cancel = cancel
        self.log = logger

    def wait(self, seconds: float) -> None:
        """Pause, unless (or until) the send is stopped."""
        self.stop.wait(seconds)

    def remember(self, index: int, batch_id: str) -> None:
        """Chunk ``index`` is batch ``batch_id``; learnt after a kill, it is cancelled at once."""
        self.batches[index] = batch_id
        if self.killed and self.cancel_on_kill:
            self.cancel(batch_id)

    def kill(self) -> None:
        """Stop starting requests; with ``cancel_on_kill``, cancel this send's batches not dispatched yet."""
        self.killed = True  # before reading ``batches``: one remembered from now on is cancelled at once
        self.stop.set()
        if self.cancel_on_kill:
            for batch_id in list(self.batches.values()):
                self.cancel(batch_id)

    def cancel(self, batch_id: str) -> None:
        """Cancel one batch; too late (dispatched) or failing, it is logged, never raised."""
        if self._cancel is None:
            return
        try:
            self._cancel(batch_id)
            self.log.info("Cancelled batch %s", batch_id)
        except SinchConflictError:
            self.log.info("Batch %s was already dispatched: not cancelled", batch_id)
        except SinchError as exc:
            self.log.error("Could not cancel batch %s: %s", batch_id, exc)


def invalid(field: str, rule: str) -> SinchValidationError:
    """The error for a bad argument of the send, naming ``field`` and ``rule``."""
    return SinchValidationError([(field, rule)], "send_exactly_once arguments")


def check_options(chunk_size: Any, max_concurrency: Any, where: str = "send_exactly_once arguments") -> None:
    """Raise a ``SinchValidationError`` naming each bad setting of how a send is split and run.

    :param chunk_size: destinations per batch: a whole number from 1 to 1,000.
    :param max_concurrency: batches in flight: a whole number from 1.
    :param where: what the error names as having the bad arguments.
    """
    problems = []
    if not is_whole(chunk_size) or not 1 <= chunk_size <= MAX_RECIPIENTS:
        problems.append(("chunk_size", f"must be a whole number from 1 to {MAX_RECIPIENTS}, got "
                                       f"{shown_number(chunk_size)}"))
    if not is_whole(max_concurrency) or max_concurrency < 1:
        problems.append(("max_concurrency", "must be a whole number from 1, got "
                                            f"{shown_number(max_concurrency)}"))
    if problems:
        raise SinchValidationError(problems, where)


def counted_from_now(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with a ``send_at``/``expire_at`` given as a ``timedelta`` turned into the time from now."""
    now, out = datetime.now(UTC), dict(fields)
    for name in RELATIVE_TIMES:
        if isinstance(out.get(name), timedelta):
            try:
                out[name] = now + out[name]
            except OverflowError:
                raise invalid(name, f"must end before the year 9999, got {out[name]!r}") from None
    return out


def plan(to: Sequence[str], fields: Mapping[str, Any], base: str | None, size: int = MAX_RECIPIENTS,
         logger: Any = log) -> tuple[list[Chunk], Destinations]:
    """The chunks of a send and its destinations; every chunk's request is validated here, before anything
    is sent (each chunk keeps its validated request, which is what is sent).

    :param to: the destinations (numbers and group ids); repeats are dropped.
    :param fields: the content fields (``body``, ``from_``, ``parameters``, ...), without ``to``.
    :param base: the reference base (chunk ``i`` is ``{base}:{i}``), or ``None`` (a dry run).
    :param size: destinations per chunk.
    :param logger: where to say what was dropped or is missing (the hook's log, in a task's log).
    """
    if not isinstance(to, list | tuple) or not all(map(isinstance, to, repeat(str))):  # map: C speed
        raise invalid("to", "must be a list of phone numbers and/or group ids")
    destinations = Destinations.of(to)
    if not destinations.entries:
        raise invalid("to", "is empty: give at least one phone number or group id")
    if destinations.repeats:
        logger.info("Dropped %d repeated destination(s)", destinations.repeats)
    fields = dict(fields)
    parameters = fields.pop("parameters", None)
    chunks = validated(plan_chunks(destinations, parameters=parameters, base=base, size=size), fields)
    for key, count in missing_parameter_values(parameters, destinations).items():
        logger.warning("Parameter %r has no value and no default for %d recipient(s): Sinch will not "
                       "deliver to them (code 405)", key, count)
    return chunks, destinations


def validated(chunks: list[Chunk], fields: Mapping[str, Any]) -> list[Chunk]:
    """``chunks``, each with its request validated into a ``BatchRequest`` (the first bad one raises)."""
    from airflow_provider_sinch.client.models import BatchRequest, build  # pydantic: at send time only

    return [dataclasses.replace(chunk, request_model=build(BatchRequest, chunk.request(fields),
                                                           f"batch (chunk {chunk.index})"))
            for chunk in chunks]


def estimate(chunks: list[Chunk], fields: Mapping[str, Any], pool: ClientPool, workers: int,
             details: bool = False, logger: Any = log) -> CostEstimate:
    """Dry-run every chunk (``workers`` at a time) and add the answers up.

    :param chunks: the planned chunks.
    :param fields: the content fields the chunks are sent with.
    :param pool: the clients to ask with.
    :param workers: dry runs in flight at once.
    :param details: keep every recipient's details (and rendered body).
    :param logger: where to report the figures.
    """

    def dry_run(chunk: Chunk) -> Any:
        return pool.get().dry_run(per_recipient=True, number_of_recipients=MAX_RECIPIENTS,
                                  **chunk.request(fields))

    found = CostEstimate()
    answers: dict[int, Any] = {}
    for chunk, answer, error in run_bounded(dry_run, chunks, workers, threading.Event()):
        if error is not None:
            raise error
        answers[chunk.index] = answer
    for index in sorted(answers):
        found.add(answers[index], keep_details=details, keep_bodies=details)
    logger.info("Dry run: %d recipient(s), %d message part(s), at most %d part(s) per message, %d batch(es)",
             found.recipients, found.messages, found.max_parts, found.chunks)
    return found


def dry_run(hook: SinchHook, chunks: list[Chunk], fields: Mapping[str, Any], workers: int,
            details: bool = False) -> CostEstimate:
    """What sending ``chunks`` would cost (:func:`estimate` on clients of ``hook``'s connection).

    :param hook: the hook whose connection is asked.
    :param chunks: the planned chunks.
    :param fields: the content fields the chunks would be sent with.
    :param workers: dry runs in flight at once.
    :param details: keep every recipient's details (and rendered body).
    """
    pool = ClientPool(hook.config, hook.renew_config)
    try:
        return estimate(chunks, fields, pool, workers, details, hook.log)
    finally:
        pool.close()


@dataclasses.dataclass
class ExactlyOnceSend:
    """One send of any size, exactly once across retries (see the module docs).

    :param hook: the hook whose connection the send uses.
    :param ledger: the send's reference, store and lookup window.
    :param chunk_size: destinations per batch, 1 to 1,000.
    :param max_concurrency: batches in flight at once (threads).
    :param max_messages: cost guard on the total message parts (dry runs before anything new is sent).
    :param max_parts_per_message: cost guard on the parts of any one recipient's message.
    :param patience: how long a chunk waits out 429s after the client's retries.
    :param ambiguous_lookup_delays: seconds to wait before each lookup of a chunk whose answer was lost.
    :param control: what a kill from another thread reaches.
    :param clock: monotonic seconds (the patience's deadline).
    """

    hook: SinchHook
    ledger: SendLedger
    chunk_size: int = MAX_RECIPIENTS
    max_concurrency: int = 4
    max_messages: int | None = None
    max_parts_per_message: int | None = None
    patience: RateLimitPatience = dataclasses.field(default_factory=RateLimitPatience)
    ambiguous_lookup_delays: Sequence[float] = (0.5, 2.0, 5.0)
    control: SendControl = dataclasses.field(default_factory=SendControl)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        check_options(self.chunk_size, self.max_concurrency)
        for name, least in (("max_messages", 0), ("max_parts_per_message", 1)):
            value = getattr(self, name)
            if value is not None and (not is_whole(value) or value < least):
                raise invalid(name, f"must be a whole number from {least}, got {shown_number(value)}")
        if not all(is_finite_number(delay) and delay >= 0 for delay in self.ambiguous_lookup_delays):
            raise invalid("ambiguous_lookup_delays", "must be a list of seconds from 0")

    @property
    def log(self) -> Any:
        """The hook's log: the task's log when a task sends."""
        return self.hook.log

    def run(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Send every chunk of ``request`` that is not a batch yet; the send's result (see
        :meth:`~airflow_provider_sinch.hooks.sinch.SinchHook.send_exactly_once`)."""
        control, ledger, base = self.control, self.ledger, self.ledger.reference
        control.begin(self.hook.cancel_batch, self.log)
        # 1. Plan: the same chunks on every try, every request validated before the first is sent.
        fields = {name: value for name, value in request.items() if name != "to"}
        if "client_reference" in fields:
            raise invalid("client_reference", "is the ledger's reference (SendLedger(reference=...)), not a "
                                              "field of the request")
        fresh = counted_from_now(fields)
        chunks, destinations = plan(request.get("to") or [], fresh, base, self.chunk_size, self.log)
        groups, recipients = destinations.groups, len(destinations.entries)
        del destinations  # its 100,000 keys are not needed through the send
        pinned = ledger.pinned(fields, fresh)
        fields = {name: value for name, value in pinned.items() if name != "parameters"}
        chunk_ledger = ChunkLedger(ledger.store, base)
        chunk_ledger.check_owner()
        pool = ClientPool(self.hook.config, self.hook.renew_config)
        cost = None
        try:
            # 2. What exists already: the ledger's batches (each read once), then lookups by reference.
            self._find_existing(chunks, chunk_ledger, pool)
            todo = [chunk for chunk in chunks if chunk.index not in control.batches]
            self.log.info("Send %s: %d destination(s) (%d group(s)) in %d batch(es); %d already sent, %d to "
                          "send, up to %d at a time", base, recipients, groups, len(chunks),
                          len(control.batches), len(todo), self.max_concurrency)
            if pinned is not fresh:  # a retry sends the first try's send_at/expire_at: what it sends is
                # validated with them; only what it sends, so an expiry passed since does not stop it
                # finding its batches
                todo = validated(todo, fields)
            # 3. The cost guard, on the whole send, before anything new goes out.
            if todo and (self.max_messages is not None or self.max_parts_per_message is not None):
                cost = estimate(chunks, fields, pool, self.max_concurrency, logger=self.log)
                cost.check(max_messages=self.max_messages, max_parts_per_message=self.max_parts_per_message)
            # 4. Send the rest, each batch written to the ledger the moment it exists.
            if todo:
                chunk_ledger.begin()
            self._send(todo, len(chunks), fields, chunk_ledger, pool)
        finally:
            pool.close()
        # 5. The result, kept for a retry with nothing to send (it answers as the try that sent: same cost
        # and send_at) and for a resumed wait that lost its kwargs.
        batch_ids = [control.batches[chunk.index] for chunk in chunks]
        store = ledger.store
        stored = store.get(RESULT_KEY) if store is not None else None
        self.log.info("Send %s: all %d batch(es) exist: %s", base, len(batch_ids), brief_list(batch_ids))
        if not todo and isinstance(stored, dict) and stored.get("batch_ids") == batch_ids:
            return dict(stored)
        send_at = fields.get("send_at")
        result = {"batch_ids": batch_ids, "client_reference": base, "recipients": recipients,
                  "chunks": len(chunks), "groups": groups,
                  "send_at": send_at.isoformat() if isinstance(send_at, datetime) else None}
        if cost is not None:
            result["cost"] = cost.to_dict()
        if store is not None:
            store.set(RESULT_KEY, result)
        return result

    def _find_existing(self, chunks: list[Chunk], chunk_ledger: ChunkLedger, pool: ClientPool) -> None:
        """Remember the chunks that already are live batches, asking Sinch at most once per chunk.

        A batch the ledger names is read by its id: live (or too old for Sinch to know), it counts;
        cancelled, it is forgotten and its chunk sent again.  Any other chunk is looked up by its
        ``client_reference`` when an earlier attempt may have sent it unrecorded: unless this is the first
        try of a send with a store.
        """
        recorded = chunk_ledger.recorded(chunks)  # refuses a changed input before any request
        look_up = (chunk_ledger.store is None or not self.ledger.first_try or len(chunk_ledger) > 0
                   or chunk_ledger.started is not None)  # a call of this try already began sending
        since = self.ledger.start()

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
                self.log.warning("Batch %s of chunk %d was cancelled: the chunk is sent again", batch_id,
                                 chunk.index)
            if not look_up or chunk.client_reference is None:
                return None, batch_id is not None
            found, live = find_batch(pool.get(), chunk.client_reference, since)
            if found is not None and live > 1:
                self.log.warning("%d live batches carry reference %s; using the oldest, %s", live,
                                 chunk.client_reference, found.id)
            return (found.id if found is not None else None), batch_id is not None

        to_ask = [chunk for chunk in chunks if look_up or chunk.index in recorded]
        for chunk, answer, error in run_bounded(find, to_ask, self.max_concurrency, threading.Event()):
            if error is not None or answer is None:
                raise error or AirflowException("lookup gave no answer")
            batch_id, cancelled = answer
            if cancelled:
                chunk_ledger.forget(chunk)
            if batch_id is not None:
                self._remember(chunk, batch_id, chunk_ledger)

    def _remember(self, chunk: Chunk, batch_id: str, chunk_ledger: ChunkLedger) -> None:
        """``chunk`` is batch ``batch_id``: into the ledger (at once) and the control."""
        chunk_ledger.record(chunk, batch_id)
        self.control.remember(chunk.index, batch_id)

    def _send(self, todo: list[Chunk], total: int, fields: dict[str, Any], chunk_ledger: ChunkLedger,
              pool: ClientPool) -> None:
        """Send ``todo`` concurrently, recording each batch the moment it exists; after a failure no new
        chunk starts, those in flight finish and are recorded, then the first error is raised."""
        control = self.control
        failures: list[tuple[Chunk, BaseException]] = []
        for chunk, batch, error in run_bounded(lambda c: self._send_chunk(c, fields, pool), todo,
                                               self.max_concurrency, control.stop):
            if error is not None or batch is None:
                failures.append((chunk, error or AirflowException("no batch returned")))
                control.stop.set()
                continue
            self.log.info("Chunk %d/%d sent as batch %s: %d destination(s) [%s]", chunk.index + 1, total,
                          batch.id, len(chunk.to), mask_all(chunk.to))
            self._remember(chunk, batch.id, chunk_ledger)
        if failures:
            chunk, error = failures[0]
            raise AirflowException(
                f"{len(failures)} chunk(s) of this send failed (first: chunk {chunk.index}: {error}). "
                f"{len(control.batches)} of {total} batch(es) exist and are recorded; a retry sends only the "
                "rest."
            ) from error
        if len(control.batches) < total or control.killed:
            raise AirflowException(f"send stopped after {len(control.batches)} of {total} batch(es)"
                                   + (": the task was killed" if control.killed else ""))

    def _send_chunk(self, chunk: Chunk, fields: dict[str, Any], pool: ClientPool) -> Any:
        """One chunk: waits out a rate-limit storm (the patience policy), recovers a lost answer by looking
        the chunk up, and never sends a chunk twice."""
        client = pool.get()

        def attempt() -> Any:
            if self.control.stop.is_set():
                raise AirflowException(f"chunk {chunk.index} not sent: the send was stopped")
            if chunk.request_model is not None:  # validated when planned: not validated again
                return client.send_batch(request=chunk.request_model)
            return client.send_batch(**chunk.request(fields))

        retrying = self.patience.retrying(sleep=self.control.wait, clock=self.clock,
                                          what=f"chunk {chunk.index}")
        try:
            return retrying(attempt)
        except SinchAmbiguousSendError as exc:
            found = self._recover(chunk, client)
            if found is None:
                raise AirflowException(
                    f"Sinch's answer was lost ({exc.cause}) and no batch with client_reference "
                    f"{chunk.client_reference} can be found yet. Not sending it again now; a retry of this "
                    "task looks it up again first."
                ) from exc
            return found

    def _recover(self, chunk: Chunk, client: SinchClient) -> Any:
        """Look for the batch of a chunk whose answer was lost, a few times with pauses."""
        assert chunk.client_reference is not None
        for pause in self.ambiguous_lookup_delays:
            self.control.wait(pause)
            try:
                found, _ = find_batch(client, chunk.client_reference, self.ledger.start())
            except SinchError as exc:
                self.log.warning("Lookup of chunk %d failed: %s", chunk.index, exc)
                continue
            if found is not None:
                self.log.warning("Chunk %d: the answer was lost, but Sinch has it as batch %s; not resending",
                                 chunk.index, found.id)
                return found
        return None
