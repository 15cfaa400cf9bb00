"""Inbound triggers: the reply trigger and the asset-watcher event trigger (the filter and the window they
share with the sensor are tested in tests/common/test_inbound_wait.py)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_sinch.common.inbound_wait import InboundWindow
from airflow_provider_sinch.triggers.events import deadline_after
from airflow_provider_sinch.triggers.inbound import (
    SinchInboundMessageEventTrigger,
    SinchInboundMessageTrigger,
)
from tests.common.test_inbound_wait import T0, at
from tests.fakes import FakeSinch, inbound
from tests.triggers.test_delivery_triggers import first_event, rebuild

# Reply trigger


def reply_trigger(**kwargs: Any) -> SinchInboundMessageTrigger:
    return SinchInboundMessageTrigger(
        **{"since": T0.isoformat(), "from_numbers": ["+46701234567"], "poll_interval": 0.5, **kwargs}
    )


def test_reply_trigger_serialize_round_trips() -> None:
    trigger = reply_trigger(
        to_numbers="+12017777777",
        keywords=["YES", "NO"],
        pattern="(?P<x>.)",
        deadline="2030-01-01T00:00:00Z",
        sinch_conn_id="c2",
        max_consecutive_failures=2,
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_sinch.triggers.inbound.SinchInboundMessageTrigger"
    assert kwargs["since"] == "2026-03-01T12:00:00+00:00"
    assert kwargs["from_numbers"] == ["46701234567"]
    assert rebuild(trigger).serialize() == (classpath, kwargs)
    with pytest.raises(ValueError, match="since is required"):
        SinchInboundMessageTrigger(since=None, from_numbers="1")  # type: ignore[arg-type]


async def test_reply_trigger_waits_for_the_matching_reply(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.inbounds += [
        inbound("old", "46701234567", "YES", at(-5)),  # before since
        inbound("other", "46709999999", "YES", at(2)),  # someone else
        inbound("chat", "46701234567", "what?", at(3)),  # no keyword
    ]
    trigger = reply_trigger(keywords=["YES", "NO"])
    task = asyncio.ensure_future(first_event(trigger))
    while fake_sinch.calls("inbounds") < 2:
        await asyncio.sleep(0.001)
    fake_sinch.inbounds.append(inbound("reply", "46701234567", "no thanks", at(4)))
    payload = await task
    assert payload["kind"] == "inbound"
    assert payload["status"] == "success"
    assert payload["result"]["id"] == "reply"
    assert payload["result"]["keyword"] == "NO"
    assert all(s == 0.5 for s in sleeps)
    starts = [r.query["start_date"][0] for r in fake_sinch.requests if r.api_path == "/inbounds"]
    assert starts[0].startswith("2026-03-01T12:00:00")  # from since, never earlier


async def test_reply_trigger_to_numbers_sent_to_sinch(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.inbounds.append(inbound("m", "46701234567", "ok", at(1), to="12017777777"))
    payload = await first_event(reply_trigger(to_numbers=["+1 201 777 7777"]))
    assert payload["status"] == "success"
    assert fake_sinch.requests[0].query["to"] == ["12017777777"]


async def test_reply_trigger_times_out(fake_sinch: FakeSinch) -> None:
    payload = await first_event(reply_trigger(poll_interval=0.05, deadline=deadline_after(0.2)))
    assert payload["status"] == "timeout"
    assert "no SMS from +4670****567" in payload["detail"]


async def test_reply_trigger_failure_budget(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.fail("inbounds", 500, 429)
    fake_sinch.inbounds.append(inbound("m", "46701234567", "ok", at(1)))
    assert (await first_event(reply_trigger(max_consecutive_failures=3)))["status"] == "success"
    assert len(sleeps) == 2
    fake_sinch.fail("inbounds", 401)
    payload = await first_event(reply_trigger())
    assert payload["status"] == "error"
    assert "401" in payload["detail"]


# Event trigger (AssetWatcher)


class FakeStateStore:
    """Stands in for the triggerer's ``asset_state_store`` (one watched asset)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return json.loads(json.dumps(self.data.get(key, default)))

    async def aset(self, key: str, value: Any) -> None:
        self.writes += 1
        self.data[key] = json.loads(json.dumps(value))


def watcher(**kwargs: Any) -> SinchInboundMessageEventTrigger:
    return SinchInboundMessageEventTrigger(**{"poll_interval": 0.5, "since": T0.isoformat(), **kwargs})


async def collect(trigger: SinchInboundMessageEventTrigger, fake: FakeSinch, polls: int) -> list[dict]:
    """Run the endless trigger until it has polled ``polls`` times; return the payloads it fired."""
    events: list[dict] = []

    async def consume() -> None:
        async for event in trigger.run():
            events.append(event.payload)

    start = fake.calls("inbounds")
    task = asyncio.ensure_future(consume())
    while fake.calls("inbounds") < start + polls and not task.done():
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.01)
    assert not task.done(), "run() must never end"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return events


def test_event_trigger_is_a_base_event_trigger_with_stable_kwargs() -> None:
    from airflow.triggers.base import BaseEventTrigger

    a, b = watcher(keywords="YES"), watcher(keywords=["YES"])
    assert isinstance(a, BaseEventTrigger)
    assert a.serialize() == b.serialize()  # same config, same identity, whenever the DAG is parsed
    assert BaseEventTrigger.hash(*a.serialize()) == BaseEventTrigger.hash(*b.serialize())
    assert rebuild(a).serialize() == a.serialize()
    assert watcher(since=None).serialize()[1]["since"] is None
    assert a.state_key == watcher(keywords="YES", poll_interval=3).state_key  # poll settings may change
    assert a.state_key != watcher(keywords="NO").state_key


async def test_event_trigger_fires_every_new_matching_message_once(
    fake_sinch: FakeSinch, sleeps: list
) -> None:
    fake_sinch.inbounds += [
        inbound("m0", "46701234567", "too old", at(-1)),
        inbound("m1", "46701234567", "START", at(1)),
        inbound("m2", "46700000000", "ignored", at(2)),
    ]
    trigger = watcher(from_numbers=["+46701234567"])
    store = FakeStateStore()
    trigger.asset_state_store = store  # type: ignore[assignment]
    events = await collect(trigger, fake_sinch, polls=3)
    assert [e["id"] for e in events] == ["m1"]
    assert events[0]["text"] == "START"
    assert all(s == 0.5 for s in sleeps)
    # more polls and a new message: m1 is not fired again, m3 is
    fake_sinch.inbounds.append(inbound("m3", "46701234567", "again", at(5)))
    events = await collect(trigger, fake_sinch, polls=3)
    assert [e["id"] for e in events] == ["m3"]


async def test_event_trigger_restart_does_not_fire_old_messages(fake_sinch: FakeSinch, sleeps: list) -> None:
    store = FakeStateStore()
    fake_sinch.inbounds += [inbound("m1", "1", "a", at(1)), inbound("m2", "1", "b", at(2))]
    first = watcher()
    first.asset_state_store = store  # type: ignore[assignment]
    assert [e["id"] for e in await collect(first, fake_sinch, polls=2)] == ["m1", "m2"]
    # the triggerer restarts: a new instance from the same kwargs, with the same asset state
    fake_sinch.inbounds.append(inbound("m3", "1", "c", at(3)))
    second = rebuild(first)
    second.asset_state_store = store
    assert [e["id"] for e in await collect(second, fake_sinch, polls=2)] == ["m3"]
    # a message Sinch lists late (received before m3, inside the overlap) still fires exactly once
    fake_sinch.inbounds.append(inbound("late", "1", "d", at(2.5)))
    third = rebuild(first)
    third.asset_state_store = store
    assert [e["id"] for e in await collect(third, fake_sinch, polls=2)] == ["late"]


async def test_event_trigger_saves_state_before_yielding(fake_sinch: FakeSinch, sleeps: list) -> None:
    store = FakeStateStore()
    fake_sinch.inbounds.append(inbound("m1", "1", "a", at(1)))
    trigger = watcher()
    trigger.asset_state_store = store  # type: ignore[assignment]
    gen = trigger.run()
    event = await asyncio.wait_for(anext(gen), 5)
    assert event.payload["id"] == "m1"
    assert "m1" in store.data[trigger.state_key]["ids"]  # already saved when the event is handed over
    await gen.aclose()


async def test_event_trigger_first_start_without_since_starts_now(
    fake_sinch: FakeSinch, sleeps: list
) -> None:
    now = datetime.now(UTC)
    fake_sinch.inbounds.append(inbound("before", "1", "a", (now - timedelta(seconds=5)).isoformat()))
    trigger = watcher(since=None)
    trigger.asset_state_store = FakeStateStore()  # type: ignore[assignment]
    assert await collect(trigger, fake_sinch, polls=2) == []
    fake_sinch.inbounds.append(
        inbound("after", "1", "b", (datetime.now(UTC) + timedelta(seconds=1)).isoformat())
    )
    assert [e["id"] for e in await collect(trigger, fake_sinch, polls=2)] == ["after"]


async def test_event_trigger_without_state_store_never_replays(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.inbounds.append(inbound("m1", "1", "a", at(1)))  # after since, but before this start
    trigger = watcher()  # no asset_state_store: a restart starts from now
    assert await collect(trigger, fake_sinch, polls=2) == []


async def test_event_trigger_survives_errors_with_backoff(fake_sinch: FakeSinch, sleeps: list) -> None:
    fake_sinch.fail("inbounds", 500, 503, 401, 500, 500, 500)
    fake_sinch.inbounds.append(inbound("m1", "1", "a", at(1)))
    trigger = watcher(max_backoff=3)
    trigger.asset_state_store = FakeStateStore()  # type: ignore[assignment]
    events = await collect(trigger, fake_sinch, polls=8)
    assert [e["id"] for e in events] == ["m1"]
    assert sleeps[:6] == [1.0, 2.0, 3.0, 3.0, 3.0, 3.0]  # growing pause, capped, never zero
    assert all(s > 0 for s in sleeps)


async def test_event_trigger_state_store_errors_are_not_fatal(fake_sinch: FakeSinch, sleeps: list) -> None:
    class Broken(FakeStateStore):
        async def aset(self, key: str, value: Any) -> None:
            raise RuntimeError("api down")

    fake_sinch.inbounds.append(inbound("m1", "1", "a", at(1)))
    trigger = watcher()
    trigger.asset_state_store = Broken()  # type: ignore[assignment]
    assert [e["id"] for e in await collect(trigger, fake_sinch, polls=2)] == ["m1"]


async def test_event_trigger_several_assets_fall_back_to_memory(fake_sinch: FakeSinch, sleeps: list) -> None:
    class Several(FakeStateStore):
        async def aget(self, key: str, default: Any = None) -> Any:
            raise ValueError("Task has 2 concrete inlets and outlets")

    fake_sinch.inbounds.append(inbound("m1", "1", "a", at(1)))
    trigger = watcher()
    trigger.asset_state_store = Several()  # type: ignore[assignment]
    assert await collect(trigger, fake_sinch, polls=2) == []  # since ignored: starts from now


@pytest.mark.parametrize("state", [
    {"watermark": "not a time", "ids": {}},
    {"watermark": "2026-03-01T12:00:00Z", "ids": ["m1"]},
    {"watermark": "2026-03-01T12:00:00Z", "ids": {"m1": "yesterday"}},
])
async def test_event_trigger_unreadable_state_starts_from_now_and_keeps_running(
    fake_sinch: FakeSinch, sleeps: list, state: dict[str, Any]
) -> None:
    """An asset state it cannot read is neither a failure (the triggerer would restart the watcher over and
    over, on the same state) nor a reason to replay from ``since``: it starts from now, like a watcher
    without a state store, and replaces the state with a readable one."""
    store = FakeStateStore()
    trigger = watcher()
    store.data[trigger.state_key] = state
    trigger.asset_state_store = store  # type: ignore[assignment]
    fake_sinch.inbounds.append(inbound("m1", "1", "a", at(1)))  # after since, before this start
    assert await collect(trigger, fake_sinch, polls=2) == []
    assert InboundWindow.from_state(store.data[trigger.state_key]) is not None
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    fake_sinch.inbounds.append(inbound("m2", "1", "b", soon))
    assert [e["id"] for e in await collect(trigger, fake_sinch, polls=2)] == ["m2"]


def test_reprs_mask_phone_numbers() -> None:
    from airflow_provider_sinch.triggers.delivery import SinchRecipientDeliveryTrigger

    for trigger in (
        watcher(from_numbers=["+46701234567"], to_numbers="+12017777777"),
        reply_trigger(),
        SinchRecipientDeliveryTrigger(batch_id="b1", recipient="+46701234567"),
    ):
        text = repr(trigger)
        assert "46701234567" not in text
        assert "4670****567" in text
        assert trigger.serialize()[1]  # serialize itself is untouched
