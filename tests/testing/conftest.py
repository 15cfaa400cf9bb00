"""Fixtures of the sandbox's tests, and the check that every answer the sandbox gives follows the contract.

After each test, every response recorded by the sandboxes the test used is validated against
``../shared/sinch/contract.yaml`` (``tests.contract``).  Two kinds of answers are not in the contract and are
accepted only where expected: a 415 (API-NOTES: a body without a JSON Content-Type gets 415; the contract
does not list it) and 429/5xx answers, which are accepted only when the request log shows an injected fault
caused them, so a real server error in the sandbox fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from airflow_provider_sinch.client import RetryPolicy, ServicePlanAuth, SinchClient, SinchConfig
from airflow_provider_sinch.testing.sandbox import CallbackReceiver, Sandbox
from tests.contract import contract_available, validate_response

_MADE: pytest.StashKey[list[Sandbox]] = pytest.StashKey()
NUMBER = "+46701234567"
SENDER = "+46700000000"


def contract_problems(sandbox: Sandbox) -> list[str]:
    """Every recorded answer of ``sandbox`` that breaks the contract (or is an unexplained 429/5xx)."""
    problems = []
    for seen in sandbox.requests:
        if seen.status is None or seen.status == 415:
            continue
        if (seen.status == 429 or seen.status >= 500) and seen.fault is None:
            problems.append(f"{seen.method} {seen.path}: {seen.status} without an injected fault")
            continue
        try:
            validate_response(seen.method, seen.path, seen.status, seen.response)
        except AssertionError as exc:
            problems.append(str(exc))
    return problems


@pytest.fixture(autouse=True)
def _answers_follow_the_contract(request: pytest.FixtureRequest) -> Iterator[None]:
    request.node.stash[_MADE] = []
    yield
    if not contract_available():
        return
    used = [v for v in request.node.funcargs.values() if isinstance(v, Sandbox)] + request.node.stash[_MADE]
    problems = [p for sandbox in dict.fromkeys(used) for p in contract_problems(sandbox)]
    assert not problems, "\n".join(problems)


@pytest.fixture
def sandbox(sinch_sandbox: Sandbox) -> Sandbox:
    """The plugin's sandbox, reset, with a frozen clock: tests move time with ``advance()``."""
    sinch_sandbox.configure(time_scale=0)
    return sinch_sandbox


@pytest.fixture
def make_sandbox(request: pytest.FixtureRequest, sinch_sandbox_factory: Callable[..., Sandbox]
                 ) -> Callable[..., Sandbox]:
    """Another served sandbox with its own settings (its answers are contract-checked too)."""
    def make(**settings: Any) -> Sandbox:
        made = sinch_sandbox_factory(**settings)
        request.node.stash[_MADE].append(made)
        return made
    return make


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
