"""Inbound watchers in a triggerer, driven by Airflow's own triggerer code: on 3.3 sharing one
``GET /inbounds`` loop, on 3.1 and 3.2 (no shared streams) each polling alone.

The watchers run through ``TriggerRunner.run_trigger`` (airflow/jobs/triggerer_job_runner.py) as a
triggerer runs an ``AssetWatcher``'s trigger: on 3.3 with its real ``SharedStreamManager``, on 3.1/3.2
through the watcher's own ``run()``; only the DB workload that ``create_triggers`` reads is left out
(:func:`start` does what it does for a watcher).  Each watcher gets an asset state store where this Airflow
gives one (3.3); on 3.1/3.2 a watcher keeps where it is in memory only.  Sinch is the sandbox (real HTTP,
every request recorded).  The poll loop's pauses are held by a :class:`Ticker`, so "one request per
interval" is counted per tick, never timed.  What differs by version is asserted by version, from
:mod:`airflow_provider_sinch.version_compat`: the number of poll loops (:func:`loops`), and what a restart
or a ``since`` can resume without a state store.
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
from airflow_provider_sinch.version_compat import HAS_ASSET_STATE_STORE, HAS_SHARED_TRIGGER_STREAMS
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
    await stop_streams(runner)


async def stop_streams(runner: TriggerRunner) -> None:
    """Stop the runner's shared streams (3.3; before, each watcher's loop ended with its task)."""
    if HAS_SHARED_TRIGGER_STREAMS:
        await runner._shared_streams.stop_all()


def loops(streams: int, watchers: int) -> int:
    """How many poll loops ``watchers`` watchers on ``streams`` distinct streams run in one triggerer: one
    per stream where Airflow shares streams (3.3), one per watcher before."""
    return streams if HAS_SHARED_TRIGGER_STREAMS else watchers


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


def watcher(store: FakeStateStore | None = None, **kwargs: Any) -> SinchInboundMessageEventTrigger:
    """A watcher on our number, with an asset state store where this Airflow gives triggers one (3.3)."""
    trigger = SinchInboundMessageEventTrigger(**{"to_numbers": [OURS], "poll_interval": 0.2, **kwargs})
    if HAS_ASSET_STATE_STORE:
        trigger.asset_state_store = store or FakeStateStore()  # type: ignore[assignment]
    return trigger


def fired(runner: TriggerRunner) -> dict[int, list[str]]:
    """The texts each trigger fired, in order (what the runner queued for the DB)."""
    texts: dict[int, list[str]] = {trigger_id: [] for trigger_id in runner.triggers}
    for trigger_id, event in events(runner):
        texts[trigger_id].append(event.payload["text"])
    return texts


def events(runner: TriggerRunner) -> list[tuple[int, Any]]:
    """``(trigger id, event)`` of every event the runner queued (3.3 queues a ``TriggerEventEntry`` that
    also carries a sequence number)."""
    return [(entry[0], entry[1]) for entry in runner.events]


def inbound_gets(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.path.endswith("/inbounds")]


async def test_what_watchers_of_one_number_cost_per_interval(
    sandbox: Any, runner: TriggerRunner, ticker: Ticker
) -> None:
    """Six watchers of one number: one GET per interval for all six on 3.3 (a shared stream), six on
    3.1/3.2 (each watcher polls alone); each fires the same events either way."""
    running = loops(1, 6)
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
    await watching(runner, ticker, running)  # parked after the first poll
    sandbox.inject_inbound(ALICE, OURS, "yes please")
    sandbox.inject_inbound(BOB, OURS, "No.")
    sandbox.inject_inbound(ALICE, OURS, "where is order 42?")
    sandbox.inject_inbound(ALICE, OTHER, "yes, but to another number")
    for _ in range(4):
        await ticker.tick(running)
    await until(lambda: sum(map(len, fired(runner).values())) == 7, "seven events")
    await ticker.tick(running)  # and once more: nothing fires twice
    assert {trigger_id: sorted(texts) for trigger_id, texts in fired(runner).items()} == {
        1: ["yes please"],
        2: ["No."],
        3: [],
        4: ["where is order 42?"],
        5: ["No."],
        6: ["No.", "where is order 42?", "yes please"],  # received in the same millisecond: any order
    }
    assert runner.triggers[4]["events"] == 1
    order = next(event.payload for trigger_id, event in events(runner) if trigger_id == 4)
    assert order["groups"] == {"order": "42"}
    gets = inbound_gets(sandbox)
    assert len(gets) == 6 * running  # the first poll and one per tick, per loop
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
    running = loops(4, 5)  # 1 and 2 share where streams are shared
    await watching(runner, ticker, running)
    sandbox.inject_inbound(ALICE, OTHER, "yes to the other number")
    sandbox.inject_inbound(ALICE, OURS, "yes to ours")
    await ticker.tick(running)
    await until(lambda: sum(map(len, fired(runner).values())) == 4, "four events")
    await ticker.tick(running)
    assert fired(runner) == {1: ["yes to ours"], 2: [], 3: ["yes to the other number"], 4: ["yes to ours"],
                             5: ["yes to ours"]}
    gets = inbound_gets(sandbox)
    assert len(gets) == 3 * running
    assert sum("to=12018888888" in r.query for r in gets) == 3
    assert sorted(ticker.pauses) == sorted([0.2] * 3 * (running - 1) + [0.3] * 3)


async def test_the_stream_outlives_a_watcher_and_ends_with_the_last(
    sandbox: Any, runner: TriggerRunner, ticker: Ticker
) -> None:
    """On 3.3 the shared loop keeps polling for the watchers left; on 3.1/3.2 a watcher's own loop ends
    with it.  Either way, once no watcher is left nothing polls."""
    first, second = start(runner, 1, watcher(keywords=["YES"])), start(runner, 2, watcher())
    await watching(runner, ticker, loops(1, 2))
    first.cancel()  # the triggerer drops a watcher (its asset was removed, or another triggerer took it)
    await asyncio.gather(first, return_exceptions=True)
    sandbox.inject_inbound(ALICE, OURS, "yes, still there?")
    await ticker.tick(1)
    await until(lambda: fired(runner)[2] == ["yes, still there?"], "the remaining watcher's event")
    assert fired(runner)[1] == []
    polled = loops(1, 2) + 1  # each loop's first poll, then the one left polled once more
    assert len(inbound_gets(sandbox)) == polled
    second.cancel()  # the last one: the loop stops, nothing polls any more
    await asyncio.gather(second, return_exceptions=True)
    await ticker.settle(0)
    if HAS_SHARED_TRIGGER_STREAMS:
        assert runner._shared_streams._groups == {}
    assert len(inbound_gets(sandbox)) == polled


async def test_errors_back_off_in_the_shared_loop(sandbox: Any, runner: TriggerRunner, ticker: Ticker,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    running = loops(1, 3)
    sandbox.add_fault(kind="server_error", status=503, times=6 * running, path="/inbounds")  # 6 per loop
    for trigger_id, keyword in enumerate(["YES", "NO", "STOP"]):
        start(runner, trigger_id, watcher(keywords=[keyword], max_backoff=1.0))
    await watching(runner, ticker, running)
    sandbox.inject_inbound(ALICE, OURS, "stop")
    for _ in range(6):
        await ticker.tick(running)
    await until(lambda: fired(runner)[2] == ["stop"], "the event after the outage")
    await ticker.tick(running)
    # in each loop, one request per pause, pauses doubling from poll_interval up to max_backoff, then back
    # to the interval once Sinch answers: no hot loop, and no watcher failed
    assert sorted(ticker.pauses) == sorted([0.4, 0.8, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2] * running)
    assert len(inbound_gets(sandbox)) == 8 * running
    assert fired(runner) == {0: [], 1: [], 2: ["stop"]}
    assert all(not t["task"].done() for t in runner.triggers.values())
    failures = [r.levelname for r in caplog.records if "Listing inbound SMS failed" in r.getMessage()]
    louder = [r.getMessage().startswith("Listing inbound SMS failed (5") for r in caplog.records
              if r.levelname == "ERROR"]
    assert sorted(failures) == ["ERROR"] * 2 * running + ["WARNING"] * 4 * running  # louder after 5 in a row
    assert sum(louder) == running


async def test_a_watcher_resuming_from_further_back_gets_its_backlog_once(
    sandbox: Any, runner: TriggerRunner, ticker: Ticker
) -> None:
    """A restarted watcher whose asset state is older than the running stream's start: the loop lists
    from its start from the next poll on; the watchers already running see nothing twice.  Without an
    asset state store (3.1/3.2) a first start cannot be told from a restart, so ``since`` is not honoured:
    the watcher starts from now (documented), and nothing is listed from further back."""
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    backlog = sandbox.inbound.inject(InjectedMessage(from_=ALICE, to=OURS, body="yes, an hour ago"),
                                     at=(an_hour_ago + timedelta(minutes=5)).timestamp())
    start(runner, 1, watcher(keywords=["YES"]))  # first start, no since: from now
    await watching(runner, ticker, 1)
    late = watcher(keywords=["YES"], since=an_hour_ago.isoformat())  # first start, since an hour ago
    start(runner, 2, late)
    await until(lambda: late._window is not None, "the late watcher's window")
    running = loops(1, 2)
    await ticker.settle(running)
    await ticker.tick(running)
    if not HAS_ASSET_STATE_STORE:
        sandbox.inject_inbound(BOB, OURS, "yes now")
        await ticker.tick(running)
        await until(lambda: fired(runner) == {1: ["yes now"], 2: ["yes now"]}, "the new message, twice")
        await ticker.tick(running)
        assert fired(runner) == {1: ["yes now"], 2: ["yes now"]}
        assert not any(an_hour_ago.strftime("%Y-%m-%dT%H") in r.query.replace("%3A", ":")
                       for r in inbound_gets(sandbox))
        return
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
    """With the asset state store (3.3) a restarted watcher resumes where it was: what arrived while it was
    down fires once.  Without one (3.1/3.2) it starts from the restart: nothing fires twice either, but
    what arrived while it was down is skipped (documented)."""
    store = FakeStateStore()
    first = watcher(store, keywords=["YES"])
    task = start(runner, 1, first)
    start(runner, 2, watcher())  # keeps the loop running across the restart
    running = loops(1, 2)
    await watching(runner, ticker, running)
    sandbox.inject_inbound(ALICE, OURS, "yes one")
    await ticker.tick(running)
    await until(lambda: fired(runner)[1] == ["yes one"], "the first event")
    first_id = next(event.payload["id"] for trigger_id, event in events(runner) if trigger_id == 1)
    if HAS_ASSET_STATE_STORE:
        assert first_id in store.data[first.state_key]["ids"]  # saved before it was handed over
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    sandbox.inject_inbound(ALICE, OURS, "yes two")
    await asyncio.sleep(0.01)  # Sinch's times are in milliseconds: the restart comes after the message
    again = SinchInboundMessageEventTrigger(**first.serialize()[1])  # the same watcher, restarted
    if HAS_ASSET_STATE_STORE:
        again.asset_state_store = store  # type: ignore[assignment]
    start(runner, 3, again)
    await until(lambda: again._window is not None, "the restarted watcher's window")
    await ticker.settle(running)
    for _ in range(3):
        await ticker.tick(running)
    sandbox.inject_inbound(ALICE, OURS, "yes three")
    await ticker.tick(running)
    await until(lambda: fired(runner)[3][-1:] == ["yes three"], "the restarted watcher's new event")
    await ticker.tick(running)
    while_down = ["yes two"] if HAS_ASSET_STATE_STORE else []
    assert fired(runner) == {1: ["yes one"], 2: ["yes one", "yes two", "yes three"],
                             3: [*while_down, "yes three"]}


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
    copies = [watcher(store, keywords=["YES"]), watcher(store, keywords=["YES"])]
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
        assert [event for _, event in events(runner)] == [event for _, event in events(other)]
        assert len(runner.events) == 1
    finally:
        task = other.triggers[1]["task"]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await stop_streams(other)
