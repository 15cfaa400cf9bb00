"""Sinch's callback signature: ``base64(HMAC-SHA256(secret, raw_body + "." + nonce + "." + timestamp))``.

The sandbox signs its callbacks with it when a webhook secret is configured; :func:`verify` lets a test (or
a user's webhook receiver) check a callback the way Sinch documents.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SIGNATURE = "x-sinch-webhook-signature"
NONCE = "x-sinch-webhook-signature-nonce"
TIMESTAMP = "x-sinch-webhook-signature-timestamp"
ALGORITHM = "x-sinch-webhook-signature-algorithm"


def signature(secret: str, body: bytes, nonce: str, timestamp: str) -> str:
    """The signature of ``body`` sent with ``nonce`` and ``timestamp`` (epoch seconds, as text)."""
    message = body + b"." + nonce.encode() + b"." + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, body: bytes, nonce: str | None = None,
                   timestamp: str | None = None) -> dict[str, str]:
    """The four signature headers for ``body`` (a fresh nonce and the current real time by default)."""
    nonce = nonce or secrets.token_hex(13).upper()
    timestamp = timestamp or str(int(time.time()))
    return {
        SIGNATURE: signature(secret, body, nonce, timestamp),
        NONCE: nonce,
        TIMESTAMP: timestamp,
        ALGORITHM: "HmacSHA256",
    }


def verify(secret: str, body: bytes, headers: Mapping[str, str], max_age: float | None = None,
           now: float | None = None) -> bool:
    """Whether ``headers`` carry a valid signature of ``body`` (and, with ``max_age``, a fresh timestamp).

    Header names are matched case-insensitively.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    given, nonce, timestamp = lowered.get(SIGNATURE), lowered.get(NONCE), lowered.get(TIMESTAMP)
    if not (given and nonce and timestamp):
        return False
    if max_age is not None:
        try:
            if abs((time.time() if now is None else now) - float(timestamp)) > max_age:
                return False
        except ValueError:
            return False
    return hmac.compare_digest(given, signature(secret, body, nonce, timestamp))
