"""Where and how the client talks to Sinch: region, base URL, credentials, timeouts, retry policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_provider_sinch import __version__
from airflow_provider_sinch.client.auth import Auth, ProjectAuth
from airflow_provider_sinch.client.retry import RetryPolicy

REGIONS = ("us", "eu", "au", "br", "ca")
PROJECT_AUTH_REGIONS = ("us", "eu")
USER_AGENT = f"airflow-provider-sinch/{__version__}"
DEFAULT_TIMEOUT = (10.0, 30.0)


def region_base_url(region: str, project_auth: bool = False) -> str:
    """The public base URL of a region (``zt.`` hosts for project/OAuth2 auth)."""
    region = (region or "us").lower()
    allowed = PROJECT_AUTH_REGIONS if project_auth else REGIONS
    if region not in allowed:
        kind = "project (OAuth2) auth" if project_auth else "the SMS API"
        raise ValueError(f"region must be one of {', '.join(allowed)} for {kind}, got {region!r}")
    return f"https://zt.{region}.sms.api.sinch.com" if project_auth else f"https://{region}.sms.api.sinch.com"


@dataclass(frozen=True)
class SinchConfig:
    """Everything a client needs to reach one Sinch service plan (or project).

    :param auth: :class:`~airflow_provider_sinch.client.auth.ServicePlanAuth` or
        :class:`~airflow_provider_sinch.client.auth.ProjectAuth`.
    :param region: ``us`` (default), ``eu``, ``au``, ``br`` or ``ca``.
    :param base_url: overrides the region's host (a proxy, or the sandbox); no ``/xms/v1`` suffix.
    :param timeout: ``(connect, read)`` seconds, or one number for both. Every request has one.
    :param retry: retry policy for 429, 5xx and connection errors.
    :param default_from: sender used when a batch gives no ``from``.
    :param user_agent: the ``User-Agent`` header (``airflow-provider-sinch/<version>``).
    """

    auth: Auth
    region: str = "us"
    base_url: str | None = None
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    default_from: str | None = None
    user_agent: str = USER_AGENT

    def __post_init__(self) -> None:
        # Validates the region even when a base URL override makes it unused: a typo there would
        # otherwise only show once the override is removed.
        region_base_url(self.region, isinstance(self.auth, ProjectAuth))
        if not self.auth.path_id:
            raise ValueError("the service plan id (or project id) must not be empty")

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
