"""Fixtures of the client tests: a harness per client kind, a sleep recorder, the shared contract."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_sinch.client import SinchConfig
from airflow_provider_sinch.client.renewal import Renew
from tests.client.clients import KINDS, Harness, open_harness
from tests.contract import CONTRACT_PATH, Contract
from tests.fakes import make_config


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """``sync`` (requests + requests-mock) or ``async`` (aiohttp + mock_aiohttp): tests run with both."""
    return str(request.param)


@pytest.fixture
def make_harness(kind: str) -> Iterator[Callable[..., Harness]]:
    """``make_harness(**config_overrides)`` or ``make_harness(config=...)``: a harness of this test's kind
    (``renew=``: what its client asks when Sinch refuses its credentials)."""
    opened: list[Harness] = []

    def factory(config: SinchConfig | None = None, renew: Renew | None = None, **overrides: Any) -> Harness:
        harness = open_harness(kind, config or make_config(**overrides), renew=renew)
        opened.append(harness)
        return harness

    yield factory
    for harness in opened:
        harness.close()


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    """A client of this test's kind with fast retries, wired to a fake Sinch."""
    return make_harness()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the waits between retries instead of sleeping (tenacity's sync and async sleeps)."""
    waited: list[float] = []
    test_thread, real_sleep = threading.get_ident(), time.sleep

    def sleep(seconds: float) -> None:
        # Only this test's own waits: a server or pool thread left by an earlier test that sleeps meanwhile
        # sleeps for real instead of showing up here (it once made ``[2.0]`` read ``[2.0, 0.05]``).
        if threading.get_ident() == test_thread:
            waited.append(seconds)
        else:
            real_sleep(seconds)

    real_async_sleep = asyncio.sleep

    async def async_sleep(seconds: float, *args: Any, **kwargs: Any) -> None:
        if threading.get_ident() == test_thread:
            waited.append(seconds)
        else:  # e.g. the event loop of a sandbox server thread
            await real_async_sleep(seconds, *args, **kwargs)

    monkeypatch.setattr(time, "sleep", sleep)
    monkeypatch.setattr(asyncio, "sleep", async_sleep)
    return waited


@pytest.fixture(scope="session")
def contract() -> Contract:
    """``tests/sinch_api/contract.yaml``, parsed once."""
    return Contract(CONTRACT_PATH)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``tests/sinch_api/fixtures``: request/response shapes from the official SDKs and real callbacks."""
    return CONTRACT_PATH.parent / "fixtures"
