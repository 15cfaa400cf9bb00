"""Remembering what a send already did, so that a retry sends nothing twice and drops nothing.

:class:`SendLedger` is what a caller of
:meth:`~airflow_provider_sinch.hooks.sinch.SinchHook.send_exactly_once` hands over: the send's name at Sinch
(its ``client_reference``) and, when there is one, a durable store.
One record, one fallback, used in this order for each chunk:

1. The ledger in ``task_state_store`` (Airflow 3.3): chunk index -> batch id, written the moment Sinch
   returns each batch.  It survives retries of the same task instance (XCom does not: Airflow clears it
   before a retry).
2. Sinch itself: ``GET /batches?client_reference=...`` with the chunk's deterministic reference.  This
   covers what the ledger cannot know: a worker that died between Sinch's answer and the write, a send
   whose answer was lost ("ambiguous"), or a run without a state store.

The finished send's result is kept too (:data:`RESULT_KEY`), but only as the answer to give again: a retry
decides what to send from the ledger and Sinch alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.hooks.chunking import MAX_BASE_LENGTH, Chunk, base_reference

log = logging.getLogger(__name__)

LEDGER_KEY = "sinch_send_chunks"
"""The ``task_state_store`` key of the ledger (renaming it would break retries already in flight)."""

RESULT_KEY = "sinch_send"
"""The ``task_state_store`` key of a finished send's result: what a retry that finds every batch in place
returns, and what a resumed delivery wait returns when the resume lost its kwargs (the key the send used
under ``ResumableJobMixin``, kept so that results stored by earlier versions still count)."""

STARTED_KEY = "sinch_send_started"
"""The store's key of the reference of the send that began sending in this task instance: written before its
first request, so that a second call in the same try (after a failure) looks its chunks up like a retry, and
so that a second send sharing the store is refused instead of taken for the first."""

TIMES_KEY = "sinch_send_times"
"""The store's key of the first try's ``send_at``/``expire_at`` where they were given as timedeltas."""

RELATIVE_TIMES = ("send_at", "expire_at")
"""The fields a send takes as a ``timedelta`` from its first try."""

LOOKUP_MARGIN = timedelta(hours=1)
"""How far before the run started lookups reach (clock skew between Airflow and Sinch)."""

LIST_BATCHES_REACH = timedelta(days=14)
"""Sinch lists batches of about the last 14 days only."""


class StateStore(Protocol):
    """A durable JSON store for one task instance that survives its retries: ``context["task_state_store"]``
    (Airflow 3.3), or anything with the same ``get``/``set``."""

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``."""

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON) under ``key``."""


@dataclass(frozen=True)
class SendLedger:
    """Who a send is at Sinch and where it remembers what it did: the same on every try of one send.

    :param reference: the send's ``client_reference`` base, the same on every try and different for every
        send (chunk ``i`` is sent as ``{reference}:{i}``); at most
        :data:`~airflow_provider_sinch.hooks.chunking.MAX_BASE_LENGTH` characters.
    :param store: a durable store (``task_state_store``) for the batch ids, or ``None``: then every try
        looks every chunk up at Sinch by its reference (still exactly once, for one ``GET`` a chunk).
    :param since: how far back lookups reach (default: an hour before now; Sinch keeps 14 days).
    :param first_try: nothing can exist yet that the store does not name (the first try of a task that has
        a store): the lookups are skipped.  Default ``False``: look up.
    """

    reference: str
    store: StateStore | None = None
    since: datetime | None = None
    first_try: bool = False
    _where: str = field(default="send_exactly_once arguments", repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.reference, str) or not self.reference.strip():
            raise SinchValidationError([("reference", "must be a non-empty string, the same on every try")],
                                       self._where)
        if len(self.reference) > MAX_BASE_LENGTH:
            raise SinchValidationError([("reference", f"must be at most {MAX_BASE_LENGTH} characters, got "
                                                      f"{len(self.reference)}")], self._where)

    @classmethod
    def for_task(cls, context: Mapping[str, Any], *, prefix: str | None = None,
                 durable: bool = True) -> SendLedger:
        """The ledger of the running task instance: reference ``{prefix}:{dag}:{task}:{run}:{map index}``,
        the context's ``task_state_store`` (Airflow 3.3; none on 3.1/3.2, or with ``durable=False``) and
        lookups from the run's start.  An operator's ``context`` or TaskFlow's ``get_current_context()``.

        :param context: the task's context.
        :param prefix: the readable start of the reference (default ``airflow``).
        :param durable: keep the batch ids in ``task_state_store`` when the task has one.
        """
        ti: Any = context["ti"]
        map_index = getattr(ti, "map_index", None)
        reference = base_reference(prefix=prefix, dag_id=ti.dag_id, task_id=ti.task_id, run_id=ti.run_id,
                                   map_index=-1 if map_index is None else int(map_index))
        store = context.get("task_state_store") if durable else None
        if durable and store is None:
            log.warning("task_state_store not available in context: a retry finds this send's batches by "
                        "their client_reference only")
        try_number = int(getattr(ti, "try_number", 1) or 1)
        return cls(reference, store, lookup_since(context), first_try=store is not None and try_number <= 1)

    def start(self) -> datetime:
        """Where lookups by reference start (:attr:`since`, or an hour before now)."""
        return self.since if self.since is not None else lookup_since({})

    def pinned(self, request: Mapping[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
        """The fields a try sends: ``fresh`` (``request`` with its timedeltas counted from this try), but
        with the ``send_at``/``expire_at`` the first try counted wherever ``request`` gave a timedelta;
        the first try keeps its times in the store.

        :param request: the send's fields as given.
        :param fresh: the same, ``send_at``/``expire_at`` timedeltas counted from now.
        """
        relative = [name for name in RELATIVE_TIMES if isinstance(request.get(name), timedelta)]
        if self.store is None or not relative:
            return fresh
        kept = self.store.get(TIMES_KEY)
        if isinstance(kept, dict) and all(isinstance(kept.get(name), str) for name in relative):
            return {**fresh, **{name: datetime.fromisoformat(kept[name]) for name in relative}}
        self.store.set(TIMES_KEY, {name: fresh[name].isoformat() for name in relative})
        return fresh


class ChunkLedger:
    """Which chunk became which batch, kept in ``task_state_store`` when the run has one.

    One store holds the ledger of one send: a second send of the same task instance with another reference
    is refused (:meth:`check_owner`) rather than taken for the first, which would skip its messages.

    :param store: ``context["task_state_store"]``, or ``None`` (then the ledger lives in memory only).
    :param reference: the send's reference (its chunks are ``{reference}:{i}``).
    """

    def __init__(self, store: StateStore | None, reference: str | None = None) -> None:
        self.store = store
        self.reference = reference
        saved = store.get(LEDGER_KEY) if store is not None else None
        self.records: dict[str, dict[str, Any]] = dict(saved) if isinstance(saved, dict) else {}
        started = store.get(STARTED_KEY) if store is not None else None
        self.started: str | None = started if isinstance(started, str) else None

    def check_owner(self) -> None:
        """Refuse a store that holds another send's ledger (``SinchValidationError``, before any request)."""
        if self.reference is None:
            return
        owners = {self.started} if self.started else set()
        owners |= {str(r.get("client_reference", "")).rpartition(":")[0] for r in self.records.values()
                   if r.get("client_reference")}
        others = sorted(owner for owner in owners if owner != self.reference)
        if others:
            raise SinchValidationError([("ledger", f"this task's state store already holds the send "
                                                   f"{others[0]!r}: one send per store; give another send "
                                                   "SendLedger(reference, store=None), found again by its "
                                                   "client_reference on a retry")],
                                       "send_exactly_once arguments")

    def begin(self) -> None:
        """Mark, before the first request, that this send began (see :data:`STARTED_KEY`)."""
        if self.store is not None and self.started is None and self.reference is not None:
            self.store.set(STARTED_KEY, self.reference)
            self.started = self.reference

    def __len__(self) -> int:
        return len(self.records)

    def batch_id(self, chunk: Chunk) -> str | None:
        """The batch an earlier try created for ``chunk``, if the ledger knows it.

        Raises ``AirflowFailException`` when the chunk's destinations differ from what was sent then
        (the input changed between tries): guessing could message people twice or not at all.
        """
        record = self.records.get(str(chunk.index))
        if not record:
            return None
        if record.get("digest") != chunk.digest:
            raise self._changed(f"chunk {chunk.index} has other destinations than on the earlier try that "
                                f"sent it as batch {record.get('batch_id')}")
        return str(record["batch_id"])

    def recorded(self, chunks: list[Chunk]) -> dict[int, str]:
        """Chunk index -> batch id of every chunk of this plan the ledger knows.

        Raises ``AirflowFailException`` when the input changed between tries: a chunk with other
        destinations than the one recorded, or a recorded chunk this plan no longer has (its recipients
        were messaged, yet the result would not name their batch).
        """
        planned = {str(chunk.index) for chunk in chunks}
        for index, record in sorted(self.records.items()):
            if index not in planned:
                raise self._changed(f"chunk {index}, sent as batch {record.get('batch_id')} on an earlier "
                                    "try, is not part of this send any more")
        known = {chunk.index: self.batch_id(chunk) for chunk in chunks}
        return {index: batch_id for index, batch_id in known.items() if batch_id is not None}

    @staticmethod
    def _changed(what: str) -> AirflowFailException:
        return AirflowFailException(
            f"{what}: the input of this send changed between tries. Refusing to guess who still needs the "
            "message; start a new run (or clear the task state) to send again."
        )

    def record(self, chunk: Chunk, batch_id: str) -> None:
        """Remember (and persist at once, unless it is known already) that ``chunk`` is batch ``batch_id``."""
        record = {"batch_id": batch_id, "digest": chunk.digest, "client_reference": chunk.client_reference}
        if self.records.get(str(chunk.index)) != record:
            self.records[str(chunk.index)] = record
            self._save()

    def forget(self, chunk: Chunk) -> None:
        """Drop ``chunk`` (its batch was cancelled: it must be sent again)."""
        if self.records.pop(str(chunk.index), None) is not None:
            self._save()

    def _save(self) -> None:
        if self.store is not None:
            self.store.set(LEDGER_KEY, self.records)


def lookup_since(context: Any, now: datetime | None = None) -> datetime:
    """Where lookups by ``client_reference`` start: the run's start (or the try's) minus a margin.

    Sinch's list defaults to the last 24 hours, which would miss batches of a run retried later, so the
    start is always explicit; it is never older than Sinch's 14-day reach.
    """
    now = now or datetime.now(UTC)
    started = None
    for key in ("dag_run", "ti"):
        value = getattr(context.get(key), "start_date", None)
        if isinstance(value, datetime):
            started = value if started is None else min(started, value)
    since = (started or now) - LOOKUP_MARGIN
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return max(since, now - LIST_BATCHES_REACH + timedelta(minutes=5))


def find_batch(client: Any, reference: str, since: datetime) -> tuple[Any | None, int]:
    """The live (not cancelled) batch sent with ``reference`` since ``since``, and how many live ones
    there are (more than one means an earlier duplicate; the oldest is returned)."""
    live = [b for b in client.iter_batches(client_reference=reference, start_date=since, page_size=100)
            if not b.canceled and b.client_reference == reference]
    live.sort(key=lambda b: (b.created_at is None, b.created_at or datetime.min.replace(tzinfo=UTC)))
    return (live[0] if live else None), len(live)
