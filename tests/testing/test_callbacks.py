"""Callbacks: delivery reports of every kind, inbound messages, doubling retries and signatures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from airflow_provider_sinch.testing.sandbox import CallbackReceiver, Sandbox, signature, verify
from tests.contract import validate_schema
from tests.testing.conftest import NUMBER, api_client, send

OTHER = "+46702222222"


def _quiet(receiver: CallbackReceiver, count: int, wait: float = 0.1) -> None:
    """Nothing beyond ``count`` callbacks arrives within ``wait`` seconds."""
    time.sleep(wait)
    assert len(receiver.received) == count, [r.json for r in receiver.received]


def _answered(sandbox: Sandbox, receiver: CallbackReceiver, count: int) -> None:
    """``count`` callbacks arrived and the sandbox has recorded each answer (and so scheduled its retry).

    The receiver counts a POST before it answers; advancing the clock in between would schedule the retry
    from a later time.
    """
    receiver.wait_for(count, timeout=30)
    sandbox.wait_for(lambda: len(sandbox.callbacks) >= count, timeout=30)


def test_summary_arrives_once_when_every_recipient_is_final(api: httpx.Client, sandbox: Sandbox,
                                                             receiver: CallbackReceiver) -> None:
    batch = send(api, to=[NUMBER, "+46701999902"], delivery_report="summary",
                 callback_url=f"{receiver.url}/dlr", client_reference="ref")
    sandbox.advance(3600)  # one recipient is delivered, the other waits for its receipt until expire_at
    _quiet(receiver, 0)
    sandbox.advance(3 * 24 * 3600)

    (callback,) = receiver.wait_for(1)
    assert callback.path == "/dlr"
    assert callback.headers["content-type"] == "application/json"
    report = callback.json
    validate_schema("BatchDeliveryReport", report)
    assert report == {"type": "delivery_report_sms", "batch_id": batch["id"], "total_message_count": 2,
                      "statuses": [{"code": 0, "status": "Delivered", "count": 1},
                                   {"code": 406, "status": "Expired", "count": 1}],
                      "client_reference": "ref"}
    _quiet(receiver, 1)


def test_full_report_lists_recipients(api: httpx.Client, sandbox: Sandbox,
                                      receiver: CallbackReceiver) -> None:
    send(api, to=[NUMBER, OTHER], delivery_report="full", callback_url=receiver.url)
    sandbox.advance(60)
    (callback,) = receiver.wait_for(1)
    assert callback.json["statuses"] == [
        {"code": 0, "status": "Delivered", "count": 2, "recipients": ["46701234567", "46702222222"]}]


def test_a_cancelled_batch_reports_its_cancelled_recipients(api: httpx.Client,
                                                            receiver: CallbackReceiver) -> None:
    batch = send(api, delivery_report="summary", callback_url=receiver.url)
    api.delete(f"/batches/{batch['id']}")
    (callback,) = receiver.wait_for(1)
    assert callback.json["statuses"] == [{"code": 407, "status": "Cancelled", "count": 1}]


def test_per_recipient_reports_every_change(api: httpx.Client, sandbox: Sandbox,
                                            receiver: CallbackReceiver) -> None:
    batch = send(api, to=[NUMBER, "+46701999904"], delivery_report="per_recipient", callback_url=receiver.url)
    sandbox.advance(sandbox.settings.dispatch_delay)
    receiver.wait_for(2)
    sandbox.advance(60)
    reports = [c.json for c in receiver.wait_for(3)]
    for report in reports:
        validate_schema("RecipientDeliveryReport", report)
        assert report["batch_id"] == batch["id"]
    assert sorted((r["recipient"], r["status"], r["code"]) for r in reports) == [
        ("46701234567", "Delivered", 0), ("46701234567", "Dispatched", 401), ("46701999904", "Aborted", 402)]
    _quiet(receiver, 3)


def test_per_recipient_final_reports_final_states_only(api: httpx.Client, sandbox: Sandbox,
                                                       receiver: CallbackReceiver) -> None:
    send(api, to=[NUMBER, OTHER], delivery_report="per_recipient_final", callback_url=receiver.url)
    sandbox.advance(sandbox.settings.dispatch_delay)
    _quiet(receiver, 0)
    sandbox.advance(60)
    reports = [c.json for c in receiver.wait_for(2)]
    assert sorted((r["recipient"], r["status"]) for r in reports) == [
        ("46701234567", "Delivered"), ("46702222222", "Delivered")]
    _quiet(receiver, 2)


def test_the_default_callback_url_is_used(make_sandbox, receiver: CallbackReceiver) -> None:
    sandbox = make_sandbox(time_scale=0, default_callback_url=f"{receiver.url}/default")
    with api_client(sandbox) as api:
        send(api, delivery_report="per_recipient_final")
        send(api, delivery_report="per_recipient_final", callback_url=f"{receiver.url}/own")
        send(api)  # delivery_report none: nothing
    sandbox.advance(60)
    _quiet(receiver, 2)
    assert sorted(c.path for c in receiver.received) == ["/default", "/own"]


def test_failed_callbacks_are_retried_on_a_doubling_schedule(api: httpx.Client, sandbox: Sandbox,
                                                             receiver: CallbackReceiver) -> None:
    receiver.respond_with(503, 429, 500)
    send(api, delivery_report="summary", callback_url=receiver.url)
    sandbox.advance(60)
    _answered(sandbox, receiver, 1)
    start = sandbox.clock.time()
    for delay, count in ((5, 2), (10, 3), (20, 4)):
        sandbox.advance(delay - 0.01)
        _quiet(receiver, count - 1, wait=0.05)
        sandbox.advance(0.01)
        _answered(sandbox, receiver, count)

    tries = sandbox.wait_for_callbacks(1, kind="delivery_report")  # the acknowledged one
    attempts = [a for a in sandbox.callbacks if a.delivery == tries[0].delivery]
    assert [(a.attempt, a.status, a.retry_in) for a in attempts] == [
        (1, 503, 5.0), (2, 429, 10.0), (3, 500, 20.0), (4, 200, None)]
    assert [round(a.at - start, 2) for a in attempts] == [0.0, 5.0, 15.0, 35.0]
    assert len({c.body for c in receiver.received}) == 1  # the same report every time
    _quiet(receiver, 4)


def test_client_errors_are_not_retried_and_unreachable_receivers_are(api: httpx.Client, sandbox: Sandbox,
                                                                     receiver: CallbackReceiver) -> None:
    receiver.respond_with(400)
    send(api, delivery_report="summary", callback_url=receiver.url)
    send(api, delivery_report="summary", callback_url="http://127.0.0.1:9/unreachable")
    sandbox.advance(60)
    sandbox.wait_for(lambda: len(sandbox.callbacks) == 2)
    by_url = {a.url: a for a in sandbox.callbacks}
    assert (by_url[receiver.url].status, by_url[receiver.url].retry_in) == (400, None)
    unreachable = by_url["http://127.0.0.1:9/unreachable"]
    assert (unreachable.status, unreachable.error, unreachable.retry_in) == (None, "ConnectError", 5.0)
    sandbox.advance(5)
    sandbox.wait_for(lambda: len(sandbox.callbacks) == 3)
    assert len(receiver.received) == 1


def test_retries_stop_after_the_retry_window(make_sandbox, receiver: CallbackReceiver) -> None:
    sandbox = make_sandbox(time_scale=0, callback_retry_window=30)
    receiver.respond_with(*[503] * 10)
    with api_client(sandbox) as api:
        send(api, delivery_report="summary", callback_url=receiver.url)
    sandbox.advance(60)
    for delay in (5, 10, 20, 40):
        sandbox.advance(delay)
        time.sleep(0.05)
    assert [a.retry_in for a in sandbox.callbacks] == [5.0, 10.0, None]  # 5 + 10 + 20 > 30
    assert len(receiver.received) == 3


def test_signature_matches_sinch_fixture(sinch_api_dir: Path) -> None:
    folder = sinch_api_dir / "fixtures" / "callbacks"
    raw = (folder / "recipient_delivery_report_sms.signed.raw.json").read_bytes().rstrip(b"\n")
    headers = json.loads((folder / "recipient_delivery_report_sms.signed.headers.json").read_text())
    secret = headers["_secret_for_test"]

    expected = headers["x-sinch-webhook-signature"]
    assert signature(secret, raw, headers["x-sinch-webhook-signature-nonce"],
                     headers["x-sinch-webhook-signature-timestamp"]) == expected
    assert verify(secret, raw, headers)
    assert not verify(secret, raw + b" ", headers)
    assert not verify("another secret", raw, headers)
    assert not verify(secret, raw, headers, max_age=300)  # the fixture's timestamp is from 2025


def test_callbacks_are_signed_with_the_webhook_secret(make_sandbox, receiver: CallbackReceiver) -> None:
    sandbox = make_sandbox(time_scale=0, webhook_secret="SMSWebhooksSecret",
                           inbound_callback_url=f"{receiver.url}/mo")
    with api_client(sandbox) as api:
        send(api, delivery_report="per_recipient_final", callback_url=f"{receiver.url}/dlr")
    sandbox.advance(60)
    sandbox.inject_inbound("+46701234567", "+46700000000", "Hi")
    callbacks = receiver.wait_for(2)

    for callback in callbacks:
        assert callback.headers["x-sinch-webhook-signature-algorithm"] == "HmacSHA256"
        assert verify("SMSWebhooksSecret", callback.body, callback.headers, max_age=60)
        assert not verify("wrong", callback.body, callback.headers)
    nonces = {c.headers["x-sinch-webhook-signature-nonce"] for c in callbacks}
    assert len(nonces) == 2


def test_unsigned_without_a_secret(api: httpx.Client, sandbox: Sandbox, receiver: CallbackReceiver) -> None:
    send(api, delivery_report="summary", callback_url=receiver.url)
    sandbox.advance(60)
    (callback,) = receiver.wait_for(1)
    assert "x-sinch-webhook-signature" not in callback.headers


def test_inbound_messages_are_posted_to_the_inbound_url(make_sandbox, receiver: CallbackReceiver) -> None:
    sandbox = make_sandbox(time_scale=0, inbound_callback_url=f"{receiver.url}/inbound")
    sent = sandbox.inject_inbound("+46701234567", "+46700000000", "Hello 👋", operator_id="24001")
    (callback,) = receiver.wait_for(1)
    assert callback.path == "/inbound"
    assert callback.json == sent
    validate_schema("InboundMessage", callback.json)
    assert (sent["type"], sent["from"], sent["to"], sent["body"]) == (
        "mo_text", "46701234567", "46700000000", "Hello 👋")
