"""Every rule of an SMS answer, with the question texted through the Sinch sandbox, the reply injected into
it, and the HITL request in a stand-in for Airflow's REST endpoints (``tests/hitl_fake.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_sinch.common.hitl_replies import (
    REPLY_LIMIT,
    WRONG_CODE_LIMIT,
    InboundSMS,
    ReplyHandler,
    WindowLimiter,
)
from airflow_provider_sinch.hooks.sinch import SinchHook
from tests.hitl_fake import FakeAirflow
from tests.hitl_support import ADA, BOB, OTHER, OUR_NUMBER, approval_task, ask, bridge, bridge_conn


@pytest.fixture(autouse=True)
def _conns(monkeypatch: pytest.MonkeyPatch, sinch_sandbox_connection: str) -> None:
    bridge_conn(monkeypatch)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://localhost:8080")


@pytest.fixture
def airflow() -> FakeAirflow:
    return FakeAirflow()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def handler(airflow: FakeAirflow, clock: Clock) -> ReplyHandler:
    def text_back(to: str, from_: str, text: str) -> None:
        SinchHook().send_batch(to=[to], from_=from_, body=text)

    from airflow_provider_sinch.common.hitl_replies import REPLY_WINDOW_S, WRONG_CODE_WINDOW_S

    return ReplyHandler(bridge(airflow), send_sms=text_back,
                        wrong_codes=WindowLimiter(WRONG_CODE_LIMIT, WRONG_CODE_WINDOW_S, now=clock),
                        replies=WindowLimiter(REPLY_LIMIT, REPLY_WINDOW_S, now=clock))


def reply(sandbox: Any, from_: str, body: str, **fields: Any) -> InboundSMS:
    """An SMS as Sinch receives it (the sandbox), read as the push receiver and the poll task read it."""
    payload = sandbox.inject_inbound(from_=from_, to=OUR_NUMBER, body=body)
    sms = InboundSMS.from_payload({**payload, **fields})
    assert sms is not None
    return sms


def texts_to(sandbox: Any, number: str) -> list[str]:
    return [b["body"] for b in sandbox.batches() if b["to"] == [number.lstrip("+")]]


def test_the_right_reply_is_recorded_as_the_bridge_with_the_approver_in_the_audit_log(
        sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    decision = handler.handle(reply(sinch_sandbox, ADA, f"  {asked.code(ADA).lower()}   yes "))
    assert decision.result == "recorded"
    assert decision.chosen == ["Approve"]
    assert decision.approver == "Ada Lovelace (ada)"
    assert asked.request.chosen_options == ["Approve"]
    assert asked.request.responded_by == {"id": "sms-bridge", "name": "sms-bridge"}
    (audit,) = airflow.audit
    assert audit["owner"] == "sms-bridge"
    assert audit["extra"]["sms_from"] == "+4670****567"
    assert audit["extra"]["approver"] == "Ada Lovelace (ada)"
    assert ADA.lstrip("+") not in str(audit)


@pytest.mark.parametrize(("body", "option"), [("{code} 2", "Reject"), ("no {code}", "Reject"),
                                              ("{code} Approve", "Approve")])
def test_numbers_and_words_name_options(sinch_sandbox, airflow, handler, body: str, option: str) -> None:
    asked = ask(airflow, sinch_sandbox)
    assert handler.handle(reply(sinch_sandbox, BOB, body.format(code=asked.code(BOB)))).chosen == [option]
    assert asked.request.chosen_options == [option]


def test_a_bare_yes_without_the_code_records_nothing(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    assert handler.handle(reply(sinch_sandbox, ADA, "YES")).result == "no_code"
    assert asked.request.chosen_options is None
    assert airflow.audit == []


def test_the_right_code_from_another_number_records_nothing(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    assert handler.handle(reply(sinch_sandbox, OTHER, f"{asked.code(ADA)} YES")).result == "wrong_code"
    assert handler.handle(reply(sinch_sandbox, BOB, f"{asked.code(ADA)} YES")).result == "wrong_code"
    assert asked.request.chosen_options is None
    assert airflow.audit == []
    assert texts_to(sinch_sandbox, OTHER) == []     # nothing is texted to an unproven sender


def test_a_wrong_option_records_nothing_and_gets_a_hint(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    decision = handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} maybe"))
    assert decision.result == "invalid_option"
    assert asked.request.chosen_options is None
    assert texts_to(sinch_sandbox, ADA)[0] == f"Reply {asked.code(ADA)} YES or {asked.code(ADA)} NO"


def test_a_late_reply_records_nothing(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    late = (asked.request.created_at + timedelta(hours=1, seconds=1)).isoformat()
    decision = handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes", received_at=late))
    assert decision.result == "late"
    assert asked.request.chosen_options is None
    assert texts_to(sinch_sandbox, ADA)[0] == "Too late: this request has timed out."


def test_a_reply_dated_before_the_question_records_nothing(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    early = (asked.request.created_at - timedelta(minutes=5)).isoformat()
    decision = handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes", received_at=early))
    assert decision.result == "before_question"
    assert asked.request.chosen_options is None


def test_a_second_reply_changes_nothing(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    assert handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes")).result == "recorded"
    second = handler.handle(reply(sinch_sandbox, BOB, f"{asked.code(BOB)} no"))
    assert second.result == "already_answered"
    assert texts_to(sinch_sandbox, BOB)[0] == "Already answered: nothing changed."
    assert asked.request.chosen_options == ["Approve"]
    assert len(airflow.audit) == 1


def test_a_replayed_callback_changes_nothing(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    sms = reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes")
    assert handler.handle(sms).result == "recorded"
    assert handler.handle(sms).result == "already_answered"
    assert asked.request.chosen_options == ["Approve"]
    assert len(airflow.audit) == 1


def test_a_409_is_acknowledged(sinch_sandbox, airflow, handler, monkeypatch: pytest.MonkeyPatch) -> None:
    """The listing said open, but someone answered before our PATCH: 409, acknowledged, nothing changed."""
    asked = ask(airflow, sinch_sandbox)
    requests = list(handler.bridge.open_requests())
    airflow.answer_in_ui(asked.request, "Reject")
    monkeypatch.setattr(handler.bridge, "open_requests", lambda: iter(requests))
    decision = handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes"))
    assert decision.result == "already_answered"
    assert asked.request.chosen_options == ["Reject"]
    assert texts_to(sinch_sandbox, ADA)[0] == "Already answered: nothing changed."


def test_an_answer_in_the_ui_first_wins(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    airflow.answer_in_ui(asked.request, "Reject")
    assert handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes")).result == "already_answered"
    assert asked.request.chosen_options == ["Reject"]
    assert airflow.audit == []


def test_a_timeout_with_defaults_stays_airflows(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox, approval_task(defaults="Reject"))
    airflow.time_out(asked.request, ["Reject"])
    assert handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes")).result == "already_answered"
    assert asked.request.chosen_options == ["Reject"]
    assert asked.request.responded_by is None


def test_a_new_try_kills_the_old_code(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    old_code = asked.code(ADA)
    asked.request.ti_id = "0192f0c1-0000-7000-8000-00000000beef"   # the retry's task instance
    assert handler.handle(reply(sinch_sandbox, ADA, f"{old_code} yes")).result == "wrong_code"


def test_a_try_not_asked_by_sms_records_nothing(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    asked.request.xcom.clear()
    assert handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes")).result == "not_asked"
    assert asked.request.chosen_options is None


def test_wrong_codes_are_rate_limited_per_number(sinch_sandbox, airflow, handler, clock) -> None:
    asked = ask(airflow, sinch_sandbox)
    for guess in range(WRONG_CODE_LIMIT):
        assert handler.handle(reply(sinch_sandbox, ADA, f"ZZZZZ{guess + 2} yes")).result == "wrong_code"
    assert handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes")).result == "rate_limited"
    assert handler.handle(reply(sinch_sandbox, BOB, f"{asked.code(BOB)} no")).result == "recorded"
    clock.now += 901
    assert asked.request.chosen_options == ["Reject"]


def test_a_burst_of_guesses_side_by_side_is_limited_too(sinch_sandbox, airflow, handler) -> None:
    """The receiver answers each SMS on its own thread: 20 guesses at once still get 5 evaluations."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    ask(airflow, sinch_sandbox)
    listing = handler.bridge.open_requests

    def slow_listing() -> Any:  # the API server's round trip, during which other guesses arrive
        time.sleep(0.05)
        return listing()

    handler.bridge.open_requests = slow_listing
    guesses = [reply(sinch_sandbox, ADA, f"ZZZZZ{2 + i % 8} yes") for i in range(20)]
    with ThreadPoolExecutor(20) as pool:
        results = [d.result for d in pool.map(handler.handle, guesses)]
    assert sorted(set(results)) == ["rate_limited", "wrong_code"]
    assert results.count("wrong_code") == WRONG_CODE_LIMIT


def test_texts_back_are_rate_limited_so_an_auto_responder_cannot_loop(sinch_sandbox, airflow, handler,
                                                                      clock) -> None:
    asked = ask(airflow, sinch_sandbox)
    before = len(texts_to(sinch_sandbox, ADA))
    for _ in range(10):   # an auto-responder answering each of our texts with the same wrong option
        handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} out of office"))
    assert len(texts_to(sinch_sandbox, ADA)) - before == REPLY_LIMIT
    clock.now += 3601
    handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} out of office"))
    assert len(texts_to(sinch_sandbox, ADA)) - before == REPLY_LIMIT + 1


def test_a_form_without_values_is_left_to_the_ui(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    asked.request.params = {"reason": None}
    assert handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes")).result == "needs_form"


def test_form_defaults_are_submitted(sinch_sandbox, airflow, handler) -> None:
    asked = ask(airflow, sinch_sandbox)
    asked.request.params = {"reason": "sms"}
    assert handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes")).result == "recorded"
    assert asked.request.params_input == {"reason": "sms"}


def test_options_are_checked_here_where_airflow_does_not(sinch_sandbox, handler) -> None:
    """Airflow 3.1/3.2 store any option; the bridge refuses one not offered on every version."""
    airflow = FakeAirflow(checks_options=False)
    handler.bridge = bridge(airflow)
    asked = ask(airflow, sinch_sandbox)
    assert handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} Deploy")).result == "invalid_option"
    assert asked.request.chosen_options is None


def test_not_a_text_message_is_not_read() -> None:
    assert InboundSMS.from_payload({"type": "mo_binary", "body": "AAE=", "from": "1", "id": "x",
                                    "received_at": datetime.now(UTC).isoformat()}) is None


def test_an_answer_within_seconds_of_the_question_waits_until_airflow_has_settled(sinch_sandbox, airflow,
                                                                                   handler) -> None:
    from airflow_provider_sinch.common.hitl_replies import SETTLE_S

    asked = ask(airflow, sinch_sandbox)
    asked.request.created_at = datetime.now(UTC)
    waits: list[float] = []
    handler.now = lambda: asked.request.created_at + timedelta(seconds=3)
    handler.sleep = waits.append
    assert handler.handle(reply(sinch_sandbox, ADA, f"{asked.code(ADA)} yes")).result == "recorded"
    assert waits == [SETTLE_S - 3]
    assert asked.request.chosen_options == ["Approve"]
    waits.clear()
    later = ask(airflow, sinch_sandbox)  # asked a minute ago: no wait
    handler.handle(reply(sinch_sandbox, ADA, f"{later.code(ADA)} yes"))
    assert waits == []
