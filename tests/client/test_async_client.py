"""What is particular to the aiohttp-based client, used natively from async code (as triggers do)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import httpx
import pytest

from airflow_provider_sinch.client import AsyncSinchClient, SinchConfigurationError
from tests.client.samples import BATCH, BATCH_ID, GROUP, page
from tests.fakes import TOKEN, make_config
from tests.mock_aiohttp import mock_session


def answering(answers: list[httpx.Response], seen: list[httpx.Request]
              ) -> Callable[[], aiohttp.ClientSession]:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return mock_session(handler)


async def test_native_async_use_with_a_shared_session() -> None:
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(201, json=BATCH),
        httpx.Response(200, json=page("groups", [GROUP, GROUP], count=3)),
        httpx.Response(200, json=page("groups", [GROUP], count=3, number=1)),
    ]
    async with answering(answers, seen)() as http:
        async with AsyncSinchClient(make_config(), http=http) as client:
            batch = await client.send_batch(to=["+46701234567"], body="Hi")
            groups = [group async for group in client.aiter_groups(page_size=2)]
        assert not http.closed  # shared: the caller's session outlives the Sinch client
    assert batch.id == BATCH_ID
    assert len(groups) == 3
    assert [r.url.params.get("page") for r in seen[1:]] == ["0", "1"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_the_session_is_made_in_the_running_loop_on_first_use() -> None:
    """aiohttp makes sessions only in a running loop; a client built outside one (a fixture, a hook) is
    usable once awaited, and closing a client that never sent anything makes no session."""
    client = AsyncSinchClient(make_config())
    assert client._http is None
    asyncio.run(client.aclose())
    assert client._http is None


async def test_own_session_has_the_configured_timeouts_a_bounded_pool_and_is_closed() -> None:
    client = AsyncSinchClient(make_config(timeout=(3.0, 12.0)), max_in_flight=7)
    http = client.http
    assert client._request_settings(client.config.api_root)["timeout"] == aiohttp.ClientTimeout(
        total=None, connect=3.0, sock_connect=3.0, sock_read=12.0)
    assert http.connector is not None
    assert (http.connector.limit, http.connector.limit_per_host) == (7, 0)  # never more than in flight
    assert http.trust_env is False  # proxies read once per origin; ~/.netrc never read
    assert repr(client) == "AsyncSinchClient(api_root='https://us.sms.api.sinch.com/xms/v1/plan-1')"
    await client.aclose()
    assert http.closed


async def test_calls_are_awaitables_that_send_nothing_until_awaited() -> None:
    seen: list[httpx.Request] = []
    client = AsyncSinchClient(make_config(), http=answering([httpx.Response(200, json=BATCH)], seen))
    pending = client.get_batch(BATCH_ID)
    assert seen == []
    assert (await pending).id == BATCH_ID
    assert len(seen) == 1
    await client.aclose()


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

    async with AsyncSinchClient(make_config(), http=mock_session(handler), max_in_flight=3) as client:
        batches = await asyncio.gather(*(client.get_batch(BATCH_ID) for _ in range(20)))
    assert len(batches) == 20
    assert peak == 3


def test_a_bad_limit_is_refused() -> None:
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_in_flight"):
            AsyncSinchClient(make_config(), max_in_flight=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, -1, True, "10", 2.5])
def test_max_in_flight_is_checked(limit: object) -> None:
    with pytest.raises(SinchConfigurationError, match="max_in_flight must be a whole number from 1"):
        AsyncSinchClient(make_config(), max_in_flight=limit)  # type: ignore[arg-type]


async def test_remembered_reads_are_the_requests_prepare_makes() -> None:
    """Body-less requests are validated once per client and arguments: each call still gets a request equal
    to what ``prepare`` makes, with attempts of its own, and bad arguments are refused every time."""
    from airflow_provider_sinch.client.errors import SinchValidationError
    from airflow_provider_sinch.client.operations import (
        GET_DELIVERY_REPORT,
        GET_RECIPIENT_DELIVERY_REPORT,
        LIST_BATCHES,
    )

    client = AsyncSinchClient(make_config())
    calls = [
        (GET_DELIVERY_REPORT, {"batch_id": BATCH_ID, "type": "summary"}),
        (GET_DELIVERY_REPORT, {"batch_id": BATCH_ID, "type": "full", "status": ["Delivered", "Failed"]}),
        (GET_RECIPIENT_DELIVERY_REPORT, {"batch_id": BATCH_ID, "recipient_msisdn": "+46701234567"}),
    ]
    for operation, kwargs in calls:
        expected = operation.prepare(kwargs)
        first, second = client._prepare(operation, kwargs), client._prepare(operation, kwargs)
        assert first == expected
        assert second == expected
        assert first.attempts is not second.attempts
        assert not second.attempts.may_have_applied
        assert first.params is not second.params
    assert second.log_path != second.path  # the number stays masked in what errors show
    for _ in range(2):
        with pytest.raises(SinchValidationError, match="type"):
            client._prepare(GET_DELIVERY_REPORT, {"batch_id": BATCH_ID, "type": "everything"})
    # equal but not alike arguments (1 == 1.0 == True) are each prepared as prepare() would
    for value in (1, 1.0, True, 1, "1", True):
        try:
            expected = LIST_BATCHES.prepare({"page_size": value})
        except SinchValidationError:
            with pytest.raises(SinchValidationError):
                client._prepare(LIST_BATCHES, {"page_size": value})
        else:
            assert client._prepare(LIST_BATCHES, {"page_size": value}) == expected
    await client.aclose()


async def test_auth_headers_are_built_again_when_the_token_changes() -> None:
    seen: list[httpx.Request] = []
    answers = [httpx.Response(200, json=BATCH) for _ in range(3)]
    async with AsyncSinchClient(make_config(), http=answering(answers, seen)) as client:
        await client.get_batch(batch_id=BATCH_ID)
        await client.get_batch(batch_id=BATCH_ID)
        tokens = iter(["rotated-token-1"])
        client._bearer = lambda: _token(next(tokens))  # type: ignore[method-assign]
        await client.get_batch(batch_id=BATCH_ID)
    assert [r.headers["authorization"] for r in seen] == [f"Bearer {TOKEN}"] * 2 + ["Bearer rotated-token-1"]


async def _token(token: str) -> str:
    return token


async def test_remembered_reads_tell_apart_equal_datetimes_with_other_offsets() -> None:
    """Two datetimes of one zone that differ only by ``fold`` (the hour repeated when DST ends) compare and
    hash equal but are an hour apart: each must be sent as ``prepare`` writes it, not as the first one was."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from airflow_provider_sinch.client.operations import LIST_INBOUNDS

    first = datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    again = first.replace(fold=1)
    same_instant = first.astimezone(UTC)
    assert first == again
    assert hash(first) == hash(again)
    client = AsyncSinchClient(make_config())
    for value in (first, again, same_instant, first, again):
        expected = LIST_INBOUNDS.prepare({"start_date": value, "page_size": 100})
        assert client._prepare(LIST_INBOUNDS, {"start_date": value, "page_size": 100}) == expected
    assert client._prepare(LIST_INBOUNDS, {"start_date": again}).params["start_date"].endswith("+01:00")
    await client.aclose()
