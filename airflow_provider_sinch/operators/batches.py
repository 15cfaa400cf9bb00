"""Operators that change existing batches: update, replace, cancel, and confirm delivery (feedback).

Sending (``SinchSendBatchOperator``) and dry runs (``SinchDryRunBatchOperator``) live in
:mod:`~airflow_provider_sinch.operators.send`; both build on :class:`SinchBatchContentOperator` below.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowSkipException

from airflow_provider_sinch.client import SinchConflictError
from airflow_provider_sinch.common.arguments import as_bool, as_int, as_list, as_mapping, check_text
from airflow_provider_sinch.common.output import masked, to_xcom
from airflow_provider_sinch.common.times import as_timestamp
from airflow_provider_sinch.operators.base import SinchBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

BATCH_ID_KEYS = ("batch_ids", "id")
"""How a batch id is read from an upstream result: a send result (``batch_ids``) or a batch (``id``)."""

CONTENT_FIELDS = (
    "from_", "body", "type", "parameters", "delivery_report", "send_at", "expire_at", "callback_url",
    "client_reference", "feedback_enabled", "flash_message", "max_number_of_message_parts",
    "truncate_concat", "udh", "extra_fields",
)


def _text(value: Any) -> Any:
    """A blank rendered string means "not given"."""
    return None if isinstance(value, str) and not value.strip() else value


class SinchBatchContentOperator(SinchBaseOperator):
    """Base of the operators that carry a batch's content (send, dry run, replace, update).

    Every field is templated and optional here; ``None`` leaves it out of the request (Sinch's default, or
    on an update the batch's current value).

    :param from_: the sender (number, short code or alphanumeric); the connection's ``default_from`` is
        used when unset.
    :param body: the message text (``${key}`` placeholders are filled from ``parameters``), a ``.txt`` or
        ``.j2`` template file, a base64 body for ``mt_binary`` or ``{"url", "message", "subject"}`` for
        ``mt_media``.
    :param type: ``mt_text`` (default), ``mt_binary`` or ``mt_media``.
    :param parameters: ``{key: {number: value, "default": value}}`` for the body's placeholders.
    :param delivery_report: ``none``, ``summary``, ``full``, ``per_recipient`` or ``per_recipient_final``.
    :param send_at: when to send: a datetime, an ISO-8601 string (no offset = UTC) or a ``timedelta``
        counted from the moment the task runs.
    :param expire_at: when Sinch stops trying (same forms; at most 3 days after ``send_at``).
    :param callback_url: where Sinch POSTs delivery reports for this batch.
    :param client_reference: echoed in delivery reports and filterable when listing batches.
    :param feedback_enabled: allow delivery feedback for this batch.
    :param flash_message: show the message on the screen without storing it.
    :param max_number_of_message_parts: abort recipients whose message needs more parts.
    :param truncate_concat: truncate instead of aborting when ``max_number_of_message_parts`` is exceeded.
    :param udh: user data header (hex) of an ``mt_binary`` batch.
    :param extra_fields: any other API field by its API name (``{"from_ton": 1}``).
    :param delivery_callbacks: ask Sinch to push delivery reports to this Airflow's callback receiver
        (docs/howto/callbacks.md): ``callback_url`` becomes the connection's extra ``callback_url`` and
        ``delivery_report`` defaults to ``per_recipient_final``; DAGs scheduled on
        ``sinch://<conn_id>/delivery`` then run on the reports.  Not templated: checked at DAG parse.
    :param kwargs: ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    """

    template_fields: Sequence[str] = (*SinchBaseOperator.template_fields, *CONTENT_FIELDS)

    def __init__(
        self,
        *,
        from_: str | None = None,
        body: str | dict[str, Any] | None = None,
        type: str | None = None,
        parameters: dict[str, dict[str, str]] | str | None = None,
        delivery_report: str | None = None,
        send_at: datetime | timedelta | str | None = None,
        expire_at: datetime | timedelta | str | None = None,
        callback_url: str | None = None,
        client_reference: str | None = None,
        feedback_enabled: bool | str | None = None,
        flash_message: bool | str | None = None,
        max_number_of_message_parts: int | str | None = None,
        truncate_concat: bool | str | None = None,
        udh: str | None = None,
        extra_fields: dict[str, Any] | None = None,
        delivery_callbacks: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(delivery_callbacks, bool):
            raise self.invalid("delivery_callbacks",
                               f"must be True or False, got {delivery_callbacks.__class__.__name__}")
        if delivery_callbacks and callback_url is not None:
            raise self.invalid("callback_url", "must not be given with delivery_callbacks=True (the "
                               "connection's extra.callback_url is used)")
        self.delivery_callbacks = delivery_callbacks
        self.from_ = from_
        self.body = body
        self.type = type
        self.parameters = parameters
        self.delivery_report = delivery_report
        self.send_at = send_at
        self.expire_at = expire_at
        self.callback_url = callback_url
        self.client_reference = client_reference
        self.feedback_enabled = feedback_enabled
        self.flash_message = flash_message
        self.max_number_of_message_parts = max_number_of_message_parts
        self.truncate_concat = truncate_concat
        self.udh = udh
        self.extra_fields = extra_fields

    def content_fields(self) -> dict[str, Any]:
        """The rendered content as client keyword arguments, unset fields left out."""
        body = _text(self.body)
        if self.type == "mt_media" and isinstance(body, str):
            body = as_mapping(body, "body")
        fields: dict[str, Any] = {
            "from_": _text(self.from_),
            "body": body,
            "type": _text(self.type),
            "parameters": as_mapping(self.parameters, "parameters"),
            "delivery_report": _text(self.delivery_report),
            "send_at": as_timestamp(self.send_at, "send_at"),
            "expire_at": as_timestamp(self.expire_at, "expire_at"),
            "callback_url": _text(self.callback_url),
            "client_reference": _text(self.client_reference),
            "feedback_enabled": as_bool(self.feedback_enabled, "feedback_enabled"),
            "flash_message": as_bool(self.flash_message, "flash_message"),
            "max_number_of_message_parts": as_int(self.max_number_of_message_parts,
                                                  "max_number_of_message_parts", 1),
            "truncate_concat": as_bool(self.truncate_concat, "truncate_concat"),
            "udh": _text(self.udh),
        }
        if self.delivery_callbacks:
            fields["callback_url"] = self.hook.callback_url
            fields["delivery_report"] = fields["delivery_report"] or "per_recipient_final"
            if fields["delivery_report"] == "none":
                raise self.invalid("delivery_report", "must not be 'none' with delivery_callbacks=True")
        extra = as_mapping(self.extra_fields, "extra_fields") or {}
        clash = sorted(set(extra) & (set(fields) | {"from", "to"}))
        if clash:
            raise self.invalid("extra_fields", f"{', '.join(clash)} must be given as its own argument")
        content = self.without_none({**fields, **extra})
        check_text(content, "", self.where)
        return content


class _BatchIdsMixin:
    """Reads ``batch_id`` as one id or several (a list, or an upstream send result's ``batch_ids``)."""

    batch_id: Any

    def batch_ids(self) -> list[str]:
        ids = as_list(self.batch_id, "batch_id", keys=BATCH_ID_KEYS)
        if not ids:
            raise self.invalid("batch_id", "is required: give a batch id, a list of them or a send result")  # type: ignore[attr-defined]
        return ids

    def one_or_many(self, results: list[Any]) -> Any:
        """One result for one id given as text, a list otherwise (JSON for XCom)."""
        text = isinstance(self.batch_id, str) and not self.batch_id.strip().startswith("[")
        single = text and len(results) == 1
        return to_xcom(results[0] if single else results)


class SinchUpdateBatchOperator(_BatchIdsMixin, SinchBatchContentOperator):
    """Change a batch that has not been dispatched yet (``POST /batches/{id}``): only given fields change.

    ``batch_id`` may name several batches (e.g. every chunk of a large send, from its result): each is
    updated the same way.  ``to_add`` is refused then, since it would message the added numbers once per
    batch.

    :param batch_id: the batch id, a list of ids, or an upstream result with ``batch_ids``/``id``; templated.
    :param to_add: numbers or group ids to add (at most 1000); templated.
    :param to_remove: numbers or group ids to remove; templated.
    :param kwargs: the content fields of :class:`SinchBatchContentOperator` (``body``, ``send_at``, ...),
        ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    :return: the updated batch (a list of them for several ids), as JSON.
    """

    template_fields: Sequence[str] = (*SinchBatchContentOperator.template_fields, "batch_id", "to_add",
                                      "to_remove")

    def __init__(self, *, batch_id: Any, to_add: Any = None, to_remove: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_id = batch_id
        self.to_add = to_add
        self.to_remove = to_remove

    def execute(self, context: Context) -> Any:
        ids = self.batch_ids()
        fields = self.content_fields()
        to_add, to_remove = as_list(self.to_add, "to_add"), as_list(self.to_remove, "to_remove")
        if to_add and len(ids) > 1:
            raise self.invalid("to_add", f"cannot be added to {len(ids)} batches at once (each would message "
                                         "the added numbers); update one batch")
        fields.update(self.without_none({"to_add": to_add or None, "to_remove": to_remove or None}))
        if not fields:
            raise self.invalid("(fields)", "nothing to update: give at least one field to change")
        from airflow_provider_sinch.client.models import UpdateBatchRequest, build  # not at DAG parse

        build(UpdateBatchRequest, fields, "batch update")  # every field checked before the first request
        results = []
        for batch_id in ids:
            batch = self.hook.update_batch(batch_id, **fields)
            self.log_batch("Updated", batch)
            results.append(batch)
        return self.one_or_many(results)


class SinchReplaceBatchOperator(SinchBatchContentOperator):
    """Replace a batch that has not been dispatched yet with a new body, keeping its id
    (``PUT /batches/{id}``).

    :param batch_id: the batch to replace; templated.
    :param to: the new destinations (at most 1000 numbers or group ids); templated.
    :param kwargs: the content fields of :class:`SinchBatchContentOperator` (``body`` is required for text),
        ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    :return: the new batch, as JSON.
    """

    template_fields: Sequence[str] = (*SinchBatchContentOperator.template_fields, "batch_id", "to")

    def __init__(self, *, batch_id: str, to: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_id = batch_id
        self.to = to

    def execute(self, context: Context) -> Any:
        ids = as_list(self.batch_id, "batch_id", keys=BATCH_ID_KEYS)
        if len(ids) != 1:
            raise self.invalid("batch_id", f"must name exactly one batch, got {len(ids)}")
        fields = {**self.content_fields(), "to": as_list(self.to, "to")}
        from airflow_provider_sinch.client.models import BatchRequest, build  # not at DAG parse

        build(BatchRequest, fields, "batch")
        batch = self.hook.replace_batch(ids[0], **fields)
        self.log_batch("Replaced", batch)
        return to_xcom(batch)


class SinchCancelBatchOperator(_BatchIdsMixin, SinchBaseOperator):
    """Cancel batches that have not been dispatched yet (``DELETE /batches/{id}``).

    Sinch answers 409 when a batch has already been dispatched.  That fails the task with the ids, or skips
    it with ``skip_if_dispatched=True`` (when none of the batches could be cancelled; otherwise the task
    succeeds with those it cancelled).

    :param batch_id: the batch id, a list of ids, or an upstream send result; templated.
    :param skip_if_dispatched: skip instead of failing when it is too late to cancel.
    :param kwargs: ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    :return: the cancelled batch (a list of them for several ids), as JSON.
    """

    template_fields: Sequence[str] = (*SinchBaseOperator.template_fields, "batch_id", "skip_if_dispatched")

    def __init__(self, *, batch_id: Any, skip_if_dispatched: bool | str = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_id = batch_id
        self.skip_if_dispatched = skip_if_dispatched

    def execute(self, context: Context) -> Any:
        ids = self.batch_ids()
        skip = bool(as_bool(self.skip_if_dispatched, "skip_if_dispatched"))
        cancelled, too_late = [], []
        for batch_id in ids:
            try:
                batch = self.hook.cancel_batch(batch_id)
            except SinchConflictError:
                self.log.warning("Batch %s has already been dispatched: too late to cancel", batch_id)
                too_late.append(batch_id)
                continue
            self.log_batch("Cancelled", batch)
            cancelled.append(batch)
        if too_late:
            what = f"{len(too_late)} of {len(ids)} batch(es) already dispatched, too late to cancel: " + \
                ", ".join(too_late)
            if not skip:
                raise AirflowException(f"{what} (Sinch answered 409; pass skip_if_dispatched=True to skip)")
            if not cancelled:
                raise AirflowSkipException(what)
            self.log.warning("%s; cancelled the other %d", what, len(cancelled))
        return self.one_or_many(cancelled)


class SinchSendDeliveryFeedbackOperator(SinchBaseOperator):
    """Tell Sinch that recipients got the message (``POST /batches/{id}/delivery_feedback``), for batches
    sent with ``feedback_enabled=True`` (e.g. after a one-time code was used).

    :param batch_id: the batch (one id, or a send result with exactly one batch); templated.
    :param recipients: numbers to confirm; empty or unset confirms every recipient; templated.
    :param kwargs: ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    :return: ``{"batch_id": ..., "recipients": <count, or "all">}``.
    """

    template_fields: Sequence[str] = (*SinchBaseOperator.template_fields, "batch_id", "recipients")

    def __init__(self, *, batch_id: Any, recipients: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_id = batch_id
        self.recipients = recipients

    def execute(self, context: Context) -> dict[str, Any]:
        ids = as_list(self.batch_id, "batch_id", keys=BATCH_ID_KEYS)
        if len(ids) != 1:
            raise self.invalid("batch_id", f"must name exactly one batch, got {len(ids)}")
        recipients = as_list(self.recipients, "recipients")
        self.hook.send_delivery_feedback(ids[0], recipients)
        who = f"{len(recipients)} recipient(s) [{masked(recipients)}]" if recipients else "all recipients"
        self.log.info("Delivery feedback for batch %s: %s", ids[0], who)
        return {"batch_id": ids[0], "recipients": len(recipients) if recipients else "all"}
