"""What ``httpx.MockTransport`` was for the async client, on aiohttp: sessions a handler answers.

A handler is written as for ``httpx.MockTransport``, so the tests' handlers and
:class:`~tests.fakes.FakeSinch` serve the sync and async clients alike: it gets an ``httpx.Request``
(method, the whole URL with its query, headers, body, and ``extensions["timeout"]`` = ``{"connect",
"read", "pool", "total"}`` as handed to aiohttp) and returns an ``httpx.Response`` (sync or async), or
raises one of httpx's network errors.  httpx is only a value type here.

Every answer really crosses aiohttp: the request is written to a loopback server (a Unix socket served by a
thread of its own, shared by every session) that writes the handler's response, so the parser, decoding,
pooling and aiohttp's own resend of an idempotent request on a broken connection are production's.  The
connector is an ``aiohttp.UnixConnector`` (it reaches the socket whatever the URL's host, port or scheme)
whose ``connect`` asks the handler, because that is where aiohttp hands over the request and its timeout.
A network failure is raised as aiohttp raises it (:func:`aiohttp_failure`): a refused connection or
connect timeout from ``connect`` (nothing written), a read timeout or reset once the request is written
(a session middleware).

Not for malformed answers or real sockets: ``tests/client/test_malformed_answers.py`` has a raw server, and
the sandbox serves on a real port.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import tempfile
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiohttp import web

from airflow_provider_sinch.client.async_client import note_lost_answers

Handler = Callable[[httpx.Request], "httpx.Response | Awaitable[httpx.Response]"]

_TAG = "X-Mock-Answer"
_SKIPPED = {"content-length", "transfer-encoding", "connection", "date", "server"}


class _Server:
    """The loopback server every mock session writes to: it answers each request with the response
    registered under the request's tag."""

    def __init__(self) -> None:
        self.path = str(Path(tempfile.mkdtemp(prefix="sinch-mock-")) / "http.sock")
        self.answers: dict[str, httpx.Response] = {}
        self._ids = itertools.count()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True, name="mock-aiohttp").start()
        ready.wait(10)

    def register(self, response: httpx.Response) -> str:
        tag = str(next(self._ids))
        self.answers[tag] = response
        return tag

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()

        async def serve() -> None:
            await loop.create_unix_server(web.Server(self._answer, access_log=None), self.path)

        loop.run_until_complete(serve())
        ready.set()
        loop.run_forever()

    async def _answer(self, request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        response = self.answers.pop(request.headers[_TAG])
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _SKIPPED]
        return web.Response(status=response.status_code, body=response.content, headers=headers)


_server: _Server | None = None
_server_lock = threading.Lock()


def _shared_server() -> _Server:
    global _server
    with _server_lock:
        if _server is None:
            _server = _Server()
        return _server


class MockConnector(aiohttp.UnixConnector):
    """Connects every request to the shared loopback server, once ``handler`` has said what it answers."""

    def __init__(self, handler: Handler) -> None:
        self.server = _shared_server()
        super().__init__(self.server.path)
        self.handler = handler
        self.after_send: dict[str, BaseException] = {}  # tag -> the failure once the request is written

    async def connect(self, req: aiohttp.ClientRequest, traces: Any, timeout: aiohttp.ClientTimeout
                      ) -> aiohttp.client.Connection:
        content = await _body(req)
        request = httpx.Request(req.method, str(req.url), headers=list(req.headers.items()), content=content,
                                extensions={"timeout": {"connect": timeout.sock_connect,
                                                        "read": timeout.sock_read, "pool": timeout.connect,
                                                        "total": timeout.total}})
        failure: BaseException | None = None
        try:
            answer = self.handler(request)
            response = await answer if inspect.isawaitable(answer) else answer
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            raise aiohttp_failure(exc, req) from None  # nothing is sent
        except httpx.TransportError as exc:
            response, failure = httpx.Response(200), aiohttp_failure(exc, req)
        response.read()
        req.headers[_TAG] = tag = self.server.register(response)
        if failure is not None:
            self.after_send[tag] = failure
        return await super().connect(req, traces, timeout)

    async def middleware(self, req: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
                         ) -> aiohttp.ClientResponse:
        """Raises, once the request is written, the failure the handler asked for (a read timeout, a
        reset): there aiohttp's own conversions and its resend of idempotent requests apply."""
        response = await handler(req)
        failure = self.after_send.pop(req.headers.get(_TAG, ""), None)
        if failure is not None:
            response.close()
            raise failure
        return response


async def _body(req: aiohttp.ClientRequest) -> bytes:
    """The request's body as bytes (``Payload.as_bytes`` came with aiohttp 3.12.x; the floor, 3.12.0, keeps
    a bytes payload's value in ``_value``)."""
    body = req.body
    if hasattr(body, "as_bytes"):
        return bytes(await body.as_bytes())
    value = getattr(body, "_value", body)
    return bytes(value or b"")


def aiohttp_failure(exc: httpx.TransportError, req: aiohttp.ClientRequest) -> BaseException:
    """The exception aiohttp raises for the network failure ``exc`` stands for (raised from ``connect``,
    where aiohttp turns a ``TimeoutError`` into its ``ConnectionTimeoutError``)."""
    if isinstance(exc, httpx.UnsupportedProtocol):
        return aiohttp.NonHttpUrlClientError(req.url)
    if isinstance(exc, httpx.ConnectTimeout):
        return TimeoutError()
    if isinstance(exc, httpx.ConnectError):
        refused = ConnectionRefusedError(111, "Connection refused")
        return aiohttp.ClientConnectorError(req.connection_key, refused)
    if isinstance(exc, httpx.TimeoutException):
        return aiohttp.SocketTimeoutError("Timeout on reading data from socket")
    return aiohttp.ClientOSError(104, "Connection reset by peer")


def mock_session(handler: Handler) -> Callable[[], aiohttp.ClientSession]:
    """What ``AsyncSinchClient(http=...)`` takes: a maker of a session answered by ``handler`` (made in the
    running loop on first use, as aiohttp requires, and closed by the client), with the middleware the
    client's own session has."""

    def make() -> aiohttp.ClientSession:
        connector = MockConnector(handler)
        middlewares = (note_lost_answers, connector.middleware)
        return aiohttp.ClientSession(connector=connector, middlewares=middlewares, trust_env=False,
                                     cookie_jar=aiohttp.DummyCookieJar())

    return make
