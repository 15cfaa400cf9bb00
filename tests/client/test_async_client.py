"""What is particular to the httpx-based client, used natively from async code (as triggers do)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from airflow_provider_sinch.client import AsyncSinchClient, SinchConfigurationError
from tests.client.samples import BATCH, BATCH_ID, GROUP, page
from tests.fakes import TOKEN, make_config


def transport(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return httpx.MockTransport(handler)


async def test_native_async_use_with_a_shared_pool() -> None:
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(201, json=BATCH),
        httpx.Response(200, json=page("groups", [GROUP, GROUP], count=3)),
        httpx.Response(200, json=page("groups", [GROUP], count=3, number=1)),
    ]
    async with httpx.AsyncClient(transport=transport(answers, seen)) as http:
        async with AsyncSinchClient(make_config(), http=http) as client:
            batch = await client.send_batch(to=["+46701234567"], body="Hi")
            groups = [group async for group in client.aiter_groups(page_size=2)]
        assert not http.is_closed  # shared: the caller's pool outlives the Sinch client
    assert batch.id == BATCH_ID
    assert len(groups) == 3
    assert [r.url.params.get("page") for r in seen[1:]] == ["0", "1"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


async def test_own_pool_has_the_configured_timeouts_and_is_closed() -> None:
    client = AsyncSinchClient(make_config(timeout=(3.0, 12.0)))
    assert client.http.timeout == httpx.Timeout(12.0, connect=3.0)
    assert repr(client) == "AsyncSinchClient(api_root='https://us.sms.api.sinch.com/xms/v1/plan-1')"
    await client.aclose()
    assert client.http.is_closed


async def test_calls_are_awaitables_that_send_nothing_until_awaited() -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=transport([httpx.Response(200, json=BATCH)], seen)) as http:
        client = AsyncSinchClient(make_config(), http=http)
        pending = client.get_batch(BATCH_ID)
        assert seen == []
        assert (await pending).id == BATCH_ID
    assert len(seen) == 1


async def test_at_most_max_in_flight_requests_on_the_wire() -> None:
    """A shared client (one per connection in a triggerer) queues requests beyond its limit."""
    on_the_wire, peak = 0, 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal on_the_wire, peak
        on_the_wire += 1
        peak = max(peak, on_the_wire)
        await asyncio.sleep(0.01)
        on_the_wire -= 1
        return httpx.Response(200, json=BATCH)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = AsyncSinchClient(make_config(), http=http, max_in_flight=3)
        batches = await asyncio.gather(*(client.get_batch(BATCH_ID) for _ in range(20)))
    assert len(batches) == 20
    assert peak == 3


async def test_own_pool_is_as_big_as_the_limit_and_the_limit_is_checked() -> None:
    async with AsyncSinchClient(make_config(), max_in_flight=7) as client:
        pool = client.http._transport._pool  # type: ignore[attr-defined]
        assert (pool._max_connections, pool._max_keepalive_connections) == (7, 7)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_in_flight"):
            AsyncSinchClient(make_config(), max_in_flight=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, -1, True, "10", 2.5])
def test_max_in_flight_is_checked(limit: object) -> None:
    with pytest.raises(SinchConfigurationError, match="max_in_flight must be a whole number from 1"):
        AsyncSinchClient(make_config(), max_in_flight=limit)  # type: ignore[arg-type]
