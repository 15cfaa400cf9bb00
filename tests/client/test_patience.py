"""The 429 patience policy a send uses after the client's retries: on a fake clock, so a storm of minutes
takes no time and no assertion depends on the wall clock."""

from __future__ import annotations

import math
from typing import Any

import pytest

from airflow_provider_sinch.client.errors import (
    SinchConfigurationError,
    SinchRateLimitError,
    SinchServerError,
)
from airflow_provider_sinch.client.patience import RateLimitPatience


class FakeTime:
    """A monotonic clock that only sleeping moves; every sleep recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def refusing(times: int, retry_after: float | None = 0.0, then: Any = "sent") -> Any:
    """A request Sinch refuses with 429 ``times`` times, then answers ``then``; calls counted."""
    calls = []

    def request() -> Any:
        calls.append(1)
        if len(calls) <= times:
            raise SinchRateLimitError(429, retry_after=retry_after)
        return then

    request.calls = calls  # type: ignore[attr-defined]
    return request


def test_a_storm_shorter_than_the_patience_is_waited_out_with_doubling_pauses() -> None:
    time, request = FakeTime(), refusing(4)
    assert RateLimitPatience(seconds=60).retrying(sleep=time.sleep, clock=time.clock)(request) == "sent"
    assert time.sleeps == [1.0, 2.0, 4.0, 8.0]  # Retry-After: 0 never means "hammer"


def test_the_patience_bounds_the_wait_and_the_last_429_is_raised() -> None:
    """2.5 s of patience: one pause of 1 s, and the next (2 s) would end after it: two rounds in all."""
    time, request = FakeTime(), refusing(1000)
    with pytest.raises(SinchRateLimitError):
        RateLimitPatience(seconds=2.5).retrying(sleep=time.sleep, clock=time.clock)(request)
    assert len(request.calls) == 2
    assert time.sleeps == [1.0]


def test_no_patience_means_the_first_429_is_final() -> None:
    time, request = FakeTime(), refusing(1)
    with pytest.raises(SinchRateLimitError):
        RateLimitPatience(seconds=0).retrying(sleep=time.sleep, clock=time.clock)(request)
    assert time.sleeps == []


def test_retry_after_is_honoured_and_pauses_are_capped() -> None:
    time = FakeTime()
    RateLimitPatience(seconds=600).retrying(sleep=time.sleep, clock=time.clock)(refusing(2, retry_after=45))
    assert time.sleeps == [45.0, 45.0]
    time = FakeTime()
    RateLimitPatience(seconds=600, max_pause=3).retrying(sleep=time.sleep, clock=time.clock)(refusing(4))
    assert time.sleeps == [1.0, 2.0, 3.0, 3.0]


def test_other_errors_are_not_this_policys_business() -> None:
    time = FakeTime()

    def server_error() -> None:
        raise SinchServerError(503)

    with pytest.raises(SinchServerError):
        RateLimitPatience().retrying(sleep=time.sleep, clock=time.clock)(server_error)
    assert time.sleeps == []


@pytest.mark.parametrize("field", ["seconds", "first_pause", "max_pause"])
@pytest.mark.parametrize("value", [-1, math.nan, math.inf, "5m", True])
def test_bad_settings_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(SinchConfigurationError, match=f"rate_limit_patience.{field}"):
        RateLimitPatience(**{field: value})
