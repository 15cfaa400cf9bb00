"""Where and how the client talks to Sinch: region, base URL, credentials, timeouts, retry policy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from airflow_provider_sinch import __version__
from airflow_provider_sinch.client.auth import Auth, ProjectAuth, ServicePlanAuth
from airflow_provider_sinch.client.errors import SinchConfigurationError
from airflow_provider_sinch.client.identifiers import path_id_problem
from airflow_provider_sinch.client.redact import shown_value
from airflow_provider_sinch.client.retry import RetryPolicy, is_finite_number, is_whole, shown_number
from airflow_provider_sinch.client.urls import url_problem

REGIONS = ("us", "eu", "au", "br", "ca")
PROJECT_AUTH_REGIONS = ("us", "eu")
USER_AGENT = f"airflow-provider-sinch/{__version__}"
DEFAULT_TIMEOUT = (10.0, 30.0)


DEFAULT_MAX_IN_FLIGHT = 100
"""The default ceiling of an async client's requests in flight (the limit adapts below it:
:mod:`~airflow_provider_sinch.client.in_flight`).  At 100 ms an answer, 100 in flight poll 30,000 waits
every 30 s."""

MAX_IN_FLIGHT = 1000
"""Highest ceiling accepted: beyond it one client's connections are a burst no API should get from one
process (and more than a triggerer's file descriptors may allow)."""

MAX_TIMEOUT = 3600.0
"""Longest timeout accepted, in seconds: a Sinch request that takes an hour is lost anyway, and socket
libraries refuse (with an ``OverflowError``) values far beyond it."""


def region_base_url(region: str, project_auth: bool = False) -> str:
    """The public base URL of a region (``zt.`` hosts for project/OAuth2 auth)."""
    region = (region or "us").lower() if isinstance(region, str) else region
    allowed = PROJECT_AUTH_REGIONS if project_auth else REGIONS
    if region not in allowed:
        kind = "project (OAuth2) auth" if project_auth else "the SMS API"
        raise SinchConfigurationError(
            [("region", f"must be one of {', '.join(allowed)} for {kind}, got {shown(region)}")])
    return f"https://zt.{region}.sms.api.sinch.com" if project_auth else f"https://{region}.sms.api.sinch.com"


def shown(value: object) -> str:
    """A configuration value for an error: strings escaped and cut, anything else by its type."""
    return shown_value(value) if isinstance(value, str) else f"a {type(value).__name__}"


@dataclass(frozen=True)
class SinchConfig:
    """Everything a client needs to reach one Sinch service plan (or project).

    Checked when built (a :class:`~airflow_provider_sinch.client.errors.SinchConfigurationError` names
    every bad setting), so a configuration that cannot work never sends a request and is never retried as
    if the network were at fault.

    :param auth: :class:`~airflow_provider_sinch.client.auth.ServicePlanAuth` or
        :class:`~airflow_provider_sinch.client.auth.ProjectAuth`; its id must be usable in a URL path and
        its token (or key) must not be empty.
    :param region: ``us`` (default), ``eu``, ``au``, ``br`` or ``ca``.
    :param base_url: overrides the region's host (a proxy, or the sandbox): an absolute http(s) URL with a
        host, without credentials, query or ``/xms/v1`` suffix.
    :param timeout: ``(connect, read)`` seconds, or one number for both: positive, finite, at most an hour.
        Every request has one.
    :param retry: retry policy for 429, 5xx and connection errors.
    :param default_from: sender used when a batch gives no ``from``.
    :param user_agent: the ``User-Agent`` header (``airflow-provider-sinch/<version>``).
    :param max_in_flight: the most requests an async client of this configuration has on the wire at once,
        1 to :data:`MAX_IN_FLIGHT` (default :data:`DEFAULT_MAX_IN_FLIGHT`), and the size of its connection
        pool; below it the limit adapts to Sinch's answers (:mod:`~airflow_provider_sinch.client.in_flight`).
        The sync client makes one request at a time and ignores it.
    """

    auth: Auth
    region: str = "us"
    base_url: str | None = None
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    default_from: str | None = None
    user_agent: str = USER_AGENT
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT

    def __post_init__(self) -> None:
        errors = auth_problems(self.auth)
        # Validates the region even when a base URL override makes it unused: a typo there would
        # otherwise only show once the override is removed.
        try:
            region_base_url(self.region, isinstance(self.auth, ProjectAuth))
        except SinchConfigurationError as exc:
            errors.extend(exc.errors)
        if self.base_url is not None:
            problem = url_problem(self.base_url, credentials=False, query=False)
            if problem:
                errors.append(("base_url", problem))
        timeout = self.timeout
        if isinstance(timeout, list):
            timeout = tuple(timeout)
            object.__setattr__(self, "timeout", timeout)
        problem = timeout_problem(timeout)
        if problem:
            errors.append(("timeout", problem))
        if not isinstance(self.retry, RetryPolicy):
            errors.append(("retry", f"must be a RetryPolicy, got {shown(self.retry)}"))
        sender = self.default_from
        if sender is not None and (not isinstance(sender, str) or not sender.strip()):
            errors.append(("default_from", f"must be a non-empty string or None, got {shown(sender)}"))
        if not isinstance(self.user_agent, str) or not _HEADER.fullmatch(self.user_agent):
            errors.append(("user_agent", "must be printable ASCII on one line"))
        if not is_whole(self.max_in_flight) or not 1 <= self.max_in_flight <= MAX_IN_FLIGHT:
            errors.append(("max_in_flight", f"must be a whole number from 1 to {MAX_IN_FLIGHT}, got "
                                            f"{shown_number(self.max_in_flight)}"))
        if errors:
            raise SinchConfigurationError(errors)

    @property
    def api_root(self) -> str:
        """``https://{region}.sms.api.sinch.com/xms/v1/{service_plan_id}``"""
        base = self.base_url or region_base_url(self.region, isinstance(self.auth, ProjectAuth))
        return f"{base.rstrip('/')}/xms/v1/{self.auth.path_id}"

    @property
    def timeouts(self) -> tuple[float, float]:
        if isinstance(self.timeout, int | float):
            return (float(self.timeout), float(self.timeout))
        return (float(self.timeout[0]), float(self.timeout[1]))


_HEADER = re.compile(r"[ -~]+")


def timeout_problem(timeout: object) -> str | None:
    """Why ``timeout`` is not one positive finite number of seconds or a ``(connect, read)`` pair of them."""
    rule = (f"must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, or a (connect, read) pair "
            "of them")
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    if isinstance(timeout, tuple) and len(timeout) != 2:
        return f"{rule}; got {len(timeout)} values"
    for value in values:
        if not is_finite_number(value) or not 0 < value <= MAX_TIMEOUT:  # type: ignore[operator]
            return f"{rule}; got {shown_number(value)}"
    return None


def auth_problems(auth: object) -> list[tuple[str, str]]:
    """What is wrong with ``auth``: an id that cannot go into a URL path, an empty token or key, an auth URL
    that is not http(s).  An empty token would otherwise be sent as ``Authorization: Bearer None``."""
    if not isinstance(auth, ServicePlanAuth | ProjectAuth):
        return [("auth", f"must be a ServicePlanAuth or a ProjectAuth, got {shown(auth)}")]
    errors: list[tuple[str, str]] = []
    if isinstance(auth, ServicePlanAuth):
        id_field, secrets = "auth.service_plan_id", [("auth.api_token", auth.api_token)]
    else:
        id_field = "auth.project_id"
        secrets = [("auth.key_id", auth.key_id), ("auth.key_secret", auth.key_secret)]
        problem = url_problem(auth.auth_url, credentials=False)
        if problem:
            errors.append(("auth.auth_url", problem))
    problem = path_id_problem(auth.path_id)
    if problem == "is required and must not be empty":
        problem = "(the service plan id or project id) must not be empty"
    if problem:
        errors.append((id_field, problem))
    for name, secret in secrets:
        # Never quote the value: it is a secret.
        if not isinstance(secret, str) or not secret.strip():
            errors.append((name, "must not be empty" if secret in (None, "") or isinstance(secret, str)
                           else f"must be a string, got a {type(secret).__name__}"))
        elif not _HEADER.fullmatch(secret):
            errors.append((name, "must be printable ASCII on one line (it is sent in an HTTP header)"))
        elif name == "auth.key_id" and ":" in secret:
            errors.append((name, "must not contain ':' (it is the user id of HTTP Basic auth)"))
    return errors
