"""End-to-end fixtures: a migrated Airflow home and a runner for ``airflow dags test`` against the sandbox.

``airflow dags test`` needs a migrated metadata DB (SQLite here, about 4 s once per session; a PostgreSQL
database of its own with ``SINCH_TEST_POSTGRES_URL``, see ``tests/metadata_db.py``) and reads
connections from ``AIRFLOW_CONN_*`` environment variables, which is also the only place the inline
triggerer of ``dags test`` can read them from.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.metadata_db import metadata_db_env

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


@dataclass
class AirflowHome:
    """A migrated AIRFLOW_HOME and the environment to run ``airflow`` commands in it."""

    path: Path
    env: dict[str, str]

    def dags_test(self, dag_id: str, *, conn_uri: str, timeout: float = 480, extra_env: dict | None = None,
                  conf: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``airflow dags test DAG_ID`` with the ``sinch_default`` connection pointing at ``conn_uri``."""
        env = {**self.env, "AIRFLOW_CONN_SINCH_DEFAULT": conn_uri, **(extra_env or {})}
        cmd = [AIRFLOW, "dags", "test", dag_id]
        if conf:
            cmd += ["--conf", conf]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        assert_nothing_leaked(result.stdout + result.stderr, conn_uri)
        return result


RECIPIENT = re.compile(r"(?<![\d.])\+?4670\d{7}(?!\d)")
"""A full recipient number of the example DAGs (all +4670...); logs must show them masked."""


def assert_nothing_leaked(output: str, conn_uri: str) -> None:
    """Every ``dags test`` run: the connection's token is nowhere in the output, nor an unmasked recipient."""
    token = json.loads(conn_uri)["password"]
    assert token not in output, "the Sinch token appears in the dags test output"
    unmasked = RECIPIENT.findall(output)
    assert not unmasked, f"unmasked phone numbers in the dags test output: {unmasked[:5]}"


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowHome]:
    home = tmp_path_factory.mktemp("airflow-home")
    with metadata_db_env("e2e") as db_env:
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            **db_env,
        }
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        yield AirflowHome(home, env)
