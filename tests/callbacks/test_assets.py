"""What DAG authors use: the assets' URIs and typed access to the events' payloads."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from airflow_provider_sinch.callbacks.assets import (
    FAILED_STATUSES,
    batch_reports,
    delivery_asset,
    inbound_asset,
    inbound_messages,
    payloads,
    recipient_reports,
)
from airflow_provider_sinch.callbacks.uris import inbound_uris

FIXTURES = Path(__file__).resolve().parents[1] / "sinch_api" / "fixtures" / "callbacks"


def event(name: str) -> SimpleNamespace:
    return SimpleNamespace(extra={"payload": json.loads((FIXTURES / name).read_text()), "source": "x"})


def test_asset_uris_and_names() -> None:
    assert inbound_asset().uri == "sinch://sinch_default/inbound"
    assert inbound_asset("sinch_eu").name == "sinch://sinch_eu/inbound"
    assert inbound_asset("c", number="+1 (201) 777-7777").uri == "sinch://c/inbound/12017777777"
    assert delivery_asset("c").uri == "sinch://c/delivery"
    assert inbound_uris("c", "12017777777") == ["sinch://c/inbound", "sinch://c/inbound/12017777777"]
    assert inbound_uris("c", "Acme") == ["sinch://c/inbound"]  # not a number: no narrowed asset


@pytest.mark.parametrize("conn_id", ["", "a/b", "a b", "x" * 251, ".", "..", "...", "a:b"])
def test_bad_conn_ids_are_named(conn_id: str) -> None:
    with pytest.raises(ValueError, match="conn_id"):
        inbound_asset(conn_id)


def test_bad_number_is_named() -> None:
    with pytest.raises(ValueError, match="number"):
        inbound_asset("c", number="Acme")


def test_typed_accessors() -> None:
    events = [event("mo_text.json"), event("mo_media.json"),
              event("recipient_delivery_report_sms.delivered.json"),
              event("recipient_delivery_report_sms.aborted_412.json"), event("delivery_report_sms.full.json"),
              SimpleNamespace(extra={}), SimpleNamespace(extra=None)]
    messages = inbound_messages(events)
    assert [m.type for m in messages] == ["mo_text", "mo_media"]
    assert messages[0].from_ == "12015555555"  # as Sinch sent it
    assert messages[1].text == "This is the message"
    assert [r.status for r in recipient_reports(events)] == ["Delivered", "Aborted"]
    (failed,) = recipient_reports(events, statuses=FAILED_STATUSES)
    assert (failed.recipient, failed.code) == ("12010000000", 412)
    (batch,) = batch_reports(events)
    assert batch.counts() == {"Delivered": 2}
    assert len(payloads(events)) == 5
    assert payloads([{"payload": {"type": "mo_text"}}]) == [{"type": "mo_text"}]  # extra mappings too
    assert inbound_messages(None) == []
    assert "Delivered" not in FAILED_STATUSES
    assert "Queued" not in FAILED_STATUSES
