"""Delivery probes and their drivers: the calls made, sync and async, and the wait's targets checked."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_sinch.client.models import Batch, BatchDeliveryReport, RecipientDeliveryReport
from airflow_provider_sinch.delivery import (
    BatchDeliveryProbe,
    DeliveryCriteria,
    RecipientDeliveryProbe,
    arun_probe,
    run_probe,
)
from tests.client.refusals import refused
from tests.fakes import recipient_report, report


class _Sync:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_batch(self, batch_id: str) -> Batch:
        self.calls.append(f"batch {batch_id}")
        return Batch(id=batch_id, to=["46701234567", "46701234568"])

    def get_delivery_report(self, batch_id: str, type: str) -> BatchDeliveryReport:
        self.calls.append(f"report {batch_id} {type}")
        return BatchDeliveryReport.model_validate(report(batch_id.upper(), 0))  # odd echo of the id

    def get_recipient_delivery_report(self, batch_id: str, recipient_msisdn: str) -> RecipientDeliveryReport:
        self.calls.append(f"recipient {batch_id} {recipient_msisdn}")
        return RecipientDeliveryReport.model_validate(
            recipient_report(batch_id, recipient_msisdn, "Failed", 402)
        )


class _Async:
    def __init__(self, sync: _Sync) -> None:
        self.sync = sync

    def __getattr__(self, name: str):
        async def call(**kwargs):
            return getattr(self.sync, name)(**kwargs)

        return call


def test_batch_probe_fetches_batches_once_and_keys_reports_by_requested_id() -> None:
    client = _Sync()
    probe = BatchDeliveryProbe(["b1", "b2", "b1"], DeliveryCriteria())
    first = run_probe(probe, client)
    second = run_probe(probe, client)
    assert client.calls == [
        "batch b1",
        "batch b2",
        "report b1 summary",
        "report b2 summary",
        "report b1 summary",
        "report b2 summary",
    ]
    assert first.batch_ids == ["b1", "b2"]
    assert second.expected == 4


def test_async_driver_and_recipient_probe() -> None:
    sync = _Sync()
    probe = RecipientDeliveryProbe("b1", "+46 70 123 45 67", DeliveryCriteria())
    p = asyncio.run(arun_probe(probe, _Async(sync)))
    assert sync.calls == ["recipient b1 46701234567"]
    assert p.done
    assert not p.ok
    assert "code 402 unroutable" in p.failure_message()


def test_probe_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="batch_ids"):
        BatchDeliveryProbe([], DeliveryCriteria())
    with pytest.raises(ValueError, match="batch_ids"):
        BatchDeliveryProbe(["b1", " "], DeliveryCriteria())
    assert BatchDeliveryProbe("b1", DeliveryCriteria()).batch_ids == ["b1"]
    with pytest.raises(ValueError, match="must not be empty"):
        RecipientDeliveryProbe("b1", "", DeliveryCriteria())


# --- issue 11: a wait's targets are checked when it is built -------------------------------------------


@pytest.mark.parametrize(
    ("batch_ids", "field", "words"),
    [
        ([".."], "batch_ids[0]", ("'..'",)),
        (["b1", "a/b"], "batch_ids[1]", ("'/'",)),
        (["b" * 200], "batch_ids[0]", ("at most 128",)),
        ([5], "batch_ids[0]", ("must be a string id",)),
        (5, "batch_ids", ("at least one batch",)),
    ],
)
def test_a_batch_wait_refuses_ids_that_cannot_be_in_a_path(batch_ids: object, field: str,
                                                           words: tuple[str, ...]) -> None:
    refused(lambda: BatchDeliveryProbe(batch_ids, DeliveryCriteria()), field, *words)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("recipient", "words"),
    [("not a number", ("phone number",)), ("01FC66621XXXXX119Z8PMV1AHY", ("not a group id",)),
     ("+0046701234567", ("country code",)),
     ("\uff14\uff16\uff17\uff10\uff11\uff12\uff13\uff14", ("not ASCII",)),
     ("+4670\u200b1234567", ("U+200B",)), (46701234567, ("must be a string",))],
)
def test_a_recipient_wait_needs_a_phone_number(recipient: object, words: tuple[str, ...]) -> None:
    exc = refused(lambda: RecipientDeliveryProbe("b1", recipient, DeliveryCriteria()),  # type: ignore[arg-type]
                  "recipient", *words)
    assert "46701234567" not in str(exc)


def test_a_recipient_wait_keeps_the_canonical_number_so_a_recreated_wait_polls_the_same() -> None:
    first = RecipientDeliveryProbe("b1", "+46 (70) 123-45-67", DeliveryCriteria())
    again = RecipientDeliveryProbe(first.batch_id, first.recipient, DeliveryCriteria())
    assert first.recipient == again.recipient == "46701234567"
    assert first.calls() == again.calls()
    assert RecipientDeliveryProbe("b1", "0046701234567", DeliveryCriteria()).recipient == "46701234567"

