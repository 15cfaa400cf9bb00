"""What the HITL-by-SMS tests share: a HITL task in a DAG, its context, the bridge connection, and a
question asked through the notifier against the Sinch sandbox with the request in a :class:`FakeAirflow`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import DAG

from airflow_provider_sinch.common.hitl_bridge import AirflowBridge, BridgeSettings
from airflow_provider_sinch.notifications import SinchHITLNotifier
from tests.hitl_fake import USERS, FakeAirflow, FakeRequest

SECRET = "hitl-secret-0123456789"
BASE = "http://airflow.test"
ADA, BOB, OTHER = "+46701234567", "+46701234568", "+46709999999"
OUR_NUMBER = "+12017777777"
ASSIGNED = [{"id": "ada", "name": "Ada Lovelace"}, {"id": "bob", "name": "Bob"},
            {"id": "sms-bridge", "name": "SMS bridge"}]


def bridge_conn(monkeypatch: pytest.MonkeyPatch, **extra: Any) -> None:
    """``sinch_hitl_default`` as an env var (host, bridge user, code secret)."""
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_HITL_DEFAULT", json.dumps({
        "conn_type": "http", "host": BASE, "login": "sms-bridge", "password": USERS["sms-bridge"],
        "extra": {"code_secret": SECRET, **extra}}))


def settings() -> BridgeSettings:
    return BridgeSettings(BASE, "sms-bridge", USERS["sms-bridge"], "sms-bridge", SECRET)


def approval_task(operator: type[HITLOperator] = ApprovalOperator, **kwargs: Any) -> HITLOperator:
    """A HITL task in a DAG, with the notifier's usual companions."""
    notifier = SinchHITLNotifier(approvers={"ada": ADA, "bob": BOB}, from_=OUR_NUMBER)
    fields: dict[str, Any] = {"task_id": "approve", "subject": "Deploy 1.2?", "body": "All checks passed.",
                              "assigned_users": ASSIGNED, "notifiers": [notifier],
                              "response_timeout": timedelta(hours=1), **kwargs}
    with DAG(f"hitl_{uuid.uuid4().hex[:8]}", schedule=None):
        return operator(**fields)


@dataclass
class Asked:
    """A question asked: the task, its fake request, the XComs pushed and the texts per number."""

    task: HITLOperator
    request: FakeRequest
    xcoms: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def code(self, number: str) -> str:
        return self.texts[number].split("Reply ")[1].split()[0]


def context_for(task: HITLOperator, request: FakeRequest, xcoms: dict[str, Any]) -> dict[str, Any]:
    ti = type("TI", (), {})()
    ti.id, ti.dag_id, ti.run_id = uuid.UUID(request.ti_id), request.dag_id, request.run_id
    ti.task_id, ti.map_index, ti.try_number = request.task_id, request.map_index, 1
    ti.xcom_push = lambda key, value: xcoms.__setitem__(key, value)
    return {"task": task, "ti": ti, "task_instance": ti, "dag": task.dag, "params": {}}


def ask(airflow: FakeAirflow, sandbox: Any, task: HITLOperator | None = None,
        notifier: Callable[[Mapping[str, Any]], None] | None = None) -> Asked:
    """Run the task's notifier as ``execute`` does, with its request registered in ``airflow``."""
    task = task or approval_task()
    request = airflow.add(dag_id=task.dag_id, run_id="manual__2026-12-06T10:00:00+00:00",
                          task_id=task.task_id,
                          options=list(task.options), assigned_users=list(task.assigned_users or []),
                          multiple=task.multiple,
                          params={k: task.params.get_param(k).value for k in task.params})
    asked = Asked(task, request)
    context = context_for(task, request, asked.xcoms)
    for each in ([notifier] if notifier else task.notifiers):
        each(context)
    request.xcom.update(asked.xcoms)
    for batch in sandbox.batches():
        asked.texts["+" + batch["to"][0]] = batch["body"]
    return asked


def bridge(airflow: FakeAirflow) -> AirflowBridge:
    return AirflowBridge(settings(), session=airflow.session())
