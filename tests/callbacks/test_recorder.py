"""The recorder's guarantees one by one: a bounded time on a locked DB (injected clock, no waiting), its
own threads, and never "duplicate" for nothing recorded (against the migrated test DB)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from airflow_provider_sinch.callbacks.recorder import CallbackRecorder, DatabaseBusy, NotRecorded
from airflow_provider_sinch.client.webhooks import Callback, parse_callback
from tests.callbacks.conftest import CONN_ID

FIXTURES = Path(__file__).resolve().parents[1] / "sinch_api" / "fixtures" / "callbacks"
DELIVERY = f"sinch://{CONN_ID}/delivery"


def callback(name: str = "recipient_delivery_report_sms.delivered.json") -> Callback:
    return parse_callback((FIXTURES / name).read_bytes())


class Clock:
    """Monotonic time that only moves when told (a lock wait or a pause advances it)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


class LockedDB:
    """A session factory for a DB whose lock is held by someone else: every transaction fails as SQLite does,
    after waiting out its lock timeout (``wait=None``) or at once after ``wait`` seconds (a deadlock)."""

    def __init__(self, clock: Clock, wait: float | None = None) -> None:
        self.clock = clock
        self.wait = wait
        self.timeouts: list[float] = []

    @contextmanager
    def __call__(self, seconds: float) -> Iterator[Any]:
        self.timeouts.append(seconds)
        self.clock.now += seconds if self.wait is None else min(self.wait, seconds)
        raise OperationalError("SELECT asset.id", {}, Exception("database is locked"))
        yield  # pragma: no cover


def test_a_lock_held_longer_than_the_budget_is_waited_for_once_up_to_the_budget() -> None:
    clock = Clock()
    db = LockedDB(clock)
    recorder = CallbackRecorder(session_factory=db, budget=3.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(DatabaseBusy, match=r"stayed locked for the whole 3 s budget \(attempts: 1\)"):
        recorder.record(CONN_ID, callback())
    assert db.timeouts == [3.0]  # not 8 tries x SQLite's 5 s
    assert clock.now == 103.0


def test_lock_errors_that_fail_at_once_are_retried_while_the_budget_lasts() -> None:
    clock = Clock()
    db = LockedDB(clock, wait=0.05)
    recorder = CallbackRecorder(session_factory=db, budget=3.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(DatabaseBusy, match=r"stayed locked for the whole 3 s budget"):
        recorder.record(CONN_ID, callback())
    assert clock.now <= 103.0
    assert len(db.timeouts) > 2
    waited = 0.0
    for timeout, pause in zip(db.timeouts, [*clock.pauses, 0.0], strict=True):
        assert timeout == pytest.approx(3.0 - waited)  # each transaction may wait for what is left
        waited += 0.05 + pause
    assert max(clock.pauses) <= 0.5


def test_a_callback_whose_budget_is_spent_before_it_starts_never_touches_the_db() -> None:
    clock = Clock()
    db = LockedDB(clock)
    recorder = CallbackRecorder(session_factory=db, clock=clock, sleep=clock.sleep)
    with pytest.raises(DatabaseBusy, match="budget was spent before this transaction"):
        recorder.record(CONN_ID, callback(), deadline=clock.now)
    assert db.timeouts == []


def test_a_database_that_is_down_is_not_retried() -> None:
    calls: list[float] = []

    @contextmanager
    def down(seconds: float) -> Iterator[Any]:
        calls.append(seconds)
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        yield  # pragma: no cover

    clock = Clock()
    recorder = CallbackRecorder(session_factory=down, clock=clock, sleep=clock.sleep)
    with pytest.raises(OperationalError):  # the receiver answers it 503 too
        recorder.record(CONN_ID, callback())
    assert len(calls) == 1


def test_recording_runs_on_the_recorders_own_few_threads() -> None:
    """Not on the API server's shared thread pool; at most ``threads`` at once, however many arrive."""
    release = threading.Event()
    running: list[str] = []
    names: set[str] = set()
    peak: list[int] = []
    guard = threading.Lock()

    class Blocking(CallbackRecorder):
        def record(self, conn_id: str, callback: Callback, deadline: float | None = None) -> Any:
            with guard:
                running.append(threading.current_thread().name)
                names.add(threading.current_thread().name)
                peak.append(len(running))
            release.wait(10)
            with guard:
                running.pop()
            return "done"

    recorder = Blocking(threads=2)

    async def burst() -> list[Any]:
        tasks = [asyncio.ensure_future(recorder.arecord(CONN_ID, callback())) for _ in range(6)]
        while len(peak) < 2:
            await asyncio.sleep(0.01)
        release.set()
        return await asyncio.gather(*tasks)

    assert asyncio.run(burst()) == ["done"] * 6
    assert max(peak) == 2
    assert len(names) == 2
    assert all(name.startswith("sinch-callbacks") for name in names)


def test_an_asset_deleted_between_lookup_and_recording_is_not_answered_duplicate(
    active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]], db: Any
) -> None:
    from airflow.models.asset import AssetActive, AssetModel
    from sqlalchemy import delete

    asset_id = active_asset(DELIVERY)

    class Racing(CallbackRecorder):
        def _active_assets(self, uris: list[str], seconds: float) -> list[tuple[int, str]]:
            found = super()._active_assets(uris, seconds)
            with db() as session:  # the DAG is removed and the asset with it, right after the look-up
                session.execute(delete(AssetActive))
                session.execute(delete(AssetModel).where(AssetModel.id == asset_id))
            return found

    with pytest.raises(NotRecorded, match=f"asset {asset_id} was deleted before the event was written"):
        Racing().record(CONN_ID, callback())
    assert events() == []


def test_an_event_the_asset_manager_declines_is_not_answered_duplicate_and_leaves_no_claim(
    active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.assets.manager import asset_manager

    asset_id = active_asset(DELIVERY)
    real = asset_manager.register_asset_change
    monkeypatch.setattr(asset_manager, "register_asset_change", lambda **kwargs: None)
    with pytest.raises(NotRecorded, match=f"wrote no event for asset {asset_id}"):
        CallbackRecorder().record(CONN_ID, callback())
    assert events() == []
    monkeypatch.setattr(asset_manager, "register_asset_change", real)
    outcome = CallbackRecorder().record(CONN_ID, callback())  # Sinch's retry: the claim was rolled back
    assert (outcome.status, len(events())) == ("recorded", 1)


def test_a_claim_on_an_asset_that_no_longer_exists_is_not_recorded(
    events: Callable[..., list[dict[str, Any]]], db: Any
) -> None:
    """The dedup store let it through, but the asset row is gone (as in a race the store did not see)."""

    class Lenient:
        def claim(self, session: Any, asset_id: int, digest: str) -> str:
            return "new"

        def prune(self, session: Any, cutoff: Any) -> int:
            return 0

    recorder = CallbackRecorder(store=Lenient())  # type: ignore[arg-type]
    with pytest.raises(NotRecorded, match="asset 987654 was deleted"):
        recorder._retrying(lambda seconds: recorder._record_once(987654, CONN_ID, callback(), seconds),
                           deadline=recorder._clock() + 10)
    assert events() == []


def test_a_real_lock_held_past_the_budget_is_busy_then_the_retry_records_once(
    active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]],
    write_lock: Callable[[], AbstractContextManager[None]],
) -> None:
    """Another connection holds the DB's write lock (SQLite) or the asset table (PostgreSQL) for longer
    than a 0.3 s budget: busy, nothing written; after it lets go, the same callback is recorded once."""
    active_asset(DELIVERY)
    with write_lock(), pytest.raises(DatabaseBusy):
        CallbackRecorder(budget=0.3).record(CONN_ID, callback())
    assert events() == []
    assert CallbackRecorder().record(CONN_ID, callback()).status == "recorded"
    assert CallbackRecorder().record(CONN_ID, callback()).status == "duplicate"
    assert len(events()) == 1
