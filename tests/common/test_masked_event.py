"""What the triggerer logs of a Sinch event masks numbers; what it sends on is the plain event."""

from __future__ import annotations

import pickle

from airflow.jobs.triggerer_job_runner import messages
from airflow.triggers.base import TriggerEvent

from airflow_provider_sinch.common.masked_event import SinchTriggerEvent, masked_payload
from airflow_provider_sinch.version_compat import AIRFLOW_V_3_3_PLUS

INBOUND = {
    "id": "01INBOUND",
    "from": "+46701234567",
    "to": "46709876543",
    "body": "STOP, call me on +44 7700 900123",
    "received_at": "2026-12-01T12:00:00Z",
    "count": 3,
    "recipients": ["+46701112223", "GROUPX1"],
}


def test_the_repr_the_triggerer_logs_masks_every_number() -> None:
    event = SinchTriggerEvent(INBOUND)
    shown = repr(event)
    for number in ("46701234567", "46709876543", "7700 900123", "46701112223"):
        assert number not in shown
    assert "+4670****567" in shown
    assert "GROUPX1" in shown
    assert "01INBOUND" in shown
    assert "2026-12-01T12:00:00Z" in shown
    assert str(event) == shown
    assert event.payload == INBOUND  # the payload itself is untouched


def test_airflow_sends_it_on_as_a_plain_trigger_event_with_the_same_payload() -> None:
    """The triggerer reports events to its supervisor in ``TriggerStateChanges`` (a pydantic message), each
    as ``(trigger id, event)``; 3.3 adds a shared-stream sequence number (its ``TriggerEventEntry``)."""
    entry = (7, SinchTriggerEvent(INBOUND), *((None,) if AIRFLOW_V_3_3_PLUS else ()))
    sent = messages.TriggerStateChanges(events=[entry])
    received = messages.TriggerStateChanges.model_validate_json(sent.model_dump_json())
    assert received.events is not None
    ((trigger_id, event, *_),) = received.events
    assert trigger_id == 7
    assert type(event) is TriggerEvent
    assert event.payload == INBOUND
    assert pickle.loads(pickle.dumps(SinchTriggerEvent(INBOUND))).payload == INBOUND  # noqa: S301


def test_masked_payload_walks_structures_and_keeps_other_values() -> None:
    assert masked_payload({"a": [1, None, True, "+46701234567"]}) == {"a": [1, None, True, "+4670****567"]}
    assert masked_payload(("x",)) == ["x"]
