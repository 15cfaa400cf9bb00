"""The JSON the API returns for stored objects: batches, groups and delivery reports.

Numbers are digits only (no ``+``), timestamps UTC with milliseconds, and a batch report lists only the
statuses at least one recipient has.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_sinch.testing.sandbox.clock import iso, iso_minute
from airflow_provider_sinch.testing.sandbox.state import Batch, Group, Recipient


def batch_view(batch: Batch) -> dict[str, Any]:
    """A batch as ``GET /batches/{id}`` returns it."""
    out: dict[str, Any] = {"id": batch.id, "type": batch.type, "to": list(batch.to), **batch.fields}
    out["canceled"] = batch.canceled
    out["created_at"] = iso(batch.created_at)
    out["modified_at"] = iso(batch.modified_at)
    if batch.send_at is not None:
        out["send_at"] = iso(batch.send_at)
    out["expire_at"] = iso(batch.expire_at)
    out.setdefault("delivery_report", "none")
    out.setdefault("feedback_enabled", False)
    if batch.type == "mt_text":
        out.setdefault("flash_message", False)
    return out


def group_view(group: Group) -> dict[str, Any]:
    """A group as ``GET /groups/{id}`` returns it (``size`` counts its own members)."""
    out: dict[str, Any] = {"id": group.id}
    if group.name is not None:
        out["name"] = group.name
    out["size"] = len(group.members)
    out["created_at"] = iso(group.created_at)
    out["modified_at"] = iso(group.modified_at)
    out["child_groups"] = list(group.child_groups)
    if group.auto_update is not None:
        out["auto_update"] = group.auto_update
    return out


def _suffix(batch: Batch) -> str:
    return "mms" if batch.type == "mt_media" else "sms"


def recipient_report(batch: Batch, recipient: Recipient) -> dict[str, Any]:
    """One recipient's delivery report (``GET .../delivery_report/{msisdn}`` and per-recipient callbacks)."""
    out: dict[str, Any] = {
        "type": f"recipient_delivery_report_{_suffix(batch)}",
        "batch_id": batch.id,
        "recipient": recipient.msisdn,
        "code": recipient.code,
        "status": recipient.status,
        "at": iso(recipient.at),
    }
    if recipient.operator_status_at is not None:
        out["operator_status_at"] = iso_minute(recipient.operator_status_at)
    if batch.fields.get("client_reference") is not None:
        out["client_reference"] = batch.fields["client_reference"]
    if recipient.parts is not None:
        if batch.sender is not None:
            out["applied_originator"] = batch.sender
        out["encoding"] = recipient.encoding
        out["number_of_message_parts"] = recipient.parts
    return out


def batch_report(batch: Batch, *, full: bool, statuses: set[str] | None = None,
                 codes: set[int] | None = None) -> dict[str, Any]:
    """A batch delivery report: one bucket per (status, code) that at least one recipient has.

    :param full: list each bucket's recipients (``type=full``).
    :param statuses: only these statuses (empty or ``None``: all).
    :param codes: only these codes (empty or ``None``: all).
    """
    buckets: dict[tuple[str, int], list[str]] = {}
    for recipient in batch.recipients.values():
        if statuses and recipient.status not in statuses:
            continue
        if codes and recipient.code not in codes:
            continue
        buckets.setdefault((recipient.status, recipient.code), []).append(recipient.msisdn)
    entries = []
    for (status, code), numbers in buckets.items():
        entry: dict[str, Any] = {"code": code, "status": status, "count": len(numbers)}
        if full:
            entry["recipients"] = numbers
        entries.append(entry)
    out: dict[str, Any] = {
        "type": f"delivery_report_{_suffix(batch)}",
        "batch_id": batch.id,
        "total_message_count": len(batch.recipients),
        "statuses": entries,
    }
    if batch.fields.get("client_reference") is not None:
        out["client_reference"] = batch.fields["client_reference"]
    return out
