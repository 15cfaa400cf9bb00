"""Reading times: the operators' ``as_timestamp`` and the waits' ``parse_time`` share one reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_sinch.client import SinchValidationError
from airflow_provider_sinch.common.arguments import SinchArgumentError
from airflow_provider_sinch.common.times import as_timestamp, parse_time
from airflow_provider_sinch.version_compat import AIRFLOW_V_3_2_PLUS


def test_timestamps() -> None:
    assert as_timestamp("2030-01-01T10:00:00", "t") == datetime(2030, 1, 1, 10, tzinfo=UTC)
    assert as_timestamp("2030-01-01T10:00:00Z", "t") == datetime(2030, 1, 1, 10, tzinfo=UTC)
    future = as_timestamp(timedelta(minutes=5), "t")
    past = as_timestamp(timedelta(minutes=5), "t", past=True)
    assert future is not None
    assert past is not None
    assert future - past >= timedelta(minutes=9, seconds=59)
    with pytest.raises(SinchValidationError, match="t: must be an ISO-8601 time"):
        as_timestamp("tomorrow", "t")


@pytest.fixture
def stockholm_airflow(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Airflow configured with ``[core] default_timezone = Europe/Stockholm`` for one test (where the
    task SDK keeps it: its own setting from 3.2, ``airflow.settings.TIMEZONE`` on 3.1)."""
    if not AIRFLOW_V_3_2_PLUS:
        import airflow.settings
        import pendulum

        monkeypatch.setattr(airflow.settings, "TIMEZONE", pendulum.timezone("Europe/Stockholm"))
        yield
        return
    from airflow.sdk import timezone as airflow_timezone

    airflow_timezone.initialize("Europe/Stockholm")
    yield
    airflow_timezone.initialize("UTC")


@pytest.mark.usefixtures("stockholm_airflow")
def test_naive_times_are_read_in_airflows_default_timezone() -> None:
    """As Airflow reads a DAG file's naive dates: 9:00 in Stockholm in winter is 8:00 UTC."""
    from airflow_provider_sinch.common.times import parse_time

    expected = datetime(2030, 1, 1, 8, tzinfo=UTC)
    assert as_timestamp(datetime(2030, 1, 1, 9), "send_at") == expected
    assert as_timestamp("2030-01-01T09:00:00", "send_at") == expected
    assert parse_time("2030-01-01T09:00:00", "since") == expected
    aware = datetime(2030, 1, 1, 9, tzinfo=timezone(timedelta(hours=-5)))
    assert as_timestamp(aware, "send_at") == aware  # an explicit offset is kept as given


@pytest.mark.parametrize("value", ["tomorrow", "2030-13-01"])
def test_both_readers_reject_text_alike(value: str) -> None:
    with pytest.raises(SinchValidationError, match=r"send_at: must be an ISO-8601 time, got"):
        as_timestamp(value, "send_at")
    with pytest.raises(SinchArgumentError, match=r"since must be an ISO-8601 time, got"):
        parse_time(value, "since")


@pytest.mark.parametrize("value", [12, 1.5, ["2030-01-01"]])
def test_both_readers_name_what_they_take(value: Any) -> None:
    with pytest.raises(SinchValidationError, match="send_at: must be a datetime, an ISO-8601 string or a"):
        as_timestamp(value, "send_at")
    with pytest.raises(SinchArgumentError, match="since must be an ISO-8601 time or a datetime"):
        parse_time(value, "since", "SinchInboundMessageSensor arguments")


def test_parse_time_is_utc_and_as_timestamp_keeps_the_offset() -> None:
    aware = datetime(2030, 1, 1, 9, tzinfo=timezone(timedelta(hours=2)))
    assert parse_time(aware, "since") == datetime(2030, 1, 1, 7, tzinfo=UTC)
    assert parse_time(aware, "since").tzinfo is UTC  # type: ignore[union-attr]
    assert as_timestamp(aware, "send_at").utcoffset() == timedelta(hours=2)  # type: ignore[union-attr]
    assert parse_time("", "since") is None
    assert as_timestamp("  ", "send_at") is None
