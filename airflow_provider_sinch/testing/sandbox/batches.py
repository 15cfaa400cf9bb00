"""The batch operations: send, list, get, update, replace, cancel, dry run and delivery feedback.

Bodies are validated with the client's models; on top of that the sandbox applies the rules only the
server can check: a sender is required unless a default originator is configured, a delivery report needs a
callback URL unless the plan has a default one (403 ``missing_callback_url``), group ids in ``to`` must
exist (403 ``unknown_group``), and a dispatched batch can no longer change (cancel: 409, update: 403,
replace: 400, all with ``batch_already_dispatched``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from airflow_provider_sinch.client.models import (
    BatchRequest,
    DeliveryFeedbackRequest,
    MediaBody,
    UpdateBatchRequest,
)
from airflow_provider_sinch.client.models.batches import MAX_EXPIRY
from airflow_provider_sinch.client.msisdn import is_msisdn, normalize_msisdn
from airflow_provider_sinch.testing.sandbox.clock import SandboxClock, epoch
from airflow_provider_sinch.testing.sandbox.errors import (
    ALREADY_DISPATCHED,
    CONSTRAINT,
    INVALID_FORMAT,
    MISSING_CALLBACK_URL,
    UNKNOWN_GROUP,
    ApiError,
    bad_request,
    forbidden,
    not_found,
)
from airflow_provider_sinch.testing.sandbox.ids import new_id
from airflow_provider_sinch.testing.sandbox.lifecycle import Lifecycle
from airflow_provider_sinch.testing.sandbox.parsing import Query, page_of, validate
from airflow_provider_sinch.testing.sandbox.rendering import dry_run
from airflow_provider_sinch.testing.sandbox.settings import SandboxSettings
from airflow_provider_sinch.testing.sandbox.state import Batch, Store
from airflow_provider_sinch.testing.sandbox.views import batch_view

_DAY = 24 * 3600.0
_MAX_EXPIRY_S = MAX_EXPIRY.total_seconds()
_GROUP_ID = re.compile(r"^[A-Za-z0-9]+$")
# Fields kept apart from Batch.fields because the sandbox keeps them in its own form.
_OWN_FIELDS = ("type", "to", "send_at", "expire_at")


def _sender(value: str) -> str:
    return normalize_msisdn(value) if is_msisdn(value) else value


class BatchService:
    """The batch endpoints.

    :param store: the sandbox's state.
    :param clock: the sandbox clock.
    :param lifecycle: plans and applies delivery transitions.
    :param settings: returns the current settings.
    """

    def __init__(self, store: Store, clock: SandboxClock, lifecycle: Lifecycle,
                 settings: Callable[[], SandboxSettings]) -> None:
        self._store = store
        self._clock = clock
        self._lifecycle = lifecycle
        self._settings = settings

    # Send, replace, dry run

    def send(self, body: dict[str, Any]) -> dict[str, Any]:
        request = validate(BatchRequest, body, "batch")
        now = self._clock.time()
        with self._store.lock:
            batch = Batch(id=new_id(now), created_at=now, submitted_at=now, modified_at=now,
                          **self._prepare(request, now))
            self._store.batches[batch.id] = batch
            self._lifecycle.schedule(batch)
            return batch_view(batch)

    def replace(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
        request = validate(BatchRequest, body, "batch")
        now = self._clock.time()
        with self._store.lock:
            batch = self._changeable(batch_id, status=400)
            for name, value in self._prepare(request, now).items():
                setattr(batch, name, value)
            batch.submitted_at = batch.modified_at = now
            batch.recipients, batch.released, batch.report_sent = {}, False, False
            self._lifecycle.schedule(batch)
            return batch_view(batch)

    def dry_run(self, body: dict[str, Any], query: Query) -> dict[str, Any]:
        per_recipient = query.boolean("per_recipient")
        limit = query.integer("number_of_recipients", 100, 0, 1000)
        request = validate(BatchRequest, body, "batch")
        data = request.to_json()
        with self._store.lock:
            numbers, groups = self._destinations(data["to"])
            recipients = dict.fromkeys(n for n in numbers if n not in groups)
            for group_id in groups:
                recipients.update(dict.fromkeys(self._store.group_members(group_id)))
        return dry_run(data.get("type", "mt_text"), data, list(recipients), per_recipient, limit)

    def _prepare(self, request: Any, now: float) -> dict[str, Any]:
        """The stored form of a validated send/replace body."""
        data = request.to_json()
        fields = {k: v for k, v in data.items() if k not in _OWN_FIELDS}
        sender = fields.get("from") or self._settings().default_originator
        if not sender:
            raise bad_request(CONSTRAINT, "from: is required (no default originator is configured)")
        fields["from"] = _sender(sender)
        self._check_callback(fields.get("delivery_report"), fields.get("callback_url"))
        to, groups = self._destinations(data["to"])
        send_at = epoch(request.send_at) if request.send_at else None
        return {"type": data.get("type", "mt_text"), "to": to, "groups": groups, "fields": fields,
                "send_at": send_at, "expire_at": self._expiry(request.expire_at, send_at, now),
                "explicit_expiry": request.expire_at is not None}

    @staticmethod
    def _expiry(expire_at: Any, send_at: float | None, now: float) -> float:
        """The given ``expire_at``, or the default: 3 days after the send time."""
        return epoch(expire_at) if expire_at else max(send_at or now, now) + _MAX_EXPIRY_S

    def _destinations(self, entries: list[str]) -> tuple[list[str], list[str]]:
        """``to`` normalised (numbers without ``+``), and which entries are group ids."""
        to: dict[str, None] = {}
        groups: list[str] = []
        for entry in entries:
            if is_msisdn(entry):
                to[normalize_msisdn(entry)] = None
                continue
            value = entry.strip()
            if value in self._store.groups:
                to[value] = None
                groups.append(value)
            elif _GROUP_ID.match(value):
                raise forbidden(UNKNOWN_GROUP, f"Group {value!r} does not exist")
            else:
                raise bad_request(INVALID_FORMAT, f"{entry!r} is neither a phone number nor a group id")
        return list(to), groups

    def _check_callback(self, delivery_report: str | None, callback_url: str | None) -> None:
        wanted = delivery_report not in (None, "none")
        if wanted and not callback_url and not self._settings().default_callback_url:
            raise forbidden(MISSING_CALLBACK_URL,
                            f"delivery_report {delivery_report!r} needs a callback_url: the service plan has "
                            "no default callback URL")

    # Read

    def get(self, batch_id: str) -> dict[str, Any]:
        with self._store.lock:
            return batch_view(self._batch(batch_id))

    def find(self, query: Query) -> dict[str, Any]:
        page, page_size = query.page()
        now = self._clock.time()
        start, end = query.window(now)
        start = max(start, now - self._settings().list_batches_days * _DAY)
        listed_by = now - self._settings().list_delay
        senders = {_sender(s) for s in query.csv("from")}
        reference = query.text("client_reference")
        with self._store.lock:
            batches = [
                batch_view(b) for b in reversed(self._store.batches.values())
                if start <= b.created_at <= listed_by and (end is None or b.created_at < end)
                and (not senders or b.sender in senders)
                and (reference is None or b.fields.get("client_reference") == reference)
            ]
        return page_of(batches, page, page_size, "batches")

    # Change

    def update(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
        request = validate(UpdateBatchRequest, body, "batch update")
        changes = request.to_json()
        now = self._clock.time()
        with self._store.lock:
            batch = self._changeable(batch_id, status=403)
            if changes.pop("type", batch.type) != batch.type:
                raise bad_request(CONSTRAINT, f"type: a {batch.type} batch cannot become another type")
            if "body" in changes and (batch.type == "mt_media") != isinstance(request.body, MediaBody):
                raise bad_request(INVALID_FORMAT, f"body: does not fit a {batch.type} batch")
            to = self._updated_destinations(batch, changes.pop("to_add", []), changes.pop("to_remove", []))
            send_at = epoch(request.send_at) if request.send_at else batch.send_at
            explicit = bool(request.expire_at) or batch.explicit_expiry
            expire_at = (epoch(request.expire_at) if request.expire_at else batch.expire_at) if explicit \
                else self._expiry(None, send_at, batch.submitted_at)
            if send_at is not None and expire_at <= send_at:
                raise bad_request(CONSTRAINT, "expire_at: must be after send_at")
            fields = {**batch.fields, **{k: v for k, v in changes.items() if k not in _OWN_FIELDS}}
            if "from" in changes:
                fields["from"] = _sender(changes["from"])
            self._check_callback(fields.get("delivery_report"), fields.get("callback_url"))
            batch.to, batch.groups = to
            batch.fields, batch.send_at, batch.expire_at, batch.modified_at = fields, send_at, expire_at, now
            batch.explicit_expiry = explicit
            self._lifecycle.schedule(batch)
            return batch_view(batch)

    def _updated_destinations(self, batch: Batch, add: list[str], remove: list[str]
                              ) -> tuple[list[str], list[str]]:
        added, added_groups = self._destinations(add) if add else ([], [])
        gone = {normalize_msisdn(r) if is_msisdn(r) else r.strip() for r in remove}
        to = [t for t in dict.fromkeys([*batch.to, *added]) if t not in gone]
        if not to:
            raise bad_request(CONSTRAINT, "to: a batch needs at least one recipient")
        groups = [g for g in dict.fromkeys([*batch.groups, *added_groups]) if g in to]
        return to, groups

    def cancel(self, batch_id: str) -> dict[str, Any]:
        with self._store.lock:
            batch = self._batch(batch_id)
            if not self._lifecycle.cancel(batch, self._clock.time()):
                raise ApiError(409, ALREADY_DISPATCHED, "The batch has already been dispatched")
            return batch_view(batch)

    def feedback(self, batch_id: str, body: dict[str, Any]) -> None:
        request = validate(DeliveryFeedbackRequest, body, "delivery feedback")
        with self._store.lock:
            batch = self._batch(batch_id)
            if not batch.fields.get("feedback_enabled"):
                raise bad_request(CONSTRAINT, "The batch was not sent with feedback_enabled")
            if not request.recipients and batch.groups:
                raise bad_request(CONSTRAINT, "recipients: required for a batch sent to a group")
            numbers = [normalize_msisdn(r) for r in request.recipients] or list(batch.recipients)
            self._lifecycle.confirm(batch, numbers, self._clock.time())

    # Lookups

    def _batch(self, batch_id: str) -> Batch:
        batch = self._store.batches.get(batch_id)
        if batch is None:
            raise not_found()
        return batch

    def _changeable(self, batch_id: str, status: int) -> Batch:
        batch = self._batch(batch_id)
        if batch.dispatched or batch.canceled:
            what = "cancelled" if batch.canceled else "dispatched"
            raise ApiError(status, ALREADY_DISPATCHED, f"The batch has already been {what}")
        return batch
