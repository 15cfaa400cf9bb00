"""The poll settings and the failure rule every Sinch wait shares."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_sinch.client import SinchAuthenticationError, SinchServerError
from airflow_provider_sinch.common.arguments import SinchArgumentError
from airflow_provider_sinch.common.polling import (
    MAX_DETAIL,
    MAX_POLL_INTERVAL,
    as_failure_budget,
    as_seconds,
    check_poll_settings,
    describe_error,
    is_transient,
)


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), True, "60", None,
                                   MAX_POLL_INTERVAL + 1])
def test_seconds_name_the_field_they_check(value: Any) -> None:
    """overlap_seconds was once checked through check_poll_settings: its error must not say poll_interval."""
    rule = "overlap_seconds must be a positive number of seconds"
    with pytest.raises(SinchArgumentError, match=rule) as info:
        as_seconds(value, "overlap_seconds")
    assert "poll_interval" not in str(info.value)


def test_poll_settings_are_read_as_float_and_int() -> None:
    assert check_poll_settings(5, 3) == (5.0, 3)
    assert check_poll_settings(0.5, "4") == (0.5, 4)
    assert as_failure_budget(2.0) == 2
    for bad in (0, True, 1.5, "x", "٣"):
        with pytest.raises(SinchArgumentError, match="max_consecutive_failures must be a whole number"):
            as_failure_budget(bad, "SinchBatchDeliverySensor arguments")


def test_transient_errors_and_one_line_descriptions() -> None:
    assert is_transient(SinchServerError(503))
    assert is_transient(TimeoutError())
    assert not is_transient(SinchAuthenticationError(401))
    text = describe_error(ValueError("a\nb " + "x" * 1000))
    assert text.startswith("ValueError: a b ")
    assert len(text) <= len("ValueError: ") + MAX_DETAIL
    assert describe_error(ValueError()) == "ValueError"
