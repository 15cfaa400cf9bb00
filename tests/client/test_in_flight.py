"""The adaptive limit on an async client's requests in flight: driven request by request, no sleeping.

Each request is a task that takes a slot and holds it until the test answers it (a future), so every step
(who holds a slot, who waits, what the limit is) is decided by the test, never by the clock.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from airflow_provider_sinch.client import (
    AsyncSinchClient,
    SinchNotFoundError,
    SinchRateLimitError,
    SinchServerError,
)
from airflow_provider_sinch.client.in_flight import START_IN_FLIGHT, AdaptiveInFlight, is_congestion
from airflow_provider_sinch.client.retry import RetryPolicy
from tests.client.samples import BATCH, BATCH_ID
from tests.fakes import make_config
from tests.mock_aiohttp import mock_session


class Requests:
    """Requests through one limit; each holds its slot until :meth:`answer` (or :meth:`fail`) ends it."""

    def __init__(self, limit: AdaptiveInFlight) -> None:
        self.limit = limit
        self.answers: dict[int, asyncio.Future[BaseException | None]] = {}
        self.holding: set[int] = set()
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.most = 0

    async def _request(self, n: int) -> None:
        async with self.limit:
            self.holding.add(n)
            self.most = max(self.most, len(self.holding))
            try:
                outcome = await self.answers[n]
                if outcome is not None:
                    raise outcome
            finally:
                self.holding.discard(n)

    async def start(self, count: int) -> list[int]:
        """Start ``count`` requests; returns their numbers once each holds a slot or waits for one."""
        first = len(self.tasks)
        numbers = list(range(first, first + count))
        for n in numbers:
            self.answers[n] = asyncio.get_running_loop().create_future()
            self.tasks[n] = asyncio.create_task(self._request(n))
        await settle()
        return numbers

    async def answer(self, n: int, outcome: BaseException | None = None) -> None:
        self.answers[n].set_result(outcome)
        await asyncio.gather(self.tasks[n], return_exceptions=True)
        await settle()


async def settle() -> None:
    """Let every ready task run until none is (no time passes: sleep(0) only yields)."""
    for _ in range(10):
        await asyncio.sleep(0)


def rate_limited() -> SinchRateLimitError:
    return SinchRateLimitError(429, "too_many_requests", retry_after=1.0)


async def test_it_starts_at_the_old_cap_and_queues_beyond_it_first_come_first_served() -> None:
    limit = AdaptiveInFlight(100)
    requests = Requests(limit)
    numbers = await requests.start(START_IN_FLIGHT + 3)
    assert limit.slots == START_IN_FLIGHT == 10
    assert requests.holding == set(numbers[:10])
    await requests.answer(numbers[0])  # clean and saturated: the limit grows by one, two slots free
    assert requests.holding == set(numbers[1:12])
    assert limit.in_flight == len(requests.holding) == limit.slots == 11


def test_start_is_capped_by_the_ceiling_and_both_must_be_positive() -> None:
    assert AdaptiveInFlight(3).slots == 3
    assert AdaptiveInFlight(50, start=20).slots == 20
    for ceiling, start in ((0, 10), (10, 0)):
        with pytest.raises(ValueError, match="at least 1"):
            AdaptiveInFlight(ceiling, start=start)


async def test_it_grows_only_while_saturated_and_clean() -> None:
    limit = AdaptiveInFlight(100, start=4)
    requests = Requests(limit)
    (one,) = await requests.start(1)
    await requests.answer(one)  # one of 4 slots used: the limit is not what holds requests back
    assert limit.limit == 4
    busy = await requests.start(4)
    await requests.answer(busy[0])  # every slot was taken: slow start, one more per clean answer
    assert limit.limit == 5
    await requests.answer(busy[1], SinchNotFoundError(404))  # not clean, not congestion: no change
    assert limit.limit == 5


async def test_after_a_halving_it_grows_by_one_per_round_trip() -> None:
    limit = AdaptiveInFlight(100, start=8)
    requests = Requests(limit)
    numbers = await requests.start(20)
    await requests.answer(numbers[0], rate_limited())
    assert (limit.limit, limit.threshold) == (4, 4)
    # the 7 requests of the old generation still hold their slots; their clean answers (saturated) each
    # add 1 / limit: about one slot per round trip of answers
    for n in numbers[1:8]:
        await requests.answer(n)
    assert 5 < limit.limit < 6
    assert limit.in_flight == limit.slots == 5


@pytest.mark.parametrize("failure", [rate_limited(), SinchServerError(503), TimeoutError(),
                                     httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow")],
                         ids=["429", "503", "TimeoutError", "httpx ReadTimeout", "httpx ConnectTimeout"])
async def test_429_5xx_and_timeouts_halve_it(failure: BaseException) -> None:
    limit = AdaptiveInFlight(100, start=10)
    requests = Requests(limit)
    numbers = await requests.start(10)
    await requests.answer(numbers[0], failure)
    assert limit.limit == 5
    assert limit.halvings == 1
    assert is_congestion(failure)


@pytest.mark.parametrize("failure", [SinchNotFoundError(404), ValueError("bad"), httpx.ConnectError("x")])
def test_other_failures_are_not_congestion(failure: BaseException) -> None:
    assert not is_congestion(failure)


async def test_a_storm_of_429s_halves_once_per_generation() -> None:
    """Answers to requests sent before the last halving are old news: a burst of 429s is one signal."""
    limit = AdaptiveInFlight(100, start=16)
    requests = Requests(limit)
    numbers = await requests.start(16)
    for n in numbers[:10]:
        await requests.answer(n, rate_limited())
    assert limit.limit == 8
    newer = await requests.start(1)  # got its slot after the halving: its 429 halves again
    assert limit.in_flight == 7  # 6 old ones and the new one: below the halved limit
    await requests.answer(newer[0], rate_limited())
    assert limit.limit == 4
    assert limit.halvings == 2


async def test_never_above_the_ceiling() -> None:
    limit = AdaptiveInFlight(12, start=10)
    requests = Requests(limit)
    numbers = await requests.start(200)
    for n in numbers:
        await requests.answer(n)
        assert limit.in_flight <= limit.slots <= 12
    assert limit.limit == 12
    assert requests.most == 12


async def test_never_below_one() -> None:
    limit = AdaptiveInFlight(100, start=4)
    requests = Requests(limit)
    for _ in range(6):  # each request starts after the previous halving: each one halves
        (n,) = await requests.start(1)
        await requests.answer(n, SinchServerError(502))
    assert limit.limit == 1
    assert limit.halvings == 6
    numbers = await requests.start(3)
    assert requests.holding == {numbers[0]}  # one at a time, still


async def test_a_cancelled_or_failed_request_gives_its_slot_back() -> None:
    limit = AdaptiveInFlight(2, start=2)
    requests = Requests(limit)
    first, second, third, fourth = await requests.start(4)
    assert requests.holding == {first, second}
    requests.tasks[first].cancel()  # holding a slot
    await settle()
    assert requests.holding == {second, third}
    requests.tasks[fourth].cancel()  # waiting for one
    await settle()
    await requests.answer(second, ValueError("not a congestion"))
    assert requests.holding == {third}
    assert limit.in_flight == 1
    assert limit.limit == 2  # neither the cancellations nor the failure changed it
    await requests.answer(third)
    assert limit.in_flight == 0
    assert not limit._waiters


async def test_a_waiter_cancelled_as_its_slot_is_handed_over_gives_it_back() -> None:
    limit = AdaptiveInFlight(1, start=1)
    requests = Requests(limit)
    first, second, third = await requests.start(3)
    requests.answers[first].set_result(None)
    await requests.tasks[first]  # the release hands the slot to ``second``'s waiter ...
    requests.tasks[second].cancel()  # ... which is cancelled before it runs
    await settle()
    assert requests.holding == {third}
    assert limit.in_flight == 1


async def test_the_client_halves_its_limit_on_429_and_the_pool_follows_the_ceiling() -> None:
    """Through a real client: the status raised inside the limit reaches it, whatever the transport."""
    answers = [httpx.Response(429, json={"code": "too_many_requests", "text": "slow down"},
                              headers={"Retry-After": "0"}), httpx.Response(200, json=BATCH)]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    config = make_config(retry=RetryPolicy(max_attempts=2, backoff_base=0), max_in_flight=40)
    async with AsyncSinchClient(config, http=mock_session(handler)) as client:
        assert (client.max_in_flight, client._in_flight.ceiling, client._in_flight.slots) == (40, 40, 10)
        assert (await client.get_batch(BATCH_ID)).id == BATCH_ID  # retried after the 429
    assert client._in_flight.limit == 5
    async with AsyncSinchClient(config) as own:
        assert own.http.connector is not None
        assert own.http.connector.limit == 40
