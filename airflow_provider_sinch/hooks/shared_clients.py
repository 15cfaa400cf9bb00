"""The async clients a triggerer's event loop shares: one per connection configuration, built once.

A triggerer runs every deferred Sinch wait in one event loop.  They share one
:class:`~airflow_provider_sinch.client.AsyncSinchClient` (one HTTP pool, at most ``max_in_flight`` requests
in flight, the connection's extra, with the limit adapting below it) per connection, which is what keeps
1,000 waits at a few dozen connections instead of 1,000.  Two rules make that hold under real conditions:

* **Built once, even in a stampede.**  After a triggerer restart a thousand triggers ask for the client in
  the same instant.  The connection lookup is awaited, so a plain "check the cache, look up, store" would let
  every caller miss the cache and build its own client (an SSL context of ~0.85 MB and ~30 ms of CPU each).
  Callers of one connection share one lookup in flight (a future), and the client is keyed on what the
  lookup returned.
* **A changed connection reaches running waits.**  The lookup's answer is reused for
  :data:`CONFIG_TTL_SECONDS` only; after that the next caller looks the connection up again.  The client is
  keyed on the whole resolved configuration (credentials included, held in memory, never logged), so a
  rotated token or a moved host gets a new client, and the replaced one is closed once its requests have had
  time to finish.  A re-read that fails keeps the current client (a secrets backend that is briefly away
  must not end every wait).  Triggers ask for their client at every poll, so a wait of hours follows a
  changed connection within about a minute.
* **A refused token is looked up at once.**  Rotating a token usually revokes the old one, so the minute
  above would be a minute of 401s.  A shared client that Sinch refuses (a 401, or the OAuth2 token request
  refused) asks :meth:`SharedAsyncClients.renew` for the connection: read again at once, bypassing the TTL
  (at most once per :data:`~airflow_provider_sinch.client.renewal.RENEW_INTERVAL_SECONDS` per connection,
  shared by every refused request), and when the credentials changed the request is sent once more with
  them and the new client serves the next polls (:mod:`~airflow_provider_sinch.client.renewal`).  A wait
  fails on a 401 only when the connection's current credentials are refused too.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from airflow_provider_sinch.client import AsyncSinchClient, SinchConfig
from airflow_provider_sinch.client.renewal import RenewalGate, credentials_identity, newer_credentials

log = logging.getLogger(__name__)

CONFIG_TTL_SECONDS = 60.0
"""How long a connection lookup is reused before the next caller looks the connection up again."""

RETIRE_AFTER_SECONDS = 900.0
"""How long a replaced client stays open for the polls already using it: longer than the slowest poll (the
client's retries through 429s and timeouts take a few minutes at most; each poll asks for the client anew)."""


def config_identity(config: SinchConfig) -> Hashable:
    """Everything that makes two configurations reach Sinch differently, as a hashable value (the
    credentials by :func:`~airflow_provider_sinch.client.renewal.credentials_identity`)."""
    return (credentials_identity(config.auth), config.region, config.base_url, config.timeout, config.retry,
            config.default_from, config.user_agent, config.max_in_flight)


@dataclass
class _Lookup:
    """One connection lookup, shared by every caller that arrives while it runs or is still fresh.

    It runs as a task of its own, so a caller that is cancelled (a trigger the triggerer drops) does not
    cancel it for the others.
    """

    started: float
    task: asyncio.Future[SinchConfig]


@dataclass
class SharedAsyncClients:
    """The shared clients of one event loop (see the module docstring).

    :param ttl: seconds a connection lookup is reused (:data:`CONFIG_TTL_SECONDS`).
    :param retire_after: seconds a replaced client stays open (:data:`RETIRE_AFTER_SECONDS`).
    :param clock: monotonic seconds (tests pass a fake one).
    :param renewals: how often a refusal may make a connection be read again before its TTL.
    """

    ttl: float = CONFIG_TTL_SECONDS
    retire_after: float = RETIRE_AFTER_SECONDS
    clock: Callable[[], float] = time.monotonic
    renewals: RenewalGate = field(default_factory=RenewalGate)
    _lookups: dict[str, _Lookup] = field(default_factory=dict)
    _clients: dict[Hashable, AsyncSinchClient] = field(default_factory=dict)
    _current: dict[str, tuple[Hashable, float]] = field(default_factory=dict)  # identity, lookup start
    _retiring: set[asyncio.Task[None]] = field(default_factory=set)

    async def get(self, key: str, lookup: Callable[[], Awaitable[SinchConfig]]) -> AsyncSinchClient:
        """The client for ``key`` (connection id and hook settings), looking the connection up with
        ``lookup`` only when no fresh lookup is at hand."""
        fresh = self._fresh(key)
        if fresh is not None:
            return fresh
        try:
            started, config = await self._config(key, lookup)
        except Exception as exc:
            held = self._current.get(key)
            if held is None:
                raise
            # A re-read that fails (secrets backend or API server briefly away) must not end every wait
            # on a client that works: keep it, and try again after another TTL.
            log.warning("Re-reading the Sinch connection failed (%s); its current client stays in use",
                        type(exc).__name__)
            kept: asyncio.Future[SinchConfig] = asyncio.get_running_loop().create_future()
            kept.set_result(self._clients[held[0]].config)
            self._lookups[key] = _Lookup(self.clock(), kept)
            return self._clients[held[0]]
        current = self._current.get(key)
        if current is not None and current[1] > started:
            return self._clients[current[0]]  # a newer lookup already decided (this caller waited long)
        identity = (key, config_identity(config))  # per connection, as the pool and in-flight cap are
        client = self._clients.get(identity)
        if client is None:  # no await between this check and the store: one client per identity
            client = self._clients[identity] = AsyncSinchClient(
                config, renew=functools.partial(self.renew, key, lookup))
        self._current[key] = (identity, started)
        if current is not None and current[0] != identity:
            self._retire(self._clients.pop(current[0]))
        return client

    async def renew(self, key: str, lookup: Callable[[], Awaitable[SinchConfig]],
                    refused: SinchConfig) -> SinchConfig | None:
        """After Sinch refused ``refused`` (the credentials a client of ``key`` used): the connection's
        configuration when its credentials are other ones, else ``None`` (the refusal stands).

        The connection is looked up at once, bypassing the TTL, unless the current client already has other
        credentials (an earlier refusal found them), a lookup is under way (shared), or ``key`` was re-read
        for a refusal less than :attr:`renewals`' interval ago.  A failed lookup keeps the current client.
        """
        held = self._current.get(key)
        latest = newer_credentials(refused, self._clients[held[0]].config if held else None)
        if latest is not None:
            return latest
        running = self._lookups.get(key)
        forced = running is None or running.task.done()  # else: share the lookup under way
        if forced:
            if not self.renewals.allow(key):
                return None
            self._lookups.pop(key, None)  # the next get() looks the connection up now
        latest = newer_credentials(refused, (await self.get(key, lookup)).config)
        if forced and latest is not None:
            log.warning("Sinch refused the credentials in use; the connection has new ones, used from now on")
        return latest

    def _fresh(self, key: str) -> AsyncSinchClient | None:
        """What :meth:`get` decides when the current client came from the lookup at hand, still fresh and
        answered: that client (every poll of a triggerer's waits, so without the awaits and the identity)."""
        lookup, current = self._lookups.get(key), self._current.get(key)
        if lookup is None or current is None or current[1] != lookup.started or not lookup.task.done():
            return None
        if lookup.task.cancelled() or lookup.task.exception() is not None \
                or self.clock() - lookup.started >= self.ttl:
            return None
        return self._clients[current[0]]

    async def _config(self, key: str,
                      lookup: Callable[[], Awaitable[SinchConfig]]) -> tuple[float, SinchConfig]:
        """``(when the lookup started, its configuration)``: a fresh lookup shared, or a new one."""
        current = self._lookups.get(key)
        if current is None or self.clock() - current.started >= self.ttl:
            current = _Lookup(self.clock(), asyncio.ensure_future(lookup()))
            self._lookups[key] = current
        try:
            return current.started, await asyncio.shield(current.task)
        except asyncio.CancelledError:
            if current.task.cancelled() and self._lookups.get(key) is current:
                del self._lookups[key]
            raise
        except Exception:
            # Every waiter gets the error; the next caller looks the connection up afresh.
            if self._lookups.get(key) is current:
                del self._lookups[key]
            raise

    def _retire(self, client: AsyncSinchClient) -> None:
        """Close ``client`` once requests that already hold it have had time to finish."""

        async def close_later() -> None:
            try:
                await asyncio.sleep(self.retire_after)
            finally:  # the loop shutting down closes it at once
                with contextlib.suppress(Exception):
                    await client.aclose()

        log.info("The Sinch connection changed: new triggers' requests use a new client")
        task = asyncio.get_running_loop().create_task(close_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)


_LOOPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SharedAsyncClients] = weakref.WeakKeyDictionary()


def shared_clients() -> SharedAsyncClients:
    """The shared clients of the running event loop (created on first use, closed when the loop shuts down:
    see :func:`_close_at_shutdown`)."""
    loop = asyncio.get_running_loop()
    shared = _LOOPS.get(loop)
    if shared is None:
        shared = _LOOPS[loop] = SharedAsyncClients()
        _KEEPERS[loop] = loop.create_task(_close_at_shutdown(shared), name="sinch-shared-clients")
    return shared


_KEEPERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = \
    weakref.WeakKeyDictionary()


async def _close_at_shutdown(shared: SharedAsyncClients) -> None:
    """Wait until cancelled, then close every client of ``shared``.

    A loop's shutdown (``asyncio.run`` or ``asyncio.Runner`` ending, as a triggerer's does) cancels the tasks
    still pending: this one then closes the clients' aiohttp sessions, which would otherwise be reported as
    "Unclosed client session" errors when collected.
    """
    try:
        await asyncio.Event().wait()
    finally:
        clients = [*shared._clients.values()]
        shared._clients.clear()
        for task in [*shared._retiring]:
            task.cancel()
        await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)
