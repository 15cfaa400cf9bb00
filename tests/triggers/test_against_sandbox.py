"""Triggers and sensors against the local Sinch sandbox: real HTTP, real delivery lifecycle, no Airflow DB."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.sensors.delivery import SinchBatchDeliverySensor
from airflow_provider_sinch.sensors.inbound import SinchInboundMessageSensor
from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger, SinchRecipientDeliveryTrigger
from airflow_provider_sinch.triggers.events import deadline_after
from airflow_provider_sinch.triggers.inbound import (
    SinchInboundMessageEventTrigger,
    SinchInboundMessageTrigger,
)
from tests.triggers.test_delivery_triggers import first_event
from tests.triggers.test_inbound_triggers import FakeStateStore

OURS = "+12017777777"
ALICE, BOB, CAROL = "+46701000001", "+46701000002", "+46700999901"  # CAROL ends 999901: Failed


@pytest.fixture
def sandbox(sinch_sandbox: Any, sinch_sandbox_connection: str) -> Any:
    return sinch_sandbox


def send(*to: str, body: str = "Reply YES or NO") -> str:
    return SinchHook().send_batch(to=list(to), from_=OURS, body=body).id


async def test_batch_trigger_follows_the_lifecycle(sandbox: Any) -> None:
    batch_id = send(ALICE, BOB, CAROL)
    payload = await first_event(
        SinchBatchDeliveryTrigger(batch_ids=[batch_id], poll_interval=0.05), timeout=20
    )
    assert payload["status"] == "failure"
    assert payload["result"]["counts"] == {"Delivered": 2, "Failed": 1}
    assert "Failed=1 (code 11: 1)" in payload["detail"]
    methods = {r.method for r in sandbox.requests if "/batches/" in r.path}
    assert methods == {"GET"}  # the trigger only read

    ok = await first_event(
        SinchBatchDeliveryTrigger(batch_ids=[batch_id], poll_interval=0.05, min_success_ratio=0.6), timeout=20
    )
    assert ok["status"] == "success"
    assert ok["result"]["expected"] == 3


async def test_several_batches_and_one_recipient(sandbox: Any) -> None:
    first, second = send(ALICE), send(BOB, CAROL)
    payload = await first_event(
        SinchBatchDeliveryTrigger(batch_ids=[first, second], poll_interval=0.05, min_success_ratio=0.5),
        timeout=20,
    )
    assert payload["status"] == "success"
    assert payload["result"]["batches"][second]["expected"] == 2
    recipient = await first_event(
        SinchRecipientDeliveryTrigger(batch_id=second, recipient=CAROL, poll_interval=0.05), timeout=20
    )
    assert recipient["status"] == "failure"
    assert recipient["result"]["recipient"] == "46700999901"


async def test_transient_faults_are_absorbed(sandbox: Any) -> None:
    batch_id = send(ALICE)
    sandbox.add_fault(kind="server_error", status=503, times=2, path=f"/batches/{batch_id}/delivery_report")
    trigger = SinchBatchDeliveryTrigger(batch_ids=[batch_id], poll_interval=0.05, max_consecutive_failures=3)
    assert (await first_event(trigger, timeout=30))["status"] == "success"


async def test_deadline_against_a_slow_send(sandbox: Any) -> None:
    sandbox.set_time_scale(0)  # frozen: nothing ever gets delivered
    batch_id = send(ALICE)
    payload = await first_event(
        SinchBatchDeliveryTrigger(batch_ids=[batch_id], poll_interval=0.05, deadline=deadline_after(0.5))
    )
    assert payload["status"] == "timeout"
    assert payload["result"]["pending"] == 1


async def test_reply_trigger_gets_the_auto_reply(sandbox: Any) -> None:
    from datetime import UTC, datetime

    since = datetime.now(UTC).isoformat()
    sandbox.add_auto_reply("Yes please", recipient="000001", delay=0.5)
    send(ALICE, BOB)
    trigger = SinchInboundMessageTrigger(
        since=since, from_numbers=[ALICE], to_numbers=[OURS], keywords=["YES", "NO"], poll_interval=0.05
    )
    payload = await first_event(trigger, timeout=20)
    assert payload["status"] == "success"
    assert payload["result"]["keyword"] == "YES"
    assert payload["result"]["from"] == "46701000001"


async def watch(
    sandbox: Any, trigger: SinchInboundMessageEventTrigger, *messages: tuple[str, str, str]
) -> list[str]:
    """Run the watcher, inject ``(from, to, text)`` messages once it polls, return the texts it fired."""
    fired: list[str] = []

    async def consume() -> None:
        async for event in trigger.run():
            fired.append(event.payload["text"])

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.3)
    for sender, to, text in messages:
        sandbox.inject_inbound(sender, to, text)
    for _ in range(200):
        if fired:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # several more polls: nothing may fire twice
    task.cancel()
    return fired


async def test_event_trigger_fires_each_injected_message_once(sandbox: Any) -> None:
    store = FakeStateStore()
    trigger = SinchInboundMessageEventTrigger(to_numbers=[OURS], poll_interval=0.05)
    trigger.asset_state_store = store  # type: ignore[assignment]
    sandbox.inject_inbound("46709999999", OURS, "before the watch")  # before the first start: not fired
    await asyncio.sleep(0.01)
    fired = await watch(sandbox, trigger, (ALICE, OURS, "START"), (BOB, "+12018888888", "not to our number"))
    assert fired == ["START"]
    # restart from the same kwargs and the same asset state: nothing old again, the next one fires
    again = SinchInboundMessageEventTrigger(**trigger.serialize()[1])
    again.asset_state_store = store  # type: ignore[assignment]
    assert await watch(sandbox, again, (BOB, OURS, "second")) == ["second"]


@pytest.mark.usefixtures("executor_safeguard_off")
def test_sensors_poke_against_the_sandbox(sandbox: Any) -> None:
    from unittest import mock

    from airflow.sdk import timezone

    batch_id = send(ALICE, BOB)
    sensor = SinchBatchDeliverySensor(task_id="wait", batch_ids=batch_id, poke_interval=0.05, timeout=20)
    result = sensor.execute({"ti": mock.Mock(start_date=timezone.utcnow())})
    assert result["counts"] == {"Delivered": 2}

    started = timezone.utcnow()
    reply = SinchInboundMessageSensor(
        task_id="reply", from_numbers=[BOB], keywords=["yes", "no"], poke_interval=0.05, timeout=20
    )
    pokes: list[Any] = []
    real_poke = reply.poke

    def poke(context: Any) -> Any:  # the reply arrives after the first poke found nothing
        pokes.append(real_poke(context))
        if len(pokes) == 1:
            sandbox.inject_inbound(BOB, OURS, "no")
        return pokes[-1]

    reply.poke = poke  # type: ignore[method-assign]
    message = reply.execute({"ti": mock.Mock(start_date=started)})
    assert message["keyword"] == "no"
    assert [bool(p) for p in pokes] == [False, True]  # found by the poke after it arrived
