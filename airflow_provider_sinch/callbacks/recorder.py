"""Recording an accepted callback as one asset event, exactly once, in the Airflow metadata DB, within a
bounded time.

For each asset the callback belongs to (see :mod:`.uris`), one transaction first *claims* the callback in
the asset's dedup store (:mod:`.dedup`: a row of ``asset_state_store`` on Airflow 3.3, a lock on the asset
row and a look-up of its recent events on 3.1 and 3.2), then registers the asset event.  A second delivery
of the same callback, on any API-server worker and at any time, finds the claim: it is a duplicate,
acknowledged without an event.  The claim and the event commit together, so a crash in between leaves
neither and Sinch's retry records the event; the receiver answers 2xx only after the commit.

Never 200 for nothing recorded: when no event was written and the callback is not a known duplicate (the
asset was deleted between the look-up and the transaction, Airflow's asset manager declined the event, the
database stayed locked), :class:`NotRecorded` is raised and the receiver answers 503, so Sinch retries.  An
asset no DAG uses (never parsed, or no longer active) is the one deliberate exception: the callback is
acknowledged and logged as ignored (a 4xx would be final at Sinch anyway, and a 5xx would make Sinch retry
for 22 hours for nothing).

Bounded time: each callback has :data:`DB_BUDGET_S` seconds from its arrival for all its transactions,
retries included; each transaction's lock waits are capped to what is left (:mod:`.dbwait`), and past the
budget the callback is answered 503 (:class:`DatabaseBusy`).  Recording runs on :data:`RECORDER_THREADS`
threads of the recorder's own, not on the API server's shared thread pool, so a burst of callbacks during
a long lock holds at most that many threads and pooled connections per process and Airflow's own endpoints
keep theirs; a callback still queued when its budget is spent is answered 503 without touching the DB.

Dedup rows of ``asset_state_store`` are pruned after :data:`~.dedup.KEEP_DEDUP`, at most every
:data:`PRUNE_INTERVAL_S` seconds per process, after an accepted callback.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from airflow_provider_sinch.callbacks.dbwait import bounded_session, is_lock_error
from airflow_provider_sinch.callbacks.dedup import (
    DEDUP_PREFIX,
    EXTRA_KEY,
    KEEP_DEDUP,
    SOURCE,
    DedupStore,
    default_store,
)
from airflow_provider_sinch.callbacks.uris import delivery_uri, inbound_uris
from airflow_provider_sinch.client.webhooks import Callback

log = logging.getLogger(__name__)

DB_BUDGET_S = 3.0
"""Seconds a callback may spend on the metadata DB, from its arrival, before it is answered 503."""
RECORDER_THREADS = 4
"""Threads per process recording callbacks (each holds at most one pooled DB connection)."""
PRUNE_INTERVAL_S = 600.0

Status = Literal["recorded", "duplicate", "ignored"]
SessionFactory = Callable[[float], AbstractContextManager[Session]]
"""``factory(seconds)``: a session whose lock waits end after ``seconds``, committing on a clean exit."""
T = TypeVar("T")

__all__ = ["DB_BUDGET_S", "DEDUP_PREFIX", "KEEP_DEDUP", "CallbackRecorder", "DatabaseBusy", "NotRecorded",
           "Outcome", "asset_uris", "event_extra"]


class NotRecorded(Exception):
    """No event was written and the callback is not a known duplicate: answer 5xx so Sinch retries.
    Messages name assets by id, never by URI (which may hold a phone number)."""


class DatabaseBusy(NotRecorded):
    """The callback's DB budget ran out (locks held by others, or every recorder thread busy)."""


@dataclass
class Outcome:
    """What became of one callback.

    :param status: ``recorded`` (at least one new asset event), ``duplicate`` (every asset already had
        it) or ``ignored`` (no DAG uses any of its assets).
    :param recorded: URIs that got a new event.
    :param duplicates: URIs that already had it.
    :param event_ids: ids of the new asset events.
    """

    status: Status
    recorded: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)


def asset_uris(conn_id: str, callback: Callback) -> list[str]:
    """The assets a callback is recorded on."""
    if callback.kind == "inbound":
        return inbound_uris(conn_id, callback.payload.get("to"))
    return [delivery_uri(conn_id)]


def event_extra(conn_id: str, callback: Callback) -> dict[str, Any]:
    """The asset event's ``extra``: the payload as Sinch sent it under ``payload`` (as the polling watcher
    does, so DAGs read both alike), where it came from, and the callback's dedup digest under
    ``sinch_dedup`` (what :class:`~.dedup.EventDedup` looks for; written on every Airflow version, so events
    look the same everywhere)."""
    return {"payload": callback.payload, "type": callback.type, "source": SOURCE, "conn_id": conn_id,
            EXTRA_KEY: callback.dedup_digest}


class CallbackRecorder:
    """Turns callbacks into asset events in the metadata DB (see the module docs).

    :param session_factory: ``factory(seconds)`` gives a session whose lock waits end after ``seconds`` and
        that commits on exit (:func:`~.dbwait.bounded_session` by default).
    :param store: the dedup store (:func:`~.dedup.default_store`: the one this Airflow has).
    :param keep: how long dedup rows are kept.
    :param prune_interval: least seconds between two prunes in this process.
    :param budget: seconds a callback may spend on the DB, queueing for a thread included.
    :param threads: threads recording callbacks in this process (:meth:`arecord`).
    :param clock: monotonic seconds (injectable for tests).
    :param sleep: pauses between retries (injectable for tests).
    """

    def __init__(self, session_factory: SessionFactory = bounded_session, store: DedupStore | None = None,
                 keep: timedelta = KEEP_DEDUP, prune_interval: float = PRUNE_INTERVAL_S,
                 budget: float = DB_BUDGET_S, threads: int = RECORDER_THREADS,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 ) -> None:
        self._sessions = session_factory
        self._store = store if store is not None else default_store(keep)
        self._keep = keep
        self._prune_interval = prune_interval
        self._budget = budget
        self._threads = threads
        self._clock = clock
        self._sleep = sleep
        self._last_prune: float | None = None
        self._prune_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    async def arecord(self, conn_id: str, callback: Callback) -> Outcome:
        """:meth:`record` on one of the recorder's own threads, the budget counted from now.

        :param conn_id: the connection the callback came through.
        :param callback: the parsed callback.
        """
        deadline = self._clock() + self._budget
        future = self._pool().submit(self.record, conn_id, callback, deadline)
        return await asyncio.wrap_future(future)

    def record(self, conn_id: str, callback: Callback, deadline: float | None = None) -> Outcome:
        """Record ``callback`` received through ``conn_id`` (see the module docs).

        :param conn_id: the connection the callback came through.
        :param callback: the parsed callback.
        :param deadline: :attr:`clock` time by which to give up (now + ``budget`` by default).
        :raises NotRecorded: nothing was recorded and it is not a known duplicate (:class:`DatabaseBusy`
            when the budget ran out).
        """
        deadline = self._clock() + self._budget if deadline is None else deadline
        uris = asset_uris(conn_id, callback)
        assets = self._retrying(partial(self._active_assets, uris), deadline)
        if not assets:
            return Outcome("ignored")
        outcome = Outcome("duplicate")
        for asset_id, uri in assets:
            event_id = self._retrying(partial(self._record_once, asset_id, conn_id, callback), deadline)
            if event_id is None:
                outcome.duplicates.append(uri)
            else:
                outcome.recorded.append(uri)
                outcome.event_ids.append(event_id)
        if outcome.recorded:
            outcome.status = "recorded"
            self.prune_if_due(max(deadline - self._clock(), 0.001))
        return outcome

    def prune_if_due(self, seconds: float | None = None) -> int:
        """Delete dedup rows older than ``keep`` if the last prune is ``prune_interval`` ago; how many.

        :param seconds: the longest lock wait (the budget by default).
        """
        now = time.monotonic()
        with self._prune_lock:
            if self._last_prune is not None and now - self._last_prune < self._prune_interval:
                return 0
            self._last_prune = now
        try:
            return self.prune(seconds)
        except Exception:  # best effort: a failed prune must not fail an acknowledged callback
            log.warning("Could not prune old Sinch callback dedup records", exc_info=True)
            return 0

    def prune(self, seconds: float | None = None) -> int:
        """Delete dedup rows older than ``keep`` now; how many.

        :param seconds: the longest lock wait (the budget by default).
        """
        with self._sessions(self._budget if seconds is None else seconds) as session:
            return self._store.prune(session, datetime.now(UTC) - self._keep)

    def _pool(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="sinch-callbacks")
            return self._executor

    def _retrying(self, work: Callable[[float], T], deadline: float) -> T:
        """``work(seconds_left)`` until it succeeds, again after a lock error while the budget lasts."""
        attempt = 0
        while True:
            left = deadline - self._clock()
            if left <= 0:
                raise DatabaseBusy(f"the {self._budget:g} s budget was spent before this transaction "
                                   "(waiting for a recorder thread, or on earlier ones)")
            try:
                return work(left)
            except OperationalError as exc:
                if not is_lock_error(exc):
                    raise
                attempt += 1
                pause = min(0.02 * 2**attempt, 0.5)
                if self._clock() + pause >= deadline:
                    raise DatabaseBusy(f"the metadata DB stayed locked for the whole {self._budget:g} s "
                                       f"budget (attempts: {attempt})") from exc
                self._sleep(pause)

    def _active_assets(self, uris: list[str], seconds: float) -> list[tuple[int, str]]:
        from airflow.models.asset import AssetActive, AssetModel

        with self._sessions(seconds) as session:
            rows = session.execute(
                select(AssetModel.id, AssetModel.uri)
                .join(AssetActive,
                      (AssetActive.name == AssetModel.name) & (AssetActive.uri == AssetModel.uri))
                .where(AssetModel.uri.in_(uris))
            ).all()
        found = {uri: asset_id for asset_id, uri in rows}
        return [(found[uri], uri) for uri in uris if uri in found]

    def _record_once(self, asset_id: int, conn_id: str, callback: Callback, seconds: float) -> int | None:
        """One transaction: the claim, then the event.  The new event's id; ``None`` for a duplicate."""
        from airflow.assets.manager import asset_manager
        from airflow.models.asset import AssetModel

        sink: list[Callable[[], None]] = []
        with self._sessions(seconds) as session:
            claim = self._store.claim(session, asset_id, callback.dedup_digest)
            if claim == "duplicate":
                return None
            asset = session.get(AssetModel, asset_id) if claim == "new" else None
            if asset is None:
                raise NotRecorded(f"asset {asset_id} was deleted before the event was written")
            # Airflow 3.1/3.2 take the 3.3-only arguments into **kwargs and notify listeners at once (in
            # this transaction); 3.3 hands the notifications to the sink, run after the commit below.
            event = asset_manager.register_asset_change(
                asset=asset, extra=event_extra(conn_id, callback), source_is_api=True, api_user_teams=set(),
                session=session, callback_sink=sink,
            )
            if event is None:
                raise NotRecorded(f"Airflow's asset manager wrote no event for asset {asset_id}")
            session.flush()
            event_id = int(event.id)
            _advance_pending_runs(session, asset_id, event.timestamp)
        for notify in sink:  # listeners hear of the event only once it is committed
            notify()
        return event_id


def _advance_pending_runs(session: Session, asset_id: int, event_time: datetime) -> int:
    """Make the asset-triggered runs already queued for this asset include the new event.

    Airflow 3.3 queues one ``asset_dag_run_queue`` row per (asset, DAG) and creates the run with every event
    up to that row's ``created_at``; a second event arriving while the row waits keeps the old
    ``created_at`` (``AssetManager._queue_dagruns_*``: ``merge`` / ``ON CONFLICT DO NOTHING``), so the run
    leaves it out and nothing queues it again: it waits for the next event.  Callbacks come in bursts (the
    reports of one batch within milliseconds), so without this the last report of a burst is stranded (seen
    in the standalone test).  Moving ``created_at`` forward to the event, in the event's transaction, is
    the approach of apache/airflow#62501; Airflow 3.4 references each event from the queue instead
    (#70972) and needs nothing here (its ``asset_event_id`` column marks that shape).
    """
    from airflow.models.asset import AssetDagRunQueue

    if "asset_event_id" in AssetDagRunQueue.__table__.columns:
        return 0
    result = session.execute(
        update(AssetDagRunQueue)
        .where(AssetDagRunQueue.asset_id == asset_id, AssetDagRunQueue.created_at < event_time)
        .values(created_at=event_time)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
