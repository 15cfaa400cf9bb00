"""Authenticating a Sinch callback: Sinch's HMAC signature or HTTP Basic, decided before the body is parsed.

Plugin routes are not behind Airflow's own authentication, so every request is checked here.  Two steps,
so that as much as possible is refused before the body is even read:

1. :func:`check_headers` (headers only): a method the connection accepts is present; for a signature the
   algorithm is HmacSHA256 and the timestamp is within :data:`TIMESTAMP_TOLERANCE_S`; Basic credentials
   are compared in full.
2. :func:`check_signature` (raw body): the HMAC, compared in constant time, then the nonce claimed once.

Why five minutes of tolerance: Sinch signs each attempt when it sends it, so a genuine callback is seconds
old; the margin covers clock skew between Sinch and the API server and a slow proxy, while a captured
request stops working soon after (and the nonce cache only has to remember five minutes either way).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from airflow_provider_sinch.callbacks.nonces import NonceCache
from airflow_provider_sinch.callbacks.settings import CallbackSettings
from airflow_provider_sinch.client.webhooks import (
    ALGORITHM,
    HMAC_SHA256,
    NONCE,
    SIGNATURE,
    TIMESTAMP,
    lowered,
    timestamp_is_fresh,
    verify,
)

TIMESTAMP_TOLERANCE_S = 300.0

Method = Literal["signature", "basic"]


class CallbackRefused(Exception):
    """A callback the receiver refuses, with the status to answer and a reason safe to show and log.

    :param status: HTTP status (401 unauthenticated, 403 not enabled, 413 too large, 400/422 malformed ...).
    :param reason: what was wrong, never containing the body, a secret or a phone number.
    :param headers: extra response headers (``WWW-Authenticate``).
    :param credentials: the refusal comes from the connection's credentials (none configured, a wrong
        password or signature), so settings read before a rotation may explain it: the receiver reads the
        connection again at once and checks once more (:meth:`~.settings.SettingsCache.fresher`).
    """

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None,
                 credentials: bool = False) -> None:
        self.status = status
        self.reason = reason
        self.headers = dict(headers or {})
        self.credentials = credentials
        super().__init__(f"{status}: {reason}")


@dataclass(frozen=True)
class Authenticated:
    """How a request authenticated (before the body is read).

    :param method: ``signature`` (the body's HMAC is still to be checked) or ``basic`` (done).
    :param nonce: the signature's nonce (``None`` for Basic).
    """

    method: Method
    nonce: str | None = None


def _unauthorized(reason: str, settings: CallbackSettings, credentials: bool = False) -> CallbackRefused:
    challenge = {"WWW-Authenticate": 'Basic realm="sinch-callbacks"'} if settings.accepts_basic else {}
    return CallbackRefused(401, reason, challenge, credentials)


def not_enabled() -> CallbackRefused:
    """403 for a connection that accepts no callbacks (missing, not ``sinch``, or no credentials set)."""
    return CallbackRefused(403, "callbacks are not enabled for this connection", credentials=True)


def _basic_matches(authorization: str, settings: CallbackSettings) -> bool:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    assert settings.username is not None
    assert settings.password is not None
    # Both compared every time (no early exit on a wrong user name), each in constant time.
    user_ok = hmac.compare_digest(user.encode(), settings.username.encode())
    password_ok = hmac.compare_digest(password.encode(), settings.password.encode())
    return bool(sep) and user_ok and password_ok


def check_headers(headers: Mapping[str, str], settings: CallbackSettings, now: float | None = None,
                  tolerance: float = TIMESTAMP_TOLERANCE_S) -> Authenticated:
    """Everything that can be checked from the headers alone.

    A signed request is checked against the secret when the connection has one; otherwise Basic
    credentials are required.

    :raises CallbackRefused: 403 when the connection accepts no callbacks, else 401.
    """
    if not settings.enabled:
        raise not_enabled()
    named = lowered(headers)
    if settings.accepts_signatures and SIGNATURE in named:
        nonce, timestamp = named.get(NONCE), named.get(TIMESTAMP)
        if not (named[SIGNATURE] and nonce and timestamp):
            raise _unauthorized("signature without its nonce or timestamp header", settings)
        algorithm = named.get(ALGORITHM)
        if algorithm is not None and algorithm.lower() != HMAC_SHA256.lower():
            raise _unauthorized("unsupported signature algorithm", settings)
        if not timestamp_is_fresh(timestamp, tolerance, now):
            raise _unauthorized("signature timestamp outside the accepted window", settings)
        return Authenticated("signature", nonce)
    authorization = named.get("authorization")
    if settings.accepts_basic and authorization:
        if _basic_matches(authorization, settings):
            return Authenticated("basic")
        raise _unauthorized("wrong credentials", settings, credentials=True)
    raise _unauthorized("no credentials this connection accepts", settings, credentials=True)


def check_signature(authenticated: Authenticated, body: bytes, headers: Mapping[str, str],
                    settings: CallbackSettings, nonces: NonceCache) -> None:
    """For a signed request: the HMAC of the raw body (constant time), then the nonce claimed once.

    The caller releases the nonce (:meth:`NonceCache.release`) when it does not acknowledge the request.

    :raises CallbackRefused: 401 on a wrong signature or a nonce already used.
    """
    if authenticated.method != "signature":
        return
    assert settings.secret is not None
    assert authenticated.nonce is not None
    if not verify(settings.secret, body, headers):
        raise _unauthorized("invalid signature", settings, credentials=True)
    if not nonces.claim(authenticated.nonce):
        raise _unauthorized("nonce already used (replayed request)", settings)
