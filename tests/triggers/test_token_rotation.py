"""A deferred wait across a token rotation, against the sandbox: the old token is revoked mid-wait and the
wait goes on with the connection's new one; only when the connection's own token is refused does it fail,
once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger
from tests.rotation import fresh_renewals, refusals, rotate  # noqa: F401 - fresh_renewals: a fixture
from tests.triggers.test_delivery_triggers import first_event

OURS, ALICE = "+12017777777", "+46701000001"


@pytest.fixture
def project() -> bool:
    """Whether ``sinch_default`` uses project (OAuth2) auth: the service plan's API token unless a test
    parametrizes this."""
    return False


@pytest.fixture
def sandbox(sinch_sandbox: Any, monkeypatch: pytest.MonkeyPatch, project: bool) -> Any:
    """The sandbox with a frozen clock (the batch stays pending until the test advances it), as
    ``sinch_default``."""
    sinch_sandbox.configure(time_scale=0)
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT",
                       sinch_sandbox.project_conn_uri if project else sinch_sandbox.conn_uri)
    return sinch_sandbox


async def until(condition: Callable[[], bool], wait: asyncio.Future[Any]) -> None:
    """Let the trigger run until ``condition`` holds or the wait ended (a bound of polls, not a timing)."""
    for _ in range(4000):
        if wait.done() or condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the trigger never got there")


def polls(sandbox: Any, status: int = 200) -> int:
    return sum(1 for seen in sandbox.requests if seen.method == "GET" and seen.status == status)


async def wait_across_a_rotation(sandbox: Any, monkeypatch: pytest.MonkeyPatch, *, connection: bool = True,
                                 project: bool = False) -> dict[str, Any]:
    """Start a delivery wait, let it poll twice, rotate (revoking the old credentials), then deliver."""
    batch_id = SinchHook().send_batch(to=[ALICE], from_=OURS, body="hello").id
    trigger = SinchBatchDeliveryTrigger(batch_ids=[batch_id], poll_interval=0.01)
    wait = asyncio.ensure_future(first_event(trigger, timeout=20))
    await until(lambda: polls(sandbox) >= 2, wait)
    rotate(sandbox, monkeypatch, connection=connection, project=project)
    seen = polls(sandbox)
    await until(lambda: polls(sandbox) >= seen + 2, wait)  # polling on with the new credentials
    sandbox.advance(60)
    return await wait


@pytest.mark.parametrize("project", [False, True], ids=["api token", "access key"])
async def test_a_deferred_wait_sees_no_failure_when_the_token_is_rotated_and_revoked(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, project: bool
) -> None:
    payload = await wait_across_a_rotation(sandbox, monkeypatch, project=project)
    assert payload["status"] == "success", payload
    assert refusals(sandbox) == 1  # the revoked token's one 401: the connection was read at once
    # Project auth: a token for the worker's send, one for the wait, one with the new secret (no more).
    assert sandbox.authenticator.issued == (3 if project else 0)
    for secret in (sandbox.settings.api_token, sandbox.settings.key_secret, "sandbox-token"):
        assert secret not in caplog.text


async def test_a_wait_fails_once_when_the_connections_own_token_is_refused(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token is revoked but the connection still has it: one 401, one re-read that finds nothing new,
    one error event; no retry loop."""
    payload = await wait_across_a_rotation(sandbox, monkeypatch, connection=False)
    assert payload["status"] == "error"
    assert payload["detail"].startswith("Sinch check failed: SinchAuthenticationError:")
    assert refusals(sandbox) == 1
    assert sandbox.settings.api_token not in payload["detail"]
    assert "sandbox-token" not in payload["detail"]
