"""The FastAPI app: the 20 Sinch SMS operations at their real paths, OAuth2 tokens and the control routes.

Routes only translate HTTP to the services (:mod:`.batches`, :mod:`.groups`, :mod:`.reports`,
:mod:`.inbound`); authentication, faults and recording happen in :mod:`.middleware`.
"""

from __future__ import annotations

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
G = API + "/groups"


async def _body(request: Request) -> Any:
    return parse_json_body(request.headers.get("content-type"), await request.body())


def _query(request: Request) -> Query:
    return Query(request.query_params)


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
    batches, groups = sandbox.batch_service, sandbox.group_service
    reports, inbound = sandbox.report_service, sandbox.inbound

    # Batches (dry_run first: it is not a batch id)
    @app.post(B + "/dry_run")
    async def dry_run(request: Request) -> Response:
        return json_response(batches.dry_run(await _body(request), _query(request)))

    @app.post(B)
    async def send_batch(request: Request) -> Response:
        return json_response(batches.send(await _body(request)), 201)

    @app.get(B)
    async def list_batches(request: Request) -> Response:
        return json_response(batches.find(_query(request)))

    @app.get(B + "/{batch_id}")
    async def get_batch(batch_id: str) -> Response:
        return json_response(batches.get(batch_id))

    @app.post(B + "/{batch_id}")
    async def update_batch(batch_id: str, request: Request) -> Response:
        return json_response(batches.update(batch_id, await _body(request)))

    @app.put(B + "/{batch_id}")
    async def replace_batch(batch_id: str, request: Request) -> Response:
        return json_response(batches.replace(batch_id, await _body(request)))

    @app.delete(B + "/{batch_id}")
    async def cancel_batch(batch_id: str) -> Response:
        return json_response(batches.cancel(batch_id))

    @app.post(B + "/{batch_id}/delivery_feedback")
    async def delivery_feedback(batch_id: str, request: Request) -> Response:
        batches.feedback(batch_id, await _body(request))
        return empty_response(202)

    # Delivery reports
    @app.get(B + "/{batch_id}/delivery_report")
    async def delivery_report(batch_id: str, request: Request) -> Response:
        return json_response(reports.batch(batch_id, _query(request)))

    @app.get(B + "/{batch_id}/delivery_report/{msisdn}")
    async def recipient_delivery_report(batch_id: str, msisdn: str) -> Response:
        return json_response(reports.recipient(batch_id, msisdn))

    @app.get(API + "/delivery_reports")
    async def list_delivery_reports(request: Request) -> Response:
        return json_response(reports.find(_query(request)))

    # Groups
    @app.post(G)
    async def create_group(request: Request) -> Response:
        return json_response(groups.create(await _body(request)), 201)

    @app.get(G)
    async def list_groups(request: Request) -> Response:
        return json_response(groups.find(_query(request)))

    @app.get(G + "/{group_id}")
    async def get_group(group_id: str) -> Response:
        return json_response(groups.get(group_id))

    @app.post(G + "/{group_id}")
    async def update_group(group_id: str, request: Request) -> Response:
        return json_response(groups.update(group_id, await _body(request)))

    @app.put(G + "/{group_id}")
    async def replace_group(group_id: str, request: Request) -> Response:
        return json_response(groups.replace(group_id, await _body(request)))

    @app.delete(G + "/{group_id}")
    async def delete_group(group_id: str) -> Response:
        groups.delete(group_id)
        return empty_response(200)

    @app.get(G + "/{group_id}/members")
    async def group_members(group_id: str) -> Response:
        return json_response(groups.members(group_id))

    # Inbounds
    @app.get(API + "/inbounds")
    async def list_inbounds(request: Request) -> Response:
        return json_response(inbound.find(_query(request)))

    @app.get(API + "/inbounds/{inbound_id}")
    async def get_inbound(inbound_id: str) -> Response:
        return json_response(inbound.get(inbound_id))

    # OAuth2 (Sinch's auth service) and sandbox control
    @app.post("/oauth2/token")
    async def oauth2_token(request: Request) -> Response:
        token = sandbox.authenticator.issue(request.headers.get("authorization"), await request.body())
        return json_response(token, headers={"Cache-Control": "no-store"})

    app.include_router(control_router(sandbox))
    # Outermost, not app.add_middleware: dropping a connection needs the server's own send callable.
    return SandboxMiddleware(
        app, faults=sandbox.fault_plan, authenticator=sandbox.authenticator, settle=sandbox.settle,
        log=sandbox.request_log, recording=lambda: sandbox.settings.record_requests, clock=sandbox.clock,
    )
