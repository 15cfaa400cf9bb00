"""XCom values and log lines."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow_provider_sinch.common.output import brief_list, masked, to_xcom


def test_to_xcom_is_plain_json() -> None:
    when = datetime(2030, 1, 1, tzinfo=UTC)
    assert to_xcom({"a": (1, when)}) == {"a": [1, "2030-01-01T00:00:00+00:00"]}


def test_brief_list_caps_a_log_line_of_ids() -> None:
    ids = [f"batch{i}" for i in range(1000)]
    assert brief_list(ids[:3]) == "batch0, batch1, batch2"
    assert brief_list(ids) == ", ".join(ids[:10]) + " (+990 more)"


def test_masked_hides_numbers_not_group_ids() -> None:
    line = masked(["+46701234567", "G1"])
    assert "46701234567" not in line
    assert "G1" in line
    assert masked([]) == "(none)"
