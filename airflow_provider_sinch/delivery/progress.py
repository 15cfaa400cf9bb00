"""Where a send stands: per-batch and overall progress, evaluated from Sinch's delivery reports.

Progress is always computed as **pending = expected - sum of final counts** (see
:mod:`airflow_provider_sinch.delivery` for how ``expected`` is worked out); nothing here makes a request.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_sinch.client.msisdn import is_msisdn, mask_msisdn, normalize_msisdn
from airflow_provider_sinch.delivery.criteria import FINAL_STATUS_NAMES, DeliveryCriteria, describe_code

if TYPE_CHECKING:
    from airflow_provider_sinch.client.models import Batch, BatchDeliveryReport, RecipientDeliveryReport


@dataclass(slots=True)  # no __dict__: a triggerer keeps one per wait between polls
class BatchProgress:
    """Where one batch (or one recipient of it) stands.

    :param batch_id: the batch.
    :param expected: recipients expected (see :mod:`airflow_provider_sinch.delivery`).
    :param buckets: ``[{"status", "code", "count"}]`` as reported.
    :param cancelled: the batch was cancelled (then 0 expected means finished, not "not started").
    """

    batch_id: str
    expected: int
    buckets: list[dict[str, Any]]
    cancelled: bool = False

    @property
    def final(self) -> int:
        """Recipients with a final status."""
        return sum(b["count"] for b in self.buckets if b["status"] in FINAL_STATUS_NAMES)

    @property
    def pending(self) -> int:
        """Expected recipients without a final status yet (never negative)."""
        return max(0, self.expected - self.final)

    @property
    def done(self) -> bool:
        """Every expected recipient is final; a batch expecting nobody is done only once cancelled."""
        return self.pending == 0 and (self.expected > 0 or self.cancelled)

    def to_dict(self) -> dict[str, Any]:
        return {"expected": self.expected, "final": self.final, "pending": self.pending,
                "done": self.done, "cancelled": self.cancelled}


@dataclass(slots=True)
class DeliveryProgress:
    """Where a send stands, over one or several batches.

    :param parts: one :class:`BatchProgress` per batch.
    :param criteria: what ``succeeded`` and ``ok`` are judged by.
    :param recipient: for a single-recipient check, the normalised number.
    """

    parts: list[BatchProgress]
    criteria: DeliveryCriteria
    recipient: str | None = None

    @property
    def batch_ids(self) -> list[str]:
        return [p.batch_id for p in self.parts]

    @property
    def buckets(self) -> list[dict[str, Any]]:
        """``{status, code, count}`` summed over batches, in first-seen order."""
        merged: dict[tuple[str, int], int] = {}
        for part in self.parts:
            for b in part.buckets:
                merged[(b["status"], b["code"])] = merged.get((b["status"], b["code"]), 0) + b["count"]
        return [{"status": s, "code": c, "count": n} for (s, c), n in merged.items()]

    @property
    def counts(self) -> dict[str, int]:
        """``{status: count}`` over every batch and code."""
        out: dict[str, int] = {}
        for bucket in self.buckets:
            out[bucket["status"]] = out.get(bucket["status"], 0) + bucket["count"]
        return out

    @property
    def expected(self) -> int:
        return sum(p.expected for p in self.parts)

    @property
    def final(self) -> int:
        return sum(p.final for p in self.parts)

    @property
    def pending(self) -> int:
        """Per batch ``expected - final``, summed: one batch over-reporting cannot hide another's wait."""
        return sum(p.pending for p in self.parts)

    @property
    def succeeded(self) -> int:
        """Recipients whose final status counts as success."""
        return sum(n for status, n in self.counts.items() if status in self.criteria.successful)

    @property
    def done(self) -> bool:
        """Every batch is done."""
        return bool(self.parts) and all(p.done for p in self.parts)

    @property
    def success_ratio(self) -> float:
        """``succeeded / max(expected, final)``; 0.0 when nothing was expected."""
        denominator = max(self.expected, self.final)
        return self.succeeded / denominator if denominator else 0.0

    @property
    def ok(self) -> bool:
        """Done and at or above ``min_success_ratio`` (float noise forgiven)."""
        ratio, needed = self.success_ratio, self.criteria.min_success_ratio
        return self.done and (ratio >= needed or math.isclose(ratio, needed, rel_tol=1e-9, abs_tol=1e-12))

    def describe_statuses(self) -> str:
        """``Delivered=2 (code 0 delivered: 2); Failed=1 (code 402 unroutable: 1)``."""
        by_status: dict[str, list[dict[str, Any]]] = {}
        for bucket in self.buckets:
            by_status.setdefault(bucket["status"], []).append(bucket)
        parts = []
        for status, buckets in by_status.items():
            codes = ", ".join(f"code {describe_code(b['code'])}: {b['count']}" for b in buckets)
            parts.append(f"{status}={sum(b['count'] for b in buckets)} ({codes})")
        return "; ".join(parts) or "no statuses reported yet"

    def describe(self) -> str:
        """One line for logs: which batches, how far, and the statuses."""
        who = f"recipient {mask_msisdn(self.recipient)} of " if self.recipient else ""
        return (
            f"{who}batch {', '.join(self.batch_ids)}: {self.final}/{self.expected} final, "
            f"{self.pending} pending, {self.succeeded} succeeded; {self.describe_statuses()}"
        )

    def failure_message(self) -> str:
        """Why a finished send does not meet the criteria, with per-status counts and codes."""
        return (
            f"Sinch delivery below the required success ratio: {self.succeeded} of "
            f"{max(self.expected, self.final)} "
            f"recipient(s) ended in {'/'.join(sorted(self.criteria.successful))} "
            f"({self.success_ratio:.1%} < {self.criteria.min_success_ratio:.1%}); {self.describe()}"
        )

    def summary(self) -> dict[str, Any]:
        """Plain JSON (what the sensors push to XCom and the triggers put in their events)."""
        out: dict[str, Any] = {
            "batch_ids": self.batch_ids,
            "expected": self.expected,
            "final": self.final,
            "pending": self.pending,
            "succeeded": self.succeeded,
            "success_ratio": round(self.success_ratio, 6),
            "done": self.done,
            "ok": self.ok,
            "counts": self.counts,
            "statuses": self.buckets,
            "criteria": self.criteria.to_dict(),
            "batches": {p.batch_id: p.to_dict() for p in self.parts},
        }
        if self.recipient is not None:
            out["recipient"] = self.recipient
        return out


def expected_recipients(batch: Batch | None, report: BatchDeliveryReport) -> int:
    """How many recipients a batch has: ``max(total_message_count, distinct numbers in batch.to)``."""
    numbers = {normalize_msisdn(r) for r in (batch.to if batch else []) if is_msisdn(r)}
    return max(report.total_message_count, len(numbers))


def could_finish(report: BatchDeliveryReport) -> bool:
    """Whether a batch's progress could be done on this report: it counts no message yet (a cancelled batch
    is done so), or every message it counts is final.  Only then do the batch's ``to`` and ``canceled``
    matter to the decision (more numbers in ``to`` only add pending recipients)."""
    total = report.total_message_count
    return total == 0 or sum(s.count for s in report.statuses if str(s.status) in FINAL_STATUS_NAMES) >= total


def _buckets(statuses: Iterable[Any]) -> list[dict[str, Any]]:
    return [{"status": str(s.status), "code": int(s.code), "count": int(s.count)} for s in statuses]


def evaluate_batches(
    reports: Sequence[BatchDeliveryReport],
    batches: Mapping[str, Batch | None],
    criteria: DeliveryCriteria,
    batch_ids: Sequence[str] | None = None,
) -> DeliveryProgress:
    """Progress of one or several batches from their reports (and, when known, the batches themselves).

    ``batch_ids`` (one per report) keys each report by the id that was asked for instead of the one Sinch
    echoes back, without copying the report."""
    ids = [r.batch_id for r in reports] if batch_ids is None else batch_ids
    parts = []
    for batch_id, report in zip(ids, reports, strict=True):
        batch = batches.get(batch_id)
        parts.append(BatchProgress(batch_id, expected_recipients(batch, report),
                                   _buckets(report.statuses), cancelled=bool(batch and batch.canceled)))
    return DeliveryProgress(parts, criteria)


def evaluate_recipient(report: RecipientDeliveryReport, criteria: DeliveryCriteria) -> DeliveryProgress:
    """Progress of one recipient: one expected message with the report's status."""
    bucket = {"status": str(report.status), "code": int(report.code), "count": 1}
    return DeliveryProgress([BatchProgress(report.batch_id, 1, [bucket])], criteria,
                            recipient=normalize_msisdn(report.recipient))
