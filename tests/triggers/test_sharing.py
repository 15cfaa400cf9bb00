"""Many delivery waits in one triggerer: one read per batch and interval, pacing when a round outgrows the
interval (jitter, one log line), bounded state per wait, and cancellation still winning.

Sinch is a :func:`~tests.mock_aiohttp.mock_session` here (the sandbox test is in
``test_sharing_sandbox.py``); clocks and random numbers are fakes, so nothing depends on timing.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import tracemalloc
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from airflow_provider_sinch.client import AsyncSinchClient, RetryPolicy, ServicePlanAuth, SinchConfig
from airflow_provider_sinch.triggers import sharing
from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger, SinchRecipientDeliveryTrigger
from airflow_provider_sinch.triggers.sharing import JITTER, STRETCH_SHARE, SharedPolls, shared_polls
from tests.mock_aiohttp import mock_session

PLAN = "plan1"
ROOT = f"https://sinch.test/xms/v1/{PLAN}"


def summary(batch_id: str, total: int, **counts: int) -> dict[str, Any]:
    return {"type": "delivery_report_sms", "batch_id": batch_id, "total_message_count": total,
            "statuses": [{"status": s, "code": 0 if s == "Delivered" else 400, "count": n}
                         for s, n in counts.items()]}


class Sinch:
    """Answers report, batch and recipient reads; counts every request by path; an optional gate holds
    every answer until it is opened; ``status`` makes the next answers fail."""

    def __init__(self, report: dict[str, Any] | None = None) -> None:
        self.report = report or summary("b1", 2, Queued=2)
        self.seen: Counter[str] = Counter()
        self.gate: asyncio.Future[None] | None = None
        self.status = 200

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(f"/xms/v1/{PLAN}")
        self.seen[path] += 1
        if self.gate is not None:
            await self.gate
        if self.status != 200:
            return httpx.Response(self.status, json={"code": "x", "text": "scripted"})
        if path.endswith("/delivery_report"):
            return httpx.Response(200, json={**self.report, "batch_id": path.split("/")[2]})
        if "/delivery_report/" in path:
            return httpx.Response(200, json={"type": "recipient_delivery_report_sms", "batch_id": "b1",
                                             "recipient": path.rsplit("/", 1)[1], "code": 400,
                                             "status": "Queued", "at": "2026-01-01T00:00:00.000Z"})
        return httpx.Response(200, json={"id": path.split("/")[2], "to": ["46701234567", "46701234568"],
                                         "canceled": False, "type": "mt_text"})

    def client(self) -> AsyncSinchClient:
        config = SinchConfig(auth=ServicePlanAuth(PLAN, "token"), base_url="https://sinch.test",
                             retry=RetryPolicy(max_attempts=1))
        return AsyncSinchClient(config, http=mock_session(self.handle))

    def reads(self, batch_id: str = "b1") -> int:
        return self.seen[f"/batches/{batch_id}/delivery_report"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def with_clock(client: AsyncSinchClient, clock: Callable[[], float],
               rng: Callable[[], float] = random.random) -> SharedPolls:
    """Give ``client`` shared polls on a fake clock (what ``shared_polls(client)`` then returns)."""
    polls = sharing._SHARED[client] = SharedPolls(client, clock=clock, rng=rng)
    return polls


def waits(n: int, **kwargs: Any) -> list[SinchBatchDeliveryTrigger]:
    settings = {"batch_ids": ["b1"], "poll_interval": 5, **kwargs}
    return [SinchBatchDeliveryTrigger(**settings) for _ in range(n)]


# --- one read per batch and interval --------------------------------------------------------------------


async def test_waits_on_one_batch_polling_together_make_one_read() -> None:
    sinch = Sinch()
    client = sinch.client()
    with_clock(client, Clock())
    triggers = waits(50)
    events = await asyncio.gather(*(t.poll(client) for t in triggers))
    assert events == [None] * 50  # still queued: every wait polls on
    assert sinch.reads() == 1
    assert all(t.last_progress and t.last_progress.pending == 2 for t in triggers)


async def test_waits_spread_over_the_interval_share_one_read_per_interval() -> None:
    sinch, clock = Sinch(), Clock()
    client = sinch.client()
    with_clock(client, clock)
    triggers = waits(5)  # poll_interval 5; each polls one second after the one before
    for _ in range(3):  # three rounds
        for trigger in triggers:
            await trigger.poll(client)
            clock.now += 1.0
    assert sinch.reads() == 3  # 15 polls, one read per interval
    assert sum(sinch.seen.values()) == 3  # the batch itself is not read while the report keeps it open


async def test_a_wait_never_gets_the_same_answer_twice() -> None:
    sinch = Sinch()
    client = sinch.client()
    with_clock(client, Clock())  # the clock stands still: only "seen" forces the second read
    (trigger,) = waits(1)
    await trigger.poll(client)
    await trigger.poll(client)
    assert sinch.reads() == 2


async def test_an_answer_older_than_the_interval_is_not_shared() -> None:
    sinch, clock = Sinch(), Clock()
    client = sinch.client()
    with_clock(client, clock)
    first, second = waits(2)
    await first.poll(client)
    clock.now += 5.0  # exactly one interval later: too old for the other wait
    await second.poll(client)
    assert sinch.reads() == 2


async def test_different_batches_and_recipients_are_read_apart() -> None:
    sinch = Sinch()
    client = sinch.client()
    with_clock(client, Clock())
    triggers: list[Any] = [SinchBatchDeliveryTrigger(batch_ids=[f"b{i}"], poll_interval=5) for i in range(3)]
    triggers += [SinchRecipientDeliveryTrigger(batch_id="b1", recipient=f"+4670123456{i}", poll_interval=5)
                 for i in range(2)]
    await asyncio.gather(*(t.poll(client) for t in triggers))
    assert sum(sinch.seen.values()) == 5
    assert sinch.seen["/batches/b1/delivery_report/46701234560"] == 1


async def test_the_batch_is_read_once_when_a_report_could_finish_it_and_shared_too() -> None:
    sinch = Sinch(summary("b1", 2, Delivered=2))
    client = sinch.client()
    with_clock(client, Clock())
    triggers = waits(10)
    events = await asyncio.gather(*(t.poll(client) for t in triggers))
    assert {e.payload["status"] for e in events if e is not None} == {"success"}
    assert sinch.seen == {"/batches/b1/delivery_report": 1, "/batches/b1": 1}
    assert all(e is not None and e.payload["result"]["expected"] == 2 for e in events)


async def test_a_failed_read_is_shared_by_those_waiting_but_not_kept() -> None:
    sinch = Sinch()
    sinch.status = 503
    client = sinch.client()
    with_clock(client, Clock())
    triggers = waits(3)
    failures = await asyncio.gather(*(t.poll(client) for t in triggers), return_exceptions=True)
    assert all(isinstance(f, Exception) and "503" in str(f) for f in failures)
    assert sinch.reads() == 1
    sinch.status = 200
    assert await triggers[0].poll(client) is None  # asks again at once, the failure was not kept
    assert sinch.reads() == 2


async def test_entries_are_dropped_when_no_wait_needs_them() -> None:
    sinch, clock = Sinch(), Clock()
    client = sinch.client()
    polls = with_clock(client, clock)
    triggers = [SinchBatchDeliveryTrigger(batch_ids=[f"b{i}"], poll_interval=5) for i in range(20)]
    await asyncio.gather(*(t.poll(client) for t in triggers))
    assert len(polls._reads) == 20
    clock.now += 5.0
    await triggers[0].poll(client)  # a read after the interval sweeps the others away
    assert len(polls._reads) == 1
    for trigger in triggers:
        trigger._use_polls(None)  # what run() does when a wait ends
    assert polls.waits == 0
    assert polls._reads == {}


async def test_the_shared_polls_belong_to_the_client() -> None:
    sinch = Sinch()
    one, other = sinch.client(), sinch.client()
    assert shared_polls(one) is shared_polls(one)
    assert shared_polls(one) is not shared_polls(other)


# --- pacing ---------------------------------------------------------------------------------------------


def lagging(polls: SharedPolls, seconds: float, times: int = 200) -> None:
    for _ in range(times):
        polls.polled(seconds)


def test_on_time_polls_sleep_exactly_the_interval() -> None:
    polls = SharedPolls(Sinch().client(), rng=lambda: 0.99)
    lagging(polls, 0.5)  # 10% of a 5 s interval: the cap is not what sets the pace
    assert {polls.interval(5.0, "conn") for _ in range(10)} == {5.0}
    assert not polls.stretched


def test_lagging_polls_stretch_the_interval_with_an_even_spread() -> None:
    polls = SharedPolls(Sinch().client(), rng=random.Random(7).random)
    polls.waits = 10_000
    lagging(polls, 8.0)  # a round of 13 s at 10 in flight, interval 5 s
    lag = polls.lag
    sleeps = [polls.interval(5.0, "conn") for _ in range(5000)]
    base = 5.0 + lag
    low = base * (1 - JITTER / 2)
    assert all(low <= s <= base * (1 + JITTER / 2) for s in sleeps)  # the round, give or take 5%
    # evenly spread over [base * 0.95, base * 1.05]: every tenth of the range gets its share (no waves)
    bins = Counter(min(int((s - low) / (base * JITTER) * 10), 9) for s in sleeps)
    assert sorted(bins) == list(range(10))
    assert all(350 <= n <= 650 for n in bins.values())


def test_the_log_says_once_that_the_interval_stretched_and_once_that_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    polls = SharedPolls(Sinch().client(), clock=clock, rng=lambda: 0.5)
    polls.waits = 10_000
    with caplog.at_level(logging.INFO, logger=sharing.__name__):
        lagging(polls, 8.0)
        for _ in range(100):
            polls.interval(5.0, "connection 'sinch_default'")
            clock.now += 0.1
        lagging(polls, 0.0, times=1000)  # the queue drained: the stretch works, it stays (no flapping)
        polls.interval(5.0, "connection 'sinch_default'")
        assert polls.stretched
        clock.now += 10 * 5.0  # ten intervals later, still no lag: the round really got short again
        for _ in range(100):
            assert polls.interval(5.0, "connection 'sinch_default'") == 5.0
    lines = [r for r in caplog.records if r.name == sharing.__name__]
    assert [r.levelno for r in lines] == [logging.WARNING, logging.INFO]
    shared = "10000 Sinch waits on connection 'sinch_default' share at most 100 requests in flight"
    assert shared in lines[0].message
    assert "stretches" in lines[0].message
    assert "poll every poll_interval again" in lines[1].message


def test_a_small_lag_does_not_flap_between_stretched_and_on_time() -> None:
    polls = SharedPolls(Sinch().client(), rng=lambda: 0.0)
    lagging(polls, 5.0 * STRETCH_SHARE * 1.5)
    polls.interval(5.0, "conn")
    assert polls.stretched
    lagging(polls, 5.0 * STRETCH_SHARE * 0.8)  # under the threshold, not under a quarter of it: stays
    polls.interval(5.0, "conn")
    assert polls.stretched


async def test_a_triggers_sleep_follows_its_clients_pace() -> None:
    client = Sinch().client()
    polls = with_clock(client, Clock(), rng=lambda: 0.5)  # the middle of the spread: the round
    (trigger,) = waits(1)
    assert trigger.sleep_time() == 5.0  # not polled yet: no shared polls
    await trigger.poll(client)
    assert trigger.sleep_time() == 5.0
    lagging(polls, 4.0)
    assert trigger.sleep_time() == pytest.approx(5.0 + polls.lag)


class Ticking(Clock):
    """A fake clock that moves a second each time it is read: every poll takes a few seconds."""

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


async def test_a_waits_first_poll_is_not_lag_its_later_ones_are() -> None:
    """Thousands of waits starting together (a triggerer restart) queue their first polls behind each other:
    that says nothing about whether a round fits the interval (their completions spread the next round), so
    it must not stretch the interval for ten intervals.  A later poll that takes as long does count."""
    client = Sinch().client()
    polls = with_clock(client, Ticking())
    triggers = [SinchBatchDeliveryTrigger(batch_ids=[f"b{n}"], poll_interval=5) for n in range(3)]
    for trigger in triggers:
        await trigger.poll(client)
    assert polls.lag == 0.0
    await triggers[0].poll(client)
    assert polls.lag > 0.0


# --- state per wait -------------------------------------------------------------------------------------


async def test_state_a_waiting_trigger_keeps_is_bounded() -> None:
    """A regression guard for 10,000 waits in one triggerer: what one wait keeps between polls (the trigger,
    its probe, its last progress, its share of the read cache) stays under 12 KB (about 4 KB measured)."""
    sinch = Sinch()
    client = sinch.client()
    with_clock(client, Clock())
    warm = [SinchBatchDeliveryTrigger(batch_ids=[f"warm{i}"], poll_interval=5) for i in range(300)]
    # imports, caches and the pool (its connections, as many as 300 polls at once open) are not per-wait state
    await asyncio.gather(*(t.poll(client) for t in warm))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        triggers = [SinchBatchDeliveryTrigger(batch_ids=[f"b{i}"], poll_interval=5) for i in range(300)]
        await asyncio.gather(*(t.poll(client) for t in triggers))
        gc.collect()
        per_wait = (tracemalloc.get_traced_memory()[0] - before) / len(triggers)
    finally:
        tracemalloc.stop()
    assert all(t.last_progress is not None for t in triggers)
    assert per_wait < 12_000, f"{per_wait:.0f} bytes per waiting trigger"


# --- cancellation ---------------------------------------------------------------------------------------


async def first_event(trigger: Any) -> Any:
    return await anext(trigger.run())


async def test_a_thousand_waits_on_one_shared_read_cancelled_as_it_answers_all_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sinch = Sinch()
    client = sinch.client()
    polls = with_clock(client, Clock())
    sinch.gate = asyncio.get_running_loop().create_future()

    async def get_client(self: Any) -> AsyncSinchClient:
        return client

    monkeypatch.setattr(SinchBatchDeliveryTrigger, "get_client", get_client)
    triggers = waits(1000, poll_interval=0.01)
    tasks = [asyncio.create_task(first_event(t)) for t in triggers]
    for _ in range(10):  # every wait is now in its first poll, on the one shared read
        await asyncio.sleep(0)
    assert sinch.reads() == 1
    assert polls.waits == 1000
    sinch.gate.set_result(None)  # the read answers in the next iterations...
    for task in tasks:  # ...and the triggerer drops every wait now
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert all(task.cancelled() for task in tasks)
    await asyncio.sleep(0.1)  # ten poll intervals: a survivor would have read again
    assert sinch.reads() == 1
    assert polls.waits == 0  # every wait left the shared polls
    assert polls._reads == {}


async def test_a_cancelled_wait_does_not_cancel_the_read_the_others_wait_for() -> None:
    sinch = Sinch()
    client = sinch.client()
    with_clock(client, Clock())
    sinch.gate = asyncio.get_running_loop().create_future()
    first, second = waits(2)
    dropped = asyncio.create_task(first.poll(client))
    kept = asyncio.create_task(second.poll(client))
    for _ in range(5):
        await asyncio.sleep(0)
    dropped.cancel()
    await asyncio.sleep(0)
    sinch.gate.set_result(None)
    assert await kept is None
    assert dropped.cancelled()
    assert second.last_progress is not None
    assert second.last_progress.pending == 2
    assert sinch.reads() == 1


async def test_the_shared_polls_go_with_their_client() -> None:
    # A client the shared clients retired (its connection changed) must not live on through its polls.
    import weakref

    client = Sinch().client()
    gc.collect()  # the clients of earlier tests, if cycles still hold them
    before = len(sharing._SHARED)
    shared_polls(client)
    gone = weakref.ref(client)
    await client.aclose()
    del client
    gc.collect()
    assert gone() is None
    assert len(sharing._SHARED) == before
