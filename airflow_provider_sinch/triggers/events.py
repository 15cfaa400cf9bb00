"""The events Sinch triggers fire, and the strict check every ``execute_complete`` runs on them.

Every event payload is plain JSON::

    {"kind": "delivery" | "inbound", "status": "success" | "failure" | "timeout" | "error",
     "detail": "what happened, in words", "result": {...} | null}

* ``success``: the wait is over and the criteria hold; ``result`` is the delivery summary or the inbound
  message, returned to XCom.
* ``failure``: the wait is over and the criteria do not hold (delivery below the success ratio): fail
  without retrying, since a retry would find the same final statuses.
* ``timeout``: the deadline passed: :class:`~airflow.sdk.exceptions.AirflowSensorTimeout` (no retry;
  ``soft_fail`` turns it into a skip on sensors).
* ``error``: the trigger could not check (bad credentials, unknown batch, too many consecutive transient
  failures): an ordinary failure, retried if the task has retries.

Anything else (no event, another kind, an unknown status, a success without a result) is a bug or a
version mismatch between triggerer and worker, and fails loudly instead of being taken for success.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, AirflowSensorTimeout

from airflow_provider_sinch.common.times import LATEST_TIME

EventKind = Literal["delivery", "inbound"]
EventStatus = Literal["success", "failure", "timeout", "error"]
STATUSES: frozenset[str] = frozenset({"success", "failure", "timeout", "error"})
KINDS: frozenset[str] = frozenset({"delivery", "inbound"})

DEFERRAL_GRACE_SECONDS = 120.0
"""Extra time a deferral gets over the wait's own timeout, so the trigger's ``timeout`` event (with what
was still pending) normally wins over Airflow's bare ``TaskDeferralTimeout``."""


def make_event(kind: EventKind, status: EventStatus, detail: str, result: Any = None) -> dict[str, Any]:
    """A trigger event payload (see the module docs)."""
    if kind not in KINDS or status not in STATUSES:
        raise ValueError(f"unknown event kind/status {kind!r}/{status!r}")
    return {"kind": kind, "status": status, "detail": detail, "result": result}


def validate_event(event: Any, kind: EventKind) -> dict[str, Any]:
    """Return the ``result`` of a ``success`` event of ``kind``; raise the matching Airflow error otherwise.

    :param event: what the trigger fired (``execute_complete``'s ``event`` argument).
    :param kind: the kind of event this task waits for.
    :raises AirflowFailException: ``failure`` (do not retry).
    :raises AirflowSensorTimeout: ``timeout``.
    :raises AirflowException: ``error``, and any missing, malformed or unknown event.
    """
    if event is None:
        raise AirflowException(f"resumed from the Sinch {kind} trigger without an event")
    if not isinstance(event, dict):
        raise AirflowException(f"unexpected Sinch {kind} trigger event (not a dict): {event!r}")
    status, detail = event.get("status"), str(event.get("detail") or "")
    if event.get("kind") != kind or status not in STATUSES:
        raise AirflowException(
            f"unknown Sinch trigger event for a {kind} wait: kind={event.get('kind')!r}, status={status!r}"
        )
    if status == "success":
        result = event.get("result")
        if not isinstance(result, dict):
            raise AirflowException(f"Sinch {kind} trigger reported success without a result: {event!r}")
        return result
    if status == "failure":
        raise AirflowFailException(detail or f"Sinch {kind} criteria not met")
    if status == "timeout":
        raise AirflowSensorTimeout(detail or f"Sinch {kind} wait timed out")
    raise AirflowException(detail or f"Sinch {kind} trigger failed")


def validate_delivery_event(event: Any) -> dict[str, Any]:
    """:func:`validate_event` for delivery waits: the final delivery summary, or the right exception.

    Shared by the delivery sensors' ``execute_complete`` and ``SinchSendBatchOperator(wait_for_delivery)``.
    """
    return validate_event(event, "delivery")


def validate_inbound_event(event: Any) -> dict[str, Any]:
    """:func:`validate_event` for reply waits: the inbound message, or the right exception."""
    return validate_event(event, "inbound")


def deadline_after(seconds: float | timedelta, now: datetime | None = None) -> str:
    """An ISO-8601 UTC wall-clock deadline ``seconds`` from now (a trigger's ``deadline`` kwarg); a wait
    longer than the calendar goes (``timeout=1e12``) ends at :data:`LATEST_TIME`, in effect never."""
    now = now or datetime.now(UTC)
    try:
        delta = seconds if isinstance(seconds, timedelta) else timedelta(seconds=float(seconds))
        return min(now + delta, LATEST_TIME).isoformat()
    except OverflowError:  # further than a datetime reaches
        return LATEST_TIME.isoformat()
