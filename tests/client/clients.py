"""Run one test body through the sync client and the async client, both answered by :class:`FakeSinch`.

A :class:`Harness` is the fake plus a client of one kind: tests script replies on it, call operations by
name and inspect what was sent, so one test function, parametrized over ``kind``, checks both clients
without copy-paste.  The async harness drives its client on a private event loop, so a test body can stay
synchronous and still iterate an async paginator lazily, one page at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import requests_mock

from airflow_provider_sinch.client import AsyncSinchClient, SinchClient, SinchConfig
from airflow_provider_sinch.client.renewal import Renew
from tests.fakes import FakeSinch, make_config

KINDS = ("sync", "async")


class Harness(FakeSinch):
    """A client of one kind wired to the fake.  Use :func:`open_harness`."""

    kind = ""

    def __init__(self, config: SinchConfig) -> None:
        super().__init__()
        self.config = config
        self.client: Any = None

    def call(self, op: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call operation ``op`` on the client and return its result (awaited for the async client)."""
        raise NotImplementedError

    def iterate(self, name: str, **filters: Any) -> Iterator[Any]:
        """A plain iterator over ``iter_<name>`` / ``aiter_<name>``, as lazy as the client's own."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SyncHarness(Harness):
    kind = "sync"

    def __init__(self, config: SinchConfig, *, mock: bool = True, renew: Renew | None = None) -> None:
        super().__init__(config)
        self.mocker: requests_mock.Mocker | None = None
        if mock:
            self.mocker = requests_mock.Mocker()
            self.mocker.start()
            self.mount(self.mocker)
        self.client = SinchClient(config, renew=renew)

    def call(self, op: str, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.client, op)(*args, **kwargs)

    def iterate(self, name: str, **filters: Any) -> Iterator[Any]:
        return iter(getattr(self.client, f"iter_{name}")(**filters))

    def close(self) -> None:
        self.client.close()
        if self.mocker is not None:
            self.mocker.stop()


class AsyncHarness(Harness):
    kind = "async"

    def __init__(self, config: SinchConfig, *, mock: bool = True, renew: Renew | None = None) -> None:
        super().__init__(config)
        self.loop = asyncio.new_event_loop()
        http = self.session() if mock else None

        async def arenew(refused: SinchConfig) -> SinchConfig | None:
            assert renew is not None
            return renew(refused)

        self.client = AsyncSinchClient(config, http=http, renew=arenew if renew else None)

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    def call(self, op: str, /, *args: Any, **kwargs: Any) -> Any:
        return self.run(getattr(self.client, op)(*args, **kwargs))

    def iterate(self, name: str, **filters: Any) -> Iterator[Any]:
        agen: AsyncIterator[Any] = getattr(self.client, f"aiter_{name}")(**filters)

        def steps() -> Iterator[Any]:
            while True:
                try:
                    yield self.run(agen.__anext__())
                except StopAsyncIteration:
                    return

        return steps()

    def close(self) -> None:
        self.run(self.client.aclose())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def open_harness(kind: str, config: SinchConfig | None = None, *, mock: bool = True,
                 renew: Renew | None = None) -> Harness:
    """A harness of ``kind`` (``sync`` or ``async``); ``mock=False`` talks to real sockets; ``renew`` is
    what the client asks when its credentials are refused (made a coroutine for the async client)."""
    cls = SyncHarness if kind == "sync" else AsyncHarness
    return cls(config or make_config(), mock=mock, renew=renew)
