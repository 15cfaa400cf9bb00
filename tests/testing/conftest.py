"""Fixtures of the sandbox's tests.

Every answer a sandbox gives in these tests (as in the whole suite: see ``tests/conftest.py``) is checked
against ``tests/sinch_api/contract.yaml`` (through ``tests.contract``) by the plugin's
``sinch_sandbox_validator`` hook.  Two kinds of answers
are not in the contract and are accepted only where expected (see ``answer_problems`` of the plugin): a 415
(API-NOTES: a body without a JSON Content-Type gets 415; the contract does not list it) and 429/5xx answers
caused by an injected fault; a 429 or 5xx without a fault fails the test.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from airflow_provider_sinch.client import RetryPolicy, ServicePlanAuth, SinchClient, SinchConfig
from airflow_provider_sinch.testing.sandbox import CallbackReceiver, Sandbox, SandboxClock

NUMBER = "+46701234567"
SENDER = "+46700000000"


@pytest.fixture
def make_sandbox(sinch_sandbox_factory: Callable[..., Sandbox]) -> Callable[..., Sandbox]:
    """The plugin's factory: ``make_sandbox(**settings)`` serves another sandbox for this test."""
    return sinch_sandbox_factory


@pytest.fixture
def sandbox(sinch_sandbox: Sandbox) -> Sandbox:
    """The plugin's sandbox, reset, with a frozen clock: tests move time with ``advance()``."""
    sinch_sandbox.configure(time_scale=0)
    return sinch_sandbox


def api_client(sandbox: Sandbox, token: str | None = None, path_id: str | None = None) -> httpx.Client:
    """A raw HTTP client for ``/xms/v1/{plan}`` of ``sandbox`` with the plan's bearer token."""
    settings = sandbox.settings
    return httpx.Client(
        base_url=f"{sandbox.url}/xms/v1/{path_id or settings.service_plan_id}",
        headers={"Authorization": f"Bearer {token or settings.api_token}"}, trust_env=False, timeout=10,
    )


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with api_client(sandbox) as client:
        yield client


def sinch_client(sandbox: Sandbox, **config: Any) -> SinchClient:
    """The provider's own client, pointed at ``sandbox`` (fast retries)."""
    settings = sandbox.settings
    config.setdefault("retry", RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05))
    return SinchClient(SinchConfig(auth=ServicePlanAuth(settings.service_plan_id, settings.api_token),
                                   base_url=sandbox.url, **config))


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[SinchClient]:
    with sinch_client(sandbox) as sinch:
        yield sinch


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as server:
        yield server


def send(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    """POST a text batch (defaults: one recipient, a sender, a short body); asserts 201."""
    body = {"to": [NUMBER], "from": SENDER, "body": "Hello", **fields}
    response = api.post("/batches", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


class FakeTime:
    """A wall clock and a monotonic clock for a :class:`SandboxClock` that move only with :meth:`tick`.

    :param wall: the wall clock at the start, epoch seconds (default: the real one, whole seconds, so
        timestamps written with milliseconds are exact).
    """

    def __init__(self, wall: float | None = None) -> None:
        self.wall_now = float(int(time.time())) if wall is None else wall
        self.monotonic_now = 1_000.0

    def wall(self) -> float:
        return self.wall_now

    def monotonic(self) -> float:
        return self.monotonic_now

    def tick(self, seconds: float) -> None:
        """Let ``seconds`` of real time pass."""
        self.wall_now += seconds
        self.monotonic_now += seconds

    def clock(self, time_scale: float = 10.0) -> SandboxClock:
        return SandboxClock(time_scale, wall=self.wall, monotonic=self.monotonic)
