"""The two ways Sinch authenticates SMS API calls, with the secret kept out of every repr and log.

* Service plan + API token (every account, every region): ``Authorization: Bearer <token>``.
* Project + access key (OAuth2 client credentials, ``us``/``eu`` only): a short-lived bearer token from
  Sinch's auth service, cached until shortly before it expires.

The token exchange is described once here (whether a token is due, what to send, how to read the answer,
the error when the auth service cannot be reached); the sync and async clients only perform the HTTP call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from airflow_provider_sinch.client.errors import SinchAuthenticationError, SinchTransportError

DEFAULT_AUTH_URL = "https://auth.sinch.com/oauth2/token"
_EXPIRY_MARGIN_S = 60.0
_DEFAULT_LIFETIME_S = 3600.0


@dataclass(frozen=True)
class ServicePlanAuth:
    """Service plan id + API token.

    :param service_plan_id: the plan id (the ``{service_plan_id}`` path segment).
    :param api_token: the plan's API token.
    """

    service_plan_id: str
    api_token: str = field(repr=False)

    @property
    def path_id(self) -> str:
        return self.service_plan_id

    def bearer_or_request(self) -> str | TokenRequest:
        """The bearer token of the next API call: always the API token."""
        return self.api_token


@dataclass(frozen=True)
class TokenRequest:
    """What to POST to the auth service for a client-credentials token.

    :param url: the token endpoint.
    :param basic_auth: ``(key id, key secret)`` for HTTP Basic auth (kept out of the repr).
    :param form: the form body (``grant_type=client_credentials``).
    :param accept: reads the answer ``(status, body)``: stores and returns the token, or raises why there is
        none (:meth:`ProjectAuth.accept`).
    """

    url: str
    basic_auth: tuple[str, str] = field(repr=False)
    form: dict[str, str]
    accept: Callable[[int, bytes], str] = field(repr=False, compare=False)

    def unreachable(self, exc: BaseException) -> SinchTransportError:
        """The error for a token request that got no answer (the HTTP library's ``exc``, named only)."""
        return SinchTransportError(f"could not reach the Sinch auth service: {type(exc).__name__}",
                                   method="POST", path=self.url)


@dataclass
class ProjectAuth:
    """Project id + access key id/secret (OAuth2 client credentials).

    :param project_id: the Sinch project id (the path id of ``zt.`` hosts).
    :param key_id: access key id.
    :param key_secret: access key secret.
    :param auth_url: token endpoint (override it to point at the sandbox).
    """

    project_id: str
    key_id: str
    key_secret: str = field(repr=False)
    auth_url: str = DEFAULT_AUTH_URL
    _token: str | None = field(default=None, repr=False)
    _expires_at: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path_id(self) -> str:
        return self.project_id

    def cached_token(self) -> str | None:
        """The cached bearer token, or ``None`` when there is none or it is about to expire."""
        with self._lock:
            if self._token and time.monotonic() < self._expires_at:
                return self._token
            return None

    def token_request(self) -> TokenRequest:
        return TokenRequest(
            url=self.auth_url,
            basic_auth=(self.key_id, self.key_secret),
            form={"grant_type": "client_credentials"},
            accept=self.accept,
        )

    def bearer_or_request(self) -> str | TokenRequest:
        """The bearer token of the next API call if a fresh one is cached, else the request that gets one."""
        return self.cached_token() or self.token_request()

    def accept(self, status: int, content: bytes) -> str:
        """Store the token from the auth service's answer and return it, or raise why there is none.

        A 429 or 5xx from the auth service is a transport problem (nothing reached the SMS API, so the call
        may be retried, even a send); any other failure means the key was refused.
        """
        if status == 429 or status >= 500:
            raise SinchTransportError(
                f"the Sinch auth service answered HTTP {status} to the OAuth2 token request",
                method="POST", path=self.auth_url, sent=False,
            )
        try:
            payload = json.loads(content) if status == 200 else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not payload.get("access_token"):
            raise SinchAuthenticationError(
                status, None, "the OAuth2 token request was refused or gave no access_token",
                method="POST", path=self.auth_url, hint="Check the project id, key id and key secret.",
            )
        try:
            lifetime = float(payload.get("expires_in") or _DEFAULT_LIFETIME_S)
        except (TypeError, ValueError):
            lifetime = _DEFAULT_LIFETIME_S
        with self._lock:
            self._token = str(payload["access_token"])
            # Renew a minute early, or a tenth of the lifetime early for short-lived tokens.
            self._expires_at = time.monotonic() + lifetime - min(_EXPIRY_MARGIN_S, lifetime / 10)
            return self._token

    def invalidate(self) -> None:
        """Forget the token (after a 401, so the next call fetches a fresh one)."""
        with self._lock:
            self._token, self._expires_at = None, 0.0


Auth = ServicePlanAuth | ProjectAuth
