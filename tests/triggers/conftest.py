"""Trigger test fixtures: a fake Sinch behind the hook's shared client, and a sleep recorder."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator

import pytest

from airflow_provider_sinch.hooks.sinch import SinchHook
from tests.fakes import CONN, FakeSinch


@pytest.fixture
def fake_sinch(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSinch]:
    """A :class:`FakeSinch` that every ``SinchHook.aget_client()`` of the test answers from."""
    fake = FakeSinch(polls=True)
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps(CONN))
    clients: dict[asyncio.AbstractEventLoop, object] = {}

    async def aget_client(self: SinchHook):
        loop = asyncio.get_running_loop()
        if loop not in clients:
            clients[loop] = fake.async_client()
        return clients[loop]

    monkeypatch.setattr(SinchHook, "aget_client", aget_client)
    return fake


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every ``asyncio.sleep`` of the trigger loops, recorded and shortened to a 0-second yield."""
    recorded: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float, *args: object) -> None:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("airflow_provider_sinch."):  # the tests' own waits are not counted
            recorded.append(delay)
            delay = 0
        await real_sleep(delay)

    import airflow_provider_sinch.triggers.base as base
    import airflow_provider_sinch.triggers.inbound as inbound

    monkeypatch.setattr(base.asyncio, "sleep", fake_sleep)
    monkeypatch.setattr(inbound.asyncio, "sleep", fake_sleep)
    return recorded
