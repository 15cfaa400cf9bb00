"""Inbound watchers sharing one ``GET /inbounds`` loop, driven by Airflow's own triggerer code.

The watchers run through ``TriggerRunner.run_trigger`` (airflow/jobs/triggerer_job_runner.py, Airflow 3.3.2)
with its real ``SharedStreamManager``, as a triggerer runs an ``AssetWatcher``'s trigger; only the DB
workload that ``create_triggers`` reads is left out (:func:`start` does what it does for a watcher).  Sinch is
the sandbox (real HTTP, every request recorded).  The poll loop's pauses are held by a :class:`Ticker`, so
"one request per interval" is counted per tick, never timed.
"""

from __future__ import annotations

import asyncio
import json
import types
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.jobs.triggerer_job_runner import TriggerRunner

import airflow_provider_sinch.triggers.inbound as inbound_module
from airflow_provider_sinch.client.models import InboundMessage
from airflow_provider_sinch.common.inbound_wait import InboundWindow
from airflow_provider_sinch.testing.sandbox.inbound import InboundMessage as InjectedMessage
from airflow_provider_sinch.triggers.inbound import SinchInboundMessageEventTrigger
from tests.triggers.test_inbound_triggers import FakeStateStore

OURS, OTHER = "+12017777777", "+12018888888"
ALICE, BOB = "+46701000001", "+46701000002"
SETTLE_SECONDS = 20.0  # an upper bound for a loop to come round on a busy machine, not a measurement


class Ticker:
    """Stands in for ``asyncio.sleep`` in the poll loop: records every pause and holds it until :meth:`tick`.

    Each poll loop parks here after each poll, so "the loops have polled once more" is "as many are parked
    again" after a tick.
    """

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.parked: list[asyncio.Future[None]] = []

    async def sleep(self, delay: float) -> None:
        self.pauses.append(delay)
        parked = asyncio.get_running_loop().create_future()
        self.parked.append(parked)
        try:
            await parked
        finally:
            if parked in self.parked:
                self.parked.remove(parked)

    async def settle(self, loops: int) -> None:
        """Wait until ``loops`` poll loops are parked (each has finished its poll)."""
        await until(lambda: len(self.parked) == loops, f"{loops} poll loops parked, have {len(self.parked)}")

    async def tick(self, loops: int) -> None:
        """End every parked pause, and wait until ``loops`` loops have polled and parked again."""
        released, self.parked = self.parked, []
        for parked in released:
            parked.set_result(None)
        await self.settle(loops)


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(int(SETTLE_SECONDS / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def ticker(monkeypatch: pytest.MonkeyPatch) -> Ticker:
    ticker = Ticker()
    # Only the poll loop's module sees the ticker; the triggerer, the tests and httpx sleep for real.
    monkeypatch.setattr(inbound_module, "asyncio", types.SimpleNamespace(
        sleep=ticker.sleep, CancelledError=asyncio.CancelledError))
    return ticker


@pytest.fixture
def sandbox(sinch_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sandbox as ``sinch_default`` and as ``sinch_other`` (same account, another connection id), with
    the client's own retries off: each poll is one request, so requests count polls."""
    conn = {**json.loads(sinch_sandbox.conn_uri), "extra": {"retries": 0}}
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_OTHER", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW_DISABLE_GREENBACK_PORTAL", "true")
    return sinch_sandbox


@pytest.fixture
async def runner() -> AsyncIterator[TriggerRunner]:
    """Airflow's trigger runner (no DB: nothing here reaches it); its triggers are stopped afterwards."""
    runner = TriggerRunner()
    yield runner
    tasks = [t["task"] for t in runner.triggers.values()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await runner._shared_streams.stop_all()


def start(runner: TriggerRunner, trigger_id: int, trigger: SinchInboundMessageEventTrigger) -> asyncio.Task:
    """What ``TriggerRunner.create_triggers`` does for an asset watcher, given the trigger instead of a
    workload: register it and run ``run_trigger`` as its task."""
    trigger.trigger_id = trigger_id
    runner.triggers[trigger_id] = {"task": None, "is_watcher": True, "name": f"watcher {trigger_id}",
                                   "events": 0}
    task = asyncio.create_task(runner.run_trigger(trigger_id, trigger), name=f"watcher {trigger_id}")
    runner.triggers[trigger_id]["task"] = task
    runner.triggers[trigger_id]["trigger"] = trigger  # for watching(), not read by the runner
    return task


async def watching(runner: TriggerRunner, ticker: Ticker, loops: int) -> None:
    """Wait until every running watcher knows where it starts and ``loops`` loops have polled."""
    await until(lambda: all(t["trigger"]._window is not None for t in runner.triggers.values()
                            if not t["task"].done()), "every watcher's window")
    await ticker.settle(loops)


def watcher(**kwargs: Any) -> SinchInboundMessageEventTrigger:
    trigger = SinchInboundMessageEventTrigger(**{"to_numbers": [OURS], "poll_interval": 0.2, **kwargs})
    trigger.asset_state_store = FakeStateStore()  # type: ignore[assignment]
    return trigger


def fired(runner: TriggerRunner) -> dict[int, list[str]]:
    """The texts each trigger fired, in order (what the runner queued for the DB)."""
    texts: dict[int, list[str]] = {trigger_id: [] for trigger_id in runner.triggers}
    for entry in runner.events:
        texts[entry.trigger_id].append(entry.event.payload["text"])
    return texts


def inbound_gets(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.path.endswith("/inbounds")]


async def test_watchers_of_one_number_share_one_get_per_interval(
    sandbox: Any, runner: TriggerRunner, ticker: Ticker
) -> None:
    watchers = {
        1: watcher(keywords=["YES"]),
        2: watcher(keywords=["NO"]),
        3: watcher(keywords=["STOP"]),
        4: watcher(pattern=r"order (?P<order>\d+)"),
        5: watcher(from_numbers=[BOB]),
        6: watcher(),
    }
    for trigger_id, trigger in watchers.items():
        start(runner, trigger_id, trigger)
    await watching(runner, ticker, 1)  # one loop for all six, parked after its first poll
    sandbox.inject_inbound(ALICE, OURS, "yes please")
    sandbox.inject_inbound(BOB, OURS, "No.")
    sandbox.inject_inbound(ALICE, OURS, "where is order 42?")
    sandbox.inject_inbound(ALICE, OTHER, "yes, but to another number")
    for _ in range(4):
        await ticker.tick(1)
    await until(lambda: sum(map(len, fired(runner).values())) == 7, "seven events")
    await ticker.tick(1)  # and once more: nothing fires twice
    assert {trigger_id: sorted(texts) for trigger_id, texts in fired(runner).items()} == {
        1: ["yes please"],
        2: ["No."],
        3: [],
        4: ["where is order 42?"],
        5: ["No."],
        6: ["No.", "where is order 42?", "yes please"],  # received in the same millisecond: any order
    }
    assert runner.triggers[4]["events"] == 1
    order = next(e.event.payload for e in runner.events if e.trigger_id == 4)
    assert order["groups"] == {"order": "42"}
    gets = inbound_gets(sandbox)
    assert len(gets) == 6  # the first poll and one per tick, for all six watchers
    assert all("to=12017777777" in r.query for r in gets)
    assert {r.method for r in sandbox.requests} == {"GET"}  # watchers never send anything
    assert set(ticker.pauses) == {0.2}


async def test_other_number_or_connection_or_interval_gets_its_own_stream(
    sandbox: Any, runner: TriggerRunner, ticker: Ticker
) -> None:
    start(runner, 1, watcher(keywords=["YES"]))
    start(runner, 2, watcher(keywords=["NO"]))  # shares with 1
    start(runner, 3, watcher(to_numbers=[OTHER], keywords=["YES"]))
    start(runner, 4, watcher(sinch_conn_id="sinch_other", keywords=["YES"]))
    start(runner, 5, watcher(keywords=["YES"], poll_interval=0.3))
    await watching(runner, ticker, 4)
    sandbox.inject_inbound(ALICE, OTHER, "yes to the other number")
    sandbox.inject_inbound(ALICE, OURS, "yes to ours")
    await ticker.tick(4)
    await until(lambda: sum(map(len, fired(runner).values())) == 4, "four events")
    await ticker.tick(4)
    assert fired(runner) == {1: ["yes to ours"], 2: [], 3: ["yes to the other number"], 4: ["yes to ours"],
                             5: ["yes to ours"]}
    gets = inbound_gets(sandbox)
    assert len(gets) == 3 * 4
    assert sum("to=12018888888" in r.query for r in gets) == 3
    assert sorted(ticker.pauses) == sorted([0.2] * 9 + [0.3] * 3)


async def test_the_stream_outlives_a_watcher_and_ends_with_the_last(
    sandbox: Any, runner: TriggerRunner, ticker: Ticker
) -> None:
    first, second = start(runner, 1, watcher(keywords=["YES"])), start(runner, 2, watcher())
    await watching(runner, ticker, 1)
    first.cancel()  # the triggerer drops a watcher (its asset was removed, or another triggerer took it)
    await asyncio.gather(first, return_exceptions=True)
    sandbox.inject_inbound(ALICE, OURS, "yes, still there?")
    await ticker.tick(1)
    await until(lambda: fired(runner)[2] == ["yes, still there?"], "the remaining watcher's event")
    assert fired(runner)[1] == []
    assert len(inbound_gets(sandbox)) == 2
    second.cancel()  # the last one: the loop stops, nothing polls any more
    await asyncio.gather(second, return_exceptions=True)
    await ticker.settle(0)
    assert runner._shared_streams._groups == {}
    assert len(inbound_gets(sandbox)) == 2


async def test_errors_back_off_in_the_shared_loop(sandbox: Any, runner: TriggerRunner, ticker: Ticker,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    sandbox.add_fault(kind="server_error", status=503, times=6, path="/inbounds")
    for trigger_id, keyword in enumerate(["YES", "NO", "STOP"]):
        start(runner, trigger_id, watcher(keywords=[keyword], max_backoff=1.0))
    await watching(runner, ticker, 1)
    sandbox.inject_inbound(ALICE, OURS, "stop")
    for _ in range(6):
        await ticker.tick(1)
    await until(lambda: fired(runner)[2] == ["stop"], "the event after the outage")
    await ticker.tick(1)
    # one loop, one request per pause, pauses doubling from poll_interval up to max_backoff, then back to
    # the interval once Sinch answers: no hot loop, and no watcher failed
    assert ticker.pauses == [0.4, 0.8, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2]
    assert len(inbound_gets(sandbox)) == 8
    assert fired(runner) == {0: [], 1: [], 2: ["stop"]}
    assert all(not t["task"].done() for t in runner.triggers.values())
    failures = [r for r in caplog.records if "Listing inbound SMS failed" in r.getMessage()]
    assert [r.levelname for r in failures] == ["WARNING"] * 4 + ["ERROR"] * 2  # louder after 5 in a row


async def test_a_watcher_resuming_from_further_back_gets_its_backlog_once(
    sandbox: Any, runner: TriggerRunner, ticker: Ticker
) -> None:
    """A restarted watcher whose asset state is older than the running stream's start: the loop lists
    from its start from the next poll on; the watchers already running see nothing twice."""
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    backlog = sandbox.inbound.inject(InjectedMessage(from_=ALICE, to=OURS, body="yes, an hour ago"),
                                     at=(an_hour_ago + timedelta(minutes=5)).timestamp())
    start(runner, 1, watcher(keywords=["YES"]))  # first start, no since: from now
    await watching(runner, ticker, 1)
    late = watcher(keywords=["YES"], since=an_hour_ago.isoformat())  # first start, since an hour ago
    start(runner, 2, late)
    await until(lambda: late._window is not None, "the late watcher's window")
    await ticker.tick(1)
    await until(lambda: fired(runner)[2] == ["yes, an hour ago"], "the backlog")
    assert backlog["id"] in json.dumps(late.asset_state_store.data)  # type: ignore[union-attr]
    sandbox.inject_inbound(BOB, OURS, "yes now")
    await ticker.tick(1)
    await until(lambda: len(fired(runner)[1]) == 1, "the new message")
    await ticker.tick(1)
    assert fired(runner) == {1: ["yes now"], 2: ["yes, an hour ago", "yes now"]}
    starts = [r.query for r in inbound_gets(sandbox)]
    assert an_hour_ago.strftime("%Y-%m-%dT%H") not in starts[0].replace("%3A", ":")
    assert an_hour_ago.strftime("%Y-%m-%dT%H") in starts[1].replace("%3A", ":")


async def test_restart_in_the_shared_loop_fires_nothing_twice(
    sandbox: Any, runner: TriggerRunner, ticker: Ticker
) -> None:
    store = FakeStateStore()
    first = watcher(keywords=["YES"])
    first.asset_state_store = store  # type: ignore[assignment]
    task = start(runner, 1, first)
    start(runner, 2, watcher())  # keeps the loop running across the restart
    await watching(runner, ticker, 1)
    sandbox.inject_inbound(ALICE, OURS, "yes one")
    await ticker.tick(1)
    await until(lambda: fired(runner)[1] == ["yes one"], "the first event")
    first_id = next(e.event.payload["id"] for e in runner.events if e.trigger_id == 1)
    assert first_id in store.data[first.state_key]["ids"]  # saved before it was handed over
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    sandbox.inject_inbound(ALICE, OURS, "yes two")
    again = SinchInboundMessageEventTrigger(**first.serialize()[1])  # the same watcher, restarted
    again.asset_state_store = store  # type: ignore[assignment]
    start(runner, 3, again)
    for _ in range(3):
        await ticker.tick(1)
    await until(lambda: fired(runner)[3] == ["yes two"], "the restarted watcher's event")
    await ticker.tick(1)
    assert fired(runner) == {1: ["yes one"], 2: ["yes one", "yes two"], 3: ["yes two"]}


def test_stream_key_is_what_the_poll_depends_on() -> None:
    base = SinchInboundMessageEventTrigger(to_numbers=[OURS, OTHER], poll_interval=5)
    same = [
        SinchInboundMessageEventTrigger(to_numbers=["+1 201 888 8888", OURS], poll_interval=5.0),
        SinchInboundMessageEventTrigger(to_numbers=[OURS, OTHER], poll_interval=5, keywords=["YES"],
                                        from_numbers=[ALICE], pattern="x", since="2026-01-01T00:00:00Z",
                                        overlap_seconds=5),
    ]
    other = [
        SinchInboundMessageEventTrigger(to_numbers=[OURS], poll_interval=5),
        SinchInboundMessageEventTrigger(poll_interval=5),
        SinchInboundMessageEventTrigger(to_numbers=[OURS, OTHER], poll_interval=6),
        SinchInboundMessageEventTrigger(to_numbers=[OURS, OTHER], poll_interval=5, max_backoff=60),
        SinchInboundMessageEventTrigger(to_numbers=[OURS, OTHER], poll_interval=5, sinch_conn_id="other"),
        type("Sub", (SinchInboundMessageEventTrigger,), {})(to_numbers=[OURS, OTHER], poll_interval=5),
    ]
    key = base.shared_stream_key()
    hash(key)
    assert all(t.shared_stream_key() == key for t in same)
    assert all(t.shared_stream_key() != key for t in other)
    # open_shared_stream finds the watchers' demand by the key of a trigger rebuilt from serialize(): a
    # key that did not survive the round trip would leave the loop waiting on a demand no watcher joins
    assert all(type(t)(**t.serialize()[1]).shared_stream_key() == t.shared_stream_key()
               for t in [base, *same, *other])
    assert "2017777777" not in repr(key)  # Airflow logs the key: no phone number in it
    # fast path, not ack mode (the class docstring says why)
    assert "create_shared_stream_producer" not in vars(SinchInboundMessageEventTrigger)


def test_a_window_takes_from_a_shared_list_only_what_its_own_poll_would_list() -> None:
    t0 = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def message(ident: str, minutes: float) -> InboundMessage:
        return InboundMessage.model_validate({"type": "mo_text", "id": ident, "from": "1", "to": "2",
                                              "body": "x", "received_at": t0 + timedelta(minutes=minutes)})

    window = InboundWindow(t0, overlap=60)
    window.take([message("old", 5), message("newest", 10)])
    del window.seen["old"]  # forgotten, as the oldest ids are past MAX_SEEN_IDS
    # listed from 12:00 for another window; this one's own poll would start at 12:09
    shared = [message("old", 5), message("in overlap", 9.5), message("newest", 10), message("new", 11)]
    assert [m.id for m in window.listed(shared)] == ["in overlap", "newest", "new"]
    assert [m.id for m in window.new(window.listed(shared))] == ["in overlap", "new"]
    assert "old" in [m.id for m in window.new(shared)]  # what the cut prevents


async def test_the_same_watcher_in_two_triggerers_fires_the_same_event(
    sandbox: Any, runner: TriggerRunner, ticker: Ticker
) -> None:
    """HA or a failover: the same watcher runs in two triggerers at once, with one asset state.  Each
    copy fires the message once, and the two events are equal (Airflow can tell they are one)."""
    store = FakeStateStore()
    copies = [watcher(keywords=["YES"]), watcher(keywords=["YES"])]
    for copy in copies:
        copy.asset_state_store = store  # type: ignore[assignment]
    other = TriggerRunner()
    try:
        start(runner, 1, copies[0])
        start(other, 1, copies[1])
        await watching(runner, ticker, 2)
        await watching(other, ticker, 2)  # one loop in each triggerer
        sandbox.inject_inbound(ALICE, OURS, "yes")
        await ticker.tick(2)
        await until(lambda: len(runner.events) + len(other.events) == 2, "an event in each triggerer")
        await ticker.tick(2)
        assert [e.event for e in runner.events] == [e.event for e in other.events]
        assert len(runner.events) == 1
    finally:
        task = other.triggers[1]["task"]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await other._shared_streams.stop_all()
