"""Delivery criteria: defaults, the JSON round trip, and bad criteria refused as the project's error."""

from __future__ import annotations

import json

import pytest

from airflow_provider_sinch.delivery import DeliveryCriteria
from tests.client.refusals import refused


def test_criteria_defaults_round_trip_and_validation() -> None:
    c = DeliveryCriteria()
    assert c.to_dict() == {
        "success_statuses": ["Delivered"],
        "min_success_ratio": 1.0,
        "unknown_is_success": False,
    }
    assert DeliveryCriteria.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert DeliveryCriteria.from_dict(None) == c
    assert DeliveryCriteria(success_statuses="Delivered").success_statuses == ("Delivered",)  # type: ignore[arg-type]
    assert DeliveryCriteria(min_success_ratio=1).min_success_ratio == 1.0
    assert DeliveryCriteria(unknown_is_success=True).successful == {"Delivered", "Unknown"}
    for bad in (-0.1, 1.01, "0.5", True, float("nan")):
        with pytest.raises(ValueError, match="min_success_ratio"):
            DeliveryCriteria(min_success_ratio=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"final Sinch statuses.*Queued"):
        DeliveryCriteria(success_statuses=("Queued",))
    with pytest.raises(ValueError, match=r"final Sinch statuses.*DELIVERED"):
        DeliveryCriteria(success_statuses=("DELIVERED",))
    with pytest.raises(ValueError, match="at least one"):
        DeliveryCriteria(success_statuses=())


@pytest.mark.parametrize(
    ("criteria", "field"),
    [({"min_success_ratio": "x"}, "min_success_ratio"),
     ({"min_success_ratio": float("nan")}, "min_success_ratio"),
     ({"success_statuses": 5}, "success_statuses"), ({"success_statuses": []}, "success_statuses"),
     ({"colour": "red"}, "colour")],
)
def test_bad_criteria_are_the_project_error(criteria: dict[str, object], field: str) -> None:
    refused(lambda: DeliveryCriteria.from_dict(criteria), field)
