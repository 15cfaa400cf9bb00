"""Turn an Airflow ``sinch`` connection into a client configuration (pure: no I/O, no Airflow imports).

The sync hook, the async lookup for triggers and the sandbox's printed connection all agree on one
mapping, kept here:

===================  ======================================================================================
login                service plan id (``auth_method=service_plan``, default) or project id (``project``)
password             API token (service plan) or access key secret (project)
host                 optional base URL override (``https://proxy.example``, or the sandbox's URL)
extra.region         ``us`` (default), ``eu``, ``au``, ``br``, ``ca`` (project auth: ``us``/``eu`` only)
extra.key_id         access key id (project auth)
extra.auth_url       OAuth2 token endpoint override (project auth; e.g. the sandbox's ``/oauth2/token``)
extra.timeout        request timeout in seconds (one number, or ``[connect, read]``)
extra.retries        how often a failed request is retried (429; 5xx and connection errors where safe);
                     default 4, ``0`` turns retries off
extra.default_from   sender used when an operator gives no ``from_``
extra.max_in_flight  the most requests a triggerer's (or ``async_notify``'s) client of this connection has in
                     flight, 1 to 1000 (default 100); the limit adapts below it
                     (:mod:`~airflow_provider_sinch.client.in_flight`)
extra.callback_url   public URL of this connection's callback receiver (``.../sinch/callbacks/<conn_id>``),
                     what ``delivery_callbacks=True`` asks Sinch to post delivery reports to
===================  ======================================================================================
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from airflow_provider_sinch.client import (
    ProjectAuth,
    RetryPolicy,
    ServicePlanAuth,
    SinchConfig,
    SinchValidationError,
)
from airflow_provider_sinch.client.auth import DEFAULT_AUTH_URL
from airflow_provider_sinch.client.config import DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT
from airflow_provider_sinch.client.urls import url_problem

AUTH_SERVICE_PLAN = "service_plan"
AUTH_PROJECT = "project"
EXTRA_CALLBACK_URL = "callback_url"
EXTRA_CALLBACK_USERNAME = "callback_username"
EXTRA_CALLBACK_PASSWORD = "callback_password"  # noqa: S105 - the name of an extra, not a password


_FIELDS = {"timeout": "extra.timeout", "base_url": "host", "auth_url": "extra.auth_url",
           "region": "extra.region", "token": "password", "api_token": "password", "key_secret": "password",
           "key_id": "extra.key_id", "service_plan_id": "login", "project_id": "login",
           "retry": "extra.retries", "default_from": "extra.default_from",
           "max_in_flight": "extra.max_in_flight"}
"""How the client configuration's fields are called in the connection."""


class SinchConnectionError(SinchValidationError):
    """The ``sinch`` connection is incomplete or inconsistent; the message names the field and the rule.

    A :class:`~airflow_provider_sinch.client.SinchValidationError` (so a ``SinchError`` and a
    ``ValueError``): a configuration error, never retried as if Sinch were briefly unreachable.

    :param field: the connection field (``login``, ``password``, ``host``, ``extra.timeout``, ...).
    :param rule: the rule it broke, starting with a verb (``must be positive``); never the secret.
    :param conn_id: the connection id, when known.
    """

    def __init__(self, field: str, rule: str, conn_id: str | None = None) -> None:
        where = f"connection {conn_id!r}" if conn_id else "connection"
        super().__init__([(field, rule)], where)
        self.conn_id = conn_id
        self.args = (f"invalid Sinch {where}: {field} {rule}",)


def _shown(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters so an error message stays short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _base_url(host: str | None, schema: str | None, port: int | None) -> str | None:
    if not host or not str(host).strip():
        return None
    host = str(host).strip()
    if "://" not in host:
        host = f"{schema or 'https'}://{host}"
    if port:
        parts = urlsplit(host)
        if parts.hostname and ":" not in parts.netloc.rpartition("@")[2].rpartition("]")[2]:
            # The port joins the host name, before any path of the override (https://proxy/sinch).
            host = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))
    return host.rstrip("/")


def _number(value: Any) -> Any:
    """An extra given as text (``"5"``, ``"nan"``) read as a number; the configuration checks the value."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _timeout(value: Any) -> Any:
    """``extra.timeout`` as the configuration takes it: one number or a ``(connect, read)`` pair.

    The rule (positive, finite, at most an hour) is the client configuration's, so the connection, the
    plain client and the hook's ``timeout`` argument cannot disagree.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_TIMEOUT
    return tuple(_number(v) for v in value) if isinstance(value, list | tuple) else _number(value)


def _count(value: Any) -> Any:
    """``extra.max_in_flight`` as the configuration takes it: text and whole floats (``"50"``, ``50.0``, what
    a form or a URI gives) as an ``int``; anything else as given, for the configuration's check to refuse."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_MAX_IN_FLIGHT
    number = _number(value)
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _retry(value: Any, conn_id: str = "") -> RetryPolicy:
    if value in (None, ""):
        return RetryPolicy()
    try:
        if isinstance(value, bool):
            raise ValueError
        retries = int(value)
        if retries != float(value) or retries < 0:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise SinchConnectionError("extra.retries", f"must be a whole number from 0, got {_shown(value)}",
                                   conn_id or None) from None
    return RetryPolicy(max_attempts=retries + 1)


def _from_config_error(exc: ValueError, conn_id: str, hook_timeout: bool) -> SinchConnectionError:
    """The client configuration's own check (its first problem), in the connection's field names."""
    if isinstance(exc, SinchValidationError) and exc.errors:
        field, rule = exc.errors[0]
    else:  # "region must be one of ...": the field is the first word
        field, _, rule = str(exc).partition(" ")
    parts = field.split(".")  # auth.api_token, retry.max_attempts, timeout
    name = _FIELDS.get(parts[-1]) or _FIELDS.get(parts[0]) or field
    if field == "timeout" and hook_timeout:
        name = "timeout (hook argument)"
    return SinchConnectionError(name, rule.strip(), conn_id)


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
    if not login or not str(login).strip():
        raise SinchConnectionError("login", "is empty: give the service plan id (or project id)", conn_id)
    if not password or not str(password).strip():
        raise SinchConnectionError("password", "is empty: give the API token (or access key secret)", conn_id)
    auth: ServicePlanAuth | ProjectAuth
    if method == AUTH_SERVICE_PLAN:
        auth = ServicePlanAuth(service_plan_id=login, api_token=password)
    elif method == AUTH_PROJECT:
        key_id = extra.get("key_id")
        if not key_id:
            raise SinchConnectionError("extra.key_id", "is required for project auth", conn_id)
        auth = ProjectAuth(project_id=login, key_id=str(key_id), key_secret=password,
                           auth_url=str(extra.get("auth_url") or DEFAULT_AUTH_URL))
    else:
        raise SinchConnectionError(
            "extra.auth_method", f"must be {AUTH_SERVICE_PLAN!r} or {AUTH_PROJECT!r}, got {_shown(method)}",
            conn_id,
        )
    try:
        return SinchConfig(
            auth=auth,
            region=region,
            base_url=_base_url(host, schema, port),
            timeout=_timeout(timeout if timeout is not None else extra.get("timeout")),
            retry=retry or _retry(extra.get("retries"), conn_id),
            default_from=extra.get("default_from") or None,
            max_in_flight=_count(extra.get("max_in_flight")),
        )
    except SinchConnectionError:
        raise
    except ValueError as exc:
        raise _from_config_error(exc, conn_id, hook_timeout=timeout is not None) from None


def callback_url_from_extra(extra: dict[str, Any], conn_id: str = "sinch_default") -> str:
    """The URL Sinch should post this connection's callbacks to: ``extra.callback_url`` (an absolute http(s)
    URL without credentials), with the Basic credentials of ``extra.callback_username`` /
    ``extra.callback_password`` (secret fields) put into it when both are set, as Sinch needs them there.

    :raises SinchConnectionError: when it is missing, not an absolute http(s) URL, or carries credentials
        itself (they belong in the secret fields, not in a field the connection form shows).
    """
    extra = {k.removeprefix("extra__sinch__"): v for k, v in (extra or {}).items()}
    url = extra.get(EXTRA_CALLBACK_URL)
    if url is None or (isinstance(url, str) and not url.strip()):
        raise SinchConnectionError(
            f"extra.{EXTRA_CALLBACK_URL}",
            "is required for delivery callbacks: the public URL of this Airflow's /sinch/callbacks/<conn_id>",
            conn_id)
    problem = url_problem(url.strip() if isinstance(url, str) else url, credentials=False)
    if problem is not None:
        raise SinchConnectionError(f"extra.{EXTRA_CALLBACK_URL}", problem, conn_id)
    url = str(url).strip()
    username, password = extra.get(EXTRA_CALLBACK_USERNAME), extra.get(EXTRA_CALLBACK_PASSWORD)
    if not (isinstance(username, str) and username and isinstance(password, str) and password):
        return url
    parts = urlsplit(url)
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{parts.netloc}"
    return urlunsplit(parts._replace(netloc=netloc))
