"""Sandbox-only control and inspection routes under ``/_sandbox`` (not part of Sinch's API).

They do over HTTP what the :class:`~.core.Sandbox` methods do in Python, for tests and demos that run the
sandbox in another process::

    GET    /_sandbox/health                    -> {"status": "ok"}
    GET    /_sandbox/clock                     -> {"now", "ahead", "time_scale", "elapsed"}
    POST   /_sandbox/clock/advance             {"seconds": 60}
    PUT    /_sandbox/clock                     {"time_scale": 100}
    GET    /_sandbox/batches                   every batch, newest first
    GET    /_sandbox/batches/{id}/statuses     {"46701234567": "Delivered", ...}
    GET    /_sandbox/requests                  the request log
    GET    /_sandbox/callbacks                 every callback attempt
    POST   /_sandbox/inbounds                  {"from", "to", "body", ...}: inject an MO message
    POST   /_sandbox/auto_replies              {"recipient", "text", "delay"};  DELETE: remove all
    GET|PUT /_sandbox/outcomes                 the outcome rule table; POST adds one rule in front
    GET|POST|DELETE /_sandbox/faults           list, add, clear faults
    PATCH  /_sandbox/settings                  change settings (delays, callback URLs, secret, rate limits
                                               {"messages_per_second": 30, "requests_per_second": 100} ...)
    GET    /_sandbox/queue                     {"waiting": n}: recipients in the plan's rate-limited queue
    POST   /_sandbox/credentials/rotate        {"api_token": "new", "keep_old": false} / {"key_secret": "new"}
    POST   /_sandbox/credentials/revoke        {"token": "old"}: an old API token or an OAuth2 token, refused
    POST   /_sandbox/reset                     forget everything, back to the initial settings
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from airflow_provider_sinch.testing.sandbox.clock import iso
from airflow_provider_sinch.testing.sandbox.errors import ApiError, not_found
from airflow_provider_sinch.testing.sandbox.faults import Fault
from airflow_provider_sinch.testing.sandbox.inbound import AutoReply, InboundMessage
from airflow_provider_sinch.testing.sandbox.outcomes import OutcomeRule
from airflow_provider_sinch.testing.sandbox.responses import json_response

if TYPE_CHECKING:
    from airflow_provider_sinch.testing.sandbox.core import Sandbox


class Advance(BaseModel):
    """Body of ``POST /_sandbox/clock/advance``: seconds to jump ahead (the timeline and now alike)."""

    seconds: float = Field(ge=0)


class Rotation(BaseModel):
    """Body of ``POST /_sandbox/credentials/rotate``: a new API token (the old one refused unless
    ``keep_old``) and/or a new access key secret (every OAuth2 token issued so far refused)."""

    api_token: str | None = Field(default=None, min_length=1)
    keep_old: bool = False
    key_secret: str | None = Field(default=None, min_length=1)


class Revocation(BaseModel):
    """Body of ``POST /_sandbox/credentials/revoke``: the token to refuse from now on."""

    token: str = Field(min_length=1)


class Speed(BaseModel):
    """Body of ``PUT /_sandbox/clock``: timeline seconds per real second (0 freezes the clock)."""

    time_scale: float = Field(ge=0)


def control_router(sandbox: Sandbox) -> APIRouter:
    """The ``/_sandbox`` routes acting on ``sandbox``."""
    router = APIRouter(prefix="/_sandbox")

    @router.get("/health")
    async def health() -> Response:
        return json_response({"status": "ok"})

    @router.get("/clock")
    async def clock() -> Response:
        """``now``: the API's now (the wall clock unless advanced or frozen); ``ahead``: seconds it is ahead
        of the wall clock; ``elapsed``: the timeline the scheduler runs on (``time_scale`` per second)."""
        timing = sandbox.clock
        now = timing.time()
        return json_response({"now": iso(now), "ahead": round(now - timing.wall(), 3),
                              "time_scale": timing.time_scale, "elapsed": round(timing.elapsed(), 3)})

    @router.post("/clock/advance")
    async def advance(body: Advance) -> Response:
        sandbox.advance(body.seconds)
        return await clock()

    @router.put("/clock")
    async def speed(body: Speed) -> Response:
        sandbox.set_time_scale(body.time_scale)
        return await clock()

    @router.get("/batches")
    async def batches() -> Response:
        return json_response(sandbox.batches())

    @router.get("/batches/{batch_id}/statuses")
    async def statuses(batch_id: str) -> Response:
        try:
            return json_response(sandbox.statuses(batch_id))
        except KeyError:
            return not_found().response()

    @router.get("/queue")
    async def queue() -> Response:
        return json_response({"waiting": sandbox.queued_messages()})

    @router.get("/requests")
    async def requests() -> Response:
        return json_response([seen.summary() for seen in sandbox.requests])

    @router.get("/callbacks")
    async def callbacks() -> Response:
        return json_response([
            {"delivery": a.delivery, "kind": a.kind, "attempt": a.attempt, "at": iso(a.at),
             "status": a.status, "error": a.error, "payload": a.payload, "retry_in": a.retry_in}
            for a in sandbox.callbacks
        ])

    @router.post("/inbounds")
    async def inject(body: InboundMessage) -> Response:
        return json_response(sandbox.inbound.inject(body), 201)

    @router.post("/auto_replies")
    async def auto_reply(body: AutoReply) -> Response:
        sandbox.inbound.add_auto_reply(body)
        return json_response(body.model_dump(), 201)

    @router.delete("/auto_replies")
    async def clear_auto_replies() -> Response:
        sandbox.inbound.clear_auto_replies()
        return json_response([])

    @router.get("/outcomes")
    async def outcomes() -> Response:
        return json_response([r.model_dump() for r in sandbox.outcomes.rules])

    @router.put("/outcomes")
    async def set_outcomes(body: list[OutcomeRule]) -> Response:
        sandbox.outcomes.set(body)
        return await outcomes()

    @router.post("/outcomes")
    async def add_outcome(body: OutcomeRule) -> Response:
        sandbox.outcomes.add(body)
        return await outcomes()

    @router.get("/faults")
    async def faults() -> Response:
        return json_response([f.model_dump() for f in sandbox.fault_plan.faults])

    @router.post("/faults")
    async def add_fault(body: Fault) -> Response:
        sandbox.fault_plan.add(body)
        return await faults()

    @router.delete("/faults")
    async def clear_faults() -> Response:
        sandbox.fault_plan.clear()
        return json_response([])

    @router.post("/credentials/rotate")
    async def rotate(body: Rotation) -> Response:
        if body.api_token is not None:
            sandbox.rotate_token(body.api_token, keep_old=body.keep_old)
        if body.key_secret is not None:
            sandbox.rotate_key_secret(body.key_secret)
        return json_response({"ok": True})

    @router.post("/credentials/revoke")
    async def revoke(body: Revocation) -> Response:
        try:
            sandbox.revoke_token(body.token)
        except ValueError as exc:
            raise ApiError(400, "invalid_revocation", str(exc)) from None
        return json_response({"ok": True})

    @router.patch("/settings")
    async def settings(body: dict[str, Any]) -> Response:
        try:
            sandbox.configure(**body)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "invalid_settings", str(exc)) from None
        return json_response({"ok": True})

    @router.post("/reset")
    async def reset() -> Response:
        sandbox.reset()
        return json_response({"ok": True})

    return router
