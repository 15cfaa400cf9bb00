"""Inbound (MO) messages: injecting them, the inbound endpoints, auto replies and group keywords.

An injected message is stored, POSTed to the plan's inbound callback URL (if set) and applied to groups
whose ``auto_update`` keywords it matches (the sender joins or leaves).  An auto-reply rule makes a
recipient answer a batch: once its message is ``Delivered``, the recipient sends ``text`` back to the batch's
sender ``delay`` sandbox seconds later (a wait on the sandbox timeline, compressed by ``time_scale``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from airflow_provider_sinch.client.msisdn import normalize_msisdn
from airflow_provider_sinch.testing.sandbox.callbacks import CallbackDispatcher
from airflow_provider_sinch.testing.sandbox.clock import Moment, SandboxClock, iso
from airflow_provider_sinch.testing.sandbox.errors import not_found
from airflow_provider_sinch.testing.sandbox.ids import new_id
from airflow_provider_sinch.testing.sandbox.parsing import Query, page_of
from airflow_provider_sinch.testing.sandbox.scheduler import Scheduler
from airflow_provider_sinch.testing.sandbox.settings import SandboxSettings
from airflow_provider_sinch.testing.sandbox.state import Batch, Inbound, Recipient, Store


class InboundMessage(BaseModel):
    """An MO message to inject (what a phone sends to one of your numbers).

    :param from_: the sender's number (JSON ``from``).
    :param to: your number or short code it was sent to.
    :param body: text (``mo_text``), base64 (``mo_binary``) or ``{subject, message, media[]}`` (``mo_media``).
    :param type: ``mo_text`` (default), ``mo_binary`` or ``mo_media``.
    :param udh: hex user data header (``mo_binary`` only, required there).
    :param operator_id: MCC/MNC of the sender's operator.
    :param client_reference: echoed in the message.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    body: str | dict[str, Any]
    type: Literal["mo_text", "mo_binary", "mo_media"] = "mo_text"
    udh: str | None = None
    operator_id: str | None = None
    client_reference: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> InboundMessage:
        if self.type == "mo_binary" and not self.udh:
            raise ValueError("a mo_binary message needs udh")
        if (self.type == "mo_media") != isinstance(self.body, dict):
            raise ValueError("body is an object for mo_media and a string otherwise")
        return self


class AutoReply(BaseModel):
    """A recipient that answers batches.

    :param recipient: numbers ending with this answer (``""``: every recipient).
    :param text: the answer.
    :param delay: sandbox seconds between delivery and the answer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    recipient: str = ""
    text: str
    delay: float = Field(default=1.0, ge=0)


class InboundService:
    """Inbound messages and the behaviour around them.

    :param store: the sandbox's state.
    :param clock: the sandbox clock.
    :param scheduler: schedules auto replies.
    :param dispatcher: POSTs inbound callbacks.
    :param settings: returns the current settings (inbound callback URL, default originator).
    """

    def __init__(self, store: Store, clock: SandboxClock, scheduler: Scheduler,
                 dispatcher: CallbackDispatcher, settings: Callable[[], SandboxSettings]) -> None:
        self._store = store
        self._clock = clock
        self._scheduler = scheduler
        self._dispatcher = dispatcher
        self._settings = settings
        self._lock = threading.Lock()
        self._replies: list[AutoReply] = []

    # Injection

    def inject(self, message: InboundMessage, at: float | None = None) -> dict[str, Any]:
        """Receive ``message`` (now, or at time ``at``, epoch seconds); returns it as the API shows it."""
        received = self._clock.time() if at is None else at
        payload: dict[str, Any] = {
            "type": message.type,
            "id": new_id(received),
            "from": normalize_msisdn(message.from_),
            "to": normalize_msisdn(message.to),
            "body": message.body,
            "received_at": iso(received),
            "sent_at": iso(received),
        }
        for name in ("udh", "operator_id", "client_reference"):
            if getattr(message, name) is not None:
                payload[name] = getattr(message, name)
        with self._store.lock:
            self._store.inbounds[payload["id"]] = Inbound(payload, received)
            self._apply_keywords(payload)
        url = self._settings().inbound_callback_url
        if url:
            self._dispatcher.send("inbound", url, payload)
        return payload

    # Auto replies

    @property
    def auto_replies(self) -> list[AutoReply]:
        with self._lock:
            return list(self._replies)

    def add_auto_reply(self, rule: AutoReply) -> None:
        with self._lock:
            self._replies.append(rule)

    def clear_auto_replies(self) -> None:
        with self._lock:
            self._replies.clear()

    def on_final(self, batch: Batch, recipient: Recipient, when: Moment) -> None:
        """Lifecycle hook: a recipient delivered at ``when`` with a matching rule answers the batch."""
        if recipient.status != "Delivered":
            return
        sender = batch.sender or self._settings().default_originator
        for rule in self.auto_replies:
            if sender and recipient.msisdn.endswith(rule.recipient):
                reply = InboundMessage(from_=recipient.msisdn, to=sender, body=rule.text)
                answer = when.later(rule.delay)
                self._scheduler.at(answer.due, functools.partial(self._reply, reply, answer))
                return

    def _reply(self, reply: InboundMessage, when: Moment) -> None:
        self.inject(reply, at=self._clock.stamp(when.at))

    # Groups joined and left by keyword

    def _apply_keywords(self, payload: dict[str, Any]) -> None:
        if payload["type"] != "mo_text":
            return
        words = [w.lower() for w in str(payload["body"]).split()]
        for group in self._store.groups.values():
            rules = group.auto_update or {}
            if not rules or normalize_msisdn(str(rules.get("to"))) != payload["to"]:
                continue
            if _matches(rules.get("add"), words):
                group.members[payload["from"]] = None
                group.modified_at = self._clock.time()
            elif _matches(rules.get("remove"), words):
                group.members.pop(payload["from"], None)
                group.modified_at = self._clock.time()

    # Endpoints

    def get(self, inbound_id: str) -> dict[str, Any]:
        with self._store.lock:
            inbound = self._store.inbounds.get(inbound_id)
            if inbound is None:
                raise not_found()
            return inbound.payload

    def find(self, query: Query) -> dict[str, Any]:
        page, page_size = query.page()
        start, end = query.window(self._clock.time())
        numbers = {normalize_msisdn(n) for n in query.csv("to")}
        reference = query.text("client_reference")
        with self._store.lock:
            found = sorted(
                (i for i in reversed(self._store.inbounds.values())
                 if i.received_at >= start and (end is None or i.received_at < end)
                 and (not numbers or i.payload["to"] in numbers)
                 and (reference is None or i.payload.get("client_reference") == reference)),
                key=lambda i: i.received_at, reverse=True,  # stable: equal times stay newest first
            )
        return page_of([i.payload for i in found], page, page_size, "inbounds")


def _matches(keyword: dict[str, Any] | None, words: list[str]) -> bool:
    """Whether the message's first (and, if the rule has one, second) word are the rule's keywords."""
    if not keyword or not words or words[0] != str(keyword.get("first_word", "")).lower():
        return False
    second = keyword.get("second_word")
    return second is None or (len(words) > 1 and words[1] == str(second).lower())
