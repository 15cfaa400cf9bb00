"""Strict event validation shared by every execute_complete (and the send operator's wait)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, AirflowSensorTimeout

from airflow_provider_sinch.common.times import parse_time
from airflow_provider_sinch.triggers.events import (
    deadline_after,
    make_event,
    validate_delivery_event,
    validate_event,
    validate_inbound_event,
)


def test_success_returns_the_result() -> None:
    summary = {"ok": True, "expected": 2}
    assert validate_delivery_event(make_event("delivery", "success", "delivered", summary)) == summary
    message = {"id": "m1", "text": "YES"}
    assert validate_inbound_event(make_event("inbound", "success", "got it", message)) == message


@pytest.mark.parametrize(
    ("status", "error"),
    [("failure", AirflowFailException), ("timeout", AirflowSensorTimeout), ("error", AirflowException)],
)
def test_other_statuses_raise_with_the_detail(status: str, error: type[Exception]) -> None:
    with pytest.raises(error, match="the detail"):
        validate_delivery_event(make_event("delivery", status, "the detail"))  # type: ignore[arg-type]


def test_failure_is_not_retried_and_timeout_is_a_sensor_timeout() -> None:
    with pytest.raises(AirflowFailException):
        validate_event({"kind": "delivery", "status": "failure", "detail": ""}, "delivery")
    with pytest.raises(AirflowSensorTimeout, match="timed out"):
        validate_event({"kind": "inbound", "status": "timeout"}, "inbound")


@pytest.mark.parametrize(
    ("event", "match"),
    [
        (None, "without an event"),
        ("success", "not a dict"),
        (["success"], "not a dict"),
        ({}, "unknown Sinch trigger event"),
        ({"status": "success", "result": {}}, "unknown Sinch trigger event"),  # no kind
        ({"kind": "delivery", "status": "done", "result": {}}, "unknown Sinch trigger event"),
        ({"kind": "delivery", "status": "SUCCESS", "result": {}}, "unknown Sinch trigger event"),
        ({"kind": "inbound", "status": "success", "result": {}}, "unknown Sinch trigger event"),  # wrong kind
        ({"kind": "delivery", "status": "success"}, "without a result"),
        ({"kind": "delivery", "status": "success", "result": None}, "without a result"),
        ({"kind": "delivery", "status": "success", "result": [1]}, "without a result"),
    ],
)
def test_missing_or_unknown_events_fail_loudly(event: object, match: str) -> None:
    with pytest.raises(AirflowException, match=match) as info:
        validate_delivery_event(event)
    assert type(info.value) is AirflowException  # not a skip, not a sensor timeout


def test_make_event_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown event"):
        make_event("delivery", "done", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown event"):
        make_event("batch", "success", "x")  # type: ignore[arg-type]


def test_time_helpers() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert deadline_after(90, now) == "2030-01-01T00:01:30+00:00"
    assert deadline_after(timedelta(hours=1), now) == "2030-01-01T01:00:00+00:00"
    assert parse_time("2030-01-01T01:00:00+01:00", "x") == now
    assert parse_time("2030-01-01T00:00:00Z", "x") == now
    assert parse_time(datetime(2030, 1, 1), "x") == now  # naive means UTC
    assert parse_time(datetime(2030, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))), "x") == now
    assert parse_time(None, "x") is None
    assert parse_time("", "x") is None
    with pytest.raises(ValueError, match="since must be an ISO-8601"):
        parse_time("yesterday", "since")
    with pytest.raises(ValueError, match="since must be"):
        parse_time(12, "since")  # type: ignore[arg-type]
