"""Turn an Airflow ``sinch`` connection into a client configuration (pure: no I/O, no Airflow imports).

The sync hook, the async lookup for triggers and the sandbox's printed connection all agree on one
mapping, kept here:

==============  ============================================================================
login           service plan id (``auth_method=service_plan``, default) or project id (``project``)
password        API token (service plan) or access key secret (project)
host            optional base URL override (``https://proxy.example``, or the sandbox's URL)
extra.region    ``us`` (default), ``eu``, ``au``, ``br``, ``ca`` (project auth: ``us``/``eu`` only)
extra.key_id    access key id (project auth)
extra.auth_url  OAuth2 token endpoint override (project auth; e.g. the sandbox's ``/oauth2/token``)
extra.timeout   request timeout in seconds (one number, or ``[connect, read]``)
extra.retries   how often a failed request is retried (429; 5xx and connection errors where safe);
                default 4, ``0`` turns retries off
extra.default_from  sender used when an operator gives no ``from_``
==============  ============================================================================
"""

from __future__ import annotations

from typing import Any

from airflow_provider_sinch.client import ProjectAuth, RetryPolicy, ServicePlanAuth, SinchConfig
from airflow_provider_sinch.client.auth import DEFAULT_AUTH_URL
from airflow_provider_sinch.client.config import DEFAULT_TIMEOUT

AUTH_SERVICE_PLAN = "service_plan"
AUTH_PROJECT = "project"


class SinchConnectionError(ValueError):
    """The ``sinch`` connection is incomplete or inconsistent; the message names the field."""


def _base_url(host: str | None, schema: str | None, port: int | None) -> str | None:
    if not host:
        return None
    if "://" not in host:
        host = f"{schema or 'https'}://{host}"
    if port and host.count(":") < 2:
        host = f"{host.rstrip('/')}:{port}"
    return host.rstrip("/")


def _timeout(value: Any) -> float | tuple[float, float]:
    if value in (None, ""):
        return DEFAULT_TIMEOUT
    try:
        if isinstance(value, list | tuple):
            connect, read = (float(v) for v in value)
            return (connect, read)
        timeout = float(value)
    except (TypeError, ValueError):
        raise SinchConnectionError(
            f"extra.timeout must be seconds or [connect, read], got {value!r}"
        ) from None
    if timeout <= 0:
        raise SinchConnectionError("extra.timeout must be positive")
    return timeout


def _retry(value: Any) -> RetryPolicy:
    if value in (None, ""):
        return RetryPolicy()
    try:
        if isinstance(value, bool):
            raise ValueError
        retries = int(value)
        if retries != float(value) or retries < 0:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise SinchConnectionError(f"extra.retries must be a whole number from 0, got {value!r}") from None
    return RetryPolicy(max_attempts=retries + 1)


def config_from_connection(
    *,
    login: str | None,
    password: str | None,
    host: str | None,
    schema: str | None = None,
    port: int | None = None,
    extra: dict[str, Any],
    conn_id: str = "sinch_default",
    retry: RetryPolicy | None = None,
    timeout: float | tuple[float, float] | None = None,
) -> SinchConfig:
    """Build a :class:`SinchConfig` from the fields of an Airflow connection.

    Extra keys may be plain (``region``) or carry the ``extra__sinch__`` prefix older connection forms used.
    """
    extra = {k.removeprefix("extra__sinch__"): v for k, v in (extra or {}).items()}
    method = str(extra.get("auth_method") or AUTH_SERVICE_PLAN).lower()
    region = str(extra.get("region") or "us").lower()
    if not login:
        raise SinchConnectionError(f"connection {conn_id!r}: login (service plan id or project id) is empty")
    if not password:
        raise SinchConnectionError(f"connection {conn_id!r}: password (API token or key secret) is empty")
    auth: ServicePlanAuth | ProjectAuth
    if method == AUTH_SERVICE_PLAN:
        auth = ServicePlanAuth(service_plan_id=login, api_token=password)
    elif method == AUTH_PROJECT:
        key_id = extra.get("key_id")
        if not key_id:
            raise SinchConnectionError(f"connection {conn_id!r}: extra.key_id is required for project auth")
        auth = ProjectAuth(
            project_id=login, key_id=str(key_id), key_secret=password,
            auth_url=str(extra.get("auth_url") or DEFAULT_AUTH_URL),
        )
    else:
        raise SinchConnectionError(
            f"connection {conn_id!r}: extra.auth_method must be {AUTH_SERVICE_PLAN!r} or {AUTH_PROJECT!r}, "
            f"got {method!r}"
        )
    try:
        return SinchConfig(
            auth=auth,
            region=region,
            base_url=_base_url(host, schema, port),
            timeout=timeout if timeout is not None else _timeout(extra.get("timeout")),
            retry=retry or _retry(extra.get("retries")),
            default_from=extra.get("default_from") or None,
        )
    except ValueError as exc:
        raise SinchConnectionError(f"connection {conn_id!r}: {exc}") from None
