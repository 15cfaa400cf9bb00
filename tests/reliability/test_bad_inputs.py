"""Bad input at every edge, in one table: the client, the hook, every operator, the sensors (poke mode), the
triggers, the notifier and the connection.

Each case asserts what issue 11 promises:

* the project's own exception (a :class:`~airflow_provider_sinch.client.SinchError` subclass; the one
  exception is a misspelled keyword argument, where Airflow's ``BaseOperator`` raises its ``TypeError``
  before our code runs: marked ``airflow=True``);
* a message that names the field and the rule, at most 500 characters;
* no API token in it (the connections carry a recognisable token, :data:`TOKEN`);
* no request left the process: a guard on sockets (``socket.connect``, ``create_connection``,
  ``getaddrinfo``) records and refuses any attempt, and the test fails if one was made, even if the code
  under test swallowed the guard's error.  (The connection's host is ``sinch.invalid`` too.)
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_provider_sinch import operators
from airflow_provider_sinch.client import (
    AsyncSinchClient,
    ServicePlanAuth,
    SinchClient,
    SinchConfig,
    SinchError,
)
from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.notifications import SinchHITLNotifier, SinchNotifier
from airflow_provider_sinch.operators import (
    SinchCancelBatchOperator,
    SinchCreateGroupOperator,
    SinchDeleteGroupOperator,
    SinchDryRunBatchOperator,
    SinchGetGroupMembersOperator,
    SinchHITLReplyOperator,
    SinchListInboundMessagesOperator,
    SinchReplaceBatchOperator,
    SinchReplaceGroupOperator,
    SinchSendBatchOperator,
    SinchSendDeliveryFeedbackOperator,
    SinchUpdateBatchOperator,
    SinchUpdateGroupOperator,
)
from airflow_provider_sinch.sensors.delivery import SinchBatchDeliverySensor, SinchRecipientDeliverySensor
from airflow_provider_sinch.sensors.inbound import SinchInboundMessageSensor
from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger, SinchRecipientDeliveryTrigger
from airflow_provider_sinch.triggers.inbound import (
    SinchInboundMessageEventTrigger,
    SinchInboundMessageTrigger,
)
from tests.operators.conftest import FakeStore, make_context

TOKEN = "tok-RELIABILITY-7f3a9c51e2"
"""The API token of every connection here: it must appear in no message."""

HOST = "http://sinch.invalid"
NUMBER = "+46701234567"
SENDER = "+12017777777"
GOOD = [f"+4670{i:07d}" for i in range(2500)]
FULLWIDTH = "+" + "".join(chr(0xFF10 + int(d)) for d in "46701234567")
ZERO_WIDTH = "+4670\u200b1234567"
SURROGATE = "Disk \ud800 full"
NOW = datetime(2030, 1, 1, tzinfo=UTC)
CONNECTIONS: dict[str, dict[str, Any]] = {
    "sinch_default": {},
    "bad_timeout_pair": {"extra": {"timeout": [-1, 5]}},
    "bad_timeout_nan": {"extra": {"timeout": "nan"}},
    "bad_timeout_zero": {"extra": {"timeout": 0}},
    "bad_retries": {"extra": {"retries": "x"}},
    "bad_region": {"extra": {"region": "xx"}},
    "bad_auth_url": {"extra": {"auth_method": "project", "key_id": "kid", "auth_url": "file:///etc/passwd"}},
    "ftp_host": {"host": "ftp://files.example"},
    "empty_token": {"password": ""},
    "blank_token": {"password": "   "},
    "plan_with_space": {"login": "plan 1"},
}


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch, executor_safeguard_off: None) -> None:
    """Every connection of the table as an ``AIRFLOW_CONN_*`` variable, each carrying :data:`TOKEN`."""
    for conn_id, fields in CONNECTIONS.items():
        body = {"conn_type": "sinch", "login": "plan-1", "password": TOKEN, "host": HOST, **fields}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(body))


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse and record every attempt to resolve a name or open a connection."""
    attempts: list[str] = []

    def refuse(what: str) -> Callable[..., Any]:
        def guard(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{what}{args[1:] if what == 'connect' else args}")
            raise OSError(f"test guard: no network ({what})")
        return guard

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    yield attempts
    assert attempts == [], f"a request tried to leave the process: {attempts}"


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the code under test starts (its own sleeps, tenacity's retry sleeps), recorded, not taken:
    a bad input must be refused at once, not after retries."""
    recorded: list[float] = []
    real_sleep, real_async_sleep = time.sleep, asyncio.sleep

    def ours() -> bool:
        return str(sys._getframe(2).f_globals.get("__name__", "")).startswith(("airflow_provider_sinch.",
                                                                                "tenacity"))

    def sleep(seconds: float) -> None:
        if ours():
            recorded.append(seconds)
            seconds = 0
        real_sleep(seconds)

    async def async_sleep(seconds: float, *args: Any) -> Any:
        if ours():
            recorded.append(seconds)
            seconds = 0
        return await real_async_sleep(seconds, *args)

    monkeypatch.setattr(time, "sleep", sleep)
    monkeypatch.setattr(asyncio, "sleep", async_sleep)
    return recorded


def context() -> dict[str, Any]:
    """A task context for operators, poke-mode sensors and the notifier."""
    ctx = make_context(FakeStore())
    ctx.update({"dag": DAG("reliability", schedule=None), "params": {"text": SURROGATE, "bad_id": ".."}})
    ctx["ti"].state = "failed"
    return ctx


def run(task: Any) -> Any:
    """``execute`` an operator, ``poke`` a sensor, or call a notifier, with a fresh context."""
    ctx = context()
    if isinstance(task, SinchNotifier):
        return task(ctx)  # renders its templates, then notify()
    task.render_template_fields(ctx)  # as the task runner does before execute()
    if hasattr(task, "poke") and not getattr(task, "deferrable", False):
        return task.poke(ctx)
    return task.execute(ctx)


def client() -> SinchClient:
    return SinchClient(SinchConfig(ServicePlanAuth("plan-1", TOKEN), base_url=HOST))


def aclient_call(name: str, **kwargs: Any) -> Callable[[], Any]:
    async def call() -> Any:
        async with AsyncSinchClient(SinchConfig(ServicePlanAuth("plan-1", TOKEN), base_url=HOST)) as c:
            return await getattr(c, name)(**kwargs)
    return lambda: asyncio.run(call())


def hook(conn_id: str = "sinch_default") -> SinchHook:
    return SinchHook(sinch_conn_id=conn_id)


def send(**kwargs: Any) -> SinchSendBatchOperator:
    return SinchSendBatchOperator(**{"task_id": "send", "to": [NUMBER], "from_": SENDER, "body": "Hi",
                                     **kwargs})


def notify_async(notifier: SinchNotifier) -> Callable[[], Any]:
    return lambda: asyncio.run(notifier.async_notify(context()))


@dataclass(frozen=True)
class Case:
    """One bad input: how to feed it, where it enters, and what the error must say.

    :param id: the test id.
    :param surface: client, hook, connection, operator, sensor, trigger or notifier.
    :param call: feeds the input (construction = DAG parse, or execute/poke/notify/call).
    :param field: the field the message must name.
    :param rule: text of the rule the message must contain.
    :param airflow: Airflow raises first (its own type), before the provider sees the argument.
    """

    id: str
    surface: str
    call: Callable[[], Any]
    field: str
    rule: str
    airflow: bool = False


BAD_DESTINATION = "phone number in international format"
PATH_SEGMENT = "one URL path segment"

CASES = [
    # The plain client (sync and async): configuration, destinations, path ids, URLs.
    Case("client-timeout-0", "client", lambda: SinchConfig(ServicePlanAuth("p", TOKEN), timeout=0),
         "timeout", "above 0"),
    Case("client-timeout-nan", "client",
         lambda: SinchConfig(ServicePlanAuth("p", TOKEN), timeout=float("nan")), "timeout", "above 0"),
    Case("client-empty-token", "client", lambda: SinchConfig(ServicePlanAuth("p", "")), "auth.api_token",
         "must not be empty"),
    Case("client-none-token", "client", lambda: SinchConfig(ServicePlanAuth("p", None)),
         "auth.api_token", "must not be empty"),
    Case("client-ftp-base-url", "client",
         lambda: SinchConfig(ServicePlanAuth("p", TOKEN), base_url="ftp://files.example"), "base_url",
         "http"),
    Case("client-cancel-dotdot", "client", lambda: client().cancel_batch(".."), "batch_id", PATH_SEGMENT),
    Case("client-report-dot", "client", lambda: client().get_delivery_report("."), "batch_id", PATH_SEGMENT),
    Case("client-id-100k-chars", "client", lambda: client().get_batch("x" * 100_000), "batch_id",
         "at most 128 characters"),
    Case("client-group-dotdot", "client", lambda: client().update_group("..", add=[NUMBER]), "group_id",
         PATH_SEGMENT),
    Case("client-letters-in-number", "client", lambda: client().send_batch(to=["+4670123abc"], body="x"),
         "to[0]", BAD_DESTINATION),
    Case("client-plus-alone", "client", lambda: client().send_batch(to=["+"], body="x"), "to[0]",
         "no digits"),
    Case("client-25-digits", "client", lambda: client().send_batch(to=["+" + "4" * 25], body="x"), "to[0]",
         "at most 15"),
    Case("client-fullwidth-digits", "client", lambda: client().send_batch(to=[FULLWIDTH], body="x"),
         "to[0]", "not ASCII"),
    Case("client-zero-width-space", "client", lambda: client().send_batch(to=[ZERO_WIDTH], body="x"),
         "to[0]", "invisible"),
    Case("client-blank-recipient", "client", lambda: client().send_batch(to=["   "], body="x"), "to[0]",
         "blank"),
    Case("client-recipient-report", "client",
         lambda: client().get_recipient_delivery_report("b1", "not a number"), "recipient_msisdn",
         BAD_DESTINATION),
    Case("client-callback-url", "client",
         lambda: client().send_batch(to=[NUMBER], body="x", callback_url="not a url"), "callback_url",
         "http"),
    Case("client-async-dotdot", "client", aclient_call("get_batch", batch_id=".."), "batch_id", PATH_SEGMENT),
    Case("client-async-bad-number", "client", aclient_call("send_batch", to=["+4670123abc"], body="x"),
         "to[0]", BAD_DESTINATION),
    # The hook: the same rules through the Airflow connection.
    Case("hook-cancel-dotdot", "hook", lambda: hook().cancel_batch(".."), "batch_id", PATH_SEGMENT),
    Case("hook-report-dotdot", "hook", lambda: hook().get_delivery_report(".."), "batch_id", PATH_SEGMENT),
    Case("hook-delete-group-slash", "hook", lambda: hook().delete_group("a/b"), "group_id", "'/'"),
    Case("hook-inbound-newline", "hook", lambda: hook().get_inbound("01ABC\n"), "inbound_id", "whitespace"),
    Case("hook-members-100k-id", "hook", lambda: hook().list_group_members("g" * 100_000), "group_id",
         "at most 128 characters"),
    Case("hook-bad-number", "hook", lambda: hook().send_batch(to=["+4670123abc"], body="x"), "to[0]",
         BAD_DESTINATION),
    Case("hook-two-bad-in-2500", "hook",
         lambda: hook().send_batch(to=[*GOOD[:1234], "+46 70 12x", *GOOD[1234:2000], "", *GOOD[2000:]],
                                   body="x"),
         "to[1234]", "2 of 2502 entries are not destinations"),
    # The connection: checked when turned into a client configuration, on every path that uses it.
    Case("conn-timeout-pair", "connection", lambda: hook("bad_timeout_pair").config, "extra.timeout",
         "above 0"),
    Case("conn-timeout-nan", "connection", lambda: hook("bad_timeout_nan").config, "extra.timeout",
         "above 0"),
    Case("conn-timeout-zero", "connection", lambda: hook("bad_timeout_zero").config, "extra.timeout",
         "above 0"),
    Case("conn-retries", "connection", lambda: hook("bad_retries").config, "extra.retries", "whole number"),
    Case("conn-region", "connection", lambda: hook("bad_region").config, "extra.region", "must be one of"),
    Case("conn-auth-url", "connection", lambda: hook("bad_auth_url").config, "extra.auth_url", "http"),
    Case("conn-ftp-host", "connection", lambda: hook("ftp_host").config, "host", "absolute http(s) URL"),
    Case("conn-empty-token", "connection", lambda: hook("empty_token").config, "password", "is empty"),
    Case("conn-blank-token", "connection", lambda: hook("blank_token").config, "password", "is empty"),
    Case("conn-plan-id-space", "connection", lambda: hook("plan_with_space").config, "login", "whitespace"),
    Case("conn-via-operator", "connection",
         lambda: run(SinchCancelBatchOperator(task_id="c", batch_id="b1", sinch_conn_id="ftp_host")), "host",
         "absolute http(s) URL"),
    Case("conn-via-sensor-poke", "connection",
         lambda: run(SinchBatchDeliverySensor(task_id="w", batch_ids="b1", sinch_conn_id="bad_timeout_nan")),
         "extra.timeout", "above 0"),
    Case("conn-via-trigger-client", "connection",
         lambda: asyncio.run(hook("bad_timeout_pair").aget_client()), "extra.timeout", "above 0"),
    Case("conn-via-notifier", "connection",
         lambda: run(SinchNotifier(to=[NUMBER], sinch_conn_id="empty_token")), "password", "is empty"),
    # Every operator; construction is DAG-parse time, run() is the task.
    Case("send-to-100k-brackets", "operator", lambda: run(send(to="[" * 100_000)), "to", "could not read"),
    Case("send-send-at-9999", "operator", lambda: run(send(send_at=datetime(9999, 12, 31, 23))), "send_at",
         "must be a time from 1970-01-01 to 9999-12-01"),
    Case("send-send-at-3m-days", "operator", lambda: run(send(send_at=timedelta(days=3_000_000))),
         "send_at", "must be a time from"),
    Case("send-expire-at-9999", "operator", lambda: run(send(expire_at="9999-12-31T23:59:59-05:00")),
         "expire_at", "must be a time from"),
    Case("send-bad-number", "operator", lambda: run(send(to=[NUMBER, "+4670123abc"])), "to[1]",
         BAD_DESTINATION),
    Case("send-lone-surrogate", "operator", lambda: run(send(body=SURROGATE)), "body", "lone surrogate"),
    Case("send-max-messages", "operator", lambda: run(send(max_messages="many")), "max_messages",
         "must be an integer"),
    Case("send-huge-int-text", "operator", lambda: run(send(max_parts_per_message="9" * 5000)),
         "max_parts_per_message", "must be an integer"),
    Case("send-chunk-size", "operator", lambda: send(chunk_size=0), "chunk_size", "from 1 to 1000"),
    Case("send-max-concurrency", "operator", lambda: send(max_concurrency="4"), "max_concurrency",
         "whole number"),
    Case("send-callback-url", "operator", lambda: run(send(callback_url="not a url")), "callback_url",
         "http"),
    Case("send-flash-message", "operator", lambda: run(send(flash_message="maybe")), "flash_message",
         "true or false"),
    Case("send-parameters-text", "operator", lambda: run(send(parameters="{not json")), "parameters",
         "could not read"),
    Case("send-extra-fields-clash", "operator", lambda: run(send(extra_fields={"from": "x"})), "extra_fields",
         "own argument"),
    Case("send-to-bytes", "operator", lambda: run(send(to=b"+46701234567")), "to", "list of strings"),
    Case("send-delivery-timeout-nan", "operator", lambda: send(wait_for_delivery=True,
                                                                delivery_timeout=float("nan")),
         "delivery_timeout", "seconds above 0"),
    Case("send-success-statuses-int", "operator", lambda: send(success_statuses=5), "success_statuses",
         "list of final"),
    Case("send-poll-interval-text", "operator", lambda: send(poll_interval="30"), "poll_interval",
         "positive number"),
    Case("send-patience-text", "operator", lambda: send(rate_limit_patience="5m"), "rate_limit_patience",
         "seconds from 0"),
    Case("send-misspelled-argument", "operator", lambda: send(bodyy="Hi"), "bodyy", "Invalid arguments",
         airflow=True),
    Case("dry-run-plus-alone", "operator",
         lambda: run(SinchDryRunBatchOperator(task_id="d", to=["+"], from_=SENDER, body="x")), "to[0]",
         "no digits"),
    Case("cancel-dotdot", "operator", lambda: run(SinchCancelBatchOperator(task_id="c", batch_id="..")),
         "batch_id", PATH_SEGMENT),
    Case("cancel-cut-off-list", "operator",
         lambda: run(SinchCancelBatchOperator(task_id="c", batch_id="['a', 'b'")), "batch_id",
         "could not read"),
    Case("update-to-add-bad", "operator",
         lambda: run(SinchUpdateBatchOperator(task_id="u", batch_id="b1", to_add=["+4670123abc"])), "to_add",
         BAD_DESTINATION),
    Case("update-send-at-max", "operator",
         lambda: run(SinchUpdateBatchOperator(task_id="u", batch_id="b1", send_at=timedelta.max)), "send_at",
         "must be a time from"),
    Case("replace-slash-id", "operator",
         lambda: run(SinchReplaceBatchOperator(task_id="r", batch_id="a/b", to=[NUMBER], from_=SENDER,
                                               body="x")), "batch_id", "'/'"),
    Case("feedback-group-id", "operator",
         lambda: run(SinchSendDeliveryFeedbackOperator(task_id="f", batch_id="b1", recipients=["G1abc"])),
         "recipients", "not a group id"),
    Case("create-group-member", "operator",
         lambda: run(SinchCreateGroupOperator(task_id="g", name="VIP", members=["not a number"])), "members",
         BAD_DESTINATION),
    Case("create-group-if-exists", "operator",
         lambda: SinchCreateGroupOperator(task_id="g", name="VIP", if_exists="maybe"), "if_exists",
         "'fail' or 'reuse'"),
    Case("replace-group-dotdot", "operator",
         lambda: run(SinchReplaceGroupOperator(task_id="r", group_id="..", name="VIP")), "group_id",
         PATH_SEGMENT),
    Case("update-group-add-bad", "operator",
         lambda: run(SinchUpdateGroupOperator(task_id="u", group_id="G1", add=["+4670123abc"])), "add",
         BAD_DESTINATION),
    Case("update-group-name-surrogate", "operator",
         lambda: run(SinchUpdateGroupOperator(task_id="u", group_id="G1", name="VIP\udfff")), "name",
         "lone surrogate"),
    Case("delete-group-dotdot", "operator",
         lambda: run(SinchDeleteGroupOperator(task_id="d", group_id="{{ params.bad_id }}")), "group_id",
         PATH_SEGMENT),
    Case("members-100k-id", "operator",
         lambda: run(SinchGetGroupMembersOperator(task_id="m", group_id="g" * 100_000)), "group_id",
         "at most 128 characters"),
    Case("inbounds-3m-days-ago", "operator",
         lambda: run(SinchListInboundMessagesOperator(task_id="i", received_after=timedelta(days=3_000_000))),
         "received_after", "must be a time from"),
    Case("inbounds-limit", "operator",
         lambda: run(SinchListInboundMessagesOperator(task_id="i", limit="lots")), "limit",
         "must be an integer"),
    Case("hitl-reply-lookback", "operator",
         lambda: SinchHITLReplyOperator(task_id="r", lookback=-5), "lookback", "must be at least 1"),
    Case("hitl-reply-text-back", "operator",
         lambda: SinchHITLReplyOperator(task_id="r", text_back="sometimes"), "text_back",
         "must be true or false"),
    # Sensors, in poke mode (construction is DAG-parse time).
    Case("sensor-cut-off-list", "sensor",
         lambda: SinchBatchDeliverySensor(task_id="w", batch_ids="['a', 'b'"), "batch_ids", "could not read"),
    Case("sensor-dotdot", "sensor", lambda: SinchBatchDeliverySensor(task_id="w", batch_ids=[".."]),
         "batch_ids", PATH_SEGMENT),
    Case("sensor-rendered-dotdot", "sensor",
         lambda: run(SinchBatchDeliverySensor(task_id="w", batch_ids="{{ params.bad_id }}")), "batch_ids",
         PATH_SEGMENT),
    Case("sensor-recipient", "sensor",
         lambda: run(SinchRecipientDeliverySensor(task_id="w", batch_id="b1", recipient="not a number")),
         "recipient", BAD_DESTINATION),
    Case("sensor-recipient-batch-id", "sensor",
         lambda: run(SinchRecipientDeliverySensor(task_id="w", batch_id="..", recipient=NUMBER)), "batch_id",
         PATH_SEGMENT),
    Case("sensor-ratio", "sensor", lambda: SinchBatchDeliverySensor(task_id="w", batch_ids="b1",
                                                                    min_success_ratio=2),
         "min_success_ratio", "from 0.0 to 1.0"),
    Case("sensor-failures-x", "sensor",
         lambda: SinchBatchDeliverySensor(task_id="w", batch_ids="b1", max_consecutive_failures="x"),
         "max_consecutive_failures", "whole number"),
    Case("sensor-no-senders", "sensor", lambda: SinchInboundMessageSensor(task_id="w", from_numbers=[]),
         "from_numbers", "is required"),
    Case("sensor-received-after-9999", "sensor",
         lambda: run(SinchInboundMessageSensor(task_id="w", from_numbers=[NUMBER],
                                               received_after="9999-12-31T23:59:59-05:00")),
         "received_after", "must be a time before"),
    Case("sensor-bad-pattern", "sensor",
         lambda: run(SinchInboundMessageSensor(task_id="w", from_numbers=[NUMBER], pattern="(")), "pattern",
         "not a valid regular expression"),
    # Triggers: checked when built (also when a triggerer rebuilds them from serialize()).
    Case("trigger-dotdot", "trigger", lambda: SinchBatchDeliveryTrigger(batch_ids=[".."]), "batch_ids",
         PATH_SEGMENT),
    Case("trigger-recipient", "trigger",
         lambda: SinchRecipientDeliveryTrigger(batch_id="b1", recipient="not a number"), "recipient",
         BAD_DESTINATION),
    Case("trigger-failures-x", "trigger",
         lambda: SinchBatchDeliveryTrigger(batch_ids=["b1"], max_consecutive_failures="x"),
         "max_consecutive_failures", "whole number"),
    Case("trigger-interval-nan", "trigger",
         lambda: SinchBatchDeliveryTrigger(batch_ids=["b1"], poll_interval=float("nan")), "poll_interval",
         "positive number"),
    Case("trigger-deadline-9999", "trigger",
         lambda: SinchBatchDeliveryTrigger(batch_ids=["b1"], deadline="9999-12-31T23:59:59-05:00"),
         "deadline", "must be a time before"),
    Case("trigger-unknown-is-success", "trigger",
         lambda: SinchBatchDeliveryTrigger(batch_ids=["b1"], unknown_is_success="no"), "unknown_is_success",
         "true or false"),
    Case("trigger-since-text", "trigger", lambda: SinchInboundMessageTrigger(since="yesterday"), "since",
         "ISO-8601"),
    Case("trigger-two-word-keyword", "trigger",
         lambda: SinchInboundMessageTrigger(since=NOW, keywords=["two words"]), "keywords", "one word"),
    Case("event-trigger-interval", "trigger", lambda: SinchInboundMessageEventTrigger(poll_interval=-1),
         "poll_interval", "positive number"),
    Case("event-trigger-overlap", "trigger", lambda: SinchInboundMessageEventTrigger(overlap_seconds="60"),
         "overlap_seconds", "positive number"),
    # The notifier: its arguments at DAG-parse time, the rendered alert before sending.
    Case("notifier-body-int", "notifier", lambda: SinchNotifier(to=[NUMBER], body=123),
         "body", "must be a string"),
    Case("notifier-body-surrogate", "notifier", lambda: SinchNotifier(to=[NUMBER], body=SURROGATE), "body",
         "lone surrogate"),
    Case("notifier-no-recipient", "notifier", lambda: SinchNotifier(to=[]), "to", "is empty"),
    Case("hitl-notifier-code-length", "notifier",
         lambda: SinchHITLNotifier(approvers={"ada": NUMBER}, code_length=7), "code_length",
         "must be one of"),
    Case("hitl-notifier-group-as-approver", "notifier",
         lambda: SinchHITLNotifier(approvers={"ada": "MyGroup1"}), "approvers[ada]", "not a group id"),
    Case("hitl-notifier-no-approvers", "notifier", lambda: SinchHITLNotifier(approvers={}), "approvers",
         "is empty"),
    Case("notifier-max-parts", "notifier", lambda: SinchNotifier(to=[NUMBER], max_parts=0), "max_parts",
         "at least 1"),
    Case("notifier-100k-brackets", "notifier", lambda: SinchNotifier(to="[" * 100_000), "to",
         "could not read"),
    Case("notifier-bad-number", "notifier", lambda: run(SinchNotifier(to=["+4670123abc"])), "to[0]",
         BAD_DESTINATION),
    Case("notifier-rendered-surrogate", "notifier",
         lambda: run(SinchNotifier(to=[NUMBER], body="{{ params.text }}")), "body", "lone surrogate"),
    Case("notifier-async-plus-alone", "notifier", notify_async(SinchNotifier(to=["+"])), "to[0]",
         "no digits"),
]


def test_the_table_covers_every_surface_and_is_large_enough() -> None:
    surfaces = {case.surface for case in CASES}
    assert surfaces == {"client", "hook", "connection", "operator", "sensor", "trigger", "notifier"}
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)
    # Every operator class is built by some case (names read from the cases' code, nothing run).
    built = {name for case in CASES if case.surface == "operator" for name in case.call.__code__.co_names}
    built.add(SinchSendBatchOperator.__name__)  # through send(...)
    assert set(operators.__all__) <= built, set(operators.__all__) - built


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_before_any_request(case: Case, no_network: list[str],
                                                  pauses: list[float]) -> None:
    with pytest.raises(Exception) as info:
        case.call()
    error = info.value
    message = str(error)
    if case.airflow:
        assert isinstance(error, TypeError), repr(error)
    else:
        assert isinstance(error, SinchError), f"{type(error).__name__}: {message[:300]}"
    assert case.field in message, message
    assert case.rule in message, message
    assert len(message) <= 500, len(message)
    assert "\n" not in message or case.airflow, message
    assert TOKEN not in message
    assert TOKEN not in repr(error.args)
    assert no_network == []
    assert pauses == []  # refused at once, not after retries


def test_the_guard_sees_a_request_that_does_leave(no_network: list[str]) -> None:
    """The socket guard is real: a valid call does try to connect, and is caught (then forgiven here)."""
    from airflow_provider_sinch.client import RetryPolicy

    with pytest.raises(SinchError), SinchClient(SinchConfig(ServicePlanAuth("plan-1", TOKEN), base_url=HOST,
                                                            retry=RetryPolicy(max_attempts=1))) as c:
        c.list_batches(page_size=1)
    assert no_network, "the guard saw nothing"
    assert any(a.startswith(("getaddrinfo", "connect", "create_connection")) for a in no_network)
    no_network.clear()
