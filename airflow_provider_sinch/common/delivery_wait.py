"""The arguments of a delivery wait, and what a checked
:class:`~airflow_provider_sinch.delivery.progress.DeliveryProgress` means for it: shared by the delivery
sensors (``poke``), the delivery triggers and the send operator's ``wait_for_delivery``.

The probes themselves (which calls to make, what their answers mean) are plain Python in
:mod:`airflow_provider_sinch.delivery`; this module adds the Airflow-side argument rules and the
event payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_sinch.client.identifiers import check_path_id
from airflow_provider_sinch.client.msisdn import mask_destination, number_problem
from airflow_provider_sinch.common.arguments import (
    SinchArgumentError,
    argument_error,
    as_list,
    is_id_like,
    shown,
)
from airflow_provider_sinch.delivery import DeliveryCriteria, DeliveryProgress

BATCH_ID_KEYS = ("batch_ids", "id")
"""How a batch id is read from an upstream result: a send result's ``batch_ids``, or a batch's ``id``."""


def criteria_from(kwargs: dict[str, Any], where: str = "trigger arguments") -> DeliveryCriteria:
    """Take the success criteria out of ``kwargs``, every bad one as a
    :class:`~airflow_provider_sinch.common.arguments.SinchArgumentError` naming it."""
    unknown_is_success = kwargs.get("unknown_is_success", False)
    if not isinstance(unknown_is_success, bool):
        raise SinchArgumentError("unknown_is_success",
                                 f"must be true or false, got {shown(unknown_is_success)}", where)
    statuses = kwargs.get("success_statuses", ())
    if not isinstance(statuses, list | tuple | set | frozenset | str) \
            or not all(isinstance(s, str) for s in ([statuses] if isinstance(statuses, str) else statuses)):
        raise SinchArgumentError("success_statuses", f"must be a list of final Sinch statuses, got "
                                 f"{shown(statuses)}", where)
    try:
        return DeliveryCriteria.pop_from(kwargs)
    except ValueError as exc:
        raise argument_error(exc, where) from None


def check_batch_ids(batch_ids: Any, where: str = "trigger arguments") -> list[str]:
    """Batch ids as a trigger keeps them: a non-empty list of distinct ids, each one URL path segment (one
    id alone is accepted).  Strict: an empty entry is an error, not dropped."""
    if isinstance(batch_ids, str):
        batch_ids = [batch_ids]
    if not isinstance(batch_ids, list | tuple) or not all(is_id_like(b) for b in batch_ids):
        raise SinchArgumentError("batch_ids", f"must be a batch id or a list of them, got {shown(batch_ids)}",
                                 where)
    if not batch_ids:
        raise SinchArgumentError("batch_ids", "must name at least one batch", where)
    field = "batch_ids" if len(batch_ids) == 1 else "batch_ids[{}]"
    ids = [check_path_id(b, field.format(i), model=where) for i, b in enumerate(batch_ids)]
    return list(dict.fromkeys(ids))


def as_batch_ids(value: Any, where: str = "sensor arguments") -> list[str]:
    """Batch ids from what a template or XCom gives: a list, one id, ``"a,b"``, ``"['a', 'b']"``, or a
    send result (a dict with ``batch_ids``, or ``id`` for a single batch), read by
    :func:`~airflow_provider_sinch.common.arguments.as_list`, then checked as :func:`check_batch_ids`."""
    if not isinstance(value, str | Sequence | Mapping) or isinstance(value, bytes | bytearray):
        raise SinchArgumentError("batch_ids", f"must be a batch id or a list of them, got {shown(value)}",
                                 where)
    ids = as_list(value, "batch_ids", keys=BATCH_ID_KEYS, where=where)
    if not ids:
        raise SinchArgumentError("batch_ids", "is empty: there is no batch to wait for", where)
    return check_batch_ids(ids, where)


def check_recipient(recipient: Any, where: str = "trigger arguments") -> str:
    """A recipient as a wait keeps it: a phone number in international format (any spelling the client
    accepts), never a group id or text that would go into the report's URL."""
    problem = number_problem(recipient)  # the client's destination rule, group ids excluded
    if problem is not None:
        got = f"; got {mask_destination(recipient)}" if isinstance(recipient, str) else ""
        raise SinchArgumentError("recipient", problem + got, where)
    return str(recipient)


def delivery_event(progress: DeliveryProgress) -> dict[str, Any] | None:
    """The event payload for a finished send (``success`` or ``failure``), ``None`` while pending."""
    if not progress.done:
        return None
    if progress.ok:
        detail = f"delivered: {progress.describe()}"
        return {"status": "success", "detail": detail, "result": progress.summary()}
    return {"status": "failure", "detail": progress.failure_message(), "result": progress.summary()}
