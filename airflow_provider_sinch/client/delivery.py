"""When is a send finished, and did it succeed?  Plain Python shared by sensors (poke) and triggers.

Sinch reports delivery per batch as status buckets (``{code, status, count}``) and per recipient as one
status.  ``Queued`` and ``Dispatched`` are intermediate; every other status is final (``Unknown`` means
the carrier took the message but never confirmed it).  A summary report may or may not list the
intermediate buckets, so progress is always computed as **pending = expected - sum of final counts**.

How many recipients to expect
    A batch's ``to`` comes back with the numbers it was sent to, but a group id in ``to`` is not expanded
    there; the report's ``total_message_count`` counts every message of the batch, groups included, but it
    can lag (0 while a scheduled batch waits for ``send_at``).  So ``expected`` is the larger of
    ``total_message_count`` and the number of *distinct* phone numbers in ``to`` (numbers are normalised
    first, so ``+4670...`` and ``004670...`` count once).  A batch whose ``expected`` is still 0 is never
    done, except when it was cancelled: then it is done with nothing delivered.

Success
    :class:`DeliveryCriteria` says which final statuses count as success (``Delivered`` by default,
    optionally ``Unknown``) and the minimum share of expected recipients that must reach one of them.  A
    ratio of 1.0 means every recipient; 0.0 means "wait until everything is final, whatever the outcome".

The I/O is kept out: a probe lists the read-only client calls it needs (:meth:`BatchDeliveryProbe.calls`,
then :meth:`~BatchDeliveryProbe.followup` for what only some answers need), a driver makes them with a
sync or an async client (:func:`run_probe`, :func:`arun_probe`) and the probe turns the answers into a
:class:`DeliveryProgress`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_sinch.client.errors import (
    SinchNotFoundError,
    SinchReportNotReadyError,
    SinchValidationError,
    clip,
)
from airflow_provider_sinch.client.identifiers import check_path_id
from airflow_provider_sinch.client.models.statuses import FINAL_STATUSES, DeliveryStatus
from airflow_provider_sinch.client.msisdn import (
    is_msisdn,
    mask_destination,
    mask_msisdn,
    msisdn_digits,
    normalize_msisdn,
    number_problem,
)
from airflow_provider_sinch.client.retry import is_finite_number, shown_number

if TYPE_CHECKING:
    from airflow_provider_sinch.client.models import Batch, BatchDeliveryReport, RecipientDeliveryReport

WAIT = "delivery wait"
CRITERIA = "delivery criteria"

DELIVERY_CODES: dict[int, str] = {
    0: "delivered",
    400: "queued",
    401: "dispatched",
    402: "unroutable",
    403: "internal error",
    404: "temporary failure",
    405: "unmatched parameter",
    406: "internal expiry",
    407: "cancelled by user",
    408: "internal reject",
    410: "unmatched default originator",
    411: "exceeded parts limit",
    412: "unprovisioned region",
    413: "blocked account",
    414: "MMS failure",
    415: "MMS failure",
    416: "MMS failure",
    417: "MMS failure",
    418: "MMS failure",
}
"""Sinch delivery codes and what they mean."""

FINAL_STATUS_NAMES = frozenset(str(s) for s in FINAL_STATUSES)


def describe_code(code: int) -> str:
    """``"402 unroutable"``, or just the number for a code Sinch has not documented."""
    meaning = DELIVERY_CODES.get(code)
    return f"{code} {meaning}" if meaning else str(code)


CRITERIA_KEYS = ("success_statuses", "min_success_ratio", "unknown_is_success")


@dataclass(frozen=True)
class DeliveryCriteria:
    """What "delivered well enough" means; serialisable (:meth:`to_dict` / :meth:`from_dict`).

    :param success_statuses: final statuses that count as success (default ``["Delivered"]``).
    :param min_success_ratio: share of expected recipients, from 0.0 to 1.0, that must end in a success
        status once every recipient is final (default 1.0: all of them).
    :param unknown_is_success: count ``Unknown`` (delivered to the carrier, never confirmed) as success.
    """

    success_statuses: tuple[str, ...] = (DeliveryStatus.DELIVERED.value,)
    min_success_ratio: float = 1.0
    unknown_is_success: bool = False

    def __post_init__(self) -> None:
        statuses = self.success_statuses
        if isinstance(statuses, str):
            statuses = (statuses,)
        if not isinstance(statuses, list | tuple | set | frozenset):
            raise SinchValidationError([("success_statuses", "success_statuses must be a list of final "
                                         f"statuses, got a {type(statuses).__name__}")], CRITERIA)
        object.__setattr__(self, "success_statuses", tuple(str(s) for s in statuses))
        if not self.success_statuses:
            raise SinchValidationError(
                [("success_statuses", "success_statuses must name at least one final status")], CRITERIA)
        unknown = [s for s in self.success_statuses if s not in FINAL_STATUS_NAMES]
        if unknown:
            raise SinchValidationError([("success_statuses", clip(
                f"success_statuses must be final Sinch statuses ({', '.join(sorted(FINAL_STATUS_NAMES))}); "
                f"got {', '.join(unknown)}", 300))], CRITERIA)
        ratio = self.min_success_ratio
        if not is_finite_number(ratio) or not 0.0 <= ratio <= 1.0:  # type: ignore[operator]
            raise SinchValidationError([("min_success_ratio", f"min_success_ratio must be a number from 0.0 "
                                         f"to 1.0, got {shown_number(ratio)}")], CRITERIA)
        object.__setattr__(self, "min_success_ratio", float(ratio))

    @property
    def successful(self) -> frozenset[str]:
        """Every status that counts as success."""
        extra = {DeliveryStatus.UNKNOWN.value} if self.unknown_is_success else set()
        return frozenset(self.success_statuses) | extra

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (trigger kwargs)."""
        return {
            "success_statuses": list(self.success_statuses),
            "min_success_ratio": self.min_success_ratio,
            "unknown_is_success": self.unknown_is_success,
        }

    @classmethod
    def pop_from(cls, kwargs: dict[str, Any]) -> DeliveryCriteria:
        """Take ``success_statuses``, ``min_success_ratio`` and ``unknown_is_success`` out of ``kwargs``."""
        return cls.from_dict({k: kwargs.pop(k) for k in CRITERIA_KEYS if k in kwargs})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DeliveryCriteria:
        """Inverse of :meth:`to_dict`; missing keys take their defaults."""
        if data is not None and not isinstance(data, Mapping):
            rule = f"must be a mapping, got a {type(data).__name__}"
            raise SinchValidationError([("criteria", rule)], CRITERIA)
        data = dict(data or {})
        unknown = sorted(str(k) for k in data if k not in CRITERIA_KEYS)
        if unknown:
            raise SinchValidationError(
                [(clip(", ".join(unknown), 80), f"is not a delivery criterion ({', '.join(CRITERIA_KEYS)})")],
                CRITERIA)
        return cls(**data)


@dataclass(slots=True)  # no __dict__: a triggerer keeps one per wait between polls
class BatchProgress:
    """Where one batch (or one recipient of it) stands.

    :param batch_id: the batch.
    :param expected: recipients expected (see the module docs).
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


Call = tuple[str, dict[str, Any]]
"""A read-only client call: ``(method name, keyword arguments)``."""


class DeliveryProbe(Protocol):
    """Sans-I/O check: the calls to make, then what their answers mean."""

    def calls(self) -> list[Call]: ...

    def when_not_found(self) -> Call | None:
        """After a 404 from :meth:`calls`: the call that tells a target that does not exist (it 404s too:
        final) from a report that is not there yet (raised as
        :class:`~airflow_provider_sinch.client.errors.SinchReportNotReadyError`, which waits poll again);
        ``None`` when a 404 is always final."""

    def followup(self, results: list[Any]) -> list[Call]:
        """The calls to make after :meth:`calls` answered ``results`` (their answers are appended to the
        results :meth:`evaluate` gets): what only some answers need."""

    def evaluate(self, results: list[Any]) -> DeliveryProgress: ...


class BatchDeliveryProbe:
    """Checks one or several batches; fetches each batch once (for its ``to``), reports every time.

    With ``batches_first`` (the default) every batch is read before its first report.  Without, a batch is
    read only once its summary report could finish it (every message it counts is final) or counts no
    message at all, which are the only answers that ``to`` and ``canceled`` can change: until then a
    wait costs one request a poll, and the decision is the same.  (Until a batch is read, ``expected`` in
    the progress is the report's ``total_message_count``.)

    :param batch_ids: the batches (e.g. every chunk of one send).
    :param criteria: what counts as success.
    :param batches_first: read every batch before its first report, instead of when it is needed.
    """

    def __init__(self, batch_ids: Sequence[str], criteria: DeliveryCriteria, *,
                 batches_first: bool = True) -> None:
        if isinstance(batch_ids, str):
            batch_ids = [batch_ids]
        if not isinstance(batch_ids, Sequence) or not batch_ids:
            raise SinchValidationError([("batch_ids", "must name at least one batch")], WAIT)
        ids = [check_path_id(b, f"batch_ids[{i}]", model=WAIT) for i, b in enumerate(batch_ids)]
        self.batch_ids = list(dict.fromkeys(ids))
        self.criteria = criteria
        self.batches: dict[str, Batch | None] = {}
        self.batches_first = batches_first
        self._asked: list[str] = []  # the batches the last followup() reads

    def when_not_found(self) -> Call | None:
        return None  # a 404 here is an unknown batch id: waiting will not change it

    def calls(self) -> list[Call]:
        unknown = [b for b in self.batch_ids if b not in self.batches] if self.batches_first else []
        return [("get_batch", {"batch_id": b}) for b in unknown] + [
            ("get_delivery_report", {"batch_id": b, "type": "summary"}) for b in self.batch_ids
        ]

    def followup(self, results: list[Any]) -> list[Call]:
        if self.batches_first:
            return []
        from airflow_provider_sinch.client.models import BatchDeliveryReport  # not at DAG parse

        reports = [r for r in results if isinstance(r, BatchDeliveryReport)]
        self._asked = [b for b, report in zip(self.batch_ids, reports, strict=False)
                       if b not in self.batches and could_finish(report)]
        return [("get_batch", {"batch_id": b}) for b in self._asked]

    def evaluate(self, results: list[Any]) -> DeliveryProgress:
        from airflow_provider_sinch.client.models import Batch, BatchDeliveryReport  # not at DAG parse

        fetched = [r for r in results if isinstance(r, Batch)]
        if self.batches_first:
            for result in fetched:
                self.batches[result.id] = result
        else:  # keyed by the id asked for, whatever Sinch echoes back
            self.batches.update(zip(self._asked, fetched, strict=False))
            self._asked = []
        reports = [r for r in results if isinstance(r, BatchDeliveryReport)]
        if len(reports) != len(self.batch_ids):
            raise ValueError(f"expected {len(self.batch_ids)} delivery reports, got {len(reports)}")
        if self.batches_first:
            for batch_id in self.batch_ids:
                self.batches.setdefault(batch_id, None)
        # Reports come in batch_ids order: key them by the id asked for, whatever Sinch echoes back.
        return evaluate_batches(reports, self.batches, self.criteria, self.batch_ids)


class RecipientDeliveryProbe:
    """Checks one recipient of one batch.

    :param batch_id: the batch.
    :param recipient: the number, in any spelling Sinch accepts.
    :param criteria: what counts as success.
    """

    def __init__(self, batch_id: str, recipient: str, criteria: DeliveryCriteria) -> None:
        self.batch_id = check_path_id(batch_id, "batch_id", model=WAIT)
        digits = msisdn_digits(recipient)
        if digits is None:
            problem = number_problem(recipient) or "must be a phone number in international format"
            raise SinchValidationError([("recipient", f"{problem}; got {mask_destination(recipient)}")], WAIT)
        self.recipient = digits  # canonical, so a probe re-created from it polls the same recipient
        self.criteria = criteria

    def calls(self) -> list[Call]:
        kwargs = {"batch_id": self.batch_id, "recipient_msisdn": self.recipient}
        return [("get_recipient_delivery_report", kwargs)]

    def when_not_found(self) -> Call | None:
        # Right after a send Sinch may have no report for the number yet; an unknown batch is final.
        return ("get_batch", {"batch_id": self.batch_id})

    def followup(self, results: list[Any]) -> list[Call]:
        return []

    def evaluate(self, results: list[Any]) -> DeliveryProgress:
        (report,) = results
        return evaluate_recipient(report, self.criteria)


def report_not_ready(error: SinchNotFoundError) -> SinchReportNotReadyError:
    """The error for a 404 on a report whose target exists (see ``DeliveryProbe.when_not_found``)."""
    return SinchReportNotReadyError.from_not_found(
        error, "(no delivery report for this recipient yet, or the number is not in the batch)")


def run_probe(probe: DeliveryProbe, client: Any) -> DeliveryProgress:
    """Make the probe's calls with a synchronous client (or ``SinchHook``)."""
    try:
        results = [getattr(client, name)(**kwargs) for name, kwargs in probe.calls()]
        results += [getattr(client, name)(**kwargs) for name, kwargs in probe.followup(results)]
        return probe.evaluate(results)
    except SinchNotFoundError as exc:
        if (check := probe.when_not_found()) is None:
            raise
        getattr(client, check[0])(**check[1])  # an unknown target raises its own, final, 404
        raise report_not_ready(exc) from None


async def arun_probe(probe: DeliveryProbe, client: Any) -> DeliveryProgress:
    """Make the probe's calls with an :class:`~airflow_provider_sinch.client.AsyncSinchClient`, one at a
    time (a triggerer shares the connection pool with many triggers)."""
    try:
        results = [await getattr(client, name)(**kwargs) for name, kwargs in probe.calls()]
        results += [await getattr(client, name)(**kwargs) for name, kwargs in probe.followup(results)]
        return probe.evaluate(results)
    except SinchNotFoundError as exc:
        if (check := probe.when_not_found()) is None:
            raise
        await getattr(client, check[0])(**check[1])  # an unknown target raises its own, final, 404
        raise report_not_ready(exc) from None
