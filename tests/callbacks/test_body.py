"""The body limit: refused on a declared length, and while streaming without reading it all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from airflow_provider_sinch.callbacks.auth import CallbackRefused
from airflow_provider_sinch.callbacks.body import check_declared_length, read_limited


def test_declared_length_over_the_limit_is_413() -> None:
    check_declared_length({"Content-Length": "10"}, limit=10)
    check_declared_length({}, limit=10)
    with pytest.raises(CallbackRefused) as err:
        check_declared_length({"content-length": "11"}, limit=10)
    assert err.value.status == 413
    with pytest.raises(CallbackRefused) as err:
        check_declared_length({"content-length": "ten"}, limit=10)
    assert err.value.status == 400


async def test_streamed_body_stops_at_the_limit() -> None:
    pulled = []

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(100):
            pulled.append(i)
            yield b"x" * 4

    assert await read_limited(chunks(), limit=400) == b"x" * 400
    pulled.clear()
    with pytest.raises(CallbackRefused) as err:
        await read_limited(chunks(), limit=10)
    assert err.value.status == 413
    assert len(pulled) == 3  # stopped at the third chunk, the rest never read


async def test_a_trickled_body_is_refused_at_the_deadline_with_a_status_sinch_retries() -> None:
    """A body read before its HMAC is checked must not hold the request open for ever (slow loris)."""
    started = asyncio.Event()

    async def trickle() -> AsyncIterator[bytes]:
        yield b"{"
        started.set()
        await asyncio.Event().wait()  # never another byte
        yield b"}"

    with pytest.raises(CallbackRefused) as err:
        await read_limited(trickle(), limit=100, timeout=0.05)
    assert started.is_set()
    assert err.value.status == 503  # a genuine callback on a slow network is sent again, not lost
    assert err.value.headers == {"Retry-After": "5"}
    assert "within 0.05 s" in err.value.reason
