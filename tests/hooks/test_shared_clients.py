"""The shared async clients of an event loop: built once in a stampede, renewed when the connection
changes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest

from airflow_provider_sinch.client import AsyncSinchClient, ServicePlanAuth, SinchConfig
from airflow_provider_sinch.client.renewal import RenewalGate
from airflow_provider_sinch.hooks import shared_clients as shared_module
from airflow_provider_sinch.hooks.shared_clients import SharedAsyncClients, config_identity, shared_clients
from airflow_provider_sinch.hooks.sinch import SinchHook


def set_conn(monkeypatch: pytest.MonkeyPatch, token: str, conn_id: str = "sinch_default") -> None:
    body = {"conn_type": "sinch", "login": "plan-1", "password": token, "host": "https://sinch.test"}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(body))


def config(token: str = "token-a") -> SinchConfig:  # noqa: S107
    return SinchConfig(auth=ServicePlanAuth(service_plan_id="plan-1", api_token=token),
                       base_url="https://sinch.test")


class CountingClient(AsyncSinchClient):
    built = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        type(self).built += 1
        super().__init__(*args, **kwargs)


async def test_a_thousand_triggers_asking_at_once_share_one_lookup_and_one_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A triggerer restart: 1,000 waits ask for the client in the same instant, through the real
    connection lookup (AIRFLOW_CONN_*), while the lookup takes a moment."""
    set_conn(monkeypatch, "token-a")
    monkeypatch.setattr(CountingClient, "built", 0)
    monkeypatch.setattr(shared_module, "AsyncSinchClient", CountingClient)
    lookups = 0
    real_lookup = SinchHook.aget_config

    async def slow_lookup(self: SinchHook) -> SinchConfig:
        nonlocal lookups
        lookups += 1
        await asyncio.sleep(0.01)  # the triggerer's connection lookup goes over the supervisor's channel
        return await real_lookup(self)

    monkeypatch.setattr(SinchHook, "aget_config", slow_lookup)
    clients = await asyncio.gather(*(SinchHook().aget_client() for _ in range(1000)))
    assert lookups == 1
    assert CountingClient.built == 1
    assert len({id(c) for c in clients}) == 1
    assert (await SinchHook().aget_client()) is clients[0]  # warm: no lookup, no client
    assert lookups == 1


async def test_a_rotated_token_reaches_callers_after_the_lookup_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_conn(monkeypatch, "token-a")
    first = await SinchHook().aget_client()
    set_conn(monkeypatch, "token-b")
    assert await SinchHook().aget_client() is first  # within a minute: the lookup is reused
    shared = shared_clients()
    shared.ttl = 0.0
    shared.retire_after = 0.0
    second = await SinchHook().aget_client()
    assert second is not first
    assert second.config.auth.api_token == "token-b"  # type: ignore[union-attr]
    assert first.config.auth.api_token == "token-a"  # type: ignore[union-attr]
    for _ in range(5):  # the replaced client is closed once its grace period is over
        await asyncio.sleep(0)
    assert first.closed
    assert not second.closed
    assert await SinchHook().aget_client() is second  # same configuration again: same client


async def test_a_moved_host_gets_a_new_client_and_other_settings_are_kept_apart() -> None:
    shared = SharedAsyncClients(ttl=0.0, retire_after=3600.0)
    a = await shared.get("conn", _returns(config()))
    moved = SinchConfig(auth=ServicePlanAuth(service_plan_id="plan-1", api_token="token-a"),
                        base_url="https://proxy.test")
    b = await shared.get("conn", _returns(moved))
    assert b is not a
    assert b.config.base_url == "https://proxy.test"
    other = await shared.get("conn|30", _returns(moved))  # another hook setting: its own client
    assert other is not b


async def test_a_failed_lookup_fails_every_waiter_and_the_next_caller_looks_again() -> None:
    shared = SharedAsyncClients()
    calls = 0

    async def failing() -> SinchConfig:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise RuntimeError("secrets backend unreachable")

    results = await asyncio.gather(*(shared.get("conn", failing) for _ in range(50)), return_exceptions=True)
    assert calls == 1
    assert all(isinstance(r, RuntimeError) for r in results)
    client = await shared.get("conn", _returns(config()))
    assert isinstance(client, AsyncSinchClient)


async def test_a_cancelled_caller_does_not_cancel_the_lookup_for_the_others() -> None:
    shared = SharedAsyncClients()
    release = asyncio.Event()

    async def slow() -> SinchConfig:
        await release.wait()
        return config()

    first = asyncio.create_task(shared.get("conn", slow))
    second = asyncio.create_task(shared.get("conn", slow))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    client = await second
    assert first.cancelled()
    assert isinstance(client, AsyncSinchClient)


def test_identity_covers_credentials_without_being_the_token_alone() -> None:
    assert config_identity(config("token-a")) != config_identity(config("token-b"))
    assert config_identity(config("token-a")) == config_identity(config("token-a"))


def _returns(value: SinchConfig) -> Any:
    async def lookup() -> SinchConfig:
        return value

    return lookup


async def test_a_failed_re_read_keeps_the_working_client_and_waits_a_ttl_before_trying_again() -> None:
    now = [0.0]
    shared = SharedAsyncClients(ttl=60.0, clock=lambda: now[0])
    first = await shared.get("conn", _returns(config()))
    calls = 0

    async def failing() -> SinchConfig:
        nonlocal calls
        calls += 1
        raise OSError("secrets backend unreachable")

    now[0] = 61.0
    assert await shared.get("conn", failing) is first  # the wait goes on with the client that works
    assert await shared.get("conn", failing) is first
    assert calls == 1  # not one lookup per poll while the backend is away
    now[0] = 122.0
    second = await shared.get("conn", _returns(config("token-b")))
    assert second is not first


class Connection:
    """A connection whose token the test rotates, looked up with a count (and a moment's latency)."""

    def __init__(self, token: str = "token-a") -> None:  # noqa: S107
        self.token, self.lookups, self.fail = token, 0, False

    async def lookup(self) -> SinchConfig:
        self.lookups += 1
        await asyncio.sleep(0)
        if self.fail:
            raise OSError("secrets backend unreachable")
        return config(self.token)


def fake_clock() -> tuple[list[float], SharedAsyncClients]:
    now = [0.0]
    return now, SharedAsyncClients(clock=lambda: now[0], retire_after=3600.0,
                                   renewals=RenewalGate(clock=lambda: now[0]))


async def test_a_refusal_re_reads_the_connection_at_once_and_new_polls_get_the_new_client() -> None:
    _, shared = fake_clock()
    conn = Connection()
    old = await shared.get("conn", conn.lookup)
    conn.token = "token-b"
    assert await shared.get("conn", conn.lookup) is old  # within the TTL nothing is read
    renewed = await shared.renew("conn", conn.lookup, old.config)
    assert renewed is not None
    assert renewed.auth.api_token == "token-b"
    assert conn.lookups == 2  # read at once, not after the TTL
    new = await shared.get("conn", conn.lookup)
    assert new is not old
    assert new.config.auth.api_token == "token-b"
    assert conn.lookups == 2


async def test_a_flood_of_refusals_is_one_lookup() -> None:
    """Every wait of a connection is refused at once when its token is revoked: one re-read serves all of
    them, those that arrive while it runs and those that arrive after it."""
    _, shared = fake_clock()
    conn = Connection()
    old = await shared.get("conn", conn.lookup)
    conn.token = "token-b"
    first = await asyncio.gather(*(shared.renew("conn", conn.lookup, old.config) for _ in range(500)))
    later = await asyncio.gather(*(shared.renew("conn", conn.lookup, old.config) for _ in range(500)))
    assert {c.auth.api_token for c in first + later if c is not None} == {"token-b"}  # type: ignore[union-attr]
    assert None not in first + later
    assert conn.lookups == 2


async def test_refused_current_credentials_stand_and_are_re_read_at_most_once_an_interval() -> None:
    now, shared = fake_clock()
    conn = Connection()
    client = await shared.get("conn", conn.lookup)
    for _ in range(100):
        assert await shared.renew("conn", conn.lookup, client.config) is None
    assert conn.lookups == 2  # one re-read: the connection still has the refused token
    now[0] = RenewalGate().interval
    assert await shared.renew("conn", conn.lookup, client.config) is None
    assert conn.lookups == 3


async def test_a_re_read_that_fails_keeps_the_client_and_the_refusal_stands() -> None:
    _, shared = fake_clock()
    conn = Connection()
    client = await shared.get("conn", conn.lookup)
    conn.fail = True
    assert await shared.renew("conn", conn.lookup, client.config) is None
    assert await shared.get("conn", conn.lookup) is client


def test_the_loops_shutdown_closes_its_shared_clients() -> None:
    """A triggerer's loop ends with ``asyncio.run``: the shared clients' sessions are closed then, not left
    to be reported as unclosed when collected."""
    clients: list[AsyncSinchClient] = []

    async def run() -> None:
        client = await shared_clients().get("conn", _returns(config()))
        client.http  # noqa: B018  (the session, made in this loop)
        clients.append(client)

    asyncio.run(run())
    assert clients[0].closed
    assert clients[0]._http is not None
    assert clients[0]._http.closed


async def test_the_ceiling_of_requests_in_flight_comes_from_the_connection_and_a_change_gets_a_new_client(
) -> None:
    shared = SharedAsyncClients(ttl=0.0)
    default = await shared.get("conn", _returns(config()))
    assert (default.max_in_flight, default._in_flight.ceiling) == (100, 100)
    assert config_identity(config()) != config_identity(replace(config(), max_in_flight=30))
    changed = await shared.get("conn", _returns(replace(config(), max_in_flight=30)))
    assert changed is not default
    assert (changed.max_in_flight, changed._in_flight.ceiling) == (30, 30)
