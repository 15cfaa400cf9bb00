"""Trigger events whose ``repr`` masks phone numbers (here, not in ``triggers/``: a pydantic model, imported
only when an event is fired, never at DAG parse).

Airflow's triggerer logs every event it fires (``"Trigger fired event", result=event``), and its log
renderers show the event by ``repr``: for an inbound SMS that is the sender's and the receiver's numbers in
full.  The project's rule is that numbers in logs are masked, so the Sinch triggers fire
:class:`SinchTriggerEvent`: the same event (same payload, sent to the task or the asset unchanged, and
serialised by Airflow as a plain ``TriggerEvent``), with a ``repr`` that masks every phone number in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_provider_sinch.client.msisdn import is_msisdn, mask_msisdn
from airflow_provider_sinch.client.redact import mask_text


def masked_payload(value: Any) -> Any:
    """``value`` for a log line: strings that are phone numbers masked, digit runs in other text masked
    (times kept as they are), dictionaries and lists walked; anything else as it is."""
    if isinstance(value, str):
        if is_msisdn(value):
            return mask_msisdn(value)
        return value if _is_time(value) else mask_text(value)
    if isinstance(value, dict):
        return {key: masked_payload(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked_payload(item) for item in value]
    return value


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


class SinchTriggerEvent(TriggerEvent):
    """A :class:`~airflow.triggers.base.TriggerEvent` whose ``repr`` (what the triggerer logs) masks phone
    numbers; the payload itself is unchanged.

    :param payload: the event's payload, JSON-serialisable.
    """

    def __init__(self, payload: Any, **kwargs: Any) -> None:
        super().__init__(payload, **kwargs)

    def __repr__(self) -> str:
        return f"TriggerEvent<{masked_payload(self.payload)!r}>"

    __str__ = __repr__
