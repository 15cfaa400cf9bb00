"""The "before" of the async client's benchmarks: ``AsyncSinchClient`` on ``httpx.AsyncClient``, set up as
``client/async_client.py`` set it up before the move to aiohttp (a pool of ``max_in_flight`` connections, the
config's timeouts on every request; issue 19).

The lean GET path (``client/lean_http.py``, 0.28 CPU-s per round of 1,000 waits) was deleted with the move
and cannot be run again; its figures stay in the issue.  httpx is what every request went through when a
proxy was set or ``[sinch] triggerer_lean_reads`` was off, and what every non-GET request used.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from airflow_provider_sinch.client import AsyncSinchClient, SinchConfig
from airflow_provider_sinch.client.operations import PreparedRequest
from airflow_provider_sinch.client.transport import handle_response, transport_failure


class HttpxAsyncSinchClient(AsyncSinchClient):
    """``AsyncSinchClient`` whose requests go through ``httpx.AsyncClient`` as before (benchmarks only).

    :param config: where and how to connect.
    :param max_in_flight: requests on the wire at once, and the pool's size.
    :param kwargs: the rest of :class:`AsyncSinchClient`'s keywords (``renew``).
    """

    def __init__(self, config: SinchConfig, http: Any = None, *, max_in_flight: int = 10,
                 **kwargs: Any) -> None:
        super().__init__(config, max_in_flight=max_in_flight, **kwargs)
        self._before_limit = asyncio.Semaphore(max_in_flight)  # the old client's own cap, as it was
        connect, read = config.timeouts
        self.httpx = httpx.AsyncClient(
            timeout=httpx.Timeout(read, connect=connect),
            limits=httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight))

    async def aclose(self) -> None:
        await self.httpx.aclose()
        await super().aclose()

    async def _send_once(self, prepared: PreparedRequest) -> Any:
        connect, read = self.config.timeouts
        try:
            async with self._before_limit:
                response = await self.httpx.request(
                    prepared.method, self.config.api_root + prepared.path, params=prepared.params or None,
                    json=prepared.json, headers=dict(await self._request_headers()),
                    timeout=httpx.Timeout(read, connect=connect))
        except httpx.HTTPError as exc:
            raise transport_failure(prepared, exc, sent=not isinstance(exc, httpx.ConnectError)) from None
        return handle_response(prepared, response.status_code, response.headers, response.content,
                               self.config.auth)
