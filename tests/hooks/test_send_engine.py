"""``SinchHook.send_exactly_once`` without the operator: what TaskFlow code and the notifier get.

Against the Sinch sandbox (real HTTP on 127.0.0.1): a plain function - what a ``@task`` body is - sends
exactly once across a simulated retry, with a durable store (Airflow 3.3's ``task_state_store``) and
without one (3.1/3.2: lookups by ``client_reference`` alone).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_sinch.client.errors import SinchRateLimitError, SinchValidationError
from airflow_provider_sinch.client.patience import RateLimitPatience
from airflow_provider_sinch.hooks.send_engine import ExactlyOnceSend, SendControl, brief_list
from airflow_provider_sinch.hooks.send_ledger import LEDGER_KEY, SendLedger
from airflow_provider_sinch.hooks.sinch import SinchHook
from tests.operators.conftest import FakeStore, make_context

SENDER = "+12017777777"
EVERYONE = [f"+4670{i:07d}" for i in range(2500)]
STORES = pytest.mark.parametrize("with_store", [True, False], ids=["task_state_store", "lookup-only"])


@pytest.fixture
def sandbox(sinch_sandbox: Any, sinch_sandbox_connection: str) -> Any:
    return sinch_sandbox


def sends(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/batches")]


def announce(store: FakeStore | None, **options: Any) -> dict[str, Any]:
    """A TaskFlow task's body: one call, retry-safe by its ledger (what ``@task(retries=3)`` would run)."""
    ledger = SendLedger("spring-sale:2026-03-01", store)
    return SinchHook().send_exactly_once({"to": EVERYONE, "from_": SENDER, "body": "Sale today"},
                                         ledger=ledger, max_concurrency=1, **options)


@STORES
def test_a_plain_function_sends_exactly_once_across_a_retry(sandbox: Any, with_store: bool) -> None:
    store = FakeStore() if with_store else None
    sandbox.add_fault(kind="drop", method="POST", path="^/batches$", after=1, times=1)  # 2nd answer lost
    with pytest.raises(AirflowException, match="answer was lost"):
        announce(store, ambiguous_lookup_delays=())  # the first try fails after Sinch took chunk 1
    result = announce(store)  # the retry
    counts = Counter(number for batch in sandbox.batches() for number in batch["to"])
    assert set(counts) == {n[1:] for n in EVERYONE}
    assert set(counts.values()) == {1}
    assert len(sends(sandbox)) == 3  # chunk 1 was found, not sent again
    assert sorted(result["batch_ids"]) == sorted(b["id"] for b in sandbox.batches())
    assert result["client_reference"] == "spring-sale:2026-03-01"
    assert result["recipients"] == 2500
    if with_store:
        assert set(store.values[LEDGER_KEY]) == {"0", "1", "2"}
    assert announce(store)["batch_ids"] == result["batch_ids"]  # and again: nothing new
    assert len(sends(sandbox)) == 3


def test_the_ledger_of_a_task_comes_from_its_context(sandbox: Any) -> None:
    """``SendLedger.for_task(get_current_context())`` in a ``@task``: the task instance's reference, its
    ``task_state_store``, and no lookups on a first try that has a store."""
    store = FakeStore()
    ledger = SendLedger.for_task(make_context(store, map_index=2), prefix="alerts")
    assert ledger.reference == "alerts:campaign:send:manual__2026-01-01T00:00:00+00:00:2"
    assert ledger.store is store
    assert ledger.first_try
    SinchHook().send_exactly_once({"to": EVERYONE[:3], "body": "Hi", "from_": SENDER}, ledger=ledger)
    assert [r.method for r in sandbox.requests] == ["POST"]  # a first try with a store looks nothing up
    retry = SendLedger.for_task(make_context(store, map_index=2, try_number=2), prefix="alerts")
    assert not retry.first_try


def test_without_a_store_every_try_looks_up(caplog: pytest.LogCaptureFixture) -> None:
    ledger = SendLedger.for_task(make_context(None))
    assert ledger.store is None
    assert not ledger.first_try
    assert "client_reference only" in caplog.text
    assert SendLedger.for_task(make_context(FakeStore()), durable=False).store is None


class FakeTimeControl(SendControl):
    """A send's control whose waits move a fake clock instead of taking time."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.waits: list[float] = []

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_a_refusing_sinch_is_not_hammered_even_with_retry_after_zero(sandbox: Any) -> None:
    """Every POST gets ``429 Retry-After: 0``: between rounds of the client's 5 attempts the send waits 1 s,
    then 2 s, ... so 2.5 s of patience means two rounds, not hundreds of requests."""
    sandbox.add_fault(kind="rate_limit", method="POST", path="^/batches$", times=1000, retry_after=0)
    control = FakeTimeControl()
    engine = ExactlyOnceSend(SinchHook(), SendLedger("ref"), patience=RateLimitPatience(seconds=2.5),
                             control=control, clock=lambda: control.now)
    with pytest.raises(AirflowException, match="429") as failed:
        engine.run({"to": EVERYONE[:3], "body": "Hi", "from_": SENDER})
    assert isinstance(failed.value.__cause__, SinchRateLimitError)
    assert len(sends(sandbox)) == 10
    assert control.waits == [1.0]


@pytest.mark.parametrize(("request_fields", "options", "field"), [
    ({"to": "+46701234567"}, {}, "to"),
    ({"to": []}, {}, "to"),
    ({"to": EVERYONE[:1], "client_reference": "mine"}, {}, "client_reference"),
    ({"to": EVERYONE[:1]}, {"chunk_size": 1001}, "chunk_size"),
    ({"to": EVERYONE[:1]}, {"max_concurrency": 0}, "max_concurrency"),
    ({"to": EVERYONE[:1]}, {"max_messages": "many"}, "max_messages"),
    ({"to": EVERYONE[:1]}, {"ambiguous_lookup_delays": [-1]}, "ambiguous_lookup_delays"),
    ({"to": EVERYONE[:1]}, {"rate_limit_patience": -5}, "rate_limit_patience"),
    ({"to": EVERYONE[:1], "body": None}, {}, "body"),
])
def test_bad_input_is_refused_before_any_request(sandbox: Any, request_fields: dict[str, Any],
                                                 options: dict[str, Any], field: str) -> None:
    with pytest.raises(SinchValidationError, match=field):
        SinchHook().send_exactly_once({"body": "Hi", "from_": SENDER, **request_fields},
                                      ledger=SendLedger("ref", FakeStore()), **options)
    assert sandbox.requests == []


@pytest.mark.parametrize("reference", ["", "   ", "x" * 5000])
def test_a_ledger_needs_a_usable_reference(reference: str) -> None:
    with pytest.raises(SinchValidationError, match="reference"):
        SendLedger(reference)


def test_brief_list_caps_a_log_line_of_ids() -> None:
    ids = [f"batch{i}" for i in range(1000)]
    assert brief_list(ids[:3]) == "batch0, batch1, batch2"
    assert brief_list(ids) == ", ".join(ids[:10]) + " (+990 more)"


def test_a_second_send_sharing_the_store_is_refused_not_taken_for_the_first(sandbox: Any) -> None:
    store = FakeStore()
    first = SendLedger("deploy:start", store, first_try=True)
    SinchHook().send_exactly_once({"to": EVERYONE[:2], "from_": SENDER, "body": "Deploy starting"},
                                  ledger=first)
    with pytest.raises(SinchValidationError, match="already holds the send 'deploy:start'"):
        SinchHook().send_exactly_once({"to": EVERYONE[:2], "from_": SENDER, "body": "Deploy done"},
                                      ledger=SendLedger("deploy:done", store, first_try=True))
    assert len(sends(sandbox)) == 1  # refused before any request
    SinchHook().send_exactly_once({"to": EVERYONE[:2], "from_": SENDER, "body": "Deploy done"},
                                  ledger=SendLedger("deploy:done"))  # its own ledger: sent
    assert [b["body"] for b in sorted(sandbox.batches(), key=lambda b: b["created_at"])] == [
        "Deploy starting", "Deploy done"]


def test_a_second_call_in_the_first_try_looks_up_what_the_first_may_have_sent(sandbox: Any) -> None:
    """A ``@task`` that catches the failed send and calls again in the same try: the second call asks Sinch
    before it sends, as a retry would."""
    store = FakeStore()
    sandbox.add_fault(kind="drop", method="POST", path="^/batches$", times=1)  # taken, answer lost
    ledger = SendLedger("one-try:2026-03-01", store, first_try=True)
    request = {"to": EVERYONE[:2], "from_": SENDER, "body": "Once"}
    with pytest.raises(AirflowException, match="answer was lost"):
        SinchHook().send_exactly_once(request, ledger=ledger, ambiguous_lookup_delays=())
    SinchHook().send_exactly_once(request, ledger=ledger)
    assert len(sandbox.batches()) == 1
    assert len(sends(sandbox)) == 1
