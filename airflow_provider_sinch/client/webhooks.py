"""Sinch callbacks (webhooks) in plain Python: the HMAC signature, what a callback is, and its identity.

Sinch POSTs delivery reports to a batch's ``callback_url`` and inbound (MO) messages to the plan's inbound
URL.  When signing is switched on, each POST carries ``x-sinch-webhook-signature`` =
``base64(HMAC-SHA256(secret, raw_body + "." + nonce + "." + timestamp))`` with the nonce, the timestamp
(epoch seconds) and the algorithm in three more headers.  This module is the one definition of that
signature (the sandbox signs with it, the Airflow receiver verifies with it), and it classifies a parsed
callback body and gives it a *dedup key*: Sinch retries until it sees a 2xx, so the same callback can
arrive many times and a receiver must recognise it.  No Airflow imports here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

SIGNATURE = "x-sinch-webhook-signature"
NONCE = "x-sinch-webhook-signature-nonce"
TIMESTAMP = "x-sinch-webhook-signature-timestamp"
ALGORITHM = "x-sinch-webhook-signature-algorithm"
HMAC_SHA256 = "HmacSHA256"

INBOUND_TYPES = frozenset({"mo_text", "mo_binary", "mo_media"})
BATCH_REPORT_TYPES = frozenset({"delivery_report_sms", "delivery_report_mms"})
RECIPIENT_REPORT_TYPES = frozenset({"recipient_delivery_report_sms", "recipient_delivery_report_mms"})
CALLBACK_TYPES = INBOUND_TYPES | BATCH_REPORT_TYPES | RECIPIENT_REPORT_TYPES

CallbackKind = Literal["inbound", "delivery"]


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
        ALGORITHM: HMAC_SHA256,
    }


def lowered(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with lower-case names: HTTP header names are case-insensitive, a dict's keys are not."""
    return {k.lower(): v for k, v in headers.items()}


def verify(secret: str, body: bytes, headers: Mapping[str, str], max_age: float | None = None,
           now: float | None = None) -> bool:
    """Whether ``headers`` carry a valid signature of ``body`` (and, with ``max_age``, a fresh timestamp).

    Header names are matched case-insensitively; the signature is compared in constant time.
    """
    named = lowered(headers)
    given, nonce, timestamp = named.get(SIGNATURE), named.get(NONCE), named.get(TIMESTAMP)
    if not (given and nonce and timestamp):
        return False
    if max_age is not None and not timestamp_is_fresh(timestamp, max_age, now):
        return False
    return hmac.compare_digest(given.encode(), signature(secret, body, nonce, timestamp).encode())


def timestamp_is_fresh(timestamp: str, max_age: float, now: float | None = None) -> bool:
    """Whether ``timestamp`` (epoch seconds, as sent) is within ``max_age`` seconds of ``now``, either way."""
    try:
        sent = float(timestamp)
    except ValueError:
        return False
    if sent != sent:  # NaN
        return False
    return abs((time.time() if now is None else now) - sent) <= max_age


class CallbackPayloadError(ValueError):
    """A callback body that is not a Sinch callback: invalid JSON, not an object, an unknown ``type`` or a
    missing identifying field.  The message names the problem, never the body's content.

    :param reason: what is wrong, in words.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Callback:
    """One parsed Sinch callback.

    :param kind: ``inbound`` (an MO message) or ``delivery`` (a batch or recipient delivery report).
    :param type: Sinch's ``type`` field (``mo_text``, ``recipient_delivery_report_sms`` ...).
    :param payload: the JSON object exactly as Sinch sent it (numbers unmasked: DAGs need them).
    :param dedup_key: the same for every retry of this callback and different for any other callback.
    """

    kind: CallbackKind
    type: str
    payload: dict[str, Any]
    dedup_key: str

    @property
    def dedup_digest(self) -> str:
        """SHA-256 of :attr:`dedup_key` (hex): short, fixed-length and free of phone numbers."""
        return hashlib.sha256(self.dedup_key.encode()).hexdigest()


def _required(payload: Mapping[str, Any], *names: str) -> list[Any]:
    values = []
    for name in names:
        value = payload.get(name)
        if value is None or value == "":
            raise CallbackPayloadError(f"{payload.get('type')} callback without {name!r}")
        values.append(value)
    return values


def _statuses_digest(statuses: Any) -> str:
    """A digest of a batch report's status buckets, independent of their order (and of recipients' order)."""
    if not isinstance(statuses, list):
        raise CallbackPayloadError("batch delivery report whose 'statuses' is not a list")
    canonical = []
    for bucket in statuses:
        if not isinstance(bucket, Mapping):
            raise CallbackPayloadError("batch delivery report with a status that is not an object")
        recipients = bucket.get("recipients") or []
        canonical.append([bucket.get("code"), bucket.get("status"), bucket.get("count"),
                          sorted(str(r) for r in recipients) if isinstance(recipients, list) else []])
    canonical.sort(key=lambda item: json.dumps(item))
    return hashlib.sha256(json.dumps(canonical).encode()).hexdigest()


def dedup_key(payload: Mapping[str, Any]) -> str:
    """The identity of a callback across Sinch's retries.

    Inbound: its ``id``.  Recipient report: batch id, recipient, status, code and ``at`` (a recipient's
    next status change is a different callback).  Batch report (summary/full): batch id, type and a digest
    of the status buckets (a batch report is sent once the batch is final, so its content identifies it).
    """
    kind = payload.get("type")
    if kind in INBOUND_TYPES:
        (message_id,) = _required(payload, "id")
        return f"inbound|{message_id}"
    if kind in RECIPIENT_REPORT_TYPES:
        batch_id, recipient, status = _required(payload, "batch_id", "recipient", "status")
        return "|".join(["recipient", str(kind), str(batch_id), str(recipient), str(status),
                         str(payload.get("code")), str(payload.get("at"))])
    if kind in BATCH_REPORT_TYPES:
        (batch_id,) = _required(payload, "batch_id")
        return f"batch|{kind}|{batch_id}|{_statuses_digest(payload.get('statuses', []))}"
    raise CallbackPayloadError("unknown callback type" if kind else "callback without a 'type'")


def parse_callback(body: bytes) -> Callback:
    """Parse and classify a callback body (already authenticated and size-checked).

    :raises CallbackPayloadError: invalid JSON, not an object, an unknown type or a missing id field.
    """
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CallbackPayloadError("body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise CallbackPayloadError("body is not a JSON object")
    key = dedup_key(payload)
    kind: CallbackKind = "inbound" if payload["type"] in INBOUND_TYPES else "delivery"
    return Callback(kind=kind, type=str(payload["type"]), payload=payload, dedup_key=key)
