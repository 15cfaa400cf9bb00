"""XCom values and log lines."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow_provider_sinch.common.output import masked, to_xcom


def test_to_xcom_is_plain_json() -> None:
    when = datetime(2030, 1, 1, tzinfo=UTC)
    assert to_xcom({"a": (1, when)}) == {"a": [1, "2030-01-01T00:00:00+00:00"]}


def test_masked_hides_numbers_not_group_ids() -> None:
    line = masked(["+46701234567", "G1"])
    assert "46701234567" not in line
    assert "G1" in line
    assert masked([]) == "(none)"
