"""The cluster policy: a DAG whose HITL task SMS could never answer fails to import when parsed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

DAG = textwrap.dedent('''
    from datetime import datetime
    from airflow.sdk import DAG, Param
    from airflow.providers.standard.operators.hitl import HITLOperator
    from airflow_provider_sinch.notifications import SinchHITLNotifier

    with DAG("{dag_id}", schedule=None, start_date=datetime(2026, 1, 1)):
        HITLOperator(task_id="ask", subject="Why?", options=["OK"], params={params},
                     assigned_users=[{{"id": "ada", "name": "Ada"}}, {{"id": "sms-bridge", "name": "b"}}],
                     notifiers=[SinchHITLNotifier(approvers={{"ada": "+46701234567"}})])
''')

PARSE = textwrap.dedent('''
    import json, sys
    from airflow.models.dagbag import DagBag
    bag = DagBag(dag_folder=sys.argv[1])
    print(json.dumps({"dags": sorted(bag.dag_ids), "errors": list(bag.import_errors.values())}))
''')


def test_a_form_field_without_default_fails_the_dag_import(tmp_path: Path) -> None:
    no_default = '{"why": Param(None, type=["null", "string"])}'
    (tmp_path / "bad.py").write_text(DAG.format(dag_id="bad", params=no_default))
    with_default = '{"why": Param("n/a", type="string")}'
    (tmp_path / "good.py").write_text(DAG.format(dag_id="good", params=with_default))
    env = {**os.environ, "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", PARSE, str(tmp_path)], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout.strip().splitlines()[-1]
    assert '"dags": ["good"]' in out
    assert "params.why: has no default: an SMS answer cannot fill a form" in out
