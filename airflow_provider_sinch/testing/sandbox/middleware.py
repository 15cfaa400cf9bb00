"""The ASGI layer in front of the API routes: faults, authentication, clock catch-up and recording.

For every ``/xms/v1/{id}/...`` request, in this order: the active faults are drawn (latency is waited
out; a rate limit or server error answers at once, before anything is handled); the bearer token is
checked (401); the plan's request limit is applied (429 over ``requests_per_second``: see :mod:`.throttle`,
recorded as the fault ``request_limit``); due lifecycle jobs are run so the request sees the present; the
route handles the request; for a ``drop`` fault its answer is then withheld (connection closed, or sent after
the client gave up).
Everything is written to the request log.  Other paths (``/oauth2/token``, ``/_sandbox/...``) pass through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from airflow_provider_sinch.testing.sandbox.auth import Authenticator
from airflow_provider_sinch.testing.sandbox.clock import SandboxClock
from airflow_provider_sinch.testing.sandbox.errors import ApiError
from airflow_provider_sinch.testing.sandbox.faults import Fault, FaultPlan
from airflow_provider_sinch.testing.sandbox.recording import RequestLog, SeenRequest
from airflow_provider_sinch.testing.sandbox.throttle import RequestThrottle, too_many_requests

_API_PREFIX = "/xms/v1/"
log = logging.getLogger(__name__)


class _Exchange:
    """Watches one request/response pair; ``forward=False`` holds the answer back instead of sending it."""

    def __init__(self, receive: Receive, send: Send, forward: bool) -> None:
        self._receive, self._send, self.forward = receive, send, forward
        self.request_body = bytearray()
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.response_body = bytearray()
        self.held: list[Message] = []
        self.limited = False  # answered 429 by the plan's request limit

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.request_body += message.get("body", b"")
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            self.response_body += message.get("body", b"")
        if self.forward:
            await self._send(message)
        else:
            self.held.append(message)

    async def release(self) -> None:
        for message in self.held:
            await self._send(message)


class SandboxMiddleware:
    """Wraps the API app (see the module docstring).

    :param app: the routes.
    :param faults: the active faults.
    :param authenticator: checks bearer tokens.
    :param settle: runs the lifecycle jobs that are due.
    :param log: the request log.
    :param recording: returns whether requests are recorded.
    :param clock: the sandbox clock (timestamps of recorded requests).
    :param throttle: the plan's request limit.
    """

    def __init__(self, app: ASGIApp, *, faults: FaultPlan, authenticator: Authenticator,
                 settle: Callable[[], Any], log: RequestLog, recording: Callable[[], bool],
                 clock: SandboxClock, throttle: RequestThrottle) -> None:
        self.app = app
        self.faults = faults
        self.authenticator = authenticator
        self.settle = settle
        self.log = log
        self.recording = recording
        self.clock = clock
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(_API_PREFIX):
            await self.app(scope, receive, send)
            return
        path_id, _, below = path[len(_API_PREFIX):].partition("/")
        method = scope["method"]
        hit = self.faults.pick(method, "/" + below)
        fault = hit.fault if hit else None
        at = self.clock.time()
        exchange = _Exchange(receive, send, forward=fault is None or fault.kind != "drop")
        if hit and hit.delay:
            await self.clock.sleep(hit.delay)
        try:
            await self._handle(scope, exchange, path_id, fault)
            if fault is not None and fault.kind == "drop":
                await self._drop(fault, exchange, send)
        finally:
            if self.recording():
                reset = fault is not None and fault.kind == "drop" and fault.mode == "reset"
                kind = fault.kind if fault is not None else (
                    "request_limit" if exchange.limited else "latency" if hit else None)
                query = scope.get("query_string", b"").decode("latin-1")
                self.log.add(SeenRequest(
                    method, path, query, bytes(exchange.request_body), None if reset else exchange.status,
                    bytes(exchange.response_body), exchange.headers, kind, at,
                ))

    async def _handle(self, scope: Scope, exchange: _Exchange, path_id: str, fault: Fault | None) -> None:
        error = _injected_error(fault)
        if error is None:
            authorization = _header(scope, b"authorization")
            try:
                self.authenticator.check(path_id, authorization)
            except ApiError as exc:
                error = exc
            else:
                if not self.throttle.admit():
                    error, exchange.limited = too_many_requests(), True
        if error is not None:
            await error.response()(scope, exchange.receive, exchange.send)
            return
        self.settle()
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:  # a sandbox bug: answer 500 (once) and keep the connection usable
            log.exception("the Sinch sandbox failed on %s %s", scope["method"], scope["path"])
            if exchange.status is None:
                await ApiError(500, "internal_error", "The sandbox failed").response()(
                    scope, exchange.receive, exchange.send)

    async def _drop(self, fault: Fault, exchange: _Exchange, send: Send) -> None:
        """Withhold the answer: close the connection (``reset``) or send it too late (``hang``)."""
        if fault.mode == "hang":
            await self.clock.sleep(fault.seconds)
            await exchange.release()
            return
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None:  # not served by uvicorn: fail the request in the server instead
            raise ConnectionResetError("sandbox: connection dropped after the request was handled")
        transport.abort()
        await exchange.release()  # written to a closed transport: discarded; the server sees a full answer


def _injected_error(fault: Fault | None) -> ApiError | None:
    if fault is None:
        return None
    if fault.kind == "rate_limit":
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
        return ApiError(429, "too_many_requests", "Too many outstanding requests", headers)
    if fault.kind == "server_error":
        return ApiError(fault.status, "internal_error", "The sandbox was told to fail this request")
    if fault.kind == "refuse":
        return ApiError(fault.status, "syntax_invalid_parameter_format",
                        "The sandbox was told to refuse this request")
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
