"""The arguments of a delivery wait, shared by the delivery sensors, triggers and the send operator."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_sinch.client import SinchValidationError
from airflow_provider_sinch.common.delivery_wait import (
    as_batch_ids,
    check_batch_ids,
    check_recipient,
    criteria_from,
    delivery_event,
)
from airflow_provider_sinch.delivery import BatchProgress, DeliveryCriteria, DeliveryProgress


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        (["b1", "b2"], ["b1", "b2"]),
        ("b1", ["b1"]),
        ("b1, b2", ["b1", "b2"]),
        ("['b1', 'b2']", ["b1", "b2"]),
        ('["b1"]', ["b1"]),
        ({"batch_ids": ["b1", "b2"]}, ["b1", "b2"]),
        ({"id": "b3"}, ["b3"]),
        (("b1",), ["b1"]),
    ],
)
def test_batch_ids_from_templates_and_xcom(value: Any, ids: list[str]) -> None:
    assert as_batch_ids(value) == ids


@pytest.mark.parametrize("value", [None, "", [], ["  "], 5, {"x": 1}])
def test_batch_ids_must_name_a_batch(value: Any) -> None:
    with pytest.raises(ValueError, match="batch_ids"):
        as_batch_ids(value)




def test_triggers_take_batch_ids_strictly() -> None:
    """A trigger's kwargs come from serialize(): nothing is split, parsed or dropped."""
    assert check_batch_ids(["b1", "b1", "b2"]) == ["b1", "b2"]
    assert check_batch_ids("b1") == ["b1"]
    with pytest.raises(SinchValidationError, match=r"batch_ids\[1\]"):
        check_batch_ids(["b1", " "])
    with pytest.raises(SinchValidationError, match="must name at least one batch"):
        check_batch_ids([])
    with pytest.raises(SinchValidationError, match="must be a batch id or a list"):
        check_batch_ids({"batch_ids": ["b1"]})


WHERE = "SinchBatchDeliverySensor arguments"


@pytest.mark.parametrize(("kwargs", "field", "named"), [
    ({"unknown_is_success": "no"}, "unknown_is_success", WHERE),
    ({"success_statuses": [1]}, "success_statuses", WHERE),
    ({"min_success_ratio": 2}, "min_success_ratio", "delivery criteria"),  # the client's own check
])
def test_criteria_errors_name_the_argument(kwargs: dict[str, Any], field: str, named: str) -> None:
    with pytest.raises(SinchValidationError) as info:
        criteria_from(dict(kwargs), WHERE)
    assert info.value.errors[0][0] == field
    assert f"invalid Sinch {named}: {field}" in str(info.value)


def test_criteria_are_taken_out_of_the_kwargs() -> None:
    kwargs: dict[str, Any] = {"min_success_ratio": 0.5, "poll_interval": 3}
    assert criteria_from(kwargs) == DeliveryCriteria(min_success_ratio=0.5)
    assert kwargs == {"poll_interval": 3}


def test_recipient_must_be_a_number() -> None:
    assert check_recipient("+46701234567") == "+46701234567"
    with pytest.raises(SinchValidationError, match="recipient") as info:
        check_recipient("G1", "SinchRecipientDeliverySensor arguments")
    assert "SinchRecipientDeliverySensor arguments" in str(info.value)


def test_delivery_event_is_none_while_pending_then_success_or_failure() -> None:
    criteria = DeliveryCriteria(min_success_ratio=1.0)

    def progress(**counts: int) -> DeliveryProgress:
        buckets = [{"status": s, "code": 0, "count": n} for s, n in counts.items()]
        return DeliveryProgress([BatchProgress("b1", 2, buckets)], criteria)

    assert delivery_event(progress(Delivered=1, Queued=1)) is None
    success = delivery_event(progress(Delivered=2))
    assert success is not None
    assert success["status"] == "success"
    assert success["result"]["ok"] is True
    failure = delivery_event(progress(Delivered=1, Failed=1))
    assert failure is not None
    assert failure["status"] == "failure"
    assert "below the required success ratio" in failure["detail"]
