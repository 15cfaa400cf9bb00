"""Where the receiver remembers which callbacks an asset already has: the "claim" at the start of the
transaction that records one callback on one asset (see :mod:`.recorder`).

Two stores, one contract: :meth:`claim` is the transaction's first work and answers ``"new"`` (go on and
register the event in this transaction), ``"duplicate"`` (this asset has it) or ``"gone"`` (the asset was
deleted since it was looked up).  Whatever a claim wrote commits or rolls back with the event, so a crash
in between leaves neither and Sinch's retry is recorded.

:class:`StateStoreDedup` (Airflow 3.3+, :data:`~airflow_provider_sinch.version_compat.HAS_ASSET_STATE_STORE`)
inserts ``(asset_id, "sinch-callback:<digest>")`` into ``asset_state_store``: a second delivery fails the
insert on the primary key.  Rows are pruned after :data:`KEEP_DEDUP`.

:class:`EventDedup` (Airflow 3.1 and 3.2, which have no such table) finds the callback's digest in the
asset's own events, under a lock on the asset row:

1. ``UPDATE asset SET updated_at = updated_at WHERE id = :id``: a row write lock on PostgreSQL and MySQL
   (on PostgreSQL a ``FOR NO KEY UPDATE`` lock, which the ``KEY SHARE`` locks of foreign-key checks do not
   wait for, so only the receiver's own transactions for that asset wait for it); SQLite's write lock,
   taken at once, so a second writer waits in the busy handler rather than failing to upgrade a read lock
   later.
2. ``SELECT ... FROM asset_event WHERE asset_id = :id AND timestamp >= now - KEEP_DEDUP AND CAST(extra AS
   TEXT) LIKE '%"<digest>"%'``: a range scan of the ``(asset_id, timestamp)`` index; each candidate's
   ``extra["sinch_dedup"]`` is compared exactly in Python.
3. None found: the caller registers the event, its ``extra`` carrying ``sinch_dedup`` (see
   :func:`~.recorder.event_extra`), and commits, releasing the lock.

Why this holds with two API servers on PostgreSQL: Airflow runs it at READ COMMITTED.  Two transactions for
the same (asset, callback) both start with the ``UPDATE``; the second blocks on the row lock until the first
commits.  Its next statement, the ``SELECT``, takes a new snapshot (READ COMMITTED snapshots per statement),
which includes the first's committed event: it answers ``"duplicate"``.  On MySQL (which Airflow also sets to
READ COMMITTED) the same holds; on SQLite only one writer runs at a time.  The cost: one no-op row update
(a HOT update on PostgreSQL: no indexed column changes) and one indexed range scan over the asset's events
of the last 48 h per callback and asset; callbacks on one asset are serialised for the few milliseconds
of their transaction.  The events are Airflow's: nothing is pruned, and an ``airflow db clean`` that
deletes events younger than Sinch's retry window (about 23 h) would let a late retry be recorded again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from airflow_provider_sinch.version_compat import HAS_ASSET_STATE_STORE

KEEP_DEDUP = timedelta(hours=48)
"""How long a callback is recognised (Sinch gives up retrying after about 22 h 45 min)."""
DEDUP_PREFIX = "sinch-callback:"
"""Key prefix of the receiver's rows in ``asset_state_store``."""
EXTRA_KEY = "sinch_dedup"
"""The key of the callback's digest in the ``extra`` of the asset events the receiver writes."""
SOURCE = "sinch-callback"

Claim = Literal["new", "duplicate", "gone"]


class DedupStore(Protocol):
    """Remembers, per asset, the callbacks recorded on it (see the module docs)."""

    def claim(self, session: Session, asset_id: int, digest: str) -> Claim:
        """The first work of the transaction recording callback ``digest`` on asset ``asset_id``.

        :param session: the transaction's session.
        :param asset_id: the asset's id.
        :param digest: the callback's dedup digest (hex SHA-256).
        """

    def prune(self, session: Session, cutoff: datetime) -> int:
        """Forget what was claimed before ``cutoff``; how many records were deleted.

        :param session: the transaction's session.
        :param cutoff: the oldest time still remembered.
        """


class StateStoreDedup:
    """Dedup rows in Airflow 3.3's ``asset_state_store`` (see the module docs; no arguments)."""

    def claim(self, session: Session, asset_id: int, digest: str) -> Claim:
        """Insert the dedup row; a primary-key conflict is a duplicate (see :meth:`DedupStore.claim`)."""
        from airflow.models.asset import AssetModel
        from airflow.models.asset_state_store import AssetStateStoreModel

        key = DEDUP_PREFIX + digest
        session.add(AssetStateStoreModel(asset_id=asset_id, key=key, value=json.dumps({"source": SOURCE})))
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            if session.get(AssetStateStoreModel, (asset_id, key)) is not None:
                return "duplicate"
            if session.get(AssetModel, asset_id) is None:  # the foreign key failed
                return "gone"
            raise
        return "new"

    def prune(self, session: Session, cutoff: datetime) -> int:
        """Delete the receiver's dedup rows older than ``cutoff`` (see :meth:`DedupStore.prune`)."""
        from airflow.models.asset_state_store import AssetStateStoreModel

        result = session.execute(
            delete(AssetStateStoreModel)
            .where(AssetStateStoreModel.key.startswith(DEDUP_PREFIX, autoescape=True),
                   AssetStateStoreModel.updated_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class EventDedup:
    """The digest in the asset's own events, looked up under a lock on the asset row (see the module docs).

    :param keep: how far back events are searched.
    """

    def __init__(self, keep: timedelta = KEEP_DEDUP) -> None:
        self._keep = keep

    def claim(self, session: Session, asset_id: int, digest: str) -> Claim:
        """Lock the asset row, then look for an event carrying ``digest`` (see :meth:`DedupStore.claim`)."""
        from airflow.models.asset import AssetEvent, AssetModel

        locked = session.execute(
            update(AssetModel).where(AssetModel.id == asset_id).values(updated_at=AssetModel.updated_at)
            .execution_options(synchronize_session=False)
        )
        if not getattr(locked, "rowcount", 0):
            return "gone"
        since = datetime.now(UTC) - self._keep
        candidates = session.scalars(
            select(AssetEvent.extra)
            .where(AssetEvent.asset_id == asset_id, AssetEvent.timestamp >= since,
                   cast(AssetEvent.extra, Text).like(f'%"{digest}"%'))
        )
        return "duplicate" if any(carries(extra, digest) for extra in candidates) else "new"

    def prune(self, session: Session, cutoff: datetime) -> int:
        """Nothing to delete: the events are Airflow's (see :meth:`DedupStore.prune`)."""
        return 0


def carries(extra: Any, digest: str) -> bool:
    """Whether an asset event's ``extra`` (a dict, or its JSON text) is the receiver's for ``digest``.

    :param extra: the event's ``extra`` as the driver returned it.
    :param digest: the callback's dedup digest.
    """
    if isinstance(extra, str | bytes):
        extra = json.loads(extra)
    return isinstance(extra, dict) and extra.get(EXTRA_KEY) == digest


def default_store(keep: timedelta = KEEP_DEDUP) -> DedupStore:
    """The store this Airflow has: ``asset_state_store`` from 3.3, the asset's events before.

    :param keep: how long callbacks are recognised.
    """
    return StateStoreDedup() if HAS_ASSET_STATE_STORE else EventDedup(keep)
