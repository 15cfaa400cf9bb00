"""The service plan's rate limit: recipients paced out of a FIFO queue, and 429 for too many requests.

API-NOTES: "Rate limits are messages per second per service plan, counted per recipient; each plan has a
FIFO queue" and "429 = too many outstanding requests".  Every test runs on a frozen clock (or on fake time)
and moves it with ``advance()``: nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
import pytest

from airflow_provider_sinch.testing.sandbox import Sandbox, SandboxSettings
from airflow_provider_sinch.testing.sandbox.__main__ import parser, settings_from
from airflow_provider_sinch.testing.sandbox.pacing import MIN_TICK_S
from tests.testing.conftest import SENDER, send
from tests.testing.test_clock import FakeTime


def _numbers(count: int, start: int = 0) -> list[str]:
    return [f"+4670555{i:04d}" for i in range(start, start + count)]


def _dispatched(sandbox: Sandbox, batch: dict[str, object]) -> int:
    """How many recipients of ``batch`` have left the queue (are no longer ``Queued``)."""
    return sum(status != "Queued" for status in sandbox.statuses(str(batch["id"])).values())


def _at(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def limited(sandbox: Sandbox) -> Sandbox:
    """The frozen sandbox with a plan limit of 2 messages per second and a dispatch delay of 1 s."""
    sandbox.configure(messages_per_second=2, dispatch_delay=1.0, delivery_delay=2.0)
    return sandbox


def test_off_by_default_every_recipient_is_dispatched_together(api: httpx.Client, sandbox: Sandbox) -> None:
    assert (sandbox.settings.messages_per_second, sandbox.settings.requests_per_second) == (None, None)
    batch = send(api, to=_numbers(50))
    sandbox.advance(sandbox.settings.dispatch_delay)
    assert _dispatched(sandbox, batch) == 50
    assert sandbox.queued_messages() == 0


def test_a_batch_of_m_recipients_is_dispatched_over_m_over_n_seconds(api: httpx.Client,
                                                                      limited: Sandbox) -> None:
    limited.configure(delivery_delay=100.0)
    batch = send(api, to=_numbers(5))  # accepted at once, whatever the limit
    created = _at(str(batch["created_at"]))
    assert _dispatched(limited, batch) == 0
    limited.advance(1.0)  # the dispatch time: the first message leaves an empty queue at once
    counts = [_dispatched(limited, batch)]
    for _ in range(4):
        limited.advance(0.5)
        counts.append(_dispatched(limited, batch))
    assert counts == [1, 2, 3, 4, 5]  # 2 per second: 5 recipients take 5 / 2 = 2.5 s of the queue
    assert limited.queued_messages() == 0

    reports = {r["recipient"]: r for r in limited.recipient_reports(str(batch["id"]))}
    stamps = [_at(reports[n.lstrip("+")]["at"]) - created for n in _numbers(5)]
    assert stamps == pytest.approx([1.0, 1.5, 2.0, 2.5, 3.0])  # each stamped when its slot came
    limited.advance(100.0)  # the delivery delay counts from each recipient's own dispatch
    assert [_at(r["at"]) - created for r in limited.recipient_reports(str(batch["id"]))] == \
        pytest.approx([101.0, 101.5, 102.0, 102.5, 103.0])


def test_batches_wait_their_turn_first_in_first_out(api: httpx.Client, limited: Sandbox) -> None:
    first = send(api, to=_numbers(4))
    second = send(api, to=_numbers(2, start=100))
    limited.advance(1.0)
    assert (_dispatched(limited, first), _dispatched(limited, second)) == (1, 0)
    assert limited.queued_messages() == 5
    limited.advance(1.5)
    assert (_dispatched(limited, first), _dispatched(limited, second)) == (4, 0)  # 4 / 2 s for the first
    limited.advance(0.5)
    assert (_dispatched(limited, first), _dispatched(limited, second)) == (4, 1)
    limited.advance(0.5)
    assert _dispatched(limited, second) == 2
    limited.advance(10)  # the queue is empty again: a new batch goes out at its dispatch time
    third = send(api, to=_numbers(1, start=200))
    limited.advance(1.0)
    assert _dispatched(limited, third) == 1


def test_a_jump_gives_the_same_history_as_waiting(api: httpx.Client, limited: Sandbox) -> None:
    first = send(api, to=_numbers(3))
    second = send(api, to=_numbers(1, start=100))
    created = _at(str(first["created_at"]))
    limited.advance(3600)
    reports = limited.recipient_reports(str(first["id"])) + limited.recipient_reports(str(second["id"]))
    assert [r["status"] for r in reports] == ["Delivered"] * 4
    assert [_at(r["at"]) - created for r in reports] == pytest.approx([3.0, 3.5, 4.0, 4.5])


def test_a_group_counts_its_members(api: httpx.Client, limited: Sandbox) -> None:
    limited.configure(messages_per_second=1)
    group = api.post("/groups", json={"name": "team", "members": _numbers(3, start=300)}).json()
    to_group = send(api, to=[group["id"], "+46705550001"])  # 3 members and one number: 4 messages
    after = send(api, to=_numbers(1, start=400))
    limited.advance(1.0)
    assert limited.queued_messages() == 4
    limited.advance(3.0)
    assert (_dispatched(limited, to_group), _dispatched(limited, after)) == (4, 0)
    limited.advance(1.0)
    assert _dispatched(limited, after) == 1


def test_a_fast_plan_lets_messages_out_in_ticks(api: httpx.Client, limited: Sandbox) -> None:
    limited.configure(messages_per_second=1000)  # 10 messages per 10 ms tick
    batch = send(api, to=_numbers(100))
    limited.advance(1.0)
    assert _dispatched(limited, batch) == 10
    limited.advance(4 * MIN_TICK_S)
    assert _dispatched(limited, batch) == 50
    limited.advance(0.05)
    assert _dispatched(limited, batch) == 100


def test_time_scale_speeds_the_pacing_up(make_sandbox: Callable[..., Sandbox]) -> None:
    fake = FakeTime()
    sandbox = make_sandbox(time_scale=10, clock=fake.clock(), messages_per_second=2, dispatch_delay=0)
    with httpx.Client(base_url=f"{sandbox.url}/xms/v1/{sandbox.settings.service_plan_id}", trust_env=False,
                      headers={"Authorization": f"Bearer {sandbox.settings.api_token}"}) as api:
        batch = send(api, to=_numbers(5))
    assert _dispatched(sandbox, batch) == 1
    fake.tick(0.1)  # one sandbox second: two more
    assert _dispatched(sandbox, batch) == 3
    fake.tick(0.1)
    assert _dispatched(sandbox, batch) == 5


def test_a_batch_waiting_in_the_queue_can_be_cancelled_and_frees_its_place(api: httpx.Client,
                                                                           limited: Sandbox) -> None:
    first = send(api, to=_numbers(4))
    waiting = send(api, to=_numbers(2, start=100))
    last = send(api, to=_numbers(1, start=200))
    limited.advance(1.0)
    assert api.delete(f"/batches/{waiting['id']}").status_code == 200  # nothing of it has left yet
    assert set(limited.statuses(str(waiting["id"])).values()) == {"Cancelled"}
    too_late = api.delete(f"/batches/{first['id']}")  # its first message is out: dispatched
    assert (too_late.status_code, too_late.json()["code"]) == (409, "batch_already_dispatched")
    limited.advance(2.0)  # the first batch's 4 messages take 2 s; the last is next, not after 3 s
    assert _dispatched(limited, last) == 1
    assert limited.queued_messages() == 0


def test_an_update_of_a_waiting_batch_puts_it_at_the_back(api: httpx.Client, limited: Sandbox) -> None:
    first = send(api, to=_numbers(2))
    changed = send(api, to=_numbers(1, start=100))
    behind = send(api, to=_numbers(1, start=200))
    limited.advance(1.0)
    updated = api.post(f"/batches/{changed['id']}", json={"to_add": ["+46705550101"]})
    assert updated.status_code == 200
    limited.advance(1.0)  # the first batch took 1 s; the one behind it went ahead of the updated one
    assert [_dispatched(limited, b) for b in (first, behind, changed)] == [2, 1, 0]
    limited.advance(1.0)
    assert _dispatched(limited, changed) == 2


def test_lifting_the_limit_lets_the_queue_out_at_once(api: httpx.Client, limited: Sandbox) -> None:
    batch = send(api, to=_numbers(10))
    limited.advance(1.0)
    assert _dispatched(limited, batch) == 1
    limited.configure(messages_per_second=None)
    limited.advance(0.5)
    assert _dispatched(limited, batch) == 10


def test_a_reset_empties_the_queue(api: httpx.Client, limited: Sandbox) -> None:
    send(api, to=_numbers(10))
    limited.advance(1.0)
    assert limited.queued_messages() == 9
    limited.reset()
    limited.configure(time_scale=0)
    assert limited.queued_messages() == 0
    assert limited.settings.messages_per_second is None
    batch = send(api, to=_numbers(3))
    limited.advance(1.0)
    assert _dispatched(limited, batch) == 3


# Too many requests


def test_too_many_requests_get_429_and_are_not_handled(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.configure(requests_per_second=3)
    for _ in range(3):
        assert api.get("/batches").status_code == 200
    refused = api.post("/batches", json={"to": ["+46705550001"], "from": SENDER, "body": "Hi"})
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_requests")
    assert "retry-after" not in refused.headers  # not documented by Sinch
    assert sandbox.batches() == []  # a 429 was not accepted: resending is safe
    assert sandbox.requests[-1].fault == "request_limit"
    sandbox.advance(0.5)
    assert api.get("/batches").status_code == 429  # still within the second of the first three
    sandbox.advance(0.5)
    accepted = api.post("/batches", json={"to": ["+46705550001"], "from": SENDER, "body": "Hi"})
    assert accepted.status_code == 201
    assert len(sandbox.batches()) == 1


def test_unauthenticated_requests_do_not_count(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.configure(requests_per_second=1)
    assert api.get("/batches", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api.get("/batches").status_code == 200
    assert api.get("/batches").status_code == 429


# Settings


@pytest.mark.parametrize(("name", "value"), [
    ("messages_per_second", 0), ("messages_per_second", -1), ("messages_per_second", float("inf")),
    ("messages_per_second", True), ("requests_per_second", 0), ("requests_per_second", 1.5),
])
def test_a_limit_must_be_a_positive_number(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        SandboxSettings(**{name: value})  # type: ignore[arg-type]


def test_the_limits_are_set_like_every_setting(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=f"{sandbox.url}/_sandbox", trust_env=False) as control:
        assert control.patch("/settings", json={"messages_per_second": 30, "requests_per_second": 100}
                             ).json() == {"ok": True}
        assert control.get("/queue").json() == {"waiting": 0}
        bad = control.patch("/settings", json={"messages_per_second": -5})
        assert (bad.status_code, bad.json()["code"]) == (400, "invalid_settings")
    assert (sandbox.settings.messages_per_second, sandbox.settings.requests_per_second) == (30, 100)
    sandbox.set_rate_limit(None)
    assert (sandbox.settings.messages_per_second, sandbox.settings.requests_per_second) == (None, None)
    assert Sandbox(messages_per_second=5).settings.messages_per_second == 5


def test_the_command_line_sets_the_limits() -> None:
    args = parser().parse_args(["--messages-per-second", "30", "--requests-per-second", "100"])
    settings = settings_from(args)
    assert (settings.messages_per_second, settings.requests_per_second) == (30, 100)
    assert settings_from(parser().parse_args([])).messages_per_second is None
