"""The FastAPI app: the 20 Sinch SMS operations at their real paths, OAuth2 tokens and the control routes.

The operations are one table (method, path, service call, success status); every row is served the same
way: POST and PUT read a JSON body, the service call gets the body, the query and the path ids, and its
result becomes a JSON answer (or an empty one when it returns ``None``).  Authentication, faults and
recording happen in :mod:`.middleware`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp

from airflow_provider_sinch.testing.sandbox.auth import OAuthError
from airflow_provider_sinch.testing.sandbox.control import control_router
from airflow_provider_sinch.testing.sandbox.errors import ApiError
from airflow_provider_sinch.testing.sandbox.middleware import SandboxMiddleware
from airflow_provider_sinch.testing.sandbox.parsing import Query, parse_json_body
from airflow_provider_sinch.testing.sandbox.responses import empty_response, json_response

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from airflow_provider_sinch.testing.sandbox.core import Sandbox

API = "/xms/v1/{path_id}"
B = API + "/batches"
BATCH = B + "/{batch_id}"
G = API + "/groups"
GROUP = G + "/{group_id}"


@dataclass(frozen=True)
class Call:
    """What an operation gets from its request.

    :param body: the JSON body (``None`` for GET and DELETE).
    :param query: the query parameters.
    :param ids: the path parameters (``batch_id``, ``group_id`` ...).
    """

    body: Any
    query: Query
    ids: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


Route = tuple[str, str, Callable[[Call], Any], int]


def operations(sandbox: Sandbox) -> list[Route]:
    """The Sinch SMS API: ``(method, path, call, success status)`` for each of its 20 operations."""
    batches, groups = sandbox.batch_service, sandbox.group_service
    reports, inbound = sandbox.report_service, sandbox.inbound
    return [
        ("POST", B + "/dry_run", lambda c: batches.dry_run(c.body, c.query), 200),  # before BATCH
        ("POST", B, lambda c: batches.send(c.body), 201),
        ("GET", B, lambda c: batches.find(c.query), 200),
        ("GET", BATCH, lambda c: batches.get(c["batch_id"]), 200),
        ("POST", BATCH, lambda c: batches.update(c["batch_id"], c.body), 200),
        ("PUT", BATCH, lambda c: batches.replace(c["batch_id"], c.body), 200),
        ("DELETE", BATCH, lambda c: batches.cancel(c["batch_id"]), 200),
        ("POST", BATCH + "/delivery_feedback", lambda c: batches.feedback(c["batch_id"], c.body), 202),
        ("GET", BATCH + "/delivery_report", lambda c: reports.batch(c["batch_id"], c.query), 200),
        ("GET", BATCH + "/delivery_report/{msisdn}", lambda c: reports.recipient(c["batch_id"], c["msisdn"]),
         200),
        ("GET", API + "/delivery_reports", lambda c: reports.find(c.query), 200),
        ("POST", G, lambda c: groups.create(c.body), 201),
        ("GET", G, lambda c: groups.find(c.query), 200),
        ("GET", GROUP, lambda c: groups.get(c["group_id"]), 200),
        ("POST", GROUP, lambda c: groups.update(c["group_id"], c.body), 200),
        ("PUT", GROUP, lambda c: groups.replace(c["group_id"], c.body), 200),
        ("DELETE", GROUP, lambda c: groups.delete(c["group_id"]), 200),
        ("GET", GROUP + "/members", lambda c: groups.members(c["group_id"]), 200),
        ("GET", API + "/inbounds", lambda c: inbound.find(c.query), 200),
        ("GET", API + "/inbounds/{inbound_id}", lambda c: inbound.get(c["inbound_id"]), 200),
    ]


def _endpoint(call: Callable[[Call], Any], status: int, with_body: bool) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        body = None
        if with_body:
            body = parse_json_body(request.headers.get("content-type"), await request.body())
        result = call(Call(body, Query(request.query_params), dict(request.path_params)))
        return empty_response(status) if result is None else json_response(result, status)

    return endpoint


def create_app(sandbox: Sandbox) -> ASGIApp:
    """The ASGI app serving ``sandbox`` (whose threads start and stop with the app's lifespan)."""

    def lifespan(_: FastAPI) -> AbstractAsyncContextManager[None]:
        return sandbox.running()

    app = FastAPI(title="Sinch SMS sandbox", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.add_exception_handler(ApiError, lambda _, exc: exc.response())  # type: ignore[arg-type,return-value]
    app.add_exception_handler(OAuthError, lambda _, exc: exc.response())  # type: ignore[arg-type,return-value]
    app.add_exception_handler(HTTPException,  # unknown path or method: empty, like Sinch
                              lambda _, exc: empty_response(exc.status_code))  # type: ignore[arg-type,attr-defined]
    for method, path, call, status in operations(sandbox):
        app.add_api_route(path, _endpoint(call, status, method in ("POST", "PUT")), methods=[method])

    @app.post("/oauth2/token")
    async def oauth2_token(request: Request) -> Response:
        token = sandbox.authenticator.issue(request.headers.get("authorization"), await request.body())
        return json_response(token, headers={"Cache-Control": "no-store"})

    app.include_router(control_router(sandbox))
    # Outermost, not app.add_middleware: dropping a connection needs the server's own send callable.
    return SandboxMiddleware(
        app, faults=sandbox.fault_plan, authenticator=sandbox.authenticator, settle=sandbox.settle,
        log=sandbox.request_log, recording=lambda: sandbox.settings.record_requests, clock=sandbox.clock,
        throttle=sandbox.throttle,
    )
