"""Delivery progress: expected recipients, pending, done, success ratio and its edges, the summaries."""

from __future__ import annotations

import json

import pytest

from airflow_provider_sinch.client.models import Batch, BatchDeliveryReport, RecipientDeliveryReport
from airflow_provider_sinch.delivery import (
    DeliveryCriteria,
    describe_code,
    evaluate_batches,
    evaluate_recipient,
    expected_recipients,
)
from tests.fakes import recipient_report, report

FINAL = ["Delivered", "Failed", "Expired", "Rejected", "Aborted", "Cancelled", "Deleted", "Unknown"]


def progress(
    *reports: dict,
    to: dict[str, list[str]] | None = None,
    canceled: set[str] | None = None,
    **criteria: object,
):
    batches = {
        bid: Batch(id=bid, to=numbers, canceled=bid in (canceled or set()))
        for bid, numbers in (to or {}).items()
    }
    return evaluate_batches(
        [BatchDeliveryReport.model_validate(r) for r in reports], batches, DeliveryCriteria(**criteria)
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statuses", "pending", "done"),
    [
        ({}, 3, False),  # nothing reported yet
        ({"Queued": 3}, 3, False),
        ({"Dispatched": 2, "Delivered": 1}, 2, False),
        ({"Delivered": 2}, 1, False),  # intermediate bucket not listed: pending = expected - final
        ({"Delivered": 3}, 0, True),
        ({"Delivered": 1, "Failed": 1, "Expired": 1}, 0, True),
    ],
)
def test_pending_is_expected_minus_final(statuses: dict, pending: int, done: bool) -> None:
    p = progress(report("b1", 3, **statuses))
    assert (p.pending, p.done) == (pending, done)


@pytest.mark.parametrize("status", FINAL)
def test_every_final_status_finishes_and_only_delivered_succeeds_by_default(status: str) -> None:
    p = progress(report("b1", 1, **{status: 1}))
    assert p.done
    assert p.ok is (status == "Delivered")


@pytest.mark.parametrize("status", ["Queued", "Dispatched"])
def test_intermediate_statuses_never_finish(status: str) -> None:
    p = progress(report("b1", 1, **{status: 1}), min_success_ratio=0.0)
    assert not p.done
    assert not p.ok
    assert p.pending == 1


def test_unknown_counts_only_when_asked() -> None:
    r = report("b1", 2, Delivered=1, Unknown=1)
    assert progress(r).success_ratio == 0.5
    assert progress(r, unknown_is_success=True).ok


def test_custom_success_statuses() -> None:
    # e.g. a reminder where "Expired" after a retry window is acceptable
    assert progress(report("b1", 2, Delivered=1, Expired=1), success_statuses=("Delivered", "Expired")).ok


@pytest.mark.parametrize(
    ("delivered", "total", "ratio", "ok"),
    [
        (2, 3, 2 / 3, True),  # exactly at the ratio, float noise forgiven
        (2, 3, 0.67, False),
        (1, 2, 0.5, True),
        (0, 2, 0.0, True),  # 0.0: wait until everything is final, whatever the outcome
        (9, 10, 1.0, False),
        (10, 10, 1.0, True),
        (999, 1000, 0.999, True),
    ],
)
def test_ratio_edges(delivered: int, total: int, ratio: float, ok: bool) -> None:
    statuses = (
        {"Delivered": delivered, "Failed": total - delivered} if delivered < total else {"Delivered": total}
    )
    if delivered == 0:
        statuses = {"Failed": total}
    p = progress(report("b1", total, **statuses), min_success_ratio=ratio)
    assert p.done
    assert p.ok is ok


def test_ratio_float_noise() -> None:
    # 0.1 * 3 != 0.3 in binary; 3 of 10 must pass a 0.3 ratio
    p = progress(report("b1", 10, Delivered=3, Failed=7), min_success_ratio=0.1 * 3)
    assert p.ok


def test_expected_from_batch_to_when_report_lags() -> None:
    batch = Batch(id="b1", to=["+46701234567", "0046701234567", "46 70 123 45 68", "my-group-id"])
    r = BatchDeliveryReport.model_validate(report("b1", 0))
    assert expected_recipients(batch, r) == 2  # duplicates in any spelling once; group ids not counted
    assert expected_recipients(batch, BatchDeliveryReport.model_validate(report("b1", 5))) == 5
    assert expected_recipients(None, r) == 0


def test_nothing_expected_is_not_done_unless_cancelled() -> None:
    scheduled = progress(report("b1", 0))
    assert not scheduled.done
    assert not scheduled.ok
    cancelled = progress(report("b1", 0), to={"b1": ["my-group"]}, canceled={"b1"})
    assert cancelled.done
    assert not cancelled.ok
    assert cancelled.success_ratio == 0.0
    assert progress(report("b1", 0), to={"b1": ["g"]}, canceled={"b1"}, min_success_ratio=0.0).ok


def test_batch_to_raises_expected_above_a_lagging_total() -> None:
    p = progress(report("b1", 1, Delivered=1), to={"b1": ["46701234567", "46701234568"]})
    assert p.expected == 2
    assert p.pending == 1
    assert not p.done


def test_more_final_than_expected_is_done_and_ratio_uses_the_larger() -> None:
    p = progress(report("b1", 2, Delivered=2, Failed=1))
    assert p.done
    assert p.pending == 0
    assert p.success_ratio == pytest.approx(2 / 3)


def test_several_batches_each_must_finish() -> None:
    # b1 over-reports; b2 still has one pending: the sum must not hide it
    p = progress(report("b1", 1, Delivered=2), report("b2", 2, Delivered=1, Queued=1))
    assert p.expected == 3
    assert p.final == 3
    assert p.pending == 1
    assert not p.done
    done = progress(
        report("b1", 2, Delivered=2), report("b2", 2, Delivered=1, Failed=(402, 1)), min_success_ratio=0.75
    )
    assert done.done
    assert done.ok
    assert done.counts == {"Delivered": 3, "Failed": 1}
    assert done.summary()["batches"]["b2"] == {
        "expected": 2,
        "final": 2,
        "pending": 0,
        "done": True,
        "cancelled": False,
    }


def test_failure_message_has_counts_and_codes() -> None:
    p = progress(report("b1", 4, Delivered=1, Failed=(402, 2), Expired=(406, 1)), min_success_ratio=0.5)
    assert p.done
    assert not p.ok
    msg = p.failure_message()
    assert "1 of 4" in msg
    assert "25.0% < 50.0%" in msg
    assert "Failed=2 (code 402 unroutable: 2)" in msg
    assert "Expired=1 (code 406 internal expiry: 1)" in msg
    assert "Delivered=1 (code 0 delivered: 1)" in msg


def test_codes_split_within_a_status() -> None:
    p = progress(report("b1", 3, Delivered=1, Failed=(402, 1)), report("b2", 1, Failed=(404, 1)))
    assert "Failed=2 (code 402 unroutable: 1, code 404 temporary failure: 1)" in p.describe_statuses()
    assert describe_code(499) == "499"


def test_summary_is_plain_json() -> None:
    s = progress(report("b1", 2, Delivered=1, Failed=1), min_success_ratio=0.5).summary()
    assert json.loads(json.dumps(s)) == s
    assert s["ok"] is True
    assert s["expected"] == 2
    assert s["succeeded"] == 1
    assert s["success_ratio"] == 0.5
    assert s["statuses"] == [
        {"status": "Delivered", "code": 0, "count": 1},
        {"status": "Failed", "code": 402, "count": 1},
    ]


def test_recipient_progress() -> None:
    c = DeliveryCriteria()
    delivered = evaluate_recipient(
        RecipientDeliveryReport.model_validate(recipient_report("b1", "46701234567", "Delivered")), c
    )
    assert delivered.ok
    assert delivered.summary()["recipient"] == "46701234567"
    queued = evaluate_recipient(
        RecipientDeliveryReport.model_validate(recipient_report("b1", "46701234567", "Queued", 400)), c
    )
    assert not queued.done
    assert "4670****567" in queued.describe()
