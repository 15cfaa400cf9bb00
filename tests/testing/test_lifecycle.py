"""The delivery lifecycle on the sandbox clock: queued, dispatched, final; send_at, expiry, cancel."""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime

import httpx

from airflow_provider_sinch.testing.sandbox import Sandbox
from airflow_provider_sinch.testing.sandbox.clock import iso
from tests.testing.conftest import NUMBER, FakeTime, api_client, send

OUTCOMES = {  # the default outcome table: number ending -> (status, code, operator reported it)
    "46701999901": ("Failed", 11, True),
    "46701999902": ("Expired", 406, False),
    "46701999903": ("Rejected", 69, True),
    "46701999904": ("Aborted", 402, False),
    "46701999905": ("Deleted", 0, True),
    "46701999906": ("Unknown", 0, False),
    "46701234567": ("Delivered", 0, True),
}


def _at(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_each_recipient_moves_queued_dispatched_final(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.configure(dispatch_delay=1.0, delivery_delay=2.0)
    batch = send(api)
    created = _at(batch["created_at"])

    def state() -> tuple[str, int, float]:
        report = api.get(f"/batches/{batch['id']}/delivery_report/{NUMBER}").json()
        return report["status"], report["code"], _at(report["at"])

    assert state() == ("Queued", 400, created)
    sandbox.advance(0.99)
    assert state()[0] == "Queued"
    sandbox.advance(0.01)
    assert state() == ("Dispatched", 401, created + 1.0)
    sandbox.advance(1.98)
    assert state()[0] == "Dispatched"
    sandbox.advance(100)  # a jump: the history is stamped with when each step was due
    assert state() == ("Delivered", 0, created + 3.0)


def test_the_outcome_table_reaches_every_final_status(api: httpx.Client, sandbox: Sandbox) -> None:
    batch = send(api, to=list(OUTCOMES))
    sandbox.advance(sandbox.settings.dispatch_delay)
    assert sandbox.statuses(batch["id"])["46701999904"] == "Aborted"  # never reaches an operator
    assert sandbox.statuses(batch["id"])["46701999901"] == "Dispatched"
    sandbox.advance(3600)
    assert sandbox.statuses(batch["id"])["46701999902"] == "Dispatched"  # no receipt: waits for expire_at
    sandbox.advance(3 * 24 * 3600)

    for number, (status, code, reported) in OUTCOMES.items():
        report = api.get(f"/batches/{batch['id']}/delivery_report/{number}").json()
        assert (report["status"], report["code"]) == (status, code), number
        assert ("operator_status_at" in report) is reported, number
    expired = api.get(f"/batches/{batch['id']}/delivery_report/46701999902").json()
    assert expired["at"] == batch["expire_at"]


def test_outcome_rules_change_at_run_time(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.add_outcome("4567", "Failed", code=77, delay=30)
    batch = send(api)
    sandbox.advance(sandbox.settings.dispatch_delay + 29)
    assert sandbox.statuses(batch["id"]) == {"46701234567": "Dispatched"}
    sandbox.advance(1)
    report = api.get(f"/batches/{batch['id']}/delivery_report/{NUMBER}").json()
    assert (report["status"], report["code"]) == ("Failed", 77)


def test_nothing_is_dispatched_before_send_at(api: httpx.Client, sandbox: Sandbox) -> None:
    send_at = sandbox.clock.time() + 3600
    batch = send(api, send_at=iso(send_at))
    assert batch["send_at"] == iso(send_at)
    assert batch["expire_at"] == iso(send_at + 3 * 24 * 3600)
    sandbox.advance(3600 + sandbox.settings.dispatch_delay - 0.01)
    assert sandbox.statuses(batch["id"]) == {"46701234567": "Queued"}
    sandbox.advance(0.01)
    assert sandbox.statuses(batch["id"]) == {"46701234567": "Dispatched"}
    report = api.get(f"/batches/{batch['id']}/delivery_report/{NUMBER}").json()
    assert _at(report["at"]) == _at(batch["send_at"]) + sandbox.settings.dispatch_delay


def test_expire_at_ends_what_is_not_final(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.configure(delivery_delay=600)
    now = sandbox.clock.time()
    batch = send(api, to=[NUMBER, "+46702222222"], expire_at=iso(now + 60))
    sandbox.advance(59)
    assert set(sandbox.statuses(batch["id"]).values()) == {"Dispatched"}
    sandbox.advance(1)
    report = api.get(f"/batches/{batch['id']}/delivery_report").json()
    assert report["statuses"] == [{"code": 406, "status": "Expired", "count": 2}]


def test_batch_reports_summary_full_and_filters(api: httpx.Client, sandbox: Sandbox) -> None:
    batch = send(api, to=[NUMBER, "+46701999904", "+46702222222"], client_reference="camp-7")
    path = f"/batches/{batch['id']}/delivery_report"

    queued = api.get(path).json()
    assert queued == {"type": "delivery_report_sms", "batch_id": batch["id"], "total_message_count": 3,
                      "statuses": [{"code": 400, "status": "Queued", "count": 3}],
                      "client_reference": "camp-7"}
    sandbox.advance(sandbox.settings.dispatch_delay)
    summary = api.get(path, params={"type": "summary"}).json()
    assert {(s["status"], s["code"], s["count"]) for s in summary["statuses"]} == {
        ("Dispatched", 401, 2), ("Aborted", 402, 1)}
    assert all("recipients" not in s for s in summary["statuses"])
    full = api.get(path, params={"type": "full"}).json()
    assert {s["status"]: s["recipients"] for s in full["statuses"]} == {
        "Dispatched": ["46701234567", "46702222222"], "Aborted": ["46701999904"]}
    only = api.get(path, params={"type": "full", "status": "Aborted,Delivered"}).json()
    assert only["statuses"] == [{"code": 402, "status": "Aborted", "count": 1, "recipients": ["46701999904"]}]
    assert api.get(path, params={"code": "401"}).json()["statuses"] == [
        {"code": 401, "status": "Dispatched", "count": 2}]
    for params in ({"type": "detailed"}, {"status": "DELIVERED"}, {"code": "abc"}):
        response = api.get(path, params=params)
        assert (response.status_code, response.json()["code"]) == (400, "syntax_invalid_parameter_format")
    assert api.get(f"{path}/+46709999999").status_code == 404


def test_delivery_reports_list_finished_reports(api: httpx.Client, sandbox: Sandbox) -> None:
    first = send(api, to=[NUMBER, "+46701999901"], client_reference="a")
    second = send(api, to=["+46703333333"], client_reference="b")
    assert api.get("/delivery_reports").json()["count"] == 0  # nothing finished yet
    sandbox.advance(60)
    third = send(api, to=["+46704444444"])  # still queued: not listed

    everything = api.get("/delivery_reports").json()
    assert everything["count"] == 3
    assert {r["batch_id"] for r in everything["delivery_reports"]} == {first["id"], second["id"]}
    assert third["id"] not in {r["batch_id"] for r in everything["delivery_reports"]}
    failed = api.get("/delivery_reports", params={"status": "Failed"}).json()
    assert [(r["recipient"], r["code"]) for r in failed["delivery_reports"]] == [("46701999901", 11)]
    assert api.get("/delivery_reports", params={"code": "0", "client_reference": "b"}).json()["count"] == 1
    page = api.get("/delivery_reports", params={"page": 1, "page_size": 2}).json()
    assert (page["count"], page["page"], page["page_size"]) == (3, 1, 1)
    sandbox.advance(24 * 3600 - 30)  # the first two batches finished 3 s in, the third 63 s in
    listed = api.get("/delivery_reports").json()  # the default window is the last 24 hours
    assert [r["batch_id"] for r in listed["delivery_reports"]] == [third["id"]]


def test_cancel_before_dispatch(api: httpx.Client, sandbox: Sandbox) -> None:
    batch = send(api, to=[NUMBER, "+46702222222"])
    response = api.delete(f"/batches/{batch['id']}")
    assert response.status_code == 200
    assert response.json()["canceled"] is True
    assert api.delete(f"/batches/{batch['id']}").status_code == 200  # cancelling twice is harmless
    sandbox.advance(3600)
    report = api.get(f"/batches/{batch['id']}/delivery_report").json()
    assert report["statuses"] == [{"code": 407, "status": "Cancelled", "count": 2}]
    assert api.get(f"/batches/{batch['id']}").json()["canceled"] is True


def test_cancel_a_scheduled_batch(api: httpx.Client, sandbox: Sandbox) -> None:
    batch = send(api, send_at=iso(sandbox.clock.time() + 86400))
    sandbox.advance(3600)
    assert api.delete(f"/batches/{batch['id']}").json()["canceled"] is True
    sandbox.advance(86400)
    assert sandbox.statuses(batch["id"]) == {"46701234567": "Cancelled"}


def test_cancel_after_dispatch_is_409(api: httpx.Client, sandbox: Sandbox) -> None:
    batch = send(api)
    sandbox.advance(sandbox.settings.dispatch_delay)
    response = api.delete(f"/batches/{batch['id']}")
    assert (response.status_code, response.json()["code"]) == (409, "batch_already_dispatched")
    sandbox.advance(60)
    assert sandbox.statuses(batch["id"]) == {"46701234567": "Delivered"}
    assert api.get(f"/batches/{batch['id']}").json()["canceled"] is False


def test_cancel_racing_the_dispatch_is_all_or_nothing(make_sandbox) -> None:
    """Cancel while the scheduler thread dispatches: each batch is either wholly cancelled or wholly sent."""
    sandbox = make_sandbox(time_scale=1.0, dispatch_delay=0.02, delivery_delay=0.0)
    rng = random.Random(7)
    outcomes: dict[str, int] = {}
    with api_client(sandbox) as api:
        for _ in range(40):
            batch = send(api, to=[NUMBER, "+46702222222", "+46703333333"])
            time.sleep(rng.uniform(0, 0.04))
            outcomes[batch["id"]] = api.delete(f"/batches/{batch['id']}").status_code
        time.sleep(0.1)
        for batch_id, status in outcomes.items():
            statuses = set(sandbox.statuses(batch_id).values())
            canceled = api.get(f"/batches/{batch_id}").json()["canceled"]
            if status == 200:
                assert (statuses, canceled) == ({"Cancelled"}, True)
            else:
                assert status == 409
                assert (statuses, canceled) == ({"Delivered"}, False)
    assert set(outcomes.values()) == {200, 409}  # both sides of the race happened


def test_concurrent_cancels_from_threads(make_sandbox) -> None:
    sandbox = make_sandbox(time_scale=0)
    with api_client(sandbox) as api:
        batch = send(api)
        results: list[int] = []

        def cancel() -> None:
            with api_client(sandbox) as own:
                results.append(own.delete(f"/batches/{batch['id']}").status_code)

        threads = [threading.Thread(target=cancel) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [200] * 8
    assert sandbox.statuses(batch["id"]) == {"46701234567": "Cancelled"}


def test_report_timestamps_are_wall_clock_times_under_a_time_scale(make_sandbox) -> None:
    """The lifecycle runs 200 times as fast, but the delivery (3 sandbox seconds after the send) is stamped
    with the wall-clock time it happened, never ahead of the wall clock (on :class:`FakeTime`: exact)."""
    fake = FakeTime()
    sandbox = make_sandbox(time_scale=200.0, dispatch_delay=1.0, delivery_delay=2.0, clock=fake.clock(200.0))
    sent_at = fake.wall_now
    with api_client(sandbox) as api:
        batch = send(api)
        fake.tick(0.01)  # 2 sandbox seconds: dispatched, not delivered yet
        assert sandbox.statuses(batch["id"]) == {"46701234567": "Dispatched"}
        fake.tick(0.01)  # 4 sandbox seconds: delivered (due 3 sandbox seconds after the send)
        report = api.get(f"/batches/{batch['id']}/delivery_report/{NUMBER}").json()
    created, delivered = _at(batch["created_at"]), _at(report["at"])
    assert created == sent_at
    assert report["status"] == "Delivered"
    # When it was seen to happen (0.02 s after the send; stamps keep truncated milliseconds), not when it
    # was meant for (3 s after the send: still the future).
    assert 0.019 <= delivered - created <= 0.02
