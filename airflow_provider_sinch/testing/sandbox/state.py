"""What the sandbox remembers: batches with their recipients, groups and inbound messages.

Everything is in memory and guarded by one re-entrant lock, which the scheduler's jobs also hold, so a
request never sees a batch half-way through a transition.  Timestamps are epoch seconds of the sandbox's
now (the wall clock unless a test advanced or froze it: see :mod:`~.clock`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_sinch.client.models import FINAL_STATUSES
from airflow_provider_sinch.testing.sandbox.clock import Moment

_FINAL = frozenset(s.value for s in FINAL_STATUSES)

QUEUED = ("Queued", 400)
DISPATCHED = ("Dispatched", 401)


@dataclass
class Recipient:
    """One recipient of a batch and where its message stands.

    :param msisdn: the number, digits only.
    :param status: delivery status (``Queued`` ... ``Unknown``).
    :param code: Sinch status code (400 queued, 401 dispatched, 0 delivered ...).
    :param at: when the status last changed.
    :param operator_status_at: when the operator reported the status, if it did.
    :param body: the rendered message (after ``${parameter}`` substitution), once dispatched.
    :param parts: number of SMS parts, once dispatched.
    :param encoding: ``GSM`` or ``UNICODE`` (text), once dispatched.
    """

    msisdn: str
    at: float
    status: str = QUEUED[0]
    code: int = QUEUED[1]
    operator_status_at: float | None = None
    body: str | None = None
    parts: int | None = None
    encoding: str | None = None

    @property
    def final(self) -> bool:
        return self.status in _FINAL


@dataclass
class Batch:
    """A batch as sent, plus the server's bookkeeping.

    :param id: batch id.
    :param type: ``mt_text``, ``mt_binary`` or ``mt_media``.
    :param to: the destinations as given, normalised (digits for numbers, group ids unchanged).
    :param groups: the entries of ``to`` that are group ids (expanded when the batch is sent).
    :param fields: every other request field in API form (``from``, ``body``, ``parameters`` ...).
    :param created_at: creation time.
    :param submitted_at: when the current version was submitted (creation, or the last replace); the batch
        is sent at ``send_at`` or, without one, at this time.
    :param modified_at: last update.
    :param send_at: the requested send time, if any.
    :param expire_at: when undelivered messages expire.
    :param explicit_expiry: ``expire_at`` was given (else it follows the send time: 3 days later).
    :param recipients: recipients by number, in order.
    :param canceled: cancelled by the user.
    :param released: group destinations have been expanded (happens at the send time).
    :param dispatched_at: when the batch was handed to the operators; after that it cannot be cancelled.
    :param version: bumped on every replace, update or cancel, so jobs scheduled for an older version stop.
    :param report_sent: the batch-level (summary/full) callback went out.
    :param feedback: recipients confirmed through delivery feedback.
    :param release: where the send time falls on the sandbox timeline (set when the batch is scheduled).
    :param expiry: where ``expire_at`` falls on the sandbox timeline (set when the batch is scheduled).
    """

    id: str
    type: str
    to: list[str]
    groups: list[str]
    fields: dict[str, Any]
    created_at: float
    submitted_at: float
    modified_at: float
    send_at: float | None
    expire_at: float
    explicit_expiry: bool = False
    recipients: dict[str, Recipient] = field(default_factory=dict)
    canceled: bool = False
    released: bool = False
    dispatched_at: float | None = None
    version: int = 0
    report_sent: bool = False
    feedback: list[str] = field(default_factory=list)
    release: Moment | None = None
    expiry: Moment | None = None

    @property
    def send_time(self) -> float:
        """When the batch is (or was) sent: ``send_at`` or the submission time."""
        return self.submitted_at if self.send_at is None else max(self.send_at, self.submitted_at)

    @property
    def dispatched(self) -> bool:
        return self.dispatched_at is not None

    @property
    def all_final(self) -> bool:
        return all(r.final for r in self.recipients.values())

    @property
    def delivery_report(self) -> str:
        return str(self.fields.get("delivery_report") or "none")

    @property
    def sender(self) -> str | None:
        value = self.fields.get("from")
        return None if value is None else str(value)


@dataclass
class Group:
    """A recipient group.

    :param id: group id.
    :param name: optional name (1-20 characters).
    :param members: numbers, digits only, in insertion order.
    :param child_groups: ids of groups whose members also receive batches sent to this one.
    :param auto_update: keyword rules (``{"to", "add", "remove"}``) for joining and leaving by SMS.
    :param created_at: sandbox time of creation (epoch seconds).
    :param modified_at: sandbox time of the last change (epoch seconds).
    """

    id: str
    name: str | None
    members: dict[str, None]
    child_groups: list[str]
    auto_update: dict[str, Any] | None
    created_at: float
    modified_at: float


@dataclass
class Inbound:
    """An inbound (MO) message: its API form and when it arrived.

    :param payload: the message as the API returns it.
    :param received_at: arrival time (for date filters).
    """

    payload: dict[str, Any]
    received_at: float

    @property
    def id(self) -> str:
        return str(self.payload["id"])


class Store:
    """All batches, groups and inbound messages of one sandbox (``lock`` guards them)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.batches: dict[str, Batch] = {}
        self.groups: dict[str, Group] = {}
        self.inbounds: dict[str, Inbound] = {}

    def clear(self) -> None:
        with self.lock:
            self.batches.clear()
            self.groups.clear()
            self.inbounds.clear()

    def group_members(self, group_id: str, _seen: frozenset[str] = frozenset()) -> list[str]:
        """Members of a group and of its child groups, without duplicates (a missing group is empty)."""
        group = self.groups.get(group_id)
        if group is None or group_id in _seen:
            return []
        members = dict(group.members)
        for child in group.child_groups:
            members.update(dict.fromkeys(self.group_members(child, _seen | {group_id})))
        return list(members)
