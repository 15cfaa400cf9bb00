"""Asynchronous Sinch SMS client over an ``aiohttp.ClientSession`` (used by triggers and ``async_notify``)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
import yarl
from tenacity import AsyncRetrying

from airflow_provider_sinch.client.config import DEFAULT_MAX_IN_FLIGHT, SinchConfig
from airflow_provider_sinch.client.endpoints import Pages
from airflow_provider_sinch.client.environment import proxy_for, ssl_context
from airflow_provider_sinch.client.errors import SinchAuthenticationError, SinchConfigurationError
from airflow_provider_sinch.client.in_flight import AdaptiveInFlight
from airflow_provider_sinch.client.operations import (
    LIST_BATCHES,
    LIST_DELIVERY_REPORTS,
    LIST_GROUPS,
    LIST_INBOUNDS,
    ListOperation,
    Operation,
    PreparedRequest,
    SinchOperations,
)
from airflow_provider_sinch.client.pagination import PageCursor
from airflow_provider_sinch.client.renewal import AsyncRenew, adopt
from airflow_provider_sinch.client.retry import is_whole, shown_number
from airflow_provider_sinch.client.transport import (
    base_headers,
    configuration_failure,
    handle_response,
    token_headers,
    transport_failure,
)

T = TypeVar("T")
ItemT = TypeVar("ItemT")

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "AsyncSinchClient", "note_lost_answers", "proxy_settings",
           "request_timeout"]

_Known = tuple["Operation[Any]", str, tuple[tuple[str, str], ...], str | None]
"""What a client remembers of a body-less request: operation, path, query items, path as errors show it."""

PREPARED_CACHE_SIZE = 16384
"""Body-less requests (reads) whose validated path and query one client remembers: a triggerer's waits ask
the same reads every poll, and validating them again is about 20 us each (oldest forgotten first)."""

# Failures before a byte reached Sinch: no connection (refused, DNS, TLS handshake, the proxy unreachable),
# none within the connect timeout, or a proxy that refused to tunnel.
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.ClientHttpProxyError)
# Requests aiohttp refuses to make: a configuration problem, not a network one (never retried).
_UNUSABLE = (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)
# Everything else that ends an exchange without an answer: reset, timeout, a malformed or cut answer.
_FAILED = (aiohttp.ClientError, OSError, TimeoutError)

_SENDING: contextvars.ContextVar[PreparedRequest | None] = contextvars.ContextVar("sending", default=None)
"""The API request the running task is sending (what :func:`note_lost_answers` marks)."""


async def note_lost_answers(req: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
                            ) -> aiohttp.ClientResponse:
    """Session middleware: remember that an API request may have reached Sinch when aiohttp resends it.

    aiohttp sends an idempotent request (GET, PUT, DELETE) once more by itself when its connection breaks
    after writing it (RFC 9112 allows it).  The resend's answer is then the only one the client sees, so a
    404 to a group ``DELETE`` whose first write was applied would read as "no such group".  The middleware
    runs for each of aiohttp's sends and marks the request's attempts as it marks a lost answer of its own
    (:func:`~airflow_provider_sinch.client.transport.transport_failure`).

    :param req: the request aiohttp is about to send.
    :param handler: the rest of aiohttp's chain (connect, write, read the head).
    """
    try:
        return await handler(req)
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
        prepared = _SENDING.get()
        if prepared is not None and not isinstance(exc, _NOT_SENT):
            prepared.attempts.may_have_applied = True
        raise


class AsyncSinchClient(SinchOperations):
    """Non-blocking client for the Sinch SMS API: the same methods as
    :class:`~airflow_provider_sinch.client.SinchClient`, each returning an awaitable, and ``aiter_*``
    async iterators for pagination.

    One client is meant to be shared by every coroutine that talks to the same Sinch account (the hook
    keeps one per connection in a triggerer), so it bounds its own concurrency: at most ``max_in_flight``
    requests are on the wire at once and the others wait their turn.  Below that ceiling the limit adapts
    (:mod:`~airflow_provider_sinch.client.in_flight`): it starts at 10, grows while requests queue for it
    and answers are clean (latency, not Sinch, bounds a round then), and halves on a 429, a 5xx or a
    timeout (Sinch answers too many outstanding requests with 429).  Retry back-offs wait outside the limit.

    HTTP is ``aiohttp``'s (its C parser: about a sixth of the CPU per request of the httpx client this
    replaced, ``bench/bench_async_http.py``).  The client's own session, made on first use in the running
    event loop, has:

    * a pool of at most ``max_in_flight`` connections (the ceiling: never more connections than requests in
      flight);
    * the config's ``(connect, read)`` timeouts on every request;
    * the proxy (``HTTPS_PROXY``, ``NO_PROXY``...) and certificate authorities the environment names, read
      once per origin (:mod:`~airflow_provider_sinch.client.environment`), and ``trust_env`` off, so
      ``~/.netrc`` never replaces the bearer token;
    * no cookies and no redirects followed (a redirect is an answer like any other).

    :param config: where and how to connect.
    :param http: an existing ``aiohttp.ClientSession`` to share (its pool and settings are used as they
        are; the client does not close it then), or a callable that makes the session on first use (aiohttp
        makes sessions only in a running loop; the client closes it).  Otherwise the client makes its own,
        as above.
    :param max_in_flight: the ceiling of requests on the wire at once (default: the configuration's
        ``max_in_flight``, 100 unless the connection says otherwise); also the size of the client's pool.
    :param renew: asked for the connection again when Sinch refuses the credentials; a request is sent once
        more with new ones (:mod:`~airflow_provider_sinch.client.renewal`).  ``None``: a refusal is final.
    """

    def __init__(self, config: SinchConfig,
                 http: aiohttp.ClientSession | Callable[[], aiohttp.ClientSession] | None = None, *,
                 max_in_flight: int | None = None, renew: AsyncRenew | None = None) -> None:
        if max_in_flight is None:
            max_in_flight = config.max_in_flight
        if not is_whole(max_in_flight) or max_in_flight < 1:
            raise SinchConfigurationError(
                [("max_in_flight", f"must be a whole number from 1, got {shown_number(max_in_flight)}")])
        self.config = config
        self._renew = renew
        self._own_http = not isinstance(http, aiohttp.ClientSession)
        self._http = http if isinstance(http, aiohttp.ClientSession) else None
        self._make_http = http if callable(http) and self._http is None else self._own_session
        self._reads_environment = http is None
        self.closed = False
        """Whether :meth:`aclose` was called."""
        self._retiring: set[asyncio.Task[None]] = set()  # sessions closing once their requests are done
        self._in_flight = AdaptiveInFlight(max_in_flight)
        self.max_in_flight = max_in_flight
        self._headers = base_headers(config.user_agent)
        self._prepared: dict[tuple[Any, ...], _Known] = {}
        self._auth_headers: tuple[str, dict[str, str]] = ("", self._headers)  # (token, headers with it)
        self._timeout = (config.timeouts, request_timeout(config.timeouts))
        self._proxies: dict[str, dict[str, Any]] = {}  # API root or token URL -> proxy settings ({}: direct)

    def __repr__(self) -> str:
        return f"AsyncSinchClient(api_root={self.config.api_root!r})"

    async def __aenter__(self) -> AsyncSinchClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def http(self) -> aiohttp.ClientSession:
        """The session requests go through (the client's own is made on first use, in the running loop)."""
        if self._http is None:
            self._http = self._make_http()
        return self._http

    def _own_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self.max_in_flight, ssl=ssl_context())
        return aiohttp.ClientSession(connector=connector, middlewares=(note_lost_answers,), trust_env=False,
                                     cookie_jar=aiohttp.DummyCookieJar())

    async def aclose(self) -> None:
        """Close the client's own session (a shared one stays open); a client that never sent made none."""
        self.closed = True
        retiring = list(self._retiring)
        for task in retiring:
            task.cancel()  # its session closes now
        await asyncio.gather(*retiring, return_exceptions=True)
        if self._own_http and self._http is not None:
            await self._http.close()

    def _retire_session(self) -> None:
        """Send the next requests through a new session of the client's own, and close the current one once
        the requests already on it have had their timeouts to finish.

        aiohttp puts a connection back into its pool as soon as the answer's last byte is parsed, before
        the client sees the headers, and has no public way to take one connection out again: a new pool is
        how a connection whose framing is in doubt is never reused.  A caller's session is kept (its owner
        decides)."""
        old = self._http
        if not self._own_http or old is None:
            return
        self._http = None
        connect, read = self.config.timeouts

        async def close_later() -> None:
            try:
                await asyncio.sleep(connect + read)
            finally:
                await old.close()

        task = asyncio.get_running_loop().create_task(close_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    def _request_settings(self, root: str) -> dict[str, Any]:
        """What every request below ``root`` (the API root, or the token URL) is given: its timeouts, the
        environment's proxy for that origin (read once, see :mod:`~airflow_provider_sinch.client.environment`)
        and no redirects."""
        timeouts = self.config.timeouts
        if timeouts != self._timeout[0]:  # a renewed configuration may bring other timeouts
            self._timeout = (timeouts, request_timeout(timeouts))
        settings: dict[str, Any] = {"timeout": self._timeout[1], "allow_redirects": False}
        if self._reads_environment:  # any other session keeps its own proxy behaviour
            if root not in self._proxies:
                self._proxies[root] = proxy_settings(proxy_for(root))
            settings.update(self._proxies[root])
        return settings

    def _prepare(self, operation: Operation[T], kwargs: dict[str, Any]) -> PreparedRequest:
        """``operation.prepare(kwargs)``; for a request without a body (it does not depend on the default
        sender) its path and query are remembered per operation and arguments, and a fresh request (its own
        attempts) is built from them each time."""
        if operation.body is not None:
            return operation.prepare(kwargs, self.config.default_from)
        key: tuple[Any, ...] = (operation.name,)
        for name, value in kwargs.items():  # by type too: 1, 1.0 and True are equal, not alike to validate
            key += (name, type(value), value)
            if isinstance(value, datetime):  # equal in one zone on either side of a DST change (fold), and
                key += (value.utcoffset(),)  # across zones, yet written with another offset by prepare()
        try:
            known = self._prepared.get(key)
        except TypeError:  # an unhashable argument: not remembered
            return operation.prepare(kwargs, self.config.default_from)
        if known is None or known[0] is not operation:
            prepared = operation.prepare(kwargs, self.config.default_from)  # raises for bad input: not kept
            if len(self._prepared) >= PREPARED_CACHE_SIZE:
                del self._prepared[next(iter(self._prepared))]
            self._prepared[key] = (operation, prepared.path, tuple(prepared.params.items()),
                                   prepared.shown_path)
            return prepared
        return PreparedRequest(operation, known[1], dict(known[2]), None, None, known[3])

    async def _execute(self, operation: Operation[T], kwargs: dict[str, Any]) -> T:
        """:meth:`_attempts`, made once more with the connection's new credentials when Sinch refused the
        ones in use and the connection has others (:mod:`~airflow_provider_sinch.client.renewal`)."""
        used = self.config
        try:
            return await self._attempts(operation, kwargs)
        except SinchAuthenticationError as refusal:
            self.config = adopt(refusal, used, self._renew and await self._renew(used))
        return await self._attempts(operation, kwargs)

    async def _attempts(self, operation: Operation[T], kwargs: dict[str, Any]) -> T:
        """Validate, send, and retry by the policy (a 429, 5xx or connection error; see
        :mod:`~airflow_provider_sinch.client.retry`)."""
        prepared = self._prepare(operation, kwargs)
        # Most requests succeed at once: the retry machinery (a third of a poll's CPU) is only built
        # after a failure, and then sees that failure as its first attempt, so the policy is applied exactly
        # as if it had made every attempt.
        failed: list[Exception] = []
        try:
            first: T = await self._send_once(prepared)
            return first
        except Exception as exc:
            failed.append(exc)

        async def attempt(request: PreparedRequest) -> Any:
            if failed:
                raise failed.pop()
            return await self._send_once(request)

        retrying = AsyncRetrying(**self.config.retry.tenacity_kwargs(operation.safe_to_retry))
        result: T = await retrying(attempt, prepared)
        return result

    async def _send_once(self, prepared: PreparedRequest) -> Any:
        url = self.config.api_root + prepared.path
        try:
            async with self._in_flight:
                headers = await self._request_headers()
                sending = _SENDING.set(prepared)
                try:
                    async with self.http.request(prepared.method, url, params=prepared.params or None,
                                                 json=prepared.json, headers=headers,
                                                 **self._request_settings(self.config.api_root)) as response:
                        if _loosely_framed(response.raw_headers):
                            response.close()
                            self._retire_session()
                            raise aiohttp.ClientResponseError(
                                response.request_info, (), status=response.status,
                                message="whitespace between a header name and its colon")
                        content = await response.read()
                finally:
                    _SENDING.reset(sending)
                # inside the limit: a 429 or 5xx raised here is how the limit learns of it
                return handle_response(prepared, response.status, response.headers, content, self.config.auth)
        except _UNUSABLE as exc:
            raise configuration_failure(prepared, exc, header=False) from None
        except _FAILED as exc:
            raise transport_failure(prepared, exc, sent=not isinstance(exc, _NOT_SENT)) from None

    async def _request_headers(self) -> dict[str, str]:
        """The headers of an API request, ``Authorization`` included (built again only when the token
        changes; do not modify the dictionary)."""
        token = await self._bearer()
        known, headers = self._auth_headers
        if token != known or not token:
            headers = {**self._headers, "Authorization": f"Bearer {token}"}
            self._auth_headers = (token, headers)
        return headers

    async def _bearer(self) -> str:
        req = self.config.auth.bearer_or_request()
        if isinstance(req, str):
            return req
        try:
            async with self.http.post(
                req.url, data=req.form, auth=aiohttp.BasicAuth(*req.basic_auth),
                headers=token_headers(self.config.user_agent), **self._request_settings(req.url),
            ) as response:
                content = await response.read()
        except _FAILED as exc:
            raise req.unreachable(exc) from None
        return req.accept(response.status, content)

    async def _paginate(self, operation: ListOperation[Any, ItemT], filters: dict[str, Any]
                        ) -> AsyncIterator[ItemT]:
        cursor = PageCursor(filters)
        while not cursor.done:
            page = await self._execute(operation, cursor.request())
            for item in cursor.advance(page, operation.items or ""):
                yield item

    aiter_batches = Pages(LIST_BATCHES)
    aiter_delivery_reports = Pages(LIST_DELIVERY_REPORTS)
    aiter_groups = Pages(LIST_GROUPS)
    aiter_inbounds = Pages(LIST_INBOUNDS)


def _loosely_framed(raw_headers: tuple[tuple[bytes, bytes], ...]) -> bool:
    """Whether an answer has a header name with whitespace before its colon (``Content-Length : 2``).

    RFC 9112 (5.1) forbids it and leaves a client free to accept it; aiohttp frames the body by such a
    ``Content-Length`` yet files the header under another name, and would pool the connection, while
    another reader of the same bytes may frame them differently: the raw material of response smuggling.
    The client refuses the answer (as httpx did) and moves to a new pool (:meth:`AsyncSinchClient.
    _retire_session`), so the connection is never reused (``tests/client/test_malformed_answers.py``).
    """
    return any(name[-1:] in (b" ", b"\t") for name, _ in raw_headers)


def proxy_settings(proxy: str | None) -> dict[str, Any]:
    """aiohttp's request settings for ``proxy`` (``None``: none): its credentials, if the URL carries any, go
    in ``proxy_auth`` and the URL without them in ``proxy``, because aiohttp puts the proxy URL into its
    errors' text (a refused tunnel), which the client's errors and logs show."""
    if proxy is None:
        return {}
    url = yarl.URL(proxy)
    if url.user is None:
        return {"proxy": proxy}
    return {"proxy": str(url.with_user(None)), "proxy_auth": aiohttp.BasicAuth(url.user, url.password or "")}


def request_timeout(timeouts: tuple[float, float]) -> aiohttp.ClientTimeout:
    """aiohttp's timeout for the config's ``(connect, read)`` seconds: ``connect`` to open a connection (TLS
    handshake and proxy included) and, again, to get one from the pool; ``read`` for each wait on the
    answer's bytes, as ``requests`` applies them.  No limit on the whole exchange (neither client has one);
    aiohttp has no write timeout, and a request of a few kB is written into the socket's buffer at once."""
    connect, read = timeouts
    return aiohttp.ClientTimeout(total=None, connect=connect, sock_connect=connect, sock_read=read)
