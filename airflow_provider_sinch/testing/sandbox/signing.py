"""Sinch's callback signature, as the sandbox signs it.

One definition lives in :mod:`airflow_provider_sinch.client.webhooks` (the Airflow receiver verifies with
it); this module re-exports it so the sandbox, its tests and users' own receivers keep their import path.
"""

from __future__ import annotations

from airflow_provider_sinch.client.webhooks import (
    ALGORITHM,
    NONCE,
    SIGNATURE,
    TIMESTAMP,
    signature,
    signed_headers,
    verify,
)

__all__ = ["ALGORITHM", "NONCE", "SIGNATURE", "TIMESTAMP", "signature", "signed_headers", "verify"]
