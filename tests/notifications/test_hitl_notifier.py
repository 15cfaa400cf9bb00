"""SinchHITLNotifier: who is texted, what, with which code; what it refuses before texting anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from airflow.providers.standard.operators.hitl import HITLBranchOperator, HITLOperator
from airflow.sdk import Param

from airflow_provider_sinch.client import SinchValidationError
from airflow_provider_sinch.common.hitl_codes import derive_code
from airflow_provider_sinch.notifications import SinchHITLNotifier, check_hitl_task
from tests.hitl_fake import FakeAirflow
from tests.hitl_support import ADA, BOB, OUR_NUMBER, SECRET, approval_task, ask, bridge_conn


@pytest.fixture(autouse=True)
def _conns(monkeypatch: pytest.MonkeyPatch, sinch_sandbox_connection: str) -> None:
    bridge_conn(monkeypatch)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://localhost:8080")


def test_each_assigned_approver_gets_their_own_code_in_one_segment(sinch_sandbox) -> None:
    asked = ask(FakeAirflow(), sinch_sandbox, approval_task(response_timeout=timedelta(minutes=30)))
    assert set(asked.texts) == {ADA, BOB}
    for number, user in ((ADA, "ada"), (BOB, "bob")):
        code = derive_code(SECRET, asked.request.ti_id, number, user)
        assert asked.texts[number].startswith("Deploy 1.2?: All checks passed.\nReply " + code + " YES or ")
        assert "/required_actions?map_index=-1" in asked.texts[number]
    assert {b["from"] for b in sinch_sandbox.batches()} == {OUR_NUMBER.lstrip("+")}
    assert asked.xcoms["sinch_hitl"] == {"response_timeout": 1800.0, "asked": [
        {"user_id": "ada", "name": "Ada Lovelace", "to": "+4670****567"},
        {"user_id": "bob", "name": "Bob", "to": "+4670****568"}]}


def test_the_code_never_reaches_the_log(sinch_sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    asked = ask(FakeAirflow(), sinch_sandbox)
    logged = capsys.readouterr().out
    assert "Asked Ada Lovelace (ada) at +4670****567 by SMS" in logged
    assert asked.code(ADA) not in logged
    assert ADA not in logged
    assert ADA[1:] not in logged


def test_only_assigned_users_with_a_number_are_texted(sinch_sandbox) -> None:
    task = approval_task(assigned_users=[{"id": "ada", "name": "Ada"}, {"id": "sms-bridge", "name": "b"}])
    assert set(ask(FakeAirflow(), sinch_sandbox, task).texts) == {ADA}


def test_branch_options_are_numbered(sinch_sandbox) -> None:
    task = approval_task(HITLBranchOperator, options=["deploy_eu", "deploy_us"])
    text = ask(FakeAirflow(), sinch_sandbox, task).texts[ADA]
    assert "and one of: 1 deploy_eu, 2 deploy_us\n" in text


def test_one_segment_without_the_link(sinch_sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    task = approval_task(notifiers=[SinchHITLNotifier(approvers={"ada": ADA}, link=False, from_=OUR_NUMBER)])
    text = ask(FakeAirflow(), sinch_sandbox, task).texts[ADA]
    assert text.count("\n") == 1
    assert "takes" not in capsys.readouterr().out


def test_a_long_question_says_it_needs_more_parts(sinch_sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    ask(FakeAirflow(), sinch_sandbox, approval_task(task_id="approve_the_production_release_now"))
    logged = capsys.readouterr().out
    assert "takes 2 SMS parts (GSM" in logged
    assert "never cut" in logged


def test_the_bridge_user_must_be_assigned(sinch_sandbox) -> None:
    task = approval_task(assigned_users=[{"id": "ada", "name": "Ada"}])
    with pytest.raises(SinchValidationError, match="assigned_users: does not include the bridge user"):
        ask(FakeAirflow(), sinch_sandbox, task)
    assert sinch_sandbox.batches() == []


def test_a_form_field_without_default_is_refused_when_the_dag_is_built() -> None:
    with pytest.raises(SinchValidationError, match=r"params.reason: has no default: an SMS answer cannot"):
        check_hitl_task(approval_task(HITLOperator, options=["OK"],
                                      params={"reason": Param(None, type=["null", "string"])}), {"ada": ADA})
    check_hitl_task(approval_task(HITLOperator, options=["OK"],
                                  params={"reason": Param("n/a", type="string")}), {"ada": ADA})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"assigned_users": None}, "assigned_users: is empty"),
    ({"assigned_users": [{"id": "carol", "name": "C"}]}, "approvers: has no number for any of"),
])
def test_requests_sms_cannot_answer_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(SinchValidationError, match=message):
        check_hitl_task(approval_task(**kwargs), {"ada": ADA, "bob": BOB})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"approvers": {}}, "approvers: is empty"),
    ({"approvers": {"ada": "+4670123abc"}}, r"approvers\[ada\]"),
    ({"approvers": {"ada": ADA}, "code_length": 4}, "code_length: must be one of"),
    ({"approvers": {"ada": ADA}, "max_parts": 0}, "max_parts"),
])
def test_bad_arguments_fail_at_parse(kwargs: dict, message: str) -> None:
    with pytest.raises(SinchValidationError, match=message):
        SinchHITLNotifier(**kwargs)


def test_templated_approvers_are_checked_when_rendered() -> None:
    notifier = SinchHITLNotifier(approvers="{{ var.json.approvers }}")
    notifier.check_task(approval_task())       # nothing to check yet
    notifier.approvers = {"ada": "oops"}
    with pytest.raises(SinchValidationError, match=r"approvers\[ada\]"):
        notifier.numbers()
