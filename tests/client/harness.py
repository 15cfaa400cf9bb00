"""Run one test body through the sync client (requests-mock) and the async client (httpx.MockTransport).

A :class:`Harness` owns a client and a fake Sinch: tests queue :class:`Reply` objects (or a routing
function), call operations by name, and inspect what was sent as :class:`Captured` requests.  Both kinds
capture the same things (method, URL, headers, body, the timeout handed to the HTTP library), so one test
function, parametrized over ``kind``, checks both clients without copy-paste.

The async harness drives its client on a private event loop, so a test body can stay synchronous and
still iterate an async paginator lazily, one page at a time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import requests
import requests_mock
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from airflow_provider_sinch.client import (
    AsyncSinchClient,
    RetryPolicy,
    ServicePlanAuth,
    SinchClient,
    SinchConfig,
)

KINDS = ("sync", "async")
BASE_URL = "https://us.sms.api.sinch.com"
PLAN = "plan-1"
TOKEN = "tok-SECRET-9f8e7d6c5b4a"  # distinctive, so a leak is easy to grep for
API_PREFIX = f"/xms/v1/{PLAN}"
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)

_NO_JSON = object()


def make_config(**overrides: Any) -> SinchConfig:
    """A service plan config with fast retries; any field can be overridden."""
    values: dict[str, Any] = {"auth": ServicePlanAuth(PLAN, TOKEN), "retry": FAST_RETRY}
    values.update(overrides)
    return SinchConfig(**values)


@dataclass
class Reply:
    """What the fake Sinch answers to one request.

    :param fail: instead of answering, fail the way a network does: ``refused`` (connection refused, nothing
        sent), ``connect_timeout`` (nothing sent), ``read_timeout`` (sent, no answer), ``reset`` (connection
        reset after the request was written).
    """

    status: int = 200
    json: Any = _NO_JSON
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    fail: str | None = None

    def body(self) -> bytes:
        return self.content if self.json is _NO_JSON else json.dumps(self.json).encode()

    def response_headers(self) -> dict[str, str]:
        if self.json is _NO_JSON:
            return dict(self.headers)
        return {"Content-Type": "application/json", **self.headers}


@dataclass
class Captured:
    """One request the client sent, as the fake server saw it."""

    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    content: bytes
    timeout: tuple[float, float] | None  # (connect, read) as handed to requests / httpx
    raw_timeout: Any = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def api_path(self) -> str:
        """The path below ``/xms/v1/{service_plan_id}``."""
        return self.path.removeprefix(API_PREFIX)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    @property
    def json(self) -> Any:
        return json.loads(self.content) if self.content else None

    @property
    def is_api(self) -> bool:
        return "/xms/v1/" in self.path


Responder = Callable[[Captured], Reply]


class Harness:
    """A client of one kind wired to a fake Sinch.  Use :func:`open_harness`."""

    kind = ""

    def __init__(self, config: SinchConfig) -> None:
        self.config = config
        self.requests: list[Captured] = []
        self._queue: list[Reply] = []
        self._route: Responder | None = None
        self.client: Any = None

    # The fake server

    def reply(self, *replies: Reply) -> Harness:
        """Answer the next requests with ``replies``, in order."""
        self._queue.extend(replies)
        return self

    def route(self, responder: Responder) -> Harness:
        """Answer every request with ``responder(captured)``."""
        self._route = responder
        return self

    def _answer(self, captured: Captured) -> Reply:
        self.requests.append(captured)
        if self._route is not None:
            return self._route(captured)
        if not self._queue:
            raise AssertionError(f"unexpected request {captured.method} {captured.url}")
        return self._queue.pop(0)

    @property
    def api_requests(self) -> list[Captured]:
        """Requests to the SMS API (not to the OAuth2 token endpoint)."""
        return [r for r in self.requests if r.is_api]

    @property
    def last(self) -> Captured:
        return self.api_requests[-1]

    # The client

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

    def __init__(self, config: SinchConfig, *, mock: bool = True) -> None:
        super().__init__(config)
        self.mocker: requests_mock.Mocker | None = None
        if mock:
            self.mocker = requests_mock.Mocker()
            self.mocker.start()
            self.mocker.register_uri(requests_mock.ANY, requests_mock.ANY, content=self._callback)
        self.client = SinchClient(config)

    def _callback(self, request: Any, context: Any) -> bytes:
        body = request.body
        captured = Captured(
            method=request.method,
            url=request.url,
            headers={k.lower(): v for k, v in request.headers.items()},
            content=body.encode() if isinstance(body, str) else (body or b""),
            timeout=_pair(request.timeout),
            raw_timeout=request.timeout,
        )
        reply = self._answer(captured)
        if reply.fail:
            raise sync_failure(reply.fail, request.url)
        context.status_code = reply.status
        context.headers = reply.response_headers()
        return reply.body()

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

    def __init__(self, config: SinchConfig, *, mock: bool = True) -> None:
        super().__init__(config)
        self.loop = asyncio.new_event_loop()
        http = httpx.AsyncClient(transport=httpx.MockTransport(self._handler)) if mock else None
        self.client = AsyncSinchClient(config, http=http)
        self._shared_http = http

    def _handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        raw = request.extensions.get("timeout")
        captured = Captured(
            method=request.method,
            url=str(request.url),
            headers={k.lower(): v for k, v in request.headers.items()},
            content=request.content,
            timeout=(raw["connect"], raw["read"]) if raw else None,
            raw_timeout=raw,
        )
        reply = self._answer(captured)
        if reply.fail:
            raise async_failure(reply.fail, request)
        return httpx.Response(reply.status, headers=reply.response_headers(), content=reply.body())

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
        if self._shared_http is not None:
            self.run(self._shared_http.aclose())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def open_harness(kind: str, config: SinchConfig | None = None, *, mock: bool = True) -> Harness:
    """A harness of ``kind`` (``sync`` or ``async``); ``mock=False`` talks to real sockets."""
    cls = SyncHarness if kind == "sync" else AsyncHarness
    return cls(config or make_config(), mock=mock)


def _pair(timeout: Any) -> tuple[float, float] | None:
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        return (float(timeout[0]), float(timeout[1]))
    return (float(timeout), float(timeout))


# Network failures, as each library really raises them.

FAILURES = ("refused", "connect_timeout", "read_timeout", "reset")


def sync_failure(kind: str, url: str) -> requests.RequestException:
    if kind == "refused":  # what HTTPAdapter raises for ECONNREFUSED: nothing was sent
        reason = NewConnectionError(
            None, "Failed to establish a new connection: [Errno 111] Connection refused"
        )  # type: ignore[arg-type]
        return requests.ConnectionError(MaxRetryError(None, url, reason))  # type: ignore[arg-type]
    if kind == "connect_timeout":
        return requests.ConnectTimeout("connect timed out")
    if kind == "read_timeout":
        return requests.ReadTimeout("read timed out")
    if kind == "reset":  # the request was written, then the peer reset the connection
        return requests.ConnectionError(
            ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
        )
    raise ValueError(kind)


def async_failure(kind: str, request: httpx.Request) -> httpx.HTTPError:
    cls = {
        "refused": httpx.ConnectError,
        "connect_timeout": httpx.ConnectTimeout,
        "read_timeout": httpx.ReadTimeout,
        "reset": httpx.ReadError,
    }[kind]
    return cls(f"simulated {kind}", request=request)
