"""Who may call the API: the plan's bearer token, or an OAuth2 token issued to the project's access key.

``/xms/v1/{service_plan_id}/...`` takes ``Authorization: Bearer <api token>``; ``/xms/v1/{project_id}/...``
takes a token from ``POST /oauth2/token`` (client credentials, HTTP Basic ``key_id:key_secret``), as Sinch's
auth service issues them.  Anything else is 401.  An expired OAuth2 token gets a 401 whose
``WWW-Authenticate`` says so, which is how Sinch's SDKs know to fetch a new one.  Tokens are compared in
constant time and never logged.

Rotation, as an account owner does it: a new API token is issued (the old one may be kept for an overlap)
and the old one is revoked; an access key's secret is changed and the OAuth2 tokens issued to it are
revoked.  A revoked token answers 401 at once, as Sinch does (see :meth:`Authenticator.revoke`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import Response

from airflow_provider_sinch.testing.sandbox.clock import SandboxClock
from airflow_provider_sinch.testing.sandbox.errors import ApiError
from airflow_provider_sinch.testing.sandbox.responses import json_response
from airflow_provider_sinch.testing.sandbox.settings import SandboxSettings

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="sinch"'}
_EXPIRED = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="The token has expired"'}


class OAuthError(Exception):
    """An OAuth2 error answer of the token endpoint (``{"error", "error_description"}``).

    :param status: HTTP status (401 bad client, 400 bad grant).
    :param error: the OAuth2 error code.
    :param description: explanation.
    """

    def __init__(self, status: int, error: str, description: str) -> None:
        self.status, self.error, self.description = status, error, description
        super().__init__(f"{status} {error}")

    def response(self) -> Response:
        headers = {"WWW-Authenticate": 'Basic realm="sinch"'} if self.status == 401 else None
        body = {"error": self.error, "error_description": self.description}
        return json_response(body, self.status, headers)


def _unauthorized(headers: dict[str, str] = _CHALLENGE) -> ApiError:
    return ApiError(401, "unauthorized", "Invalid or missing credentials", headers)


class Authenticator:
    """Checks API requests and issues OAuth2 tokens.

    :param clock: the sandbox clock (token lifetimes run on it).
    :param settings: returns the current settings (credentials).
    """

    def __init__(self, clock: SandboxClock, settings: Callable[[], SandboxSettings]) -> None:
        self._clock = clock
        self._settings = settings
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._kept: set[str] = set()  # earlier API tokens still accepted (a rotation's overlap)
        self._revoked: set[str] = set()  # OAuth2 tokens revoked before their expiry

    def check(self, path_id: str, authorization: str | None) -> None:
        """Raise the 401 unless ``authorization`` may use the plan or project ``path_id``."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized()
        settings = self._settings()
        if path_id == settings.service_plan_id and (hmac.compare_digest(token, settings.api_token)
                                                    or self._kept_token(token)):
            return
        if path_id == settings.project_id:
            with self._lock:
                expires = None if token in self._revoked else self._tokens.get(token)
            if expires is not None:
                if expires > self._clock.time():
                    return
                raise _unauthorized(_EXPIRED)
        raise _unauthorized()

    def issue(self, authorization: str | None, form: bytes) -> dict[str, Any]:
        """Answer ``POST /oauth2/token``: a token for the project's access key (or :class:`OAuthError`)."""
        settings = self._settings()
        key_id, secret = _basic_credentials(authorization)
        right_id = hmac.compare_digest(key_id, settings.key_id)
        if not (hmac.compare_digest(secret, settings.key_secret) and right_id):
            raise OAuthError(401, "invalid_client", "Unknown access key or wrong secret")
        grant = parse_qs(form.decode(errors="replace")).get("grant_type", [""])[0]
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant!r} is not supported")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = self._clock.time() + settings.token_ttl
        return {"access_token": token, "expires_in": int(settings.token_ttl), "scope": "",
                "token_type": "bearer"}

    def _kept_token(self, token: str) -> bool:
        with self._lock:
            kept = list(self._kept)
        return any(hmac.compare_digest(token, old) for old in kept)

    def keep(self, token: str) -> None:
        """Accept the API token ``token`` besides the current one, until :meth:`revoke` (a rotation's
        overlap: the old token keeps working while connections are changed)."""
        with self._lock:
            self._kept.add(token)

    def revoke(self, token: str | None = None) -> None:
        """Refuse ``token`` from now on: an API token kept by :meth:`keep`, or an issued OAuth2 token;
        ``None`` revokes every OAuth2 token issued so far (an access key rotated or revoked).  The current
        API token is the plan's: change it with ``api_token`` in the settings instead."""
        with self._lock:
            if token is None:
                self._revoked.update(self._tokens)
            else:
                self._kept.discard(token)
                if token in self._tokens:
                    self._revoked.add(token)

    @property
    def issued(self) -> int:
        """How many OAuth2 tokens were issued (since the last reset)."""
        with self._lock:
            return len(self._tokens)

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._kept.clear()
            self._revoked.clear()


def _basic_credentials(authorization: str | None) -> tuple[str, str]:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "", ""
    return user, password
