"""The knobs and the failure rule every Sinch wait shares, whether a sensor pokes or a trigger polls.

* ``poll_interval`` and ``max_consecutive_failures`` are checked once here (:func:`check_poll_settings`).
* Transient errors (429, 5xx, connection problems, a report Sinch does not have yet, a poll that took too
  long) are worth another poll (:func:`is_transient`); anything else ends the wait at once.
* Errors are described on one short line (:func:`describe_error`) for logs and events.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_sinch.client import (
    SinchRateLimitError,
    SinchReportNotReadyError,
    SinchServerError,
    SinchTransportError,
)
from airflow_provider_sinch.client.retry import is_finite_number, is_whole
from airflow_provider_sinch.common.arguments import SinchArgumentError, shown

DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_MAX_CONSECUTIVE_FAILURES = 5

MAX_POLL_INTERVAL = 7 * 24 * 3600.0
"""The longest pause between polls (a week): longer ones are typos, and overflow the event loop's clock."""

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    SinchRateLimitError,
    SinchReportNotReadyError,
    SinchServerError,
    SinchTransportError,
    TimeoutError,
)
"""Errors worth another poll: Sinch throttled us, failed on its side, could not be reached in time, or has
no report for a recipient yet."""

MAX_DETAIL = 300
"""The longest error text an event or log line carries (a validation dump can run to pages)."""


def is_transient(exc: BaseException) -> bool:
    """Whether another poll may succeed where this one raised ``exc``."""
    return isinstance(exc, TRANSIENT_ERRORS)


def describe_error(exc: BaseException) -> str:
    """``SinchAuthenticationError: Sinch API error 401 ...`` on one line, at most about :data:`MAX_DETAIL`
    characters (never contains the token: no Sinch error message does)."""
    text = " ".join(str(exc).split())
    if len(text) > MAX_DETAIL:
        text = text[: MAX_DETAIL - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def as_seconds(value: Any, field: str, where: str = "trigger arguments") -> float:
    """A positive number of seconds, at most :data:`MAX_POLL_INTERVAL` (a pause, a look-back, a backoff),
    as a float; anything else is a :class:`~.arguments.SinchArgumentError` naming ``field``."""
    if not is_finite_number(value) or not 0 < value <= MAX_POLL_INTERVAL:
        raise SinchArgumentError(field, f"must be a positive number of seconds, at most "
                                 f"{MAX_POLL_INTERVAL:.0f}, got {shown(value)}", where)
    return float(value)


def as_failure_budget(value: Any, where: str = "trigger arguments") -> int:
    """``max_consecutive_failures``: a whole number of at least 1 (``"5"`` and ``5.0`` are read as 5)."""
    count: Any = value
    if isinstance(count, str) and count.strip().isdigit() and count.strip().isascii():
        count = int(count)
    if isinstance(count, float) and count.is_integer():
        count = int(count)
    if not is_whole(count) or count < 1:
        raise SinchArgumentError("max_consecutive_failures", f"must be a whole number of at least 1, got "
                                 f"{shown(value)}", where)
    return count


def check_poll_settings(poll_interval: float, max_consecutive_failures: int,
                        where: str = "trigger arguments") -> tuple[float, int]:
    """Validate the two knobs every Sinch wait has; returns them as ``(float, int)``."""
    interval = as_seconds(poll_interval, "poll_interval", where)
    return interval, as_failure_budget(max_consecutive_failures, where)
