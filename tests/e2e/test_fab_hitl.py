"""An SMS answer recorded through the bridge when Airflow runs the FAB auth manager (``POST /auth/token`` of
FAB, a numeric user id in ``assigned_users`` and in the bridge connection's ``user_id``).

``airflow standalone`` always runs the simple auth manager, so this starts the API server, the scheduler, the
DAG processor and the triggerer itself.  Skipped unless ``apache-airflow-providers-fab`` is installed (it is
not a dependency of this provider): ``make test-fab`` runs it in a venv with it, and CI runs that.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_standalone import Standalone, free_port
from tests.e2e.test_standalone_callbacks import _answers
from tests.e2e.test_standalone_hitl import worker_gone

pytest.importorskip("airflow.providers.fab.auth_manager.fab_auth_manager")

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
APPROVER, OUR_NUMBER = "+46701234567", "+12017777777"
FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
DAG = '''
from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow_provider_sinch.notifications import SinchHITLNotifier
with DAG("fab_hitl", schedule=None, start_date=datetime(2026, 1, 1)):
    ApprovalOperator(task_id="approve", subject="Deploy?", assigned_users=[
        {{"id": "approver", "name": "Approver"}}, {{"id": "{bridge_id}", "name": "sms-bridge"}}],
        notifiers=[SinchHITLNotifier(approvers={{"approver": "{approver}"}}, from_="{ours}")])
'''


def test_fab_bridge_user_answers_by_sms(tmp_path: Path, sinch_sandbox: Any) -> None:
    home, dags = tmp_path / "home", tmp_path / "dags"
    home.mkdir()
    dags.mkdir()
    port = free_port()
    base = f"http://localhost:{port}"
    receiver = f"{base}/sinch/callbacks/sinch_default"
    sinch_sandbox.configure(webhook_secret="fab-webhook-secret-123", inbound_callback_url=receiver)
    conn = json.loads(sinch_sandbox.conn_uri)
    conn["extra"] = {**conn.get("extra", {}), "callback_secret": "fab-webhook-secret-123",
                     "hitl_conn_id": "sinch_hitl_default"}
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(dags), "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
           "AIRFLOW__CORE__AUTH_MANAGER": FAB,
           "AIRFLOW__CORE__PARALLELISM": "4", "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
           "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__BASE_URL": base,
           "AIRFLOW__API_AUTH__JWT_SECRET": "fab-e2e-jwt-secret-0123456789abcdef",
           "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
           "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
           "AIRFLOW__SINCH__CALLBACK_CONNECTIONS": "sinch_default",
           "AIRFLOW_CONN_SINCH_DEFAULT": json.dumps(conn)}
    env.pop("AIRFLOW__CORE__LAZY_DISCOVER_PROVIDERS", None)

    def airflow(*args: str) -> str:
        return subprocess.run([AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=300,
                              check=True).stdout

    airflow("db", "migrate")
    airflow("users", "create", "-u", "sms-bridge", "-r", "User", "-p", "bridge-pw-fab", "-f", "SMS", "-l",
            "Bridge", "-e", "bridge@example.com")
    listed = [line for line in airflow("users", "list", "-o", "json").splitlines() if line.startswith("[")]
    (bridge_id,) = [str(u["id"]) for u in json.loads(listed[-1]) if u["username"] == "sms-bridge"]
    env["AIRFLOW_CONN_SINCH_HITL_DEFAULT"] = json.dumps({
        "conn_type": "http", "host": base, "login": "sms-bridge", "password": "bridge-pw-fab",
        "extra": {"code_secret": "fab-code-secret-0123456789", "user_id": bridge_id}})
    (dags / "fab_hitl.py").write_text(DAG.format(bridge_id=bridge_id, approver=APPROVER, ours=OUR_NUMBER))
    log = tmp_path / "airflow.log"
    with log.open("wb") as out:
        procs = [subprocess.Popen([AIRFLOW, *cmd], env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
                 for cmd in (["api-server", "--port", str(port)], ["scheduler"], ["dag-processor"],
                             ["triggerer"])]  # 3.1/3.2 wait for the answer in HITLTrigger
    running = Standalone(home, env, log, time.monotonic())
    try:
        running.wait("the DAG", lambda: running.query("select 1 from dag where dag_id = 'fab_hitl'"))
        running.wait("the API server", lambda: _answers(receiver) == 401)
        airflow("dags", "trigger", "fab_hitl", "--run-id", "fab1")
        running.wait("the question", lambda: sinch_sandbox.batches())
        running.wait("the asking worker gone", lambda: worker_gone(running, "fab1", "fab_hitl"))
        code = sinch_sandbox.batches()[0]["body"].split("Reply ")[1].split()[0]
        sinch_sandbox.inject_inbound(from_=APPROVER, to=OUR_NUMBER, body=f"{code} yes")
        (state,) = running.wait("approve resumed", lambda: running.query(
            "select state from task_instance where dag_id = 'fab_hitl' and state in ('success', 'failed')"))
        assert state == ("success",)
        ((responded_by, chosen),) = running.query("select responded_by, chosen_options from hitl_detail")
        assert json.loads(responded_by) == {"id": bridge_id, "name": "sms-bridge"}
        assert json.loads(chosen) == ["Approve"]
        ((owner, extra),) = running.query("select owner, extra from log where event = 'update_hitl_detail'")
        assert owner == "sms-bridge"
        assert json.loads(extra)["approver"] == "Approver (approver)"
    finally:
        for proc in procs:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        time.sleep(5)
        for proc in procs:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
