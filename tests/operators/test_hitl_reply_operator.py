"""Poll: SinchHITLReplyOperator answers from the run's triggering asset events, with the push rules."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_sinch.common import hitl_bridge
from airflow_provider_sinch.operators import SinchHITLReplyOperator
from airflow_provider_sinch.operators.hitl import inbound_payloads
from tests.hitl_fake import FakeAirflow
from tests.hitl_support import ADA, BOB, OTHER, OUR_NUMBER, ask, bridge_conn


@pytest.fixture
def airflow(monkeypatch: pytest.MonkeyPatch, sinch_sandbox_connection: str) -> FakeAirflow:
    fake = FakeAirflow()
    real = hitl_bridge.AirflowBridge

    class Bridge(real):  # type: ignore[misc,valid-type]
        def __init__(self, settings: Any, **kwargs: Any) -> None:
            super().__init__(settings, session=fake.session())

    monkeypatch.setattr(hitl_bridge, "AirflowBridge", Bridge)
    bridge_conn(monkeypatch)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://localhost:8080")
    return fake


def events(sandbox: Any, *replies: tuple[str, str]) -> dict[str, list[Any]]:
    """``triggering_asset_events`` as Airflow gives them: asset -> events with the message in extra."""
    found = [SimpleNamespace(extra={"payload": sandbox.inject_inbound(from_=n, to=OUR_NUMBER, body=b)})
             for n, b in replies]
    return {"sinch_inbound_sms": found}


def test_each_message_of_the_run_is_decided_and_valid_answers_recorded(sinch_sandbox, airflow) -> None:
    asked = ask(airflow, sinch_sandbox)
    triggering = events(sinch_sandbox, (OTHER, "hello"), (ADA, f"{asked.code(ADA)} no"),
                        (BOB, f"{asked.code(BOB)} yes"))
    operator = SinchHITLReplyOperator(task_id="answer", limits_variable=None)
    results = operator.execute({"triggering_asset_events": triggering})
    assert [r["result"] for r in results] == ["no_code", "recorded", "already_answered"]
    assert results[1]["approver"] == "Ada Lovelace (ada)"
    assert results[1]["chosen"] == ["Reject"]
    assert asked.request.chosen_options == ["Reject"]
    assert ADA.lstrip("+") not in json.dumps(results)


def test_text_back_goes_through_the_sinch_connection(sinch_sandbox, airflow) -> None:
    asked = ask(airflow, sinch_sandbox)
    operator = SinchHITLReplyOperator(task_id="answer", limits_variable=None, text_back=True)
    operator.execute({"triggering_asset_events": events(sinch_sandbox, (ADA, f"{asked.code(ADA)} perhaps"))})
    assert sinch_sandbox.batches()[0]["body"].startswith(f"Reply {asked.code(ADA)} YES")


def test_limits_are_kept_in_a_variable_between_runs(sinch_sandbox, airflow,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import Variable

    store: dict[str, str] = {}
    monkeypatch.setattr(Variable, "get", classmethod(lambda cls, key, default=None: store.get(key, default)))
    monkeypatch.setattr(Variable, "set", classmethod(lambda cls, key, value: store.__setitem__(key, value)))
    asked = ask(airflow, sinch_sandbox)
    for guess in "23456":
        SinchHITLReplyOperator(task_id="answer").execute(
            {"triggering_asset_events": events(sinch_sandbox, (ADA, f"ZZZZZ{guess} yes"))})
    (result,) = SinchHITLReplyOperator(task_id="answer").execute(
        {"triggering_asset_events": events(sinch_sandbox, (ADA, f"{asked.code(ADA)} yes"))})
    assert result["result"] == "rate_limited"
    saved = json.loads(store["sinch_hitl_limits"])
    assert len(saved["wrong_codes"]) == 1
    assert ADA.lstrip("+") not in store["sinch_hitl_limits"]


def test_replies_no_run_was_given_are_caught_up_and_none_read_twice(
        sinch_sandbox, airflow, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import Variable

    store: dict[str, str] = {}
    monkeypatch.setattr(Variable, "get", classmethod(lambda cls, key, default=None: store.get(key, default)))
    monkeypatch.setattr(Variable, "set", classmethod(lambda cls, key, value: store.__setitem__(key, value)))
    asked = ask(airflow, sinch_sandbox)
    first = events(sinch_sandbox, (OTHER, "hello"))
    sinch_sandbox.inject_inbound(from_=ADA, to=OUR_NUMBER, body=f"{asked.code(ADA)} yes")  # no run got it
    operator = SinchHITLReplyOperator(task_id="answer", to_numbers=[OUR_NUMBER])
    results = operator.execute({"triggering_asset_events": first})
    assert [r["result"] for r in results] == ["no_code", "recorded"]
    assert operator.execute({"triggering_asset_events": first}) == []     # a retry reads nothing again
    assert len(json.loads(store["sinch_hitl_limits"])["seen"]) == 2


def test_payloads_are_read_once_per_message_oldest_first() -> None:
    message = {"id": "m1", "received_at": "2026-12-06T10:00:02Z"}
    older = {"id": "m0", "received_at": "2026-12-06T10:00:01Z"}
    found = inbound_payloads({"a": [SimpleNamespace(extra={"payload": message})],
                              "b": [{"payload": message}, {"payload": older}, SimpleNamespace(extra=None)]})
    assert [p["id"] for p in found] == ["m0", "m1"]
    assert inbound_payloads(None) == []
