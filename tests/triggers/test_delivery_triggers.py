"""Delivery triggers: status paths, serialisation, failure budget, deadline, sleeps, read-only, pool."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_sinch.triggers.delivery import (
    SinchBatchDeliveryTrigger,
    SinchRecipientDeliveryTrigger,
)
from tests.fakes import FakeSinch, report
from tests.triggers.conftest import TriggerTime

FULLWIDTH = "".join(chr(0xFF10 + int(d)) for d in "46701234567")  # full-width digits
FINAL = ["Delivered", "Failed", "Expired", "Rejected", "Aborted", "Cancelled", "Deleted", "Unknown"]


async def first_event(trigger: Any, timeout: float = 5.0) -> dict[str, Any]:
    gen = trigger.run()
    event = await asyncio.wait_for(anext(gen), timeout)
    with pytest.raises(StopAsyncIteration):  # single-event triggers end after their event
        await asyncio.wait_for(anext(gen), timeout)
    return event.payload


def batch_trigger(**kwargs: Any) -> SinchBatchDeliveryTrigger:
    return SinchBatchDeliveryTrigger(**{"batch_ids": ["b1"], "poll_interval": 0.5, **kwargs})


def rebuild(trigger: Any) -> Any:
    classpath, kwargs = trigger.serialize()
    module, name = classpath.rsplit(".", 1)
    json.dumps(kwargs)  # JSON only
    return getattr(importlib.import_module(module), name)(**json.loads(json.dumps(kwargs)))


@pytest.mark.parametrize(
    "trigger",
    [
        SinchBatchDeliveryTrigger(
            batch_ids=["b1", "b2"],
            sinch_conn_id="other",
            poll_interval=7,
            deadline="2030-01-01T00:00:00Z",
            max_consecutive_failures=3,
            success_statuses=["Delivered", "Unknown"],
            min_success_ratio=0.9,
            unknown_is_success=True,
        ),
        SinchBatchDeliveryTrigger(batch_ids="b1"),
        SinchRecipientDeliveryTrigger(
            batch_id="b1", recipient="+46 70-123 45 67", deadline=datetime(2030, 1, 1, tzinfo=UTC)
        ),
    ],
)
def test_serialize_round_trips(trigger: Any) -> None:
    classpath, kwargs = trigger.serialize()
    assert classpath.startswith("airflow_provider_sinch.triggers.delivery.")
    again = rebuild(trigger)
    assert again.serialize() == (classpath, kwargs)


def test_serialized_kwargs_are_normalised() -> None:
    _, kwargs = SinchRecipientDeliveryTrigger(
        batch_id="b1", recipient="+46 70-123 45 67", deadline="2030-01-01T01:00:00+01:00"
    ).serialize()
    assert kwargs == {
        "sinch_conn_id": "sinch_default",
        "poll_interval": 30.0,
        "deadline": "2030-01-01T00:00:00+00:00",
        "max_consecutive_failures": 5,
        "batch_id": "b1",
        "recipient": "46701234567",
        "success_statuses": ["Delivered"],
        "min_success_ratio": 1.0,
        "unknown_is_success": False,
    }
    _, kwargs = SinchBatchDeliveryTrigger(batch_ids=["b1", "b1", "b2"]).serialize()
    assert kwargs["batch_ids"] == ["b1", "b2"]
    assert kwargs["deadline"] is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"poll_interval": 0}, "poll_interval"),
        ({"poll_interval": -1}, "poll_interval"),
        ({"max_consecutive_failures": 0}, "max_consecutive_failures"),
        ({"deadline": "tomorrow"}, "deadline"),
        ({"min_success_ratio": 2}, "min_success_ratio"),
        ({"success_statuses": ["Queued"]}, "final"),
        ({"batch_ids": []}, "batch_ids"),
    ],
)
def test_bad_kwargs_fail_at_construction(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        batch_trigger(**kwargs)


async def test_polls_until_every_recipient_is_final(fake_sinch: FakeSinch, sleeps: list[float]) -> None:
    fake_sinch.add_batch(
        "b1",
        ["46701234567", "46701234568", "46701234569"],
        report("b1", 3, Queued=3),
        report("b1", 3, Dispatched=2, Delivered=1),
        report("b1", 3, Delivered=2),
        report("b1", 3, Delivered=3),
    )
    payload = await first_event(batch_trigger())
    assert payload["kind"] == "delivery"
    assert payload["status"] == "success"
    assert payload["result"]["counts"] == {"Delivered": 3}
    assert payload["result"]["ok"] is True
    assert fake_sinch.calls("report") == 4
    assert fake_sinch.calls("batch") == 1
    assert sleeps == [0.5, 0.5, 0.5]  # one sleep between each two polls
    assert {r.method for r in fake_sinch.requests} == {"GET"}  # read-only
    reads = [r for r in fake_sinch.requests if r.api_path.endswith("report")]
    assert all(r.query.get("type") == ["summary"] for r in reads)


async def test_done_below_ratio_is_a_failure_with_counts_and_codes(
    fake_sinch: FakeSinch, sleeps: list
) -> None:
    fake_sinch.add_batch("b1", ["1", "2"], report("b1", 4, Delivered=2, Failed=(402, 1), Rejected=(408, 1)))
    payload = await first_event(batch_trigger(min_success_ratio=0.75))
    assert payload["status"] == "failure"
    assert "2 of 4" in payload["detail"]
    assert "50.0% < 75.0%" in payload["detail"]
    assert "Failed=1 (code 402 unroutable: 1)" in payload["detail"]
    assert "Rejected=1 (code 408 internal reject: 1)" in payload["detail"]
    assert payload["result"]["ok"] is False
    assert sleeps == []


async def test_several_batches(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake_sinch.add_batch("b2", ["2", "3"], report("b2", 2, Queued=2), report("b2", 2, Delivered=1, Expired=1))
    payload = await first_event(batch_trigger(batch_ids=["b1", "b2"], min_success_ratio=0.5))
    assert payload["status"] == "success"
    assert payload["result"]["batch_ids"] == ["b1", "b2"]
    assert payload["result"]["counts"] == {"Delivered": 2, "Expired": 1}
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", FINAL)
async def test_recipient_every_final_status(fake_sinch: FakeSinch, sleeps: list, status: str) -> None:
    fake_sinch.add_recipient("b1", "46701234567", ("Queued", 400), ("Dispatched", 401), (status, 0))
    trigger = SinchRecipientDeliveryTrigger(batch_id="b1", recipient="+46701234567", poll_interval=1)
    payload = await first_event(trigger)
    assert payload["status"] == ("success" if status == "Delivered" else "failure")
    assert payload["result"]["recipient"] == "46701234567"
    assert payload["result"]["counts"] == {status: 1}
    assert sleeps == [1.0, 1.0]  # Queued, Dispatched: not final, polled again after a sleep
    assert fake_sinch.requests[0].api_path == "/batches/b1/delivery_report/46701234567"


async def test_recipient_unknown_as_success(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.add_recipient("b1", "46701234567", ("Unknown", 0))
    trigger = SinchRecipientDeliveryTrigger(batch_id="b1", recipient="46701234567", unknown_is_success=True)
    assert (await first_event(trigger))["status"] == "success"


@pytest.mark.parametrize("transient", [500, 502, 503, 429])
async def test_transient_failures_within_budget_are_retried(
    fake_sinch: FakeSinch, sleeps: list, transient: int
) -> None:
    fake_sinch.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake_sinch.fail("report", transient, transient, transient)  # 3 < budget 4
    payload = await first_event(batch_trigger(max_consecutive_failures=4))
    assert payload["status"] == "success"
    assert len(sleeps) == 3
    assert all(s > 0 for s in sleeps)


async def test_budget_counts_consecutive_failures_only(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.add_batch(
        "b1", ["1", "2"], report("b1", 2, Queued=2), report("b1", 2, Queued=2), report("b1", 2, Delivered=2)
    )
    fake_sinch.fail("report", 503, 503, 0, 503, 503, 0, 503, 503)  # never 3 in a row: a good poll resets
    payload = await first_event(batch_trigger(max_consecutive_failures=3))
    assert payload["status"] == "success"
    assert fake_sinch.calls("report") == 9
    assert len(sleeps) == 8


async def test_budget_exhausted_is_an_error(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake_sinch.fail("report", 503, 503, 503)
    payload = await first_event(batch_trigger(max_consecutive_failures=3))
    assert payload["status"] == "error"
    assert "3 times in a row" in payload["detail"]
    assert "SinchServerError" in payload["detail"]
    assert fake_sinch.calls("report") == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, "SinchAuthenticationError"),
        (404, "SinchNotFoundError"),
        (403, "SinchForbiddenError"),
        (400, "SinchBadRequestError"),
    ],
)
async def test_non_transient_errors_end_at_once(
    fake_sinch: FakeSinch, sleeps: list, status: int, error: str
) -> None:
    fake_sinch.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake_sinch.fail("report", status)  # a wait's first read is the report (the batch only once it could end)
    payload = await first_event(batch_trigger(max_consecutive_failures=10))
    assert payload["status"] == "error"
    assert error in payload["detail"]
    assert len(fake_sinch.requests) == 1
    assert sleeps == []


async def test_unknown_batch_is_an_error(fake_sinch: FakeSinch, sleeps: list) -> None:
    payload = await first_event(batch_trigger(batch_ids=["nope"]))
    assert payload["status"] == "error"
    assert "404" in payload["detail"]


async def test_broken_connection_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps({"conn_type": "sinch", "login": "p"}))
    payload = await first_event(batch_trigger())
    assert payload["status"] == "error"
    assert "password" in payload["detail"]


async def test_deadline_gives_a_timeout_with_what_was_pending(fake_sinch: FakeSinch,
                                                             trigger_time: TriggerTime) -> None:
    fake_sinch.add_batch("b1", ["1", "2"], report("b1", 2, Delivered=1, Queued=1))
    trigger = batch_trigger(poll_interval=0.25, deadline=trigger_time.at(1.0))
    payload = await first_event(trigger)
    assert payload["status"] == "timeout"
    assert "did not finish before the deadline" in payload["detail"]
    assert "1 pending" in payload["detail"]
    assert payload["result"]["pending"] == 1
    assert trigger_time.elapsed() == 1.0  # the timeout came at the deadline, not before or after
    assert trigger_time.sleeps == [0.25] * 4  # polled every poll_interval, never in a hot loop
    assert fake_sinch.calls("report") == 5


async def test_past_deadline_still_polls_once(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert (await first_event(batch_trigger(deadline=past)))["status"] == "success"
    fake_sinch.add_batch("b2", ["1"], report("b2", 1, Queued=1))
    payload = await first_event(batch_trigger(batch_ids=["b2"], deadline=past))
    assert payload["status"] == "timeout"
    assert sleeps == []


async def test_timeout_before_any_report_was_read(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake_sinch.fail("batch", 503)
    payload = await first_event(
        batch_trigger(deadline=(datetime.now(UTC) - timedelta(seconds=1)).isoformat())
    )
    assert payload["status"] == "timeout"
    assert "no delivery report could be read yet" in payload["detail"]
    assert payload["result"] is None


async def test_a_hanging_poll_is_cut_at_the_deadline(
    fake_sinch: FakeSinch, monkeypatch: pytest.MonkeyPatch, trigger_time: TriggerTime
) -> None:
    async def hang(self: Any, client: Any) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(SinchBatchDeliveryTrigger, "poll", hang)
    trigger_time.cut_hanging_polls(monkeypatch)
    payload = await first_event(batch_trigger(deadline=trigger_time.at(0.2)))
    assert payload["status"] == "timeout"
    assert trigger_time.bounds == [1.0]  # bounded by the time left (at least a second), then cut
    assert trigger_time.sleeps == []


def test_sleep_time_never_zero_and_never_past_the_deadline(trigger_time: TriggerTime) -> None:
    assert batch_trigger(poll_interval=10).sleep_time() == 10
    assert batch_trigger(poll_interval=10, deadline=trigger_time.at(2)).sleep_time() == 2
    assert batch_trigger(poll_interval=10, deadline=trigger_time.at(-5)).sleep_time() == 0.05
    assert batch_trigger(poll_interval=0.01, deadline=trigger_time.at(-5)).sleep_time() == 0.01


async def test_triggers_share_the_hook_client_per_connection_and_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.fakes import CONN

    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps(CONN))
    monkeypatch.setenv("AIRFLOW_CONN_OTHER", json.dumps(CONN))
    a = await batch_trigger().get_client()
    b = await SinchRecipientDeliveryTrigger(batch_id="b", recipient="+46701234567").get_client()
    c = await batch_trigger(sinch_conn_id="other").get_client()
    assert a is b
    assert a is not c


async def test_recipient_without_a_report_yet_is_polled_again(fake_sinch: FakeSinch, sleeps: list) -> None:
    """A 404 for a recipient's report may only mean Sinch has no report yet: poll again (budget applies)."""
    fake_sinch.add_batch("b1", ["46701234567"])
    fake_sinch.add_recipient("b1", "46701234567", ("Delivered", 0))
    fake_sinch.fail("recipient", 404, 404)
    payload = await first_event(SinchRecipientDeliveryTrigger(batch_id="b1", recipient="+46701234567",
                                                              max_consecutive_failures=3))
    assert payload["status"] == "success"
    assert fake_sinch.calls("recipient") == 3
    assert len(sleeps) == 2


async def test_recipient_never_in_the_batch_fails_once_the_budget_is_spent(
    fake_sinch: FakeSinch, sleeps: list
) -> None:
    fake_sinch.add_batch("b1", ["46709999999"])
    payload = await first_event(SinchRecipientDeliveryTrigger(batch_id="b1", recipient="+46701234567",
                                                              max_consecutive_failures=3))
    assert payload["status"] == "error"
    assert "3 times in a row" in payload["detail"]
    assert "SinchReportNotReadyError" in payload["detail"]
    assert "not in the batch" in payload["detail"]
    assert "+4670****567" in payload["detail"]
    assert "46701234567" not in payload["detail"]  # the number is masked in the error
    assert fake_sinch.calls("recipient") == 3


async def test_recipient_wait_on_an_unknown_batch_ends_at_once(fake_sinch: FakeSinch, sleeps: list) -> None:
    """A 404 for the report, then for the batch itself: a wrong batch id, not a report that is late."""
    payload = await first_event(SinchRecipientDeliveryTrigger(batch_id="nope", recipient="+46701234567",
                                                              max_consecutive_failures=10))
    assert payload["status"] == "error"
    assert "SinchNotFoundError" in payload["detail"]
    assert "/batches/nope" in payload["detail"]
    assert (fake_sinch.calls("recipient"), sleeps) == (1, [])


# Issue 11: bad input rejected when the trigger is built; a malformed answer is a final, one-line error


@pytest.mark.parametrize(
    ("kwargs", "field", "rule"),
    [
        ({"batch_ids": [".."]}, "batch_ids", "one URL path segment"),
        ({"batch_ids": ["b1", " "]}, "batch_ids", "empty"),
        ({"batch_ids": ["b1", "a/b"]}, "batch_ids[1]", "must not contain '/'"),
        ({"batch_ids": 5}, "batch_ids", "must be a batch id or a list"),
        ({"max_consecutive_failures": "x"}, "max_consecutive_failures", "whole number of at least 1"),
        ({"max_consecutive_failures": 1.5}, "max_consecutive_failures", "whole number of at least 1"),
        ({"poll_interval": float("nan")}, "poll_interval", "positive number of seconds"),
        ({"poll_interval": 1e300}, "poll_interval", "at most"),
        ({"deadline": "9999-12-31T23:59:59-05:00"}, "deadline", "must be a time before 9999-12-01"),
        ({"unknown_is_success": "no"}, "unknown_is_success", "true or false"),
        ({"success_statuses": 5}, "success_statuses", "list of final Sinch statuses"),
    ],
)
def test_bad_kwargs_are_the_projects_error(kwargs: dict[str, Any], field: str, rule: str) -> None:
    from airflow_provider_sinch.client import SinchValidationError

    with pytest.raises(SinchValidationError, match=re.escape(rule)) as info:
        batch_trigger(**kwargs)
    assert info.value.errors[0][0].startswith(field)  # batch_ids or batch_ids[0]: the probe names the entry
    assert len(str(info.value)) <= 500


@pytest.mark.parametrize(
    ("recipient", "rule"),
    [("not a number", "phone number in international format"), ("G1abc", "not a group id"),
     ("+" + FULLWIDTH, "not ASCII"), ("+4670123abc", "phone number")],
)
def test_recipient_must_be_a_phone_number(recipient: str, rule: str) -> None:
    from airflow_provider_sinch.client import SinchValidationError

    with pytest.raises(SinchValidationError, match=rule) as info:
        SinchRecipientDeliveryTrigger(batch_id="b1", recipient=recipient)
    assert "46701234567" not in str(info.value)  # masked
    with pytest.raises(SinchValidationError, match="batch_id"):
        SinchRecipientDeliveryTrigger(batch_id="..", recipient="+46701234567")


async def test_malformed_answer_ends_the_wait_with_a_one_line_error(fake_sinch: FakeSinch,
                                                                    sleeps: list[float]) -> None:
    fake_sinch.add_batch("b1", ["+46701234567"], {"nope": 1, "statuses": "not a list"})
    payload = await first_event(batch_trigger(max_consecutive_failures=5))
    assert payload["status"] == "error"
    assert "SinchMalformedResponseError" in payload["detail"]
    assert "\n" not in payload["detail"]
    assert len(payload["detail"]) <= 500
    assert fake_sinch.calls("report") == 1  # not retried as if transient
    assert sleeps == []


async def test_a_bad_connection_ends_the_wait_at_once_without_a_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_BAD_HOST", json.dumps(
        {"conn_type": "sinch", "login": "plan-1", "password": "token-1", "host": "ftp://files.example"}))
    payload = await first_event(batch_trigger(sinch_conn_id="bad_host"))
    assert payload["status"] == "error"
    assert "host must be an absolute http(s) URL" in payload["detail"]
    assert "token-1" not in payload["detail"]
