"""Recording an accepted callback as one asset event, exactly once, in the Airflow metadata DB.

For each asset the callback belongs to (see :mod:`.uris`), one transaction inserts a dedup row into
Airflow 3.3's ``asset_state_store`` (primary key ``(asset_id, key)``, key
``sinch-callback:<sha256 of the callback's dedup key>``) and registers the asset event.  A second delivery of
the same callback, on any API-server worker and at any time, fails the insert on the primary key: it is a
duplicate, acknowledged without an event.  Both writes commit together, so a crash in between leaves
neither and Sinch's retry records the event; the receiver answers 2xx only after the commit.

An asset no DAG uses (never parsed, or no longer active) is not created: the callback is acknowledged and
logged as ignored (a 4xx would be final at Sinch anyway, and a 5xx would make Sinch retry for 22 hours for
nothing).  Dedup rows are kept :data:`KEEP_DEDUP` (Sinch gives up retrying after about 22 h 45 min) and
pruned at most every :data:`PRUNE_INTERVAL_S` seconds per process, after an accepted callback.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from airflow_provider_sinch.callbacks.uris import delivery_uri, inbound_uris
from airflow_provider_sinch.client.webhooks import Callback

log = logging.getLogger(__name__)

DEDUP_PREFIX = "sinch-callback:"
KEEP_DEDUP = timedelta(hours=48)
PRUNE_INTERVAL_S = 600.0
SOURCE = "sinch-callback"

Status = Literal["recorded", "duplicate", "ignored"]
SessionFactory = Callable[[], AbstractContextManager[Session]]


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
    does, so DAGs read both alike), plus where it came from."""
    return {"payload": callback.payload, "type": callback.type, "source": SOURCE, "conn_id": conn_id}


def _default_session() -> AbstractContextManager[Session]:
    from airflow.utils.session import create_session

    return create_session()


def _is_retryable(exc: OperationalError) -> bool:
    """A lock the DB may release soon (SQLite's "database is locked", deadlocks, serialization failures)."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return any(word in text for word in ("locked", "deadlock", "could not serialize", "busy"))


class CallbackRecorder:
    """Turns callbacks into asset events in the metadata DB (see the module docs).

    :param session_factory: returns a context manager giving a session that commits on exit (Airflow's
        ``create_session`` by default).
    :param keep: how long dedup rows are kept.
    :param prune_interval: least seconds between two prunes in this process.
    :param attempts: tries of one transaction when the DB reports a transient lock.
    """

    def __init__(self, session_factory: SessionFactory = _default_session, keep: timedelta = KEEP_DEDUP,
                 prune_interval: float = PRUNE_INTERVAL_S, attempts: int = 8) -> None:
        self._sessions = session_factory
        self._keep = keep
        self._prune_interval = prune_interval
        self._attempts = attempts
        self._last_prune: float | None = None
        self._prune_lock = threading.Lock()

    def record(self, conn_id: str, callback: Callback) -> Outcome:
        """Record ``callback`` received through ``conn_id`` (see the module docs)."""
        uris = asset_uris(conn_id, callback)
        assets = self._retrying(lambda: self._active_assets(uris))
        if not assets:
            return Outcome("ignored")
        outcome = Outcome("duplicate")
        for asset_id, uri in assets:
            event_id = self._retrying(partial(self._record_once, asset_id, conn_id, callback))
            if event_id is None:
                outcome.duplicates.append(uri)
            else:
                outcome.recorded.append(uri)
                outcome.event_ids.append(event_id)
        if outcome.recorded:
            outcome.status = "recorded"
            self.prune_if_due()
        return outcome

    def prune_if_due(self) -> int:
        """Delete dedup rows older than ``keep`` if the last prune is ``prune_interval`` ago; how many."""
        now = time.monotonic()
        with self._prune_lock:
            if self._last_prune is not None and now - self._last_prune < self._prune_interval:
                return 0
            self._last_prune = now
        try:
            return self.prune()
        except Exception:  # best effort: a failed prune must not fail an acknowledged callback
            log.warning("Could not prune old Sinch callback dedup records", exc_info=True)
            return 0

    def prune(self) -> int:
        """Delete dedup rows older than ``keep`` now; how many."""
        from airflow.models.asset_state_store import AssetStateStoreModel

        cutoff = datetime.now(UTC) - self._keep
        with self._sessions() as session:
            result = session.execute(
                delete(AssetStateStoreModel)
                .where(AssetStateStoreModel.key.startswith(DEDUP_PREFIX, autoescape=True),
                       AssetStateStoreModel.updated_at < cutoff)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def _retrying(self, work: Callable[[], Any]) -> Any:
        for attempt in range(1, self._attempts + 1):
            try:
                return work()
            except OperationalError as exc:
                if attempt == self._attempts or not _is_retryable(exc):
                    raise
                time.sleep(min(0.02 * 2**attempt, 1.0))
        raise AssertionError("unreachable")

    def _active_assets(self, uris: list[str]) -> list[tuple[int, str]]:
        from airflow.models.asset import AssetActive, AssetModel

        with self._sessions() as session:
            rows = session.execute(
                select(AssetModel.id, AssetModel.uri)
                .join(AssetActive,
                      (AssetActive.name == AssetModel.name) & (AssetActive.uri == AssetModel.uri))
                .where(AssetModel.uri.in_(uris))
            ).all()
        found = {uri: asset_id for asset_id, uri in rows}
        return [(found[uri], uri) for uri in uris if uri in found]

    def _record_once(self, asset_id: int, conn_id: str, callback: Callback) -> int | None:
        """One transaction: the dedup row, then the event.  The new event's id; ``None`` for a duplicate."""
        from airflow.assets.manager import asset_manager
        from airflow.models.asset import AssetModel
        from airflow.models.asset_state_store import AssetStateStoreModel

        key = DEDUP_PREFIX + callback.dedup_digest
        sink: list[Callable[[], None]] = []
        with self._sessions() as session:
            session.add(AssetStateStoreModel(
                asset_id=asset_id, key=key,
                value=json.dumps({"type": callback.type, "source": SOURCE}),
            ))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                if self._dedup_row_exists(session, asset_id, key):
                    return None
                raise
            asset = session.get(AssetModel, asset_id)
            if asset is None:  # deleted since it was looked up: nothing to record on
                session.rollback()
                return None
            event = asset_manager.register_asset_change(
                asset=asset, extra=event_extra(conn_id, callback), source_is_api=True, api_user_teams=set(),
                session=session, callback_sink=sink,
            )
            if event is None:
                session.rollback()
                return None
            session.flush()
            event_id = int(event.id)
            _advance_pending_runs(session, asset_id, event.timestamp)
        for notify in sink:  # listeners hear of the event only once it is committed
            notify()
        return event_id

    @staticmethod
    def _dedup_row_exists(session: Session, asset_id: int, key: str) -> bool:
        from airflow.models.asset_state_store import AssetStateStoreModel

        return session.scalar(
            select(AssetStateStoreModel.asset_id)
            .where(AssetStateStoreModel.asset_id == asset_id, AssetStateStoreModel.key == key)
        ) is not None




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
