"""Asynchronous Sinch SMS client over ``httpx.AsyncClient`` (used by triggers and ``async_notify``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying

from airflow_provider_sinch.client.config import DEFAULT_MAX_IN_FLIGHT, SinchConfig
from airflow_provider_sinch.client.endpoints import Pages
from airflow_provider_sinch.client.errors import SinchAuthenticationError, SinchConfigurationError
from airflow_provider_sinch.client.in_flight import AdaptiveInFlight
from airflow_provider_sinch.client.lean_http import lean_gets_for
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

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "AsyncSinchClient"]  # the default ceiling lives in the configuration

_Known = tuple["Operation[Any]", str, tuple[tuple[str, str], ...], str | None]
"""What a client remembers of a body-less request: operation, path, query items, path as errors show it."""

PREPARED_CACHE_SIZE = 16384
"""Body-less requests (reads) whose validated path and query one client remembers: a triggerer's waits ask
the same reads every poll, and validating them again is about 20 us each (oldest forgotten first)."""

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Requests httpx refuses to make: a configuration problem, not a network one (never retried).
_UNUSABLE = (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError)


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

    :param config: where and how to connect.
    :param http: an existing ``httpx.AsyncClient`` to share (its pool is reused; the client does not close
        it then).  Otherwise one is created with the config's timeouts and a pool of ``max_in_flight``.
    :param max_in_flight: the ceiling of requests on the wire at once (default: the configuration's
        ``max_in_flight``, 100 unless the connection says otherwise); also the size of the client's pool.
    :param lean_reads: make GETs on the client's own keep-alive connections instead of through httpx
        (:mod:`~airflow_provider_sinch.client.lean_http`, about a tenth of the CPU a request; what a
        triggerer's many polls use).  Ignored with ``http`` given or a proxy set in the environment.
    :param renew: asked for the connection again when Sinch refuses the credentials; a request is sent once
        more with new ones (:mod:`~airflow_provider_sinch.client.renewal`).  ``None``: a refusal is final.
    """

    def __init__(self, config: SinchConfig, http: httpx.AsyncClient | None = None, *,
                 max_in_flight: int | None = None, lean_reads: bool = False,
                 renew: AsyncRenew | None = None) -> None:
        if max_in_flight is None:
            max_in_flight = config.max_in_flight
        if not is_whole(max_in_flight) or max_in_flight < 1:
            raise SinchConfigurationError(
                [("max_in_flight", f"must be a whole number from 1, got {shown_number(max_in_flight)}")])
        self.config = config
        self._renew = renew
        self._own_http = http is None
        connect, read = config.timeouts
        self.http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(read, connect=connect),
            limits=httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight),
        )
        self._in_flight = AdaptiveInFlight(max_in_flight)
        self.max_in_flight = max_in_flight
        self._lean = lean_gets_for(config.api_root, connect_timeout=connect, read_timeout=read,
                                   max_idle=max_in_flight) if lean_reads and http is None else None
        self._lean_beside = self.http  # a caller who swaps ``http`` wants every request through it
        self._headers = base_headers(config.user_agent)
        self._prepared: dict[tuple[Any, ...], _Known] = {}
        self._auth_headers: tuple[str, dict[str, str]] = ("", self._headers)  # (token, headers with it)

    def __repr__(self) -> str:
        return f"AsyncSinchClient(api_root={self.config.api_root!r})"

    async def __aenter__(self) -> AsyncSinchClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._lean is not None:
            await self._lean.aclose()
        if self._own_http:
            await self.http.aclose()

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
        # Most requests succeed at once: the retry machinery (a third of a lean poll's CPU) is only built
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
        connect, read = self.config.timeouts
        try:
            async with self._in_flight:
                if self._lean is not None and prepared.method == "GET" and self.http is self._lean_beside:
                    status, headers, content = await self._lean.get(
                        prepared.path, prepared.params, await self._request_headers())
                    return handle_response(prepared, status, headers, content, self.config.auth)
                response = await self.http.request(
                    prepared.method,
                    self.config.api_root + prepared.path,
                    params=prepared.params or None,
                    json=prepared.json,
                    headers=dict(await self._request_headers()),
                    timeout=httpx.Timeout(read, connect=connect),
                )
                # inside the limit: a 429 or 5xx raised here is how the limit learns of it
                return handle_response(prepared, response.status_code, response.headers, response.content,
                                       self.config.auth)
        except _UNUSABLE as exc:
            raise configuration_failure(prepared, exc, header=isinstance(exc, httpx.LocalProtocolError)) \
                from None
        except httpx.HTTPError as exc:
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
        connect, read = self.config.timeouts
        try:
            response = await self.http.post(
                req.url, data=req.form, auth=req.basic_auth, headers=token_headers(self.config.user_agent),
                timeout=httpx.Timeout(read, connect=connect),
            )
        except httpx.HTTPError as exc:
            raise req.unreachable(exc) from None
        return req.accept(response.status_code, response.content)

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
