"""SinchSendBatchOperator and SinchDryRunBatchOperator on the Sinch sandbox: chunking, validation before any
request, the cost guard, retry safety (ledger, lookups, lost answers), rate limits, cancel on kill."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    TaskDeferred,
)
from airflow.sdk import DAG

from airflow_provider_sinch.client import SinchClient, SinchValidationError
from airflow_provider_sinch.client.msisdn import normalize_msisdn
from airflow_provider_sinch.hooks.send_ledger import LEDGER_KEY, STARTED_KEY
from airflow_provider_sinch.operators import SinchDryRunBatchOperator, SinchSendBatchOperator
from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger
from airflow_provider_sinch.triggers.events import DEFERRAL_GRACE_SECONDS
from tests.operators.conftest import ApiView, FakeStore, make_context

SENDER = "+12017777777"


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+4670{i:07d}" for i in range(start, start + count)]


def send_op(**kwargs: Any) -> SinchSendBatchOperator:
    kwargs = {"task_id": "send", "from_": SENDER, "body": "Hello", "ambiguous_lookup_delays": (0,), **kwargs}
    return SinchSendBatchOperator(**kwargs)


def sent_to(api: ApiView) -> list[str]:
    """Every destination of every batch Sinch accepted, as Sinch echoes numbers (digits)."""
    return [normalize_msisdn(t) for batch in api.batches.values() for t in batch["to"]]


def test_2500_recipients_become_three_batches_with_everyone_once(api: ApiView, store: FakeStore) -> None:
    to = numbers(2500)
    result = send_op(to=to).execute(make_context(store))
    posts = api.requests("POST", "/batches")
    assert [len(p.body["to"]) for p in posts] == [1000, 1000, 500] or \
        sorted(len(p.body["to"]) for p in posts) == [500, 1000, 1000]
    assert sorted(sent_to(api)) == sorted(n[1:] for n in to)
    assert result["chunks"] == 3
    assert result["recipients"] == 2500
    assert len(result["batch_ids"]) == 3
    refs = sorted(p.body["client_reference"] for p in posts)
    base = "airflow:campaign:send:manual__2026-01-01T00:00:00+00:00:-1"
    assert result["client_reference"] == base
    assert refs == [f"{base}:{i}" for i in range(3)]
    json.dumps(result)  # plain JSON for XCom
    assert set(store.values[LEDGER_KEY]) == {"0", "1", "2"}
    assert store.values["sinch_send"] == result


def test_ledger_written_the_moment_each_batch_exists(api: ApiView, store: FakeStore) -> None:
    send_op(to=numbers(2500), max_concurrency=1).execute(make_context(store))
    assert store.writes == [STARTED_KEY, LEDGER_KEY, LEDGER_KEY, LEDGER_KEY, "sinch_send"]


def test_not_durable_keeps_nothing_in_the_store_and_relies_on_lookups(api: ApiView, store: FakeStore) -> None:
    first = send_op(to=numbers(1500), durable=False).execute(make_context(store))
    assert store.writes == []
    again = send_op(to=numbers(1500), durable=False).execute(make_context(store, try_number=2))
    assert again["batch_ids"] == first["batch_ids"]
    assert len(api.batches) == 2


def test_to_from_an_upstream_members_list_in_a_mapped_task(api: ApiView) -> None:
    result = send_op(to=["46700000001", "46700000002"]).execute(make_context(map_index=4))
    assert result["client_reference"].endswith(":4")
    assert api.requests("POST", "/batches")[0].body["client_reference"].endswith(":4:0")


def test_repeated_destinations_are_sent_once(api: ApiView) -> None:
    result = send_op(to=["+46701234567", "0046701234567", "46 70 123 45 67", "+46700000001"]) \
        .execute(make_context())
    assert sent_to(api) == ["46701234567", "46700000001"]
    assert result["recipients"] == 2


def test_parameters_travel_with_their_chunk_and_defaults_go_everywhere(api: ApiView) -> None:
    to = numbers(1500)
    params = {"name": {to[0]: "Ann", to[1200]: "Bob", "default": "there"}, "code": {to[1499]: "X"}}
    send_op(to=to, body="Hi ${name} ${code}", parameters=params).execute(make_context())
    first, second = sorted(api.requests("POST", "/batches"), key=lambda c: c.body["client_reference"])
    assert first.body["parameters"] == {"name": {to[0]: "Ann", "default": "there"}, "code": {}}
    assert second.body["parameters"] == {"name": {to[1200]: "Bob", "default": "there"},
                                         "code": {to[1499]: "X"}}


def test_unlisted_parameter_numbers_go_to_chunks_with_groups(api: ApiView) -> None:
    g1 = api.group("46709999999", name="g")
    params = {"name": {"+46709999999": "Member", "+46700000000": "Listed"}}
    send_op(to=["+46700000000", g1, "+46700000001"], chunk_size=2, parameters=params,
            body="Hi ${name}").execute(make_context())
    first, second = sorted(api.requests("POST", "/batches"), key=lambda c: c.body["client_reference"])
    assert first.body["parameters"] == {"name": {"+46709999999": "Member", "+46700000000": "Listed"}}
    assert second.body["parameters"] == {"name": {}}


@pytest.mark.parametrize("to", [
    numbers(3),
    json.dumps(numbers(3)),
    str(numbers(3)),
    ", ".join(numbers(3)),
    "\n".join(numbers(3)),
])
def test_to_from_a_list_json_python_or_text(api: ApiView, to: Any) -> None:
    send_op(to=to).execute(make_context())
    assert sent_to(api) == [n[1:] for n in numbers(3)]


def test_to_can_be_an_upstream_group(api: ApiView) -> None:
    g7 = api.group("46700000001", "46700000002", "46700000003", name="vip")
    send_op(to={"id": g7, "name": "vip", "size": 3}).execute(make_context())
    assert sent_to(api) == [g7]


def test_templating_every_field_and_body_from_a_file(api: ApiView, tmp_path: Any) -> None:
    (tmp_path / "message.txt").write_text("Hello {{ params.who }}, run {{ run_id }}")
    with DAG("campaign", schedule=None, template_searchpath=[str(tmp_path)]):
        op = send_op(to="{{ params.numbers }}", body="message.txt", from_="{{ params.sender }}",
                     sinch_conn_id="{{ params.conn }}", send_at="{{ params.when }}", max_messages="{{ 10 }}")
    op.resolve_template_files()
    context = make_context()
    context["params"] = {"who": "Ann", "numbers": numbers(2), "sender": SENDER, "conn": "sinch_default",
                         "when": "2030-01-01T10:00:00"}
    op.render_template_fields(context)
    assert op.body == "Hello Ann, run manual__2026-01-01T00:00:00+00:00"
    assert op.to == str(numbers(2))  # rendered as text: read back as a list
    result = op.execute(context)
    (post,) = api.requests("POST", "/batches")
    assert post.body["body"] == "Hello Ann, run manual__2026-01-01T00:00:00+00:00"
    assert post.body["from"] == SENDER
    assert post.body["to"] == numbers(2)
    assert post.body["send_at"] == "2030-01-01T10:00:00Z"  # no offset means UTC, as at Sinch
    assert result["send_at"] == "2030-01-01T10:00:00+00:00"
    assert set(SinchSendBatchOperator.template_fields) >= {
        "sinch_conn_id", "to", "from_", "body", "parameters", "send_at", "expire_at", "client_reference",
        "delivery_report", "callback_url", "max_messages", "max_parts_per_message"}


def test_send_at_as_timedelta_is_counted_from_execution(api: ApiView) -> None:
    before = datetime.now(UTC)
    send_op(to=numbers(1), send_at=timedelta(hours=2)).execute(make_context())
    after = datetime.now(UTC)
    (post,) = api.requests("POST", "/batches")
    sent_at = datetime.fromisoformat(post.body["send_at"].replace("Z", "+00:00"))
    written = timedelta(seconds=1)  # the time is written in whole seconds at most
    assert before + timedelta(hours=2) - written <= sent_at <= after + timedelta(hours=2)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"to": [*numbers(1500), "x" * 65]}, "to[500]"),  # bad entry in the second chunk (the client names it so)
    ({"to": []}, "to"),
    ({"to": numbers(2), "body": "x" * 2001}, "body"),
    ({"to": numbers(2), "send_at": "not a time"}, "send_at"),
    ({"to": numbers(2), "parameters": {"bad key!": {"default": "x"}}}, "parameters"),
    ({"to": numbers(2), "max_messages": "many"}, "max_messages"),
    ({"to": numbers(2), "extra_fields": {"body": "x"}}, "extra_fields"),
    ({"to": numbers(2), "chunk_size": 1001}, "chunk_size"),
])
def test_bad_input_fails_before_any_request(api: ApiView, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SinchValidationError) as info:
        send_op(**kwargs).execute(make_context())
    assert any(name == field or name.startswith(field) for name, _ in info.value.errors), info.value.errors
    assert api.calls == []


def test_cost_guard_fails_with_the_figures_before_sending(api: ApiView) -> None:
    op = send_op(to=numbers(1200), body="x" * 200, max_messages=2000)
    with pytest.raises(AirflowFailException, match=r"2400 message parts in total exceed max_messages=2000"):
        op.execute(make_context())
    assert len(api.requests("POST", "/batches/dry_run")) == 2  # every chunk dry-run (<= 1000 each)
    assert api.requests("POST", "/batches") == []


def test_cost_guard_on_parts_per_message_counts_parameters(api: ApiView) -> None:
    to = numbers(3)
    op = send_op(to=to, body="Hi ${name}", parameters={"name": {to[1]: "y" * 200, "default": "you"}},
                 max_parts_per_message=1)
    with pytest.raises(AirflowFailException, match=r"a message of 2 parts exceeds max_parts_per_message=1"):
        op.execute(make_context())
    assert api.requests("POST", "/batches") == []


def test_cost_guard_within_limits_sends_and_reports(api: ApiView) -> None:
    result = send_op(to=numbers(3), max_messages=3, max_parts_per_message=1).execute(make_context())
    assert result["cost"] == {"number_of_recipients": 3, "number_of_messages": 3, "max_parts_per_message": 1,
                              "chunks": 1}
    assert len(api.requests("POST", "/batches")) == 1


def test_retry_with_the_state_store_sends_nothing_new(api: ApiView, store: FakeStore) -> None:
    first = send_op(to=numbers(2500)).execute(make_context(store))
    posts = len(api.requests("POST", "/batches"))
    again = send_op(to=numbers(2500)).execute(make_context(store, try_number=2))
    assert again == first
    assert len(api.requests("POST", "/batches")) == posts
    assert api.requests("GET", "/batches") == []  # the store knew; Sinch was only asked about cancellations


def test_retry_without_a_store_finds_the_batches_by_reference(api: ApiView) -> None:
    first = send_op(to=numbers(2500)).execute(make_context())
    looked_up = len(api.requests("GET", "/batches"))  # without a store even a first try asks first
    again = send_op(to=numbers(2500)).execute(make_context(try_number=2))
    assert again["batch_ids"] == first["batch_ids"]
    assert len(api.requests("POST", "/batches")) == 3
    lookups = api.requests("GET", "/batches")[looked_up:]
    assert len(lookups) == 3
    assert all(c.query["start_date"] and c.query["client_reference"].startswith(first["client_reference"])
               for c in lookups)


def test_lookup_starts_before_the_run_not_at_sinchs_24h_default(api: ApiView) -> None:
    started = datetime.now(UTC) - timedelta(days=3)
    send_op(to=numbers(1)).execute(make_context(try_number=2, start_date=started))
    (lookup,) = api.requests("GET", "/batches")
    since = datetime.fromisoformat(lookup.query["start_date"].replace("Z", "+00:00"))
    assert since <= started - timedelta(minutes=30)


def test_partial_first_try_resumes_with_the_missing_chunks_only(api: ApiView, store: FakeStore) -> None:
    api.fail("POST", "/batches", status=400, times=1)  # the first chunk is refused; the others go out
    with pytest.raises(AirflowException, match=r"1 chunk\(s\) of this send failed"):
        send_op(to=numbers(2500), max_concurrency=1).execute(make_context(store))
    assert store.values.get(LEDGER_KEY, {}) == {}  # stopped at the first failure: nothing new started
    assert len(api.requests("POST", "/batches")) == 1
    send_op(to=numbers(2500), max_concurrency=1).execute(make_context(store, try_number=2))
    assert sorted(sent_to(api)) == sorted(n[1:] for n in numbers(2500))


def test_failure_mid_send_keeps_what_was_sent(api: ApiView, store: FakeStore) -> None:
    api.fail("POST", "/batches", status=400, skip=1)  # the second chunk is refused
    with pytest.raises(AirflowException, match=r"1 of 3 batch\(es\) exist and are recorded"):
        send_op(to=numbers(2500), max_concurrency=1).execute(make_context(store))
    assert list(store.values[LEDGER_KEY]) == ["0"]
    send_op(to=numbers(2500), max_concurrency=1).execute(make_context(store, try_number=2))
    assert sorted(sent_to(api)) == sorted(n[1:] for n in numbers(2500))
    assert len(api.batches) == 3


def test_lost_answer_is_recovered_by_lookup_without_resending(api: ApiView, store: FakeStore) -> None:
    api.fail("POST", "/batches", drop=True)
    result = send_op(to=numbers(10)).execute(make_context(store))
    assert len(api.requests("POST", "/batches")) == 1
    assert result["batch_ids"] == list(api.batches)
    assert store.values[LEDGER_KEY]["0"]["batch_id"] == result["batch_ids"][0]


def test_lost_answer_not_found_fails_without_resending_then_retry_looks_again(api: ApiView, store: FakeStore
                                                                               ) -> None:
    api.fail("POST", "/batches", drop=True)
    api.sandbox.configure(list_delay=60)  # Sinch's list has not caught up with the send yet
    with pytest.raises(AirflowException, match="answer was lost"):
        send_op(to=numbers(10)).execute(make_context(store))
    assert len(api.requests("POST", "/batches")) == 1
    api.sandbox.advance(60)
    result = send_op(to=numbers(10)).execute(make_context(store, try_number=2))
    assert len(api.requests("POST", "/batches")) == 1  # the retry found it
    assert result["batch_ids"] == list(api.batches)


def test_rate_limit_beyond_the_clients_retries_waits_and_loses_nothing(api: ApiView) -> None:
    api.fail("POST", "/batches", status=429, times=7)  # more than the client's 5 attempts
    result = send_op(to=numbers(1500), max_concurrency=1).execute(make_context())
    assert len(result["batch_ids"]) == 2
    assert sorted(sent_to(api)) == sorted(n[1:] for n in numbers(1500))
    assert len(api.batches) == 2


def test_rate_limit_patience_bounds_the_wait(api: ApiView) -> None:
    api.fail("POST", "/batches", status=429, times=50)
    with pytest.raises(AirflowException, match="429"):
        send_op(to=numbers(3), rate_limit_patience=0).execute(make_context())
    assert api.batches == {}


def test_cancelled_batch_from_an_earlier_try_is_sent_again(api: ApiView, store: FakeStore) -> None:
    first = send_op(to=numbers(1500)).execute(make_context(store))
    api.cancel(first["batch_ids"][1])
    again = send_op(to=numbers(1500)).execute(make_context(store, try_number=2))
    assert again["batch_ids"][0] == first["batch_ids"][0]
    assert again["batch_ids"][1] != first["batch_ids"][1]
    assert len(api.requests("POST", "/batches")) == 3


def recorded_batch_reads(api: ApiView, since: int = 0) -> Counter[str]:
    """How often each batch was read by id (``GET /batches/{id}``) in the calls from ``since`` on."""
    return Counter(c.path for c in api.calls[since:] if c.method == "GET" and c.path.count("/") == 2)


def test_a_retry_reads_each_recorded_batch_once(api: ApiView, store: FakeStore) -> None:
    first = send_op(to=numbers(2500)).execute(make_context(store))
    before = len(api.calls)
    send_op(to=numbers(2500)).execute(make_context(store, try_number=2))
    assert recorded_batch_reads(api, before) == {f"/batches/{i}": 1 for i in first["batch_ids"]}


def test_a_retry_that_resends_a_cancelled_batch_reads_each_recorded_batch_once(api: ApiView, store: FakeStore
                                                                              ) -> None:
    """Before: the stored result was checked (every batch read), found incomplete, then every batch was
    read again before sending."""
    first = send_op(to=numbers(2500)).execute(make_context(store))
    api.cancel(first["batch_ids"][1])
    before = len(api.calls)
    again = send_op(to=numbers(2500)).execute(make_context(store, try_number=2))
    assert recorded_batch_reads(api, before) == {f"/batches/{i}": 1 for i in first["batch_ids"]}
    assert again["batch_ids"][1] not in first["batch_ids"]
    assert store.values["sinch_send"] == again


def test_a_retry_that_changes_nothing_answers_with_the_stored_result(api: ApiView, store: FakeStore) -> None:
    """The cost and ``send_at`` of the try that sent are kept (a retry would dry-run nothing, and a
    ``timedelta`` ``send_at`` would move)."""
    op_args = {"to": numbers(3), "send_at": timedelta(hours=1), "max_messages": 10}
    first = send_op(**op_args).execute(make_context(store))
    writes = len(store.writes)
    again = send_op(**op_args).execute(make_context(store, try_number=2))
    assert again == first
    assert "cost" in again
    assert store.writes[writes:] == []  # nothing new to remember
    assert len(api.requests("POST", "/batches/dry_run")) == 1  # the retry sent nothing: no guard to run


def test_input_shrunk_between_tries_is_refused(api: ApiView, store: FakeStore) -> None:
    """A retry whose input lost whole chunks (2,500 then 2,000 destinations) must not report 2 batches when 3
    were sent: the ledger names a chunk the new plan does not have."""
    send_op(to=numbers(2500)).execute(make_context(store))
    del store.values["sinch_send"]
    with pytest.raises(AirflowFailException, match="input of this send changed"):
        send_op(to=numbers(2000)).execute(make_context(store, try_number=2))
    assert api.requests("GET", r"/batches/\w+") == []  # refused before asking Sinch anything
    assert len(api.requests("POST", "/batches")) == 3


def test_changed_input_between_tries_is_refused(api: ApiView, store: FakeStore) -> None:
    send_op(to=numbers(5)).execute(make_context(store))
    del store.values["sinch_send"]
    with pytest.raises(AirflowFailException, match="input of this send changed"):
        send_op(to=numbers(5, start=100)).execute(make_context(store, try_number=2))
    assert len(api.requests("POST", "/batches")) == 1


def test_reference_per_map_index_and_custom_prefix(api: ApiView) -> None:
    result = send_op(to=numbers(1), client_reference="spring-sale").execute(make_context(map_index=3))
    assert result["client_reference"] == "spring-sale:campaign:send:manual__2026-01-01T00:00:00+00:00:3"


def test_on_kill_cancels_undispatched_batches(api: ApiView) -> None:
    op = send_op(to=numbers(2500), send_at=timedelta(hours=1), cancel_on_kill=True)
    result = op.execute(make_context())
    api.dispatch(result["batch_ids"][2])
    op.on_kill()
    assert [api.batches[i]["canceled"] for i in result["batch_ids"]] == [True, True, False]
    assert op.control.stop.is_set()


def test_on_kill_also_cancels_the_batch_whose_request_was_in_flight(api: ApiView,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Airflow calls on_kill while execute runs; a chunk whose request is already on its way becomes a batch
    after the kill, and with ``cancel_on_kill`` it must be cancelled too (it was left to go out)."""
    op = send_op(to=numbers(2500), send_at=timedelta(hours=1), cancel_on_kill=True, max_concurrency=1)
    send = SinchClient.send_batch

    def killed_during_the_second_send(client: SinchClient, *args: Any, **kwargs: Any) -> Any:
        if len(api.batches) == 1:
            op.on_kill()
        return send(client, *args, **kwargs)

    monkeypatch.setattr(SinchClient, "send_batch", killed_during_the_second_send)
    with pytest.raises(AirflowException, match=r"send stopped after 2 of 3"):
        op.execute(make_context())
    assert len(api.batches) == 2  # nothing started after the kill
    assert [batch["canceled"] for batch in api.batches.values()] == [True, True]


def test_on_kill_during_a_retrys_reads_cancels_what_the_retry_finds_and_fails(
        api: ApiView, store: FakeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed while a retry reads the ledger's batches: those read after the kill are cancelled as they are
    learnt, like those before it, and the try fails instead of answering with cancelled batches."""
    first = send_op(to=numbers(2500), send_at=timedelta(hours=1)).execute(make_context(store))
    op = send_op(to=numbers(2500), send_at=timedelta(hours=1), cancel_on_kill=True, max_concurrency=1)
    read = SinchClient.get_batch

    def killed_during_the_second_read(client: SinchClient, batch_id: str, *args: Any, **kwargs: Any) -> Any:
        if batch_id == first["batch_ids"][1]:
            op.on_kill()
        return read(client, batch_id, *args, **kwargs)

    monkeypatch.setattr(SinchClient, "get_batch", killed_during_the_second_read)
    with pytest.raises(AirflowException, match=r"send stopped after 3 of 3 batch\(es\): the task was killed"):
        op.execute(make_context(store, try_number=2))
    assert [api.batches[b]["canceled"] for b in first["batch_ids"]] == [True, True, True]
    assert len(api.requests("POST", "/batches")) == 3  # nothing sent by the killed retry


def test_on_kill_without_cancel_on_kill_cancels_nothing(api: ApiView) -> None:
    op = send_op(to=numbers(5), send_at=timedelta(hours=1))
    op.execute(make_context())
    op.on_kill()
    assert api.requests("DELETE", r"/batches/\w+") == []


def test_bodies_are_not_logged_at_info_numbers_are_masked(api: ApiView, capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    send_op(to=["+46701234567"], body="SECRET-CODE-1234", max_messages=5).execute(make_context())
    out = capsys.readouterr()
    logs = out.out + out.err
    assert "Chunk 1/1 sent as batch" in logs
    assert "SECRET-CODE-1234" not in logs
    assert "46701234567" not in logs
    assert "+4670****567" in logs


def test_dry_run_operator_adds_up_chunks_and_guards(api: ApiView) -> None:
    op = SinchDryRunBatchOperator(task_id="dry", to=numbers(1500), from_=SENDER, body="ж" * 80)
    result = op.execute(make_context())
    assert result == {"number_of_recipients": 1500, "number_of_messages": 3000, "max_parts_per_message": 2,
                      "chunks": 2}
    assert api.requests("POST", "/batches") == []
    with pytest.raises(AirflowFailException, match="max_parts_per_message=1"):
        SinchDryRunBatchOperator(task_id="dry", to=numbers(3), body="ж" * 80, max_parts_per_message=1) \
            .execute(make_context())


def test_dry_run_per_recipient_details(api: ApiView) -> None:
    to = numbers(2)
    result = SinchDryRunBatchOperator(task_id="dry", to=to, body="Hi ${n}", per_recipient=True,
                                      parameters={"n": {"default": "you"}}).execute(make_context())
    assert [r["body"] for r in result["per_recipient"]] == ["Hi you", "Hi you"]
    json.dumps(result)


# wait_for_delivery: send in the worker, then defer to the delivery trigger


def test_wait_for_delivery_sends_then_defers_to_the_batch_delivery_trigger(api: ApiView, store: FakeStore
                                                                          ) -> None:
    op = send_op(to=numbers(1500), wait_for_delivery=True, delivery_timeout=600, poll_interval=5,
                 min_success_ratio=0.9, unknown_is_success=True)
    before = datetime.now(UTC)
    with pytest.raises(TaskDeferred) as info:
        op.execute(make_context(store))
    after = datetime.now(UTC)
    assert len(api.requests("POST", "/batches")) == 2  # sent before deferring
    trigger = info.value.trigger
    assert isinstance(trigger, SinchBatchDeliveryTrigger)
    send_result = info.value.kwargs["send_result"]
    assert list(trigger.batch_ids) == send_result["batch_ids"]
    assert info.value.method_name == "execute_complete"
    assert info.value.timeout == timedelta(seconds=600 + DEFERRAL_GRACE_SECONDS)
    _, kwargs = trigger.serialize()
    json.dumps(kwargs)  # JSON-only trigger kwargs
    assert kwargs["poll_interval"] == 5
    assert kwargs["min_success_ratio"] == 0.9
    assert kwargs["unknown_is_success"] is True
    assert kwargs["success_statuses"] == ["Delivered"]
    deadline = datetime.fromisoformat(kwargs["deadline"])
    assert before + timedelta(seconds=600) <= deadline <= after + timedelta(seconds=600)
    json.dumps(info.value.kwargs)  # the resume kwargs are stored as JSON too


def test_wait_for_delivery_retry_waits_on_the_same_batches_without_sending(api: ApiView, store: FakeStore
                                                                          ) -> None:
    op = send_op(to=numbers(3), wait_for_delivery=True)
    with pytest.raises(TaskDeferred) as first:
        op.execute(make_context(store))
    with pytest.raises(TaskDeferred) as retry:
        send_op(to=numbers(3), wait_for_delivery=True).execute(make_context(store, try_number=2))
    assert len(api.requests("POST", "/batches")) == 1
    assert retry.value.trigger.batch_ids == first.value.trigger.batch_ids


def test_wait_for_delivery_resumes_with_the_send_result_and_the_summary() -> None:
    op = send_op(to=numbers(1), wait_for_delivery=True)
    summary = {"expected": 1, "final": 1, "pending": 0, "succeeded": 1, "success_ratio": 1.0}
    event = {"kind": "delivery", "status": "success", "detail": "delivered", "result": summary}
    result = op.execute_complete({}, event, send_result={"batch_ids": ["b1"], "recipients": 1})
    assert result == {"batch_ids": ["b1"], "recipients": 1, "delivery": summary}


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"kind": "delivery", "status": "failure", "detail": "1 Failed (code 402)", "result": {}},
         AirflowFailException),
        ({"kind": "delivery", "status": "timeout", "detail": "still 3 pending", "result": None},
         AirflowSensorTimeout),
        ({"kind": "delivery", "status": "error", "detail": "401", "result": None}, AirflowException),
        ({"kind": "inbound", "status": "success", "detail": "", "result": {}}, AirflowException),
        ({"kind": "delivery", "status": "maybe", "detail": "", "result": {}}, AirflowException),
        (None, AirflowException),
    ],
)
def test_wait_for_delivery_resume_is_strict(event: Any, error: type[Exception]) -> None:
    op = send_op(to=numbers(1), wait_for_delivery=True)
    with pytest.raises(error):
        op.execute_complete({}, event, send_result={"batch_ids": ["b1"]})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_success_ratio": 1.5}, "min_success_ratio"),
        ({"success_statuses": ["Queued"]}, "success_statuses"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"delivery_timeout": -1}, "delivery_timeout"),
        ({"max_consecutive_failures": 0}, "max_consecutive_failures"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": "500"}, "chunk_size"),
        ({"max_concurrency": 0}, "max_concurrency"),
    ],
)
def test_bad_wait_settings_fail_when_the_dag_is_parsed(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, SinchValidationError), match=message):
        send_op(to=numbers(1), wait_for_delivery=True, **kwargs)


def test_without_wait_for_delivery_nothing_defers(api: ApiView) -> None:
    result = send_op(to=numbers(2)).execute(make_context())
    assert "delivery" not in result


def test_resume_without_the_defer_kwargs_reads_the_send_result_from_the_state_store(
    api: ApiView, store: FakeStore
) -> None:
    """``airflow dags test`` (3.3) resumes with the event alone; the send result is in task_state_store."""
    op = send_op(to=numbers(2), wait_for_delivery=True)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(make_context(store))
    summary = {"expected": 2, "pending": 0, "batches": {"ignored": {}}}
    event = {"kind": "delivery", "status": "success", "detail": "delivered", "result": summary}
    result = op.execute_complete(make_context(store), event)
    assert result == {**deferred.value.kwargs["send_result"], "delivery": summary}


def test_resume_without_kwargs_or_store_names_the_batches_of_the_summary() -> None:
    summary = {"expected": 2, "pending": 0, "batches": {"b1": {}, "b2": {}}}
    event = {"kind": "delivery", "status": "success", "detail": "delivered", "result": summary}
    result = send_op(to=numbers(2), wait_for_delivery=True).execute_complete(make_context(), event)
    assert result == {"batch_ids": ["b1", "b2"], "delivery": summary}


def test_a_retry_sends_its_chunks_at_the_first_trys_relative_times(api: ApiView, store: FakeStore) -> None:
    """send_at=timedelta(...) counts from the first try: chunks a retry sends go out with the others."""
    api.fail("POST", "/batches", status=400, skip=1)  # the second chunk is refused on the first try
    kwargs = {"to": numbers(2000), "max_concurrency": 1, "send_at": timedelta(hours=1),
              "expire_at": timedelta(hours=5)}
    with pytest.raises(AirflowException):
        send_op(**kwargs).execute(make_context(store))
    time.sleep(0.05)  # a later try: "now" has moved on
    result = send_op(**kwargs).execute(make_context(store, try_number=2))
    assert len(api.batches) == 2
    sent = [c.body for c in api.requests("POST", "/batches") if c.status == 201]  # as sent (Sinch keeps ms)
    assert len(sent) == 2
    assert sent[0]["send_at"] == sent[1]["send_at"]
    assert sent[0]["expire_at"] == sent[1]["expire_at"]
    assert result["send_at"] == datetime.fromisoformat(sent[0]["send_at"].replace("Z", "+00:00")).isoformat()


def test_a_retry_after_its_pinned_expiry_still_finds_the_sent_batches(api: ApiView, store: FakeStore) -> None:
    """expire_at=timedelta(...) without send_at, every chunk sent on the first try: a retry after the pinned
    expiry has passed resumes (finds the batches, sends nothing) instead of refusing the pinned times."""
    kwargs = {"to": numbers(1500), "expire_at": timedelta(minutes=30)}
    first = send_op(**kwargs).execute(make_context(store))
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    store.values["sinch_send_times"] = {"expire_at": past}  # the retry comes after the first try's expiry
    again = send_op(**kwargs).execute(make_context(store, try_number=2))
    assert again["batch_ids"] == first["batch_ids"]
    assert len(api.requests("POST", "/batches")) == 2


def test_a_retry_with_chunks_left_refuses_a_passed_pinned_expiry_before_sending(api: ApiView,
                                                                                 store: FakeStore) -> None:
    api.fail("POST", "/batches", status=400, skip=1)  # the second chunk is refused on the first try
    kwargs = {"to": numbers(2000), "max_concurrency": 1, "expire_at": timedelta(minutes=30)}
    with pytest.raises(AirflowException):
        send_op(**kwargs).execute(make_context(store))
    posts = len(api.requests("POST", "/batches"))
    store.values["sinch_send_times"] = {"expire_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()}
    with pytest.raises(SinchValidationError, match="expire_at"):
        send_op(**kwargs).execute(make_context(store, try_number=2))
    assert len(api.requests("POST", "/batches")) == posts
    assert len(api.batches) == 1
