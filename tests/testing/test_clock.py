"""The sandbox's time: now is the wall clock; ``time_scale`` only compresses waits (issue 10).

Most tests here run a sandbox at ``time_scale=10`` on :class:`FakeTime`, a wall clock and a monotonic clock
that move only when the test says so, so "six real minutes" takes no time and every timestamp is exact.
The first test uses the real clocks and only pretends the sandbox started hours ago.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest

from airflow_provider_sinch.client import RetryPolicy
from airflow_provider_sinch.testing.sandbox import CallbackReceiver, Sandbox, SandboxClock
from airflow_provider_sinch.testing.sandbox.clock import iso
from tests.testing.conftest import NUMBER, FakeTime, api_client, send, sinch_client

HOURS = 3600.0
NEVER_DELIVERED = "+46701999902"  # the default outcome table: no receipt ever, so it expires at expire_at


def _at(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _report(api: httpx.Client, batch: dict[str, object], number: str = NUMBER) -> dict[str, object]:
    return dict(api.get(f"/batches/{batch['id']}/delivery_report/{number}").json())


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def scaled(make_sandbox: Callable[..., Sandbox], fake: FakeTime) -> Sandbox:
    """A served sandbox at ``time_scale=10`` on ``fake`` time that has already run for three hours."""
    sandbox = make_sandbox(time_scale=10, clock=fake.clock())
    fake.tick(3 * HOURS)
    return sandbox


# The clock itself


def test_now_stays_the_wall_clock_while_the_timeline_runs_ten_times_as_fast(fake: FakeTime) -> None:
    clock = fake.clock(time_scale=10)
    fake.tick(3 * HOURS)
    assert clock.time() == fake.wall()  # the old clock was 27 hours ahead by now
    assert clock.elapsed() == 30 * HOURS
    moment = clock.moment(fake.wall() + 600)  # something meant for ten minutes from now
    assert (moment.at, moment.due) == (fake.wall() + 600, 30 * HOURS + 600)  # 60 real seconds away
    assert clock.real_delay(600) == 60
    assert clock.stamp(fake.wall() + 600) == fake.wall()  # not reached in API time: stamped now
    assert clock.stamp(fake.wall() - 5) == fake.wall() - 5


def test_advance_freeze_and_restart_move_now_only_on_purpose(fake: FakeTime) -> None:
    clock = fake.clock(time_scale=10)
    clock.advance(HOURS)  # as if an hour had passed: both notions move
    assert (clock.time() - fake.wall(), clock.elapsed()) == (HOURS, HOURS)
    clock.set_time_scale(0)  # a manual clock: now and the timeline stand still
    fake.tick(5)
    assert (clock.time() - fake.wall(), clock.elapsed()) == (HOURS - 5, HOURS)
    clock.set_time_scale(10)  # running again, from where it stood
    fake.tick(1)
    assert (clock.time() - fake.wall(), clock.elapsed()) == (HOURS - 5, HOURS + 10)
    clock.restart()  # a reset: now is the wall clock again; the timeline never goes back
    assert (clock.time(), clock.elapsed()) == (fake.wall(), HOURS + 10)


def test_the_clock_route_reports_now_and_the_timeline(scaled: Sandbox, fake: FakeTime) -> None:
    url = f"{scaled.url}/_sandbox/clock"
    assert httpx.get(url, trust_env=False).json() == {
        "now": iso(fake.wall()), "ahead": 0, "time_scale": 10, "elapsed": 30 * HOURS}
    advanced = httpx.post(f"{url}/advance", json={"seconds": 60}, trust_env=False).json()
    assert (advanced["now"], advanced["ahead"], advanced["elapsed"]) == (iso(fake.wall() + 60), 60,
                                                                         30 * HOURS + 60)


# A sandbox that has run for hours (the OTP of issue 10)


def test_a_sandbox_running_for_hours_delivers_a_ten_minute_otp(make_sandbox: Callable[..., Sandbox]) -> None:
    """Real clocks at ``time_scale=10``; only the start is moved three hours back (the timeline has run 30
    sandbox hours).  The OTP is accepted, delivered within a second, and would expire one real minute in."""
    hours_ago = {"offset": 0.0}
    clock = SandboxClock(10, monotonic=lambda: time.monotonic() + hours_ago["offset"])
    sandbox = make_sandbox(time_scale=10, clock=clock)
    hours_ago["offset"] = 3 * HOURS
    expire_at = datetime.fromtimestamp(time.time() + 600).astimezone()
    with sinch_client(sandbox, retry=RetryPolicy(max_attempts=1)) as sinch:
        batch = sinch.send_batch(to=[NUMBER], from_="Acme", body="Your code is 123456", expire_at=expire_at)
        sandbox.wait_for(lambda: sandbox.statuses(batch.id) == {"46701234567": "Delivered"}, timeout=5)
        counts = sinch.get_delivery_report(batch.id).counts()
    assert counts == {"Delivered": 1}
    before, now, after = time.time(), sandbox.clock.time(), time.time()
    assert before <= now <= after  # the API's now is the wall clock
    shown = sandbox.batch(batch.id)
    assert _at(shown["created_at"]) <= _at(sandbox.recipient_reports(batch.id)[0]["at"]) <= time.time()


def test_a_ten_minute_batch_expires_after_one_real_minute(scaled: Sandbox, fake: FakeTime) -> None:
    with api_client(scaled) as api:
        sent_at = fake.wall()
        batch = send(api, to=[NUMBER, NEVER_DELIVERED], expire_at=iso(sent_at + 600))
        assert batch["created_at"] == iso(sent_at)
        fake.tick(0.5)  # 5 sandbox seconds: dispatched and delivered (1 s + 2 s)
        assert scaled.statuses(batch["id"]) == {"46701234567": "Delivered", "46701999902": "Dispatched"}
        assert _at(str(_report(api, batch)["at"])) == sent_at + 0.5  # when it happened, not sent_at + 3
        fake.tick(59)
        assert scaled.statuses(batch["id"])["46701999902"] == "Dispatched"
        fake.tick(0.5)  # 60 real seconds: expire_at, compressed
        expired = _report(api, batch, NEVER_DELIVERED)
    assert (expired["status"], expired["code"]) == ("Expired", 406)
    assert expired["at"] == iso(sent_at + 60)  # the wall-clock time it expired (expire_at is still ahead)


# send_at


def test_send_at_one_hour_ahead_dispatches_after_six_minutes(scaled: Sandbox, fake: FakeTime) -> None:
    with api_client(scaled) as api:
        sent_at = fake.wall()
        batch = send(api, send_at=iso(sent_at + HOURS))
        assert batch["send_at"] == iso(sent_at + HOURS)
        fake.tick(359.5)
        assert scaled.statuses(batch["id"]) == {"46701234567": "Queued"}
        fake.tick(0.5)  # 6 real minutes: send_at reached; dispatch_delay (1 s, 0.1 real) still to go
        assert scaled.statuses(batch["id"]) == {"46701234567": "Queued"}
        fake.tick(0.125)
        assert scaled.statuses(batch["id"]) == {"46701234567": "Dispatched"}
        assert _report(api, batch)["at"] == iso(sent_at + 360.125)
        fake.tick(0.25)
        assert scaled.statuses(batch["id"]) == {"46701234567": "Delivered"}


def test_an_update_keeps_the_send_time_unless_it_moves_it(scaled: Sandbox, fake: FakeTime) -> None:
    with api_client(scaled) as api:
        sent_at = fake.wall()
        kept = send(api, send_at=iso(sent_at + HOURS))
        moved = send(api, send_at=iso(sent_at + HOURS))
        fake.tick(100)
        assert api.post(f"/batches/{kept['id']}", json={"body": "Changed"}).status_code == 200
        later = iso(fake.wall() + HOURS)  # one hour after the update: six real minutes after it
        assert api.post(f"/batches/{moved['id']}", json={"send_at": later}).status_code == 200
        fake.tick(260.125)  # 360.125 s after the send: dispatched 360.1 s in, delivered 360.3 s in
        assert scaled.statuses(kept["id"]) == {"46701234567": "Dispatched"}
        assert scaled.statuses(moved["id"]) == {"46701234567": "Queued"}
        fake.tick(100)
        assert scaled.statuses(moved["id"]) == {"46701234567": "Dispatched"}


# What stays on the API's now


def test_windows_and_tokens_follow_the_wall_clock(make_sandbox: Callable[..., Sandbox],
                                                  fake: FakeTime) -> None:
    sandbox = make_sandbox(time_scale=10, token_ttl=60, clock=fake.clock())
    token = httpx.post(f"{sandbox.url}/oauth2/token", data={"grant_type": "client_credentials"},
                       auth=(sandbox.settings.key_id, sandbox.settings.key_secret), trust_env=False)
    project = sandbox.settings.project_id
    with api_client(sandbox) as api, \
            api_client(sandbox, token=token.json()["access_token"], path_id=project) as oauth:
        batch = send(api)
        inbound = sandbox.inject_inbound("+46701234567", "+46700000000", "Hi")
        assert inbound["received_at"] == iso(fake.wall())
        fake.tick(59)  # 590 sandbox seconds: the token (60 s) still lives, on the wall clock
        assert oauth.get("/batches").status_code == 200
        fake.tick(3 * HOURS)  # 30 sandbox hours, 3 real hours: both are still in the last 24 hours
        assert [b["id"] for b in api.get("/batches").json()["batches"]] == [batch["id"]]
        assert api.get("/inbounds").json()["count"] == 1
        assert oauth.get("/batches").status_code == 401


# Callbacks


def test_callback_retry_delays_are_compressed(make_sandbox: Callable[..., Sandbox], fake: FakeTime,
                                              receiver: CallbackReceiver) -> None:
    sandbox = make_sandbox(time_scale=10, clock=fake.clock())
    receiver.respond_with(503)
    with api_client(sandbox) as api:
        send(api, delivery_report="summary", callback_url=receiver.url)
    fake.tick(0.5)  # delivered: the summary goes out and is refused
    sandbox.settle()
    sandbox.wait_for(lambda: sandbox.scheduler.pending() == 2)  # the expiry, and the retry in 5 s
    fake.tick(0.45)
    sandbox.settle()
    time.sleep(0.05)
    assert len(receiver.received) == 1
    fake.tick(0.05)  # 5 sandbox seconds: half a real second
    sandbox.settle()
    receiver.wait_for(2)
    attempts = sandbox.wait_for_callbacks(1, kind="delivery_report")
    first = sandbox.callbacks[0]
    assert (first.status, first.retry_in) == (503, 5.0)
    assert attempts[0].at - first.at == pytest.approx(0.5)  # stamped on the wall clock
