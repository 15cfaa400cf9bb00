"""Remembering what a send already did, so that a retry sends nothing twice and drops nothing.

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

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_sinch.operators.chunking import Chunk

LEDGER_KEY = "sinch_send_chunks"
"""The ``task_state_store`` key of the ledger (renaming it would break retries already in flight)."""

RESULT_KEY = "sinch_send"
"""The ``task_state_store`` key of a finished send's result: what a retry that finds every batch in place
returns, and what a resumed delivery wait returns when the resume lost its kwargs (the key the send used
under ``ResumableJobMixin``, kept so that results stored by earlier versions still count)."""

LOOKUP_MARGIN = timedelta(hours=1)
"""How far before the run started lookups reach (clock skew between Airflow and Sinch)."""

LIST_BATCHES_REACH = timedelta(days=14)
"""Sinch lists batches of about the last 14 days only."""


class ChunkLedger:
    """Which chunk became which batch, kept in ``task_state_store`` when the run has one.

    :param store: ``context["task_state_store"]``, or ``None`` (then the ledger lives in memory only).
    """

    def __init__(self, store: Any | None) -> None:
        self.store = store
        saved = store.get(LEDGER_KEY) if store is not None else None
        self.records: dict[str, dict[str, Any]] = dict(saved) if isinstance(saved, dict) else {}

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
