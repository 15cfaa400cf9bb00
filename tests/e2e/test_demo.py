"""``make demo`` (``python -m airflow_provider_sinch.testing.demo``) end to end, as a newcomer runs it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_the_demo_runs_the_send_and_wait_dag_against_a_sandbox_and_reports_it() -> None:
    result = subprocess.run([sys.executable, "-m", "airflow_provider_sinch.testing.demo"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "== airflow dags test example_sinch_send_and_wait" in out
    for task in ("send", "wait_for_delivery", "report"):
        assert f"task {task}: success" in out
    assert re.search(r"batch \w+ from 12017777777 \(sent at once\): \+4670\*\*\*\*567=Delivered, "
                     r"\+4670\*\*\*\*568=Delivered, \+4670\*\*\*\*901=Failed", out), out
    assert "POST /batches x1" in out
    assert out.rstrip().endswith("example_sinch_send_and_wait: success")


def test_the_demo_fails_loudly_without_the_dag_folder(tmp_path: object) -> None:
    result = subprocess.run([sys.executable, "-m", "airflow_provider_sinch.testing.demo"], cwd=str(tmp_path),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "no DAG folder" in result.stderr
