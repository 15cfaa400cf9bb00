"""Approval by SMS in a real ``airflow standalone``, push and poll: the request waits in "required actions",
an SMS reply from the assigned number is recorded through the REST API as the bridge user, and the run goes
on down the chosen branch.

Push: the sandbox posts the reply to the receiver on the API server, which answers at once (the poll DAG
is paused).  Poll: no push (the sandbox's inbound URL is unset); ``example_sinch_hitl_replies`` picks the
reply up through its watcher.  Each in its own standalone.  The time from the reply to the HITL task
resumed is printed (bench/bench_hitl.py measures it); no assertion on it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_standalone import Standalone, free_port, running_standalone
from tests.e2e.test_standalone_callbacks import _answers, utc

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SECRET = "e2e-webhook-secret-5f2a"
CODE_SECRET = "e2e-hitl-code-secret-0123456789"
OUR_NUMBER = "+12017777777"
APPROVER = "+46701234567"
PASSWORDS = {"admin": "admin-pw-e2e", "sms-bridge": "bridge-pw-e2e"}
DAG_ID = "example_sinch_hitl_approval"


@contextmanager
def hitl_standalone(tmp_path: Path, sandbox: Any, push: bool = True) -> Iterator[tuple[Standalone, str]]:
    """``airflow standalone`` with the bridge user and connection; with ``push``, answers by the receiver
    enabled on ``sinch_default`` and the sandbox posting inbound SMS to it (otherwise nothing is pushed);
    yields it and its URL once the HITL DAGs are parsed and the API server answers."""
    api_port = free_port()
    base = f"http://localhost:{api_port}"
    receiver = f"{base}/sinch/callbacks/sinch_default"
    sandbox.configure(webhook_secret=SECRET, inbound_callback_url=receiver if push else None)
    conn = json.loads(sandbox.conn_uri)
    conn["extra"] = {**conn.get("extra", {}), "callback_secret": SECRET, "callback_url": receiver,
                     **({"hitl_conn_id": "sinch_hitl_default"} if push else {})}
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps(PASSWORDS))
    bridge = {"conn_type": "http", "host": base, "login": "sms-bridge", "password": PASSWORDS["sms-bridge"],
              "extra": {"code_secret": CODE_SECRET}}
    with running_standalone(
        tmp_path, json.dumps(conn), api_port,
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin,sms-bridge:user",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        AIRFLOW__API__BASE_URL=base,
        AIRFLOW_CONN_SINCH_HITL_DEFAULT=json.dumps(bridge),
        AIRFLOW__SINCH__CALLBACK_CONNECTIONS="sinch_default",  # the receiver's opt-in list (branch optin)
    ) as standalone:
        standalone.wait("the HITL DAGs parsed", lambda: len(standalone.query(
            "select dag_id from dag where dag_id in (?, ?)", DAG_ID, "example_sinch_hitl_replies")) == 2)
        if push:  # only the receiver answers
            standalone.airflow("dags", "pause", "example_sinch_hitl_replies")
        standalone.wait("the API server", lambda: _answers(receiver) == 401)
        yield standalone, base


def token(base: str, user: str) -> str:
    answer = httpx.post(f"{base}/auth/token", json={"username": user, "password": PASSWORDS[user]},
                        trust_env=False)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["access_token"])


def required_actions(base: str) -> list[dict[str, Any]]:
    """What the UI's "required actions" lists for admin: the open HITL requests."""
    answer = httpx.get(f"{base}/api/v2/dags/~/dagRuns/~/hitlDetails", params={"response_received": "false"},
                       headers={"Authorization": f"Bearer {token(base, 'admin')}"}, trust_env=False)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["hitl_details"])


def ti(standalone: Standalone, run_id: str, task_id: str) -> tuple[Any, ...] | None:
    rows = standalone.query("select state, end_date from task_instance where dag_id = ? and run_id = ? "
                            "and task_id = ?", DAG_ID, run_id, task_id)
    return rows[0] if rows else None


def worker_gone(standalone: Standalone, run_id: str, dag_id: str = DAG_ID, task_id: str = "approve") -> bool:
    """The scheduler has processed the end of the worker that asked (its ``TaskInstance Finished`` line).

    Airflow itself races here (seen on 3.3.2): an answer recorded before that re-queues the task, and the
    first worker's late "success" then fails the second.  The bridge never submits an SMS answer within
    ``SETTLE_S`` of the question for that reason; the test's own UI answer waits for this line instead.
    """
    return any("TaskInstance Finished:" in line and f"dag_id={dag_id}," in line and f"task_id={task_id},"
               in line and f"run_id={run_id}," in line
               for line in standalone.log.read_text(errors="replace").splitlines())


def ask_and_reply(standalone: Standalone, base: str, sandbox: Any, answer: str,
                  before_reply: Callable[[str], None] | None = None) -> tuple[str, str, float]:
    """Trigger a run, wait for its question, reply ``CODE answer``; returns (run_id, code, replied_at).

    :param before_reply: called with the run id just before the SMS reply (an answer in the UI first).
    """
    def questions() -> list[str]:
        return [b["body"] for b in sandbox.batches() if b["to"] == [APPROVER.lstrip("+")]]  # newest first

    asked_before = len(questions())
    run_id = f"manual__e2e_{answer}_{int(time.time())}"
    standalone.airflow("dags", "trigger", DAG_ID, "--run-id", run_id)
    def waiting() -> bool:
        state = (ti(standalone, run_id, "approve") or ("",))[0]
        assert state not in ("failed", "upstream_failed"), f"approve {state} before asking (see the log)"
        return state in ("awaiting_input", "deferred")

    standalone.wait("the approval waiting for input", waiting)
    standalone.wait("the question texted", lambda: len(questions()) > asked_before)
    standalone.wait("the asking worker gone", lambda: worker_gone(standalone, run_id))
    code = questions()[0].split("Reply ")[1].split()[0]
    open_requests = [d for d in required_actions(base) if d["task_instance"]["dag_run_id"] == run_id]
    assert [d["subject"] for d in open_requests] == ["Deploy release 1.2?"]
    if before_reply is not None:
        before_reply(run_id)
    replied_at = time.time()
    sandbox.inject_inbound(from_=APPROVER, to=OUR_NUMBER, body=f"{code.lower()} {answer}")
    return run_id, code, replied_at


def answer_in_the_ui(base: str, run_id: str, option: str) -> None:
    """What the UI's "required actions" form sends when admin picks ``option``."""
    path = f"{base}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails"
    answer = httpx.patch(path, json={"chosen_options": [option], "params_input": {}},
                         headers={"Authorization": f"Bearer {token(base, 'admin')}"}, trust_env=False)
    assert answer.status_code == 200, answer.text


def resumed(standalone: Standalone, run_id: str) -> tuple[Any, ...]:
    """``(state, end_date)`` of the HITL task once it finished."""
    def done() -> tuple[Any, ...] | None:
        row = ti(standalone, run_id, "approve")
        return row if row and row[0] in ("success", "failed") else None

    return tuple(standalone.wait("approve resumed", done))


def finished(standalone: Standalone, run_id: str) -> Any:
    rows = standalone.query("select state from dag_run where dag_id = ? and run_id = ?", DAG_ID, run_id)
    return rows if rows and rows[0][0] in ("success", "failed") else None


def answered_by_sms(standalone: Standalone, sandbox: Any, base: str, answer: str, chosen: str,
                    branch: str, other: str) -> float:
    """One approval answered by SMS: checked and its reply -> resumed latency returned."""
    standalone.started = time.monotonic()
    run_id, _, replied_at = ask_and_reply(standalone, base, sandbox, answer)
    state, end_date = resumed(standalone, run_id)
    assert state == "success"
    standalone.wait("the run", lambda: finished(standalone, run_id))
    assert ti(standalone, run_id, branch)[0] == "success"   # type: ignore[index]
    assert ti(standalone, run_id, other)[0] == "skipped"    # type: ignore[index]
    ((responded_by, options),) = standalone.query(
        "select h.responded_by, h.chosen_options from hitl_detail h "
        "join task_instance t on t.id = h.ti_id where t.run_id = ?", run_id)
    assert json.loads(responded_by)["id"] == "sms-bridge"
    assert json.loads(options) == [chosen]
    (audit,) = standalone.query("select owner, extra from log where event = 'update_hitl_detail' "
                                "and run_id = ?", run_id)
    assert audit[0] == "sms-bridge"
    assert json.loads(audit[1])["approver"] == "Release manager (release-manager)"
    assert json.loads(audit[1])["sms_from"] == "+4670****567"
    return float(utc(end_date) - replied_at)


def test_push_the_receiver_records_the_sms_answer_and_the_run_follows_it(tmp_path: Path,
                                                                          sinch_sandbox: Any) -> None:
    with hitl_standalone(tmp_path, sinch_sandbox, push=True) as (standalone, base):
        latency = answered_by_sms(standalone, sinch_sandbox, base, "yes", "Approve", "deploy", "not_deployed")
    print(f"\nHITL by SMS, push: reply -> task resumed in {latency:.2f} s")


def test_push_after_an_answer_in_the_ui_changes_nothing(tmp_path: Path, sinch_sandbox: Any) -> None:
    with hitl_standalone(tmp_path, sinch_sandbox, push=True) as (standalone, base):
        run_id, _, _ = ask_and_reply(standalone, base, sinch_sandbox, "yes",
                                     before_reply=lambda run: answer_in_the_ui(base, run, "Reject"))
        assert resumed(standalone, run_id)[0] == "success"
        standalone.wait("the run", lambda: finished(standalone, run_id))
        assert ti(standalone, run_id, "not_deployed")[0] == "success"  # type: ignore[index]
        assert ti(standalone, run_id, "deploy")[0] == "skipped"  # type: ignore[index]
        standalone.wait("the SMS judged", lambda: ": already answered" in standalone.log.read_text(
            errors="replace"))
        ((responded_by, options),) = standalone.query(
            "select h.responded_by, h.chosen_options from hitl_detail h "
            "join task_instance t on t.id = h.ti_id where t.run_id = ?", run_id)
        assert json.loads(responded_by)["id"] == "admin"
        assert json.loads(options) == ["Reject"]


def test_poll_the_reply_dag_records_the_sms_answer_and_the_run_follows_it(tmp_path: Path,
                                                                          sinch_sandbox: Any) -> None:
    with hitl_standalone(tmp_path, sinch_sandbox, push=False) as (standalone, base):
        latency = answered_by_sms(standalone, sinch_sandbox, base, "no", "Reject", "not_deployed", "deploy")
    print(f"\nHITL by SMS, poll: reply -> task resumed in {latency:.2f} s")
