"""Reading times: operators' ``send_at``/``received_after`` and triggers' ``deadline``/``since``.

A time without an offset is read in Airflow's ``[core] default_timezone``, as Airflow reads the naive dates
of a DAG file, so ``send_at=datetime(2030, 1, 1, 9)`` means 9:00 where the DAGs live.  Times past
:data:`LATEST_TIME` (or, for operators, before :data:`EARLIEST_TIME`) are an error naming the field, never
an ``OverflowError`` later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk.timezone import convert_to_utc

from airflow_provider_sinch.client import SinchError, SinchValidationError
from airflow_provider_sinch.common.arguments import SinchArgumentError, invalid, shown

EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""The earliest time an operator takes (a ``send_at`` in the past sends now; before 1970 is a mistake)."""

LATEST_TIME = datetime(9999, 12, 1, tzinfo=UTC)
"""The latest time a deadline or a message time may be: later ones overflow when a few days are added."""

ErrorFactory = Callable[[str, str, str], SinchValidationError]


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive time is read in Airflow's ``[core] default_timezone``."""
    return value.astimezone(UTC) if value.tzinfo is not None else convert_to_utc(value)


def _read_time(value: Any, field: str, where: str, error: ErrorFactory, kinds: str) -> datetime | None:
    """A datetime (as given: aware or naive) from an ISO-8601 string or a datetime; ``None``/``""`` stay
    unset.  Anything else is ``error(field, rule, where)``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise error(field, f"must be an ISO-8601 time, got {shown(value)}", where) from None
    if not isinstance(value, datetime):
        raise error(field, f"must be {kinds}, got {shown(value)}", where)
    return value


def as_timestamp(value: Any, field: str, *, past: bool = False,
                 where: str = "operator arguments") -> datetime | None:
    """An operator's time, timezone-aware, from a datetime, an ISO-8601 string or a ``timedelta``.

    An explicit offset is kept as given.  A ``timedelta`` is counted from now, forwards
    (``send_at=timedelta(hours=1)``) or, with ``past=True``, backwards (a ``start_date``).  Times from
    :data:`EARLIEST_TIME` to :data:`LATEST_TIME` are taken; beyond them (``timedelta(days=3_000_000)``,
    9999-12-31) the error names the field, never ``OverflowError``.
    """
    out_of_range = invalid(field, f"must be a time from {EARLIEST_TIME:%Y-%m-%d} to {LATEST_TIME:%Y-%m-%d} "
                                  f"UTC, got {shown(value)}", where)
    try:
        if isinstance(value, timedelta):
            now = datetime.now(UTC)
            when = now - value if past else now + value
        else:
            given = _read_time(value, field, where, invalid,
                               "a datetime, an ISO-8601 string or a timedelta")
            if given is None:
                return None
            when = given if given.tzinfo is not None else to_utc(given)
            when.astimezone(UTC)  # an offset near either end of the calendar overflows here
    except OverflowError:
        raise out_of_range from None
    if not EARLIEST_TIME <= when <= LATEST_TIME:
        raise out_of_range
    return when


def parse_time(value: str | datetime | None, field: str, where: str = "trigger arguments") -> datetime | None:
    """A wait's time (a trigger's ``deadline`` or ``since``, a sensor's ``received_after``) in UTC, from an
    ISO-8601 string or a datetime; ``None`` stays ``None``; later than :data:`LATEST_TIME` is an error."""
    given = _read_time(value, field, where, SinchArgumentError, "an ISO-8601 time or a datetime")
    if given is None:
        return None
    try:
        when: datetime | None = to_utc(given)
    except (OverflowError, ValueError, SinchError):
        when = None
    if when is None or when > LATEST_TIME:
        rule = f"must be a time before {LATEST_TIME:%Y-%m-%d} UTC, got {shown(value)}"
        raise SinchArgumentError(field, rule, where)
    return when
