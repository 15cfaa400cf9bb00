"""The sandbox's configuration: credentials, callback targets and the timing of the delivery lifecycle."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from airflow_provider_sinch.client.retry import is_number

# Sinch retries a callback 5 s, 10 s, 20 s ... after a failure, for about 22 h 45 min (5 s * (2**14 - 1)).
CALLBACK_RETRY_BASE_S = 5.0
CALLBACK_RETRY_WINDOW_S = 5.0 * (2**14 - 1)


@dataclass(frozen=True)
class SandboxSettings:
    """Everything that shapes how one sandbox behaves; change it at run time with ``Sandbox.configure``.

    :param service_plan_id: the plan id accepted in ``/xms/v1/{service_plan_id}/...``.
    :param api_token: the plan's API token (``Authorization: Bearer <api_token>``).
    :param project_id: the project id accepted in the same paths with an OAuth2 token (project auth).
    :param key_id: access key id for ``POST /oauth2/token`` (HTTP Basic user).
    :param key_secret: access key secret for ``POST /oauth2/token`` (HTTP Basic password).
    :param token_ttl: lifetime of an issued OAuth2 token, in seconds of the API's now (not compressed).
    :param default_originator: sender used when a batch has no ``from`` (Sinch's "automatic default
        originator"); without one, a batch without ``from`` is refused.
    :param default_callback_url: the service plan's default delivery-report URL; with it, a batch may ask for
        delivery reports without its own ``callback_url``.
    :param inbound_callback_url: where inbound (MO) messages are POSTed (the plan's dashboard setting).
    :param webhook_secret: when set, every callback is HMAC-signed with it.
    :param dispatch_delay: sandbox seconds a recipient stays ``Queued`` after the batch's send time.
    :param delivery_delay: sandbox seconds from ``Dispatched`` to the final status (an outcome rule may
        override it per number).
    :param time_scale: how many times as fast as real time the sandbox's waits pass (the delivery lifecycle,
        the wait until ``send_at``, the life until ``expire_at``, callback retries), each counted from when
        the sandbox received it; the API's now stays the wall clock.  ``0`` freezes the clock, now included
        (only ``advance()`` moves it).
    :param messages_per_second: the service plan's rate limit (Sinch: messages per second per plan, counted
        per recipient); batches are still accepted at once, and their recipients leave the plan's FIFO queue
        at this rate from their dispatch time on, per second of the sandbox timeline (so ``time_scale``
        speeds the pacing up too): see :mod:`~.pacing`.  ``None`` (the default): no limit, every recipient
        of a batch is dispatched together.
    :param requests_per_second: how many API requests (``/xms/v1/...``, any operation) the plan may make in
        any one second of the sandbox timeline; the next gets 429 (Sinch: "too many requests") without
        being handled: see :mod:`~.throttle`.  ``None`` (the default): no limit.
    :param callback_timeout: real seconds one callback POST may take.
    :param callback_retry_base: first retry delay of a failed callback (sandbox seconds; doubles each time).
    :param callback_retry_window: sandbox seconds after which a failing callback is given up.
    :param callback_workers: threads POSTing callbacks (more than one allows reordering, as Sinch does).
    :param record_requests: keep every request and response for inspection.
    :param request_log_size: how many requests the inspection log keeps.
    :param list_batches_days: how far back ``GET /batches`` reaches (Sinch: about 14 days).
    :param list_delay: sandbox seconds before a new batch shows in ``GET /batches`` (Sinch's list lags
        behind a send, so a lookup by ``client_reference`` right after a lost answer can miss the batch).
    :param seed: seed for the random choices of fault injection (``None``: not reproducible).
    """

    service_plan_id: str = "sandbox-plan"
    api_token: str = field(default="sandbox-token", repr=False)
    project_id: str = "sandbox-project"
    key_id: str = "sandbox-key-id"
    key_secret: str = field(default="sandbox-key-secret", repr=False)
    token_ttl: float = 3600.0
    default_originator: str | None = None
    default_callback_url: str | None = field(default=None, repr=False)  # may carry basic-auth credentials
    inbound_callback_url: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    dispatch_delay: float = 1.0
    delivery_delay: float = 2.0
    time_scale: float = 1.0
    messages_per_second: float | None = None
    requests_per_second: int | None = None
    callback_timeout: float = 5.0
    callback_retry_base: float = CALLBACK_RETRY_BASE_S
    callback_retry_window: float = CALLBACK_RETRY_WINDOW_S
    callback_workers: int = 4
    record_requests: bool = True
    request_log_size: int = 10_000
    list_batches_days: float = 14.0
    list_delay: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if not self.service_plan_id or not self.api_token:
            raise ValueError("service_plan_id and api_token must not be empty")
        for name in ("dispatch_delay", "delivery_delay", "time_scale", "callback_retry_base", "list_delay"):
            value = getattr(self, name)
            if not is_number(value) or not 0 <= value < math.inf:
                raise ValueError(f"{name} must be a finite number, not negative, not {value!r}")
        for name in ("messages_per_second", "requests_per_second"):
            value = getattr(self, name)
            if value is not None and (not is_number(value) or not 0 < value < math.inf):
                raise ValueError(f"{name} must be a positive finite number or None (no limit), not {value!r}")
        if self.requests_per_second is not None and not float(self.requests_per_second).is_integer():
            raise ValueError(f"requests_per_second must be a whole number, not {self.requests_per_second!r}")
        if self.callback_workers < 1:
            raise ValueError("callback_workers must be at least 1")

    def updated(self, **changes: Any) -> SandboxSettings:
        """A copy with ``changes`` applied (unknown names are an error)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown sandbox settings: {', '.join(unknown)}")
        return replace(self, **changes)
