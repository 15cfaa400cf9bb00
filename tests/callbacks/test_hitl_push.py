"""Push: an inbound SMS the receiver accepts answers the HITL request its code names (opt-in per
connection), without delaying Sinch's 200; duplicates and delivery reports never reach the HITL path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from airflow_provider_sinch.callbacks import hitl
from airflow_provider_sinch.callbacks.app import create_app
from airflow_provider_sinch.client.webhooks import parse_callback
from airflow_provider_sinch.common.hitl_bridge import AirflowBridge
from tests.callbacks.conftest import CONN_ID
from tests.callbacks.test_receiver import URL, Served, basic, mounted
from tests.hitl_fake import FakeAirflow
from tests.hitl_support import ADA, OUR_NUMBER, ask, bridge_conn


@pytest.fixture
def airflow(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAirflow]:
    fake = FakeAirflow()
    monkeypatch.setattr(hitl, "BRIDGE", lambda settings: AirflowBridge(settings, session=fake.session()))
    hitl._handlers.clear()
    hitl._options.clear()
    yield fake
    hitl._handlers.clear()
    hitl._options.clear()


@pytest.fixture
def enabled(push_connection: Any, monkeypatch: pytest.MonkeyPatch, sinch_sandbox: Any) -> Any:
    """``sinch_push`` with HITL answers on (texts back through the sandbox), the bridge connection."""
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", sinch_sandbox.conn_uri)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://localhost:8080")
    conn = json.loads(sinch_sandbox.conn_uri)
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({**conn, "extra": {
        **conn.get("extra", {}), "callback_username": "u", "callback_password": "p",
        "hitl_conn_id": "sinch_hitl_default", "hitl_text_back": True}}))
    bridge_conn(monkeypatch)
    return sinch_sandbox


def inbound(sandbox: Any, body: str, from_: str = ADA) -> Any:
    return parse_callback(json.dumps(sandbox.inject_inbound(from_=from_, to=OUR_NUMBER, body=body)).encode())


def test_a_coded_reply_pushed_to_the_receiver_answers_the_request(enabled: Any, airflow: FakeAirflow) -> None:
    asked = ask(airflow, enabled)
    decision = hitl.answer(CONN_ID, inbound(enabled, f"{asked.code(ADA)} yes"))
    assert decision.result == "recorded"
    assert asked.request.chosen_options == ["Approve"]
    assert airflow.audit[0]["extra"]["approver"] == "Ada Lovelace (ada)"


def test_a_second_push_is_acknowledged_and_texted_back_once(enabled: Any, airflow: FakeAirflow) -> None:
    asked = ask(airflow, enabled)
    hitl.answer(CONN_ID, inbound(enabled, f"{asked.code(ADA)} yes"))
    assert hitl.answer(CONN_ID, inbound(enabled, f"{asked.code(ADA)} no")).result == "already_answered"
    assert asked.request.chosen_options == ["Approve"]
    assert enabled.batches()[0]["body"] == "Already answered: nothing changed."


def test_connections_without_hitl_conn_id_never_answer(push_connection: Any, airflow: FakeAirflow,
                                                       sinch_sandbox: Any) -> None:
    assert hitl.answer(CONN_ID, inbound(sinch_sandbox, "K7Q4MZ yes")) is None
    assert airflow.calls == []


def test_failures_are_logged_never_raised(enabled: Any, airflow: FakeAirflow, monkeypatch: pytest.MonkeyPatch,
                                          caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_HITL_DEFAULT", json.dumps({"conn_type": "http", "host": "x"}))
    assert hitl.answer(CONN_ID, inbound(enabled, "K7Q4MZ yes")) is None
    assert "has no login" in caplog.text
    assert ADA.lstrip("+") not in caplog.text


def test_the_receiver_calls_the_hook_for_new_inbound_callbacks_only(
        push_connection: Any, served: None, db: Any, active_asset: Any, sinch_sandbox: Any) -> None:
    seen: list[tuple[str, str]] = []
    app = mounted(create_app(on_inbound=lambda conn_id, cb: seen.append((conn_id, cb.payload["body"]))))
    body = json.dumps(sinch_sandbox.inject_inbound(from_=ADA, to=OUR_NUMBER, body="K7Q4MZ yes")).encode()
    active_asset(f"sinch://{CONN_ID}/inbound")
    with Served(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.post(URL, content=body, headers=basic()).json()["status"] == "recorded"
        assert http.post(URL, content=body, headers=basic()).json()["status"] == "duplicate"
    assert seen == [(CONN_ID, "K7Q4MZ yes")]


def test_the_default_hook_returns_before_answering(monkeypatch: pytest.MonkeyPatch,
                                                   sinch_sandbox: Any) -> None:
    import threading

    started, release = threading.Event(), threading.Event()

    def slow(conn_id: str, callback: Any) -> None:
        started.set()
        release.wait(5)

    monkeypatch.setattr(hitl, "answer", slow)
    hitl.answer_in_background(CONN_ID, inbound(sinch_sandbox, "x"))   # returns while the answer is pending
    assert started.wait(5)
    release.set()
