"""Trigger test fixtures: a fake Sinch behind the hook's shared client, a sleep recorder, and virtual time
for the trigger loops."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.triggers.base import SinchPollingTrigger
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
        if _called_from_the_package():  # the tests' own waits are not counted
            recorded.append(delay)
            delay = 0
        await real_sleep(delay)

    import airflow_provider_sinch.triggers.base as base
    import airflow_provider_sinch.triggers.inbound as inbound

    monkeypatch.setattr(base.asyncio, "sleep", fake_sleep)
    monkeypatch.setattr(inbound.asyncio, "sleep", fake_sleep)
    return recorded


def _called_from_the_package(depth: int = 2) -> bool:
    """Whether the caller of the patched function (``depth`` frames up) is this package's code."""
    return str(sys._getframe(depth).f_globals.get("__name__", "")).startswith("airflow_provider_sinch.")


class TriggerTime:
    """The trigger loops' wall clock, moved only by what they wait for, so no test waits or times anything.

    * ``now`` starts at :attr:`START`; deadlines are given with :meth:`at`.
    * Every ``asyncio.sleep`` of the package is recorded in :attr:`sleeps`, returns at once and moves
      ``now`` on by its delay.
    * After :meth:`cut_hanging_polls`, a poll bounded by ``asyncio.timeout(delay)`` that does not finish at
      once is cut (``TimeoutError``) and moves ``now`` on by ``delay``; the bounds are in :attr:`bounds`.
    """

    START = datetime(2030, 1, 1, tzinfo=UTC)

    def __init__(self) -> None:
        self.now = self.START
        self.sleeps: list[float] = []
        self.bounds: list[float] = []

    def at(self, seconds: float) -> str:
        """The ISO time ``seconds`` after the start (a trigger's ``deadline``)."""
        return (self.START + timedelta(seconds=seconds)).isoformat()

    def elapsed(self) -> float:
        """Virtual seconds since the start."""
        return (self.now - self.START).total_seconds()

    def cut_hanging_polls(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_timeout = asyncio.timeout

        @contextlib.asynccontextmanager
        async def cut(delay: float) -> AsyncIterator[None]:
            try:
                async with real_timeout(0):  # whatever has to wait is cut at the first wait
                    yield
            finally:
                self.now += timedelta(seconds=delay)

        def timeout(delay: float | None) -> Any:
            if delay is None or not _called_from_the_package():
                return real_timeout(delay)
            self.bounds.append(delay)
            return cut(delay)

        monkeypatch.setattr(asyncio, "timeout", timeout)


@pytest.fixture
def trigger_time(monkeypatch: pytest.MonkeyPatch) -> TriggerTime:
    """Virtual time for the trigger loops (:class:`TriggerTime`)."""
    clock = TriggerTime()
    real_sleep = asyncio.sleep

    async def sleep(delay: float, *args: object) -> None:
        if _called_from_the_package():
            clock.sleeps.append(delay)
            clock.now += timedelta(seconds=delay)
            delay = 0
        await real_sleep(delay)

    monkeypatch.setattr(SinchPollingTrigger, "now", lambda self: clock.now)
    monkeypatch.setattr(asyncio, "sleep", sleep)
    return clock
