"""Planning a large send cheaply without giving up a rule: each destination normalised once, each chunk's
request validated once (before the first request) and sent as validated, digests that earlier ledgers
still match."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_sinch.client import SinchClient
from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.client.models import TextBatchRequest
from airflow_provider_sinch.client.msisdn import msisdn_digits
from airflow_provider_sinch.hooks.chunking import (
    Destinations,
    destination_key,
    plan_chunks,
    unique_destinations,
)
from airflow_provider_sinch.hooks.send_engine import plan
from airflow_provider_sinch.hooks.send_ledger import TIMES_KEY
from airflow_provider_sinch.operators import SinchSendBatchOperator
from tests.operators.conftest import FakeStore, make_context

SENDER = "+12017777777"
MIXED = ["+46 70 123 45 67", "0046701234567", "G1", "G1", "46701234567", " +46709999999 ", "+46708888888"]


def test_destinations_normalise_each_entry_once_and_keep_the_first_spelling() -> None:
    found = Destinations.of(MIXED)
    assert (found.entries, found.repeats) == (["+46 70 123 45 67", "G1", " +46709999999 ", "+46708888888"], 3)
    assert found.keys == [destination_key(e) for e in found.entries]
    assert found.digits == [msisdn_digits(e) for e in found.entries]
    assert found.groups == 1
    assert found.numbers() == {"46701234567", "46709999999", "46708888888"}
    assert unique_destinations(MIXED) == (found.entries, found.repeats)


def test_repeats_of_a_canonical_list_are_dropped_without_a_key_per_entry() -> None:
    to = ["+46701234567", "+46701234568", "+46701234567", "+46701234569", "+46701234568"]
    found = Destinations.of(to)
    assert found.canonical
    assert found.normalised is None
    assert (found.entries, found.repeats, found.groups) == (["+46701234567", "+46701234568", "+46701234569"],
                                                            2, 0)
    assert found.keys == ["46701234567", "46701234568", "46701234569"]


@pytest.mark.parametrize("entries", [
    [f"+4670{i:07d}" for i in range(3000)],  # the canonical shapes, normalised in bulk
    [f"4670{i:07d}" for i in range(3000)],
    [f"004670{i:07d}" for i in range(30)],  # the others, entry by entry
    [*[f"+4670{i:07d}" for i in range(30)], "4670000001", "G1"],
])
def test_bulk_and_per_entry_normalising_agree(entries: list[str]) -> None:
    found = Destinations.as_given(entries)
    assert found.digits == [msisdn_digits(e) for e in entries]
    assert found.keys == [destination_key(e) for e in entries]


@pytest.mark.parametrize("to", [
    [f"+4670{i:07d}" for i in range(1500)],  # canonical: digests from the joined entries
    [f"4670{i:07d}" for i in range(1500)],
    [f"+4670{i:07d}" for i in range(1500)] + ["G1"],  # not: from the keys worked out one by one
], ids=["plus", "bare", "with-a-group"])
def test_a_chunks_digest_is_the_one_earlier_versions_recorded(to: list[str]) -> None:
    for chunk in plan_chunks(to, base="ref"):
        joined = "\n".join(destination_key(t) for t in chunk.to)  # how the ledger's digest was always made
        assert chunk.digest == hashlib.sha256(joined.encode()).hexdigest()[:16]
    assert [c.digest for c in plan_chunks(to)] == [c.digest for c in plan_chunks(Destinations.of(to))]


def test_planning_validates_every_chunk_before_anything_is_sent() -> None:
    to = [f"+4670{i:07d}" for i in range(2500)]
    to[2400] = "+46 (0)70 1234567"  # a bad entry in the last chunk
    with pytest.raises(SinchValidationError, match=r"chunk 2.*to\[400\].*trunk prefix"):
        plan(to, {"from_": SENDER, "body": "Hi"}, "ref")


def test_each_chunk_keeps_its_validated_request() -> None:
    fields = {"from_": SENDER, "body": "Hi"}
    chunks, _ = plan([f"+4670{i:07d}" for i in range(1001)], fields, "ref")
    assert [type(c.request_model) for c in chunks] == [TextBatchRequest, TextBatchRequest]
    for chunk in chunks:
        expected = TextBatchRequest.model_validate(chunk.request(fields))
        assert chunk.request_model == expected


@pytest.fixture
def sandbox(sinch_sandbox: Any, sinch_sandbox_connection: str, executor_safeguard_off: None) -> Any:
    return sinch_sandbox


def test_the_send_posts_each_validated_request_as_it_is(sandbox: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    endpoint = SinchClient.send_batch  # the descriptor itself (read from the class)

    def send_batch(client: SinchClient, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return endpoint(client, **kwargs)

    monkeypatch.setattr(SinchClient, "send_batch", send_batch)
    to = [f"+4670{i:07d}" for i in range(2500)]
    result = SinchSendBatchOperator(task_id="send", to=to, from_=SENDER, body="Hi").execute(
        make_context(FakeStore()))
    assert all(set(call) == {"request"} and isinstance(call["request"], TextBatchRequest) for call in calls)
    assert len(calls) == 3
    batches = {b["id"]: b for b in sandbox.batches()}
    assert sorted(n for i in result["batch_ids"] for n in batches[i]["to"]) == sorted(n[1:] for n in to)
    assert {batches[i]["client_reference"] for i in result["batch_ids"]} == {
        f"{result['client_reference']}:{k}" for k in range(3)}


def test_a_retry_sends_the_first_tries_send_at_validated_again(sandbox: Any) -> None:
    first_try = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    store = FakeStore()
    store.set(TIMES_KEY, {"send_at": first_try.isoformat()})  # what the first try pinned
    op = SinchSendBatchOperator(task_id="send", to=["+46701234567"], from_=SENDER, body="Hi",
                                send_at=timedelta(hours=3))
    result = op.execute(make_context(store, try_number=2))
    (batch,) = sandbox.batches()
    assert datetime.fromisoformat(batch["send_at"].replace("Z", "+00:00")) == first_try
    assert result["send_at"] == first_try.isoformat()
