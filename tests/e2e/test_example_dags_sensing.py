"""The sensing example DAGs under ``airflow dags test`` against the sandbox (triggers run inline)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

APPROVER = "+46701234567"


def run_state(result: Any) -> str:
    """The final state from ``DagRun Finished: ... state=...`` (``dags test`` exits 0 on failed runs too)."""
    found = re.findall(r"DagRun Finished: .*?state=(\w+)", result.stdout + result.stderr)
    assert found, f"no DagRun Finished line:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return found[-1]


def output(result: Any) -> str:
    return result.stdout + result.stderr


SLOW_DELIVERY = 250.0
"""Sandbox seconds from Dispatched to final (25 s at the session's time scale 10): a deferrable sensor pokes
once before deferring, so a wait that should reach the triggerer must still be pending at that poke, however
long ``dags test`` takes to start the sensor on a loaded machine (6 s was once not enough in CI, where three
suites run side by side)."""


def test_send_and_wait_succeeds_at_the_ratio(airflow_home: Any, sinch_sandbox: Any) -> None:
    sinch_sandbox.configure(delivery_delay=SLOW_DELIVERY)
    result = airflow_home.dags_test("example_sinch_send_and_wait", conn_uri=sinch_sandbox.conn_uri)
    log = output(result)
    assert result.returncode == 0, log[-4000:]
    assert run_state(result) == "success", log[-4000:]
    assert "Deferring to SinchBatchDeliveryTrigger" in log
    assert "2 of 3 delivered; statuses: {'Delivered': 2, 'Failed': 1}" in log
    methods = {r.method for r in sinch_sandbox.requests}
    assert [r.method for r in sinch_sandbox.requests].count("POST") == 1  # one send; the wait only read
    assert methods == {"GET", "POST"}


def test_send_and_wait_already_delivered_never_defers(airflow_home: Any, sinch_sandbox: Any) -> None:
    """Delivered before the sensor starts: its first poke ends the wait; the triggerer is never asked."""
    sinch_sandbox.configure(dispatch_delay=0, delivery_delay=0)
    result = airflow_home.dags_test("example_sinch_send_and_wait", conn_uri=sinch_sandbox.conn_uri)
    log = output(result)
    assert run_state(result) == "success", log[-4000:]
    assert "Success criteria met at the first poke: not deferring" in log
    assert "Deferring to" not in log
    assert "2 of 3 delivered; statuses: {'Delivered': 2, 'Failed': 1}" in log


def test_send_and_wait_fails_below_the_ratio(airflow_home: Any, sinch_sandbox: Any) -> None:
    conf = json.dumps({"recipients": ["+46700999901", "+46700999903", "+46701234567"]})  # Failed, Rejected
    result = airflow_home.dags_test("example_sinch_send_and_wait", conn_uri=sinch_sandbox.conn_uri, conf=conf)
    log = output(result)
    assert run_state(result) == "failed", log[-4000:]
    assert "Sinch delivery below the required success ratio: 1 of 3" in log
    assert "Failed=1 (code 11: 1)" in log
    assert "Rejected=1" in log


@pytest.mark.parametrize(("answer", "branch", "skipped"), [("Yes, go ahead", "deploy", "cancel"),
                                                           ("no", "cancel", "deploy")])
def test_sms_approval_branches_on_the_reply(
    airflow_home: Any, sinch_sandbox: Any, answer: str, branch: str, skipped: str
) -> None:
    # 25 real seconds: after the first poke even on a loaded CI machine (at 6 s a 3.2 run once poked later)
    sinch_sandbox.add_auto_reply(answer, recipient=APPROVER[-8:], delay=250.0)
    result = airflow_home.dags_test("example_sinch_sms_approval", conn_uri=sinch_sandbox.conn_uri)
    log = output(result)
    assert run_state(result) == "success", log[-4000:]
    assert "Deferring to SinchInboundMessageTrigger" in log
    assert f"Following branch {{'{branch}'}}" in log
    assert f"Skipping tasks [('{skipped}', -1)]" in log


def test_otp_sends_once_and_waits_for_delivery_in_one_task(airflow_home: Any, sinch_sandbox: Any) -> None:
    result = airflow_home.dags_test("example_sinch_otp", conn_uri=sinch_sandbox.conn_uri)
    log = output(result)
    assert run_state(result) == "success", log[-4000:]
    assert "Waiting for delivery of 1 batch(es)" in log
    assert "1 of 1 delivered ({'Delivered': 1})" in log
    (batch,) = sinch_sandbox.batches()
    assert batch["to"] == ["46701234567"]
    assert [r.method for r in sinch_sandbox.requests].count("POST") == 1  # the wait only read
    assert sinch_sandbox.statuses(batch["id"]) == {"46701234567": "Delivered"}
    assert "482913" not in log  # the body (with the code) is never logged


def test_otp_to_an_unroutable_number_fails_without_retry(airflow_home: Any, sinch_sandbox: Any) -> None:
    conf = json.dumps({"phone": "+46700999901"})  # the sandbox's default rules: ...999901 ends Failed
    result = airflow_home.dags_test("example_sinch_otp", conn_uri=sinch_sandbox.conn_uri, conf=conf)
    log = output(result)
    assert run_state(result) == "failed", log[-4000:]
    assert "Failed=1 (code 11: 1)" in log
    assert [r.method for r in sinch_sandbox.requests].count("POST") == 1  # no retry, no second SMS


def test_inbound_event_dag_run_by_hand_succeeds(airflow_home: Any, sinch_sandbox: Any) -> None:
    """``dags test`` starts the asset-scheduled DAG without an asset event (its watcher runs only in a real
    triggerer: the standalone test covers an inbound SMS starting it); the run must still succeed."""
    result = airflow_home.dags_test("example_sinch_inbound_event", conn_uri=sinch_sandbox.conn_uri)
    log = output(result)
    assert run_state(result) == "success", log[-4000:]
    assert "No inbound SMS started this run (a manual run): nothing to handle" in log
    assert sinch_sandbox.requests == []  # the task only reads its triggering events


def test_reminders_mapped_per_clinic_personalised_and_awaited_together(
    airflow_home: Any, sinch_sandbox: Any
) -> None:
    result = airflow_home.dags_test("example_sinch_reminders", conn_uri=sinch_sandbox.conn_uri)
    log = output(result)
    assert run_state(result) == "success", log[-4000:]
    north, south = sorted(sinch_sandbox.batches(), key=lambda b: b["from"])
    assert (north["from"], south["from"]) == ("12017777777", "12017777778")
    assert north["to"] == ["46701234567", "46701234568", "46700999901"]
    # one batch per mapped instance, each with its own reference (map index 0 and 1)
    assert north["client_reference"].endswith(":0:0")
    assert south["client_reference"].endswith(":1:0")
    assert north["client_reference"].startswith("reminders:example_sinch_reminders:send_reminders:")
    assert north["parameters"]["name"]["+46701234568"] == "Linus"  # each clinic carries only its own
    assert set(south["parameters"]["time"]) == {"+46701234570", "+46701234571"}
    assert sinch_sandbox.statuses(north["id"]) == {
        "46701234567": "Delivered", "46701234568": "Delivered", "46700999901": "Failed"}
    assert "Reminders: 4 of 5 delivered" in log
    assert [r.method for r in sinch_sandbox.requests].count("POST") == 2  # the wait only read
