"""The worker's hook across a token rotation, against the sandbox: the old token is revoked while a task
runs and the hook's next call goes on with the connection's new one; the connection's own token refused
fails the call once."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from airflow_provider_sinch.client import SinchAuthenticationError
from airflow_provider_sinch.client.renewal import RenewalGate
from airflow_provider_sinch.hooks.concurrency import ClientPool
from airflow_provider_sinch.hooks.sinch import SinchHook
from tests.rotation import NEW_TOKEN, fresh_renewals, refusals, rotate  # noqa: F401 - fresh_renewals: a fixture

OURS, ALICE = "+12017777777", "+46701000001"


@pytest.fixture
def sandbox(sinch_sandbox: Any, sinch_sandbox_connection: str) -> Any:
    return sinch_sandbox


@pytest.fixture
def batch_id(sandbox: Any) -> str:
    """A batch sent before the rotation, by a hook of its own."""
    return SinchHook().send_batch(to=[ALICE], from_=OURS, body="hello").id


def test_a_hook_call_after_the_token_was_rotated_and_revoked_succeeds(
    sandbox: Any, batch_id: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hook = SinchHook()
    assert hook.get_batch(batch_id).id == batch_id
    rotate(sandbox, monkeypatch)
    assert hook.get_batch(batch_id).id == batch_id
    assert hook.list_batches(page_size=1).count >= 1  # the hook keeps the new token: no further 401
    assert refusals(sandbox) == 1
    assert hook.config.auth.api_token == NEW_TOKEN  # type: ignore[union-attr]
    assert "sandbox-token" not in caplog.text
    assert NEW_TOKEN not in caplog.text


@pytest.mark.parametrize("connection", ["kept the revoked token", "has another refused token"])
def test_the_connections_own_token_refused_fails_the_call_once(
    sandbox: Any, batch_id: str, monkeypatch: pytest.MonkeyPatch, connection: str
) -> None:
    hook = SinchHook()
    hook.get_batch(batch_id)
    rotate(sandbox, monkeypatch, connection=False)
    if connection == "has another refused token":
        monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", sandbox.conn_uri.replace(NEW_TOKEN, "also-refused"))
    with pytest.raises(SinchAuthenticationError) as info:
        hook.get_batch(batch_id)
    assert refusals(sandbox) == (1 if connection == "kept the revoked token" else 2)  # no loop
    assert "sandbox-token" not in str(info.value)
    assert "also-refused" not in str(info.value)


def test_threads_refused_at_once_share_one_re_read(
    sandbox: Any, batch_id: str, monkeypatch: pytest.MonkeyPatch, fresh_renewals: RenewalGate  # noqa: F811
) -> None:
    """The send operators' per-thread clients (ClientPool): a rotation refuses all of them, and one read
    of the connection serves every thread."""
    hook = SinchHook()
    pool = ClientPool(hook.config, hook.renew_config)
    rotate(sandbox, monkeypatch)
    reads = []
    real = SinchHook.get_connection

    def counted(conn_id: str) -> Any:
        reads.append(conn_id)
        return real(conn_id)

    monkeypatch.setattr(SinchHook, "get_connection", staticmethod(counted))
    with ThreadPoolExecutor(8) as threads:
        found = list(threads.map(lambda _: pool.get().get_batch(batch_id).id, range(32)))
    pool.close()
    assert found == [batch_id] * 32
    assert len(reads) == 1
    assert refusals(sandbox) <= 8  # at most one per thread's client, before it adopted the new token


def test_a_re_read_that_fails_leaves_the_refusal_standing(
    sandbox: Any, batch_id: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hook = SinchHook()
    hook.get_batch(batch_id)
    rotate(sandbox, monkeypatch, connection=False)
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps({"conn_type": "sinch", "login": "x"}))
    with caplog.at_level(logging.WARNING), pytest.raises(SinchAuthenticationError):
        hook.get_batch(batch_id)
    assert "after a refusal failed (SinchConnectionError)" in caplog.text
    assert hook.config.auth.api_token == "sandbox-token"  # type: ignore[union-attr]
