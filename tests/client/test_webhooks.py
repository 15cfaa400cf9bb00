"""Sinch's callback signature (one definition, shared by the sandbox and the receiver), callback parsing
and dedup keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_sinch.client import webhooks
from airflow_provider_sinch.client.webhooks import CallbackPayloadError, dedup_key, parse_callback
from airflow_provider_sinch.testing.sandbox import signing

FIXTURES = Path(__file__).resolve().parents[1] / "sinch_api" / "fixtures" / "callbacks"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_the_real_signed_fixture_verifies() -> None:
    headers = json.loads(_fixture("recipient_delivery_report_sms.signed.headers.json"))
    body = _fixture("recipient_delivery_report_sms.signed.raw.json")
    secret = headers.pop("_secret_for_test")
    headers = {k: v for k, v in headers.items() if not k.startswith("_")}
    assert webhooks.verify(secret, body, headers)
    assert webhooks.signature(secret, body, headers[webhooks.NONCE], headers[webhooks.TIMESTAMP]) == headers[
        webhooks.SIGNATURE]
    assert not webhooks.verify("another secret", body, headers)
    assert not webhooks.verify(secret, body + b" ", headers)
    # the fixture's timestamp is from January 2025: valid signature, but far too old for a 5 min window
    assert not webhooks.verify(secret, body, headers, max_age=300)


def test_sandbox_signing_is_the_same_definition() -> None:
    assert signing.signature is webhooks.signature
    assert signing.signed_headers is webhooks.signed_headers
    assert signing.verify is webhooks.verify


def test_signed_headers_round_trip_and_fresh_nonces() -> None:
    one = webhooks.signed_headers("s", b"{}")
    two = webhooks.signed_headers("s", b"{}")
    assert one[webhooks.NONCE] != two[webhooks.NONCE]
    assert one[webhooks.ALGORITHM] == "HmacSHA256"
    assert webhooks.verify("s", b"{}", {k.upper(): v for k, v in one.items()}, max_age=300)


@pytest.mark.parametrize(("timestamp", "fresh"), [("1000", True), ("1299", True), ("1301", False),
                                                  ("699", False), ("nan", False), ("soon", False)])
def test_timestamp_window_is_symmetric(timestamp: str, fresh: bool) -> None:
    assert webhooks.timestamp_is_fresh(timestamp, 300, now=1000.0) is fresh


@pytest.mark.parametrize(("name", "kind"), [
    ("mo_text.json", "inbound"), ("mo_binary.json", "inbound"), ("mo_media.json", "inbound"),
    ("recipient_delivery_report_sms.delivered.json", "delivery"),
    ("recipient_delivery_report_sms.aborted_412.json", "delivery"),
    ("delivery_report_sms.full.json", "delivery"), ("delivery_report_mms.json", "delivery"),
])
def test_every_fixture_callback_parses(name: str, kind: str) -> None:
    callback = parse_callback(_fixture(name))
    assert callback.kind == kind
    assert callback.payload == json.loads(_fixture(name))  # as Sinch sent it, numbers unmasked
    assert len(callback.dedup_digest) == 64


def test_dedup_keys_identify_a_callback_across_retries_only() -> None:
    report = json.loads(_fixture("recipient_delivery_report_sms.delivered.json"))
    assert dedup_key(report) == dedup_key(json.loads(json.dumps(report, indent=2)))  # formatting aside
    for field, value in [("status", "Failed"), ("code", 11), ("at", "2024-06-06T08:17:20Z"),
                         ("recipient", "12017777778"), ("batch_id", "other")]:
        assert dedup_key({**report, field: value}) != dedup_key(report), field
    inbound = json.loads(_fixture("mo_text.json"))
    assert dedup_key(inbound) == dedup_key({**inbound, "body": "edited"})  # the id identifies a message
    assert dedup_key(inbound) != dedup_key({**inbound, "id": "another"})


def test_batch_report_key_ignores_bucket_and_recipient_order() -> None:
    full = json.loads(_fixture("delivery_report_sms.full.json"))
    shuffled = {**full, "statuses": [{**full["statuses"][0],
                                      "recipients": list(reversed(full["statuses"][0]["recipients"]))}]}
    assert dedup_key(full) == dedup_key(shuffled)
    assert dedup_key(full) != dedup_key({**full, "statuses": [{**full["statuses"][0], "count": 1}]})


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "body is not valid JSON"),
    (b"\xff\xfe", "body is not valid JSON"),
    (b"[1, 2]", "body is not a JSON object"),
    (b'{"type": "mo_voice", "id": "x"}', "unknown callback type"),
    (b'{"id": "x"}', "callback without a 'type'"),
    (b'{"type": "mo_text", "from": "12015555555"}', "mo_text callback without 'id'"),
    (b'{"type": "recipient_delivery_report_sms", "batch_id": "b", "status": "Delivered"}',
     "recipient_delivery_report_sms callback without 'recipient'"),
])
def test_malformed_callbacks_are_named_without_their_content(body: bytes, reason: str) -> None:
    with pytest.raises(CallbackPayloadError) as err:
        parse_callback(body)
    assert err.value.reason == reason
    assert "12015555555" not in str(err.value)


def test_header_names_are_lowered_once_for_every_reader() -> None:
    """``lowered`` is the one case-folding of header names (signature check, callback auth, body limit)."""
    assert webhooks.lowered({"Content-Length": "5", "X-Sinch-Webhook-Signature": "s"}) == {
        "content-length": "5", "x-sinch-webhook-signature": "s"}
