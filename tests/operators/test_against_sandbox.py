"""The operators against the local Sinch sandbox (real HTTP on 127.0.0.1): large sends, retries, lost
answers, rate-limit storms, scheduled sends cancelled on kill, groups.

Retry safety runs both ways on every Airflow version: with a ``task_state_store`` (what Airflow 3.3 gives a
task) and without one (what 3.1 and 3.2 give, or ``durable=False``), where a retry finds what an earlier try
sent by each chunk's ``client_reference`` alone.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from airflow.providers.common.compat.sdk import AirflowException, TaskDeferred

from airflow_provider_sinch.hooks.send_engine import SendControl
from airflow_provider_sinch.operators import (
    SinchCancelBatchOperator,
    SinchCreateGroupOperator,
    SinchDeleteGroupOperator,
    SinchDryRunBatchOperator,
    SinchSendBatchOperator,
    SinchUpdateGroupOperator,
)
from tests.operators.conftest import FakeStore, make_context
from tests.triggers.test_delivery_triggers import first_event

SENDER = "+12017777777"
EVERYONE = [f"+4670{i:07d}" for i in range(2500)]
STORES = pytest.mark.parametrize("with_store", [True, False], ids=["task_state_store", "lookup-only"])
"""Run a retry test with a state store (Airflow 3.3) and without (3.1, 3.2)."""


def a_store(with_store: bool) -> FakeStore | None:
    return FakeStore() if with_store else None


@pytest.fixture
def sandbox(sinch_sandbox: Any, sinch_sandbox_connection: str, executor_safeguard_off: None) -> Any:
    return sinch_sandbox


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every pause of a send, recorded instead of taken: the client's retry waits (tenacity's sleep) and the
    send engine's own (its ``SendControl``'s waits), from whichever thread makes them."""
    recorded: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if sys._getframe(1).f_globals.get("__name__") == "tenacity.nap":
            recorded.append(seconds)
            seconds = 0
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    monkeypatch.setattr(SendControl, "wait", lambda control, seconds: recorded.append(seconds))
    return recorded


def send_op(**kwargs: Any) -> SinchSendBatchOperator:
    return SinchSendBatchOperator(**{"task_id": "send", "to": EVERYONE, "from_": SENDER, "body": "Sale today",
                                     **kwargs})


def sends(sandbox: Any) -> list[Any]:
    """Every POST /batches the sandbox received (including refused and dropped ones)."""
    return [r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/batches")]


def messaged(sandbox: Any) -> Counter[str]:
    """How many batches each number is a recipient of."""
    return Counter(number for batch in sandbox.batches() for number in batch["to"])


def assert_everyone_once(sandbox: Any, batches: int = 3) -> None:
    counts = messaged(sandbox)
    assert len(sandbox.batches()) == batches
    assert set(counts) == {n[1:] for n in EVERYONE}
    assert set(counts.values()) == {1}


def test_2500_recipients_three_batches_everyone_exactly_once(sandbox: Any, pauses: list[float]) -> None:
    result = send_op().execute(make_context(FakeStore()))
    assert_everyone_once(sandbox)
    assert sorted(result["batch_ids"]) == sorted(b["id"] for b in sandbox.batches())
    assert len(sends(sandbox)) == 3  # one request a chunk
    assert pauses == []  # and no waiting (how fast it is, is bench/bench_send.py's to measure)
    sandbox.wait_for(lambda: all(s == "Delivered" for b in result["batch_ids"]
                                 for s in sandbox.statuses(b).values()), timeout=10)


@STORES
def test_running_the_task_again_sends_nothing_new(sandbox: Any, with_store: bool) -> None:
    store = a_store(with_store)
    first = send_op().execute(make_context(store))
    again = send_op().execute(make_context(store, try_number=2))
    assert again["batch_ids"] == first["batch_ids"]
    assert len(sends(sandbox)) == 3
    assert_everyone_once(sandbox)


@STORES
def test_accept_then_drop_retry_finds_the_batch(sandbox: Any, with_store: bool) -> None:
    sandbox.add_fault(kind="drop", method="POST", path="^/batches$", times=1)
    store = a_store(with_store)
    with pytest.raises(AirflowException, match="answer was lost"):  # no lookups in this try: give up
        send_op(ambiguous_lookup_delays=(), max_concurrency=1).execute(make_context(store))
    assert len(sandbox.batches()) >= 1  # the dropped chunk exists at Sinch
    send_op(max_concurrency=1).execute(make_context(store, try_number=2))
    assert_everyone_once(sandbox)
    assert len(sends(sandbox)) == 3  # the dropped one was found, not sent again


@STORES
def test_accept_then_drop_is_recovered_within_the_try(sandbox: Any, with_store: bool) -> None:
    sandbox.add_fault(kind="drop", method="POST", path="^/batches$", times=1)
    result = send_op(ambiguous_lookup_delays=(0.1,)).execute(make_context(a_store(with_store)))
    assert_everyone_once(sandbox)
    assert len(sends(sandbox)) == 3
    assert len(result["batch_ids"]) == 3


def test_429_storm_slows_the_send_but_loses_nothing(sandbox: Any, pauses: list[float]) -> None:
    sandbox.add_fault(kind="rate_limit", method="POST", path="^/batches$", times=14, retry_after=0.1)
    result = send_op(max_concurrency=3).execute(make_context(FakeStore()))
    refused = [r for r in sends(sandbox) if r.status == 429]
    assert len(refused) == 14  # more than the client's 5 attempts for at least one chunk
    assert len(pauses) == 14  # every 429 was waited out before the chunk was sent again ...
    assert min(pauses) >= 0.1  # ... for at least its Retry-After
    assert_everyone_once(sandbox)
    assert len(result["batch_ids"]) == 3


def test_scheduled_send_is_cancelled_on_kill(sandbox: Any) -> None:
    op = send_op(send_at=timedelta(hours=1), cancel_on_kill=True)
    result = op.execute(make_context(FakeStore()))
    op.on_kill()
    assert all(sandbox.batch(b)["canceled"] for b in result["batch_ids"])


def test_a_retry_reads_each_recorded_batch_once_and_sends_a_cancelled_one_again(sandbox: Any) -> None:
    """A scheduled send, one of whose batches is cancelled before the retry: the retry reads each batch the
    ledger names once (before, every live one was read twice: to check the stored result, then to plan)."""
    store = FakeStore()
    first = send_op(send_at=timedelta(hours=1)).execute(make_context(store))
    SinchCancelBatchOperator(task_id="cancel", batch_id=first["batch_ids"][1]).execute(make_context())
    seen = len(sandbox.requests)
    again = send_op(send_at=timedelta(hours=1)).execute(make_context(store, try_number=2))
    reads = Counter(r.path.rsplit("/", 1)[1] for r in sandbox.requests[seen:]
                    if r.method == "GET" and "/batches/" in r.path)
    assert reads == {batch_id: 1 for batch_id in first["batch_ids"]}
    assert again["batch_ids"][0::2] == first["batch_ids"][0::2]
    assert again["batch_ids"][1] not in first["batch_ids"]
    assert len(sends(sandbox)) == 4


def requests_per_chunk(sandbox: Any, since: int = 0) -> dict[str, dict[str, int]]:
    """Chunk index -> how many ``send`` (POST /batches), ``lookup`` (GET /batches?client_reference=...) and
    ``read`` (GET /batches/{id}) requests were made for it, from the sandbox's ``since``-th request on."""
    chunk_of = {b["id"]: b["client_reference"].rsplit(":", 1)[1] for b in sandbox.batches()}
    counted: dict[str, Counter[str]] = defaultdict(Counter)
    for request in sandbox.requests[since:]:
        if request.method == "POST" and request.path.endswith("/batches"):
            counted[request.body["client_reference"].rsplit(":", 1)[1]]["send"] += 1
        elif request.method == "GET" and request.path.endswith("/batches"):
            counted[parse_qs(request.query)["client_reference"][0].rsplit(":", 1)[1]]["lookup"] += 1
        elif request.method == "GET" and "/batches/" in request.path:
            counted[chunk_of[request.path.rsplit("/", 1)[1]]]["read"] += 1
        else:
            counted["other"][f"{request.method} {request.path}"] += 1
    return {chunk: dict(kinds) for chunk, kinds in counted.items()}


@STORES
def test_what_a_retry_costs_per_chunk(sandbox: Any, with_store: bool) -> None:
    """The price of retry safety in requests to Sinch, per chunk of 1,000 destinations.  The first try
    sends chunk 0, chunk 1 is taken by Sinch but its answer is lost (the try fails), chunk 2 is never sent.
    A retried chunk costs one GET, plus the POST if it still has to be sent: with a state store the GET
    reads the batch the ledger names, without one it looks the chunk up by its reference.  Without a store
    the first try looks every chunk up too (nothing may tell it that no earlier run of it sent them)."""
    sandbox.add_fault(kind="drop", method="POST", path="^/batches$", after=1, times=1)
    store = a_store(with_store)
    with pytest.raises(AirflowException, match="answer was lost"):
        send_op(ambiguous_lookup_delays=(), max_concurrency=1).execute(make_context(store))
    first_try = requests_per_chunk(sandbox)
    seen = len(sandbox.requests)
    send_op(ambiguous_lookup_delays=(), max_concurrency=1).execute(make_context(store, try_number=2))
    retry = requests_per_chunk(sandbox, seen)
    if with_store:
        assert first_try == {"0": {"send": 1}, "1": {"send": 1}}
        assert retry == {"0": {"read": 1}, "1": {"lookup": 1}, "2": {"lookup": 1, "send": 1}}
    else:
        assert first_try == {"0": {"lookup": 1, "send": 1}, "1": {"lookup": 1, "send": 1}, "2": {"lookup": 1}}
        assert retry == {"0": {"lookup": 1}, "1": {"lookup": 1}, "2": {"lookup": 1, "send": 1}}
    assert_everyone_once(sandbox)


def test_group_send_with_cost_guard_and_name_kept(sandbox: Any) -> None:
    group = SinchCreateGroupOperator(task_id="g", name="vip", members=EVERYONE[:1500]).execute(make_context())
    cost = SinchDryRunBatchOperator(task_id="dry", to=group, from_=SENDER, body="x" * 200,
                                    max_messages=3000).execute(make_context())
    assert cost["number_of_recipients"] == 1500
    assert cost["number_of_messages"] == 3000
    updated = SinchUpdateGroupOperator(task_id="u", group_id=group, add=EVERYONE[1500:1600]) \
        .execute(make_context())
    assert updated["name"] == "vip"
    assert updated["size"] == 1600
    result = send_op(to=group).execute(make_context(FakeStore()))
    assert result["groups"] == 1
    sandbox.wait_for(lambda: len(sandbox.statuses(result["batch_ids"][0])) == 1600, timeout=10)


async def test_wait_for_delivery_round_trip_through_the_trigger(sandbox: Any) -> None:
    """Send in the 'worker', run the deferred trigger against the sandbox, resume with its event."""
    op = send_op(to=EVERYONE[:1200], wait_for_delivery=True, poll_interval=0.05, delivery_timeout=30)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(make_context(FakeStore()))
    posts_before = len(sends(sandbox))
    event = await first_event(deferred.value.trigger, timeout=30)
    assert len(sends(sandbox)) == posts_before == 2  # the trigger only read
    result = op.execute_complete({}, event, **deferred.value.kwargs)
    assert result["batch_ids"] == deferred.value.kwargs["send_result"]["batch_ids"]
    assert result["delivery"]["expected"] == 1200
    assert result["delivery"]["pending"] == 0
    assert result["delivery"]["counts"] == {"Delivered": 1200}


def test_delete_group_accept_then_drop_succeeds(sandbox: Any) -> None:
    create = SinchCreateGroupOperator(task_id="g", name="Gone soon", members=EVERYONE[:3])
    group = create.execute(make_context())
    sandbox.add_fault(kind="drop", method="DELETE", path="^/groups/", times=1)  # deleted, answer withheld
    result = SinchDeleteGroupOperator(task_id="d", group_id=group["id"]).execute(make_context(FakeStore()))
    assert result == {"group_id": group["id"], "deleted": True}
    deletes = [r for r in sandbox.requests if r.method == "DELETE" and "/groups/" in r.path]
    assert len(deletes) == 2  # the client's resend got 404: the first one had deleted it
