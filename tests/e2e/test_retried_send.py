"""Retry safety with Airflow's own retry and its real ``task_state_store`` (not a fake), under
``airflow dags test``: a send broken part-way is finished by the retry with every recipient messaged once.
Airflow 3.1 and 3.2 have no ``task_state_store``: there every chunk is found by its ``client_reference``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from airflow_provider_sinch.version_compat import HAS_TASK_STATE_STORE
from tests.e2e.test_example_dags_sensing import output, run_state

pytestmark = pytest.mark.e2e

TEST_DAGS = {"AIRFLOW__CORE__DAGS_FOLDER": str(Path(__file__).with_name("dags"))}


def test_a_send_broken_part_way_is_finished_by_airflows_retry_exactly_once(
    airflow_home: Any, sinch_sandbox: Any
) -> None:
    # Chunk 0 goes through; chunk 1 is created at Sinch but its answer is lost: the first try fails.
    sinch_sandbox.add_fault(kind="drop", method="POST", path="^/batches$", after=1, times=1)
    result = airflow_home.dags_test("retried_send", conn_uri=sinch_sandbox.conn_uri, extra_env=TEST_DAGS)
    log = output(result)
    assert run_state(result) == "success", log[-4000:]
    assert "answer was lost" in log  # the first try failed on chunk 1 ...
    assert "2 already sent, 1 to send" in log  # ... and Airflow's retry sent only the missing chunk

    batches = sorted(sinch_sandbox.batches(), key=lambda b: b["client_reference"])
    assert [b["client_reference"].rsplit(":", 1)[1] for b in batches] == ["0", "1", "2"]
    counts = Counter(n for b in batches for n in b["to"])
    assert len(counts) == 2500
    assert set(counts.values()) == {1}  # nobody twice, nobody dropped
    posts = [r for r in sinch_sandbox.requests if r.method == "POST" and r.path.endswith("/batches")]
    assert len(posts) == 3  # chunk 0 and the lost chunk 1 were not sent again

    # The retry knew chunk 0 from the real task_state_store (a check of that batch, no lookup by
    # reference); chunk 1 was found by its client_reference.
    chunk0, chunk1 = batches[0], batches[1]
    gets = [r.path for r in sinch_sandbox.requests if r.method == "GET"]
    if not HAS_TASK_STATE_STORE:  # no ledger: each try looked every chunk up by its reference, once
        lookups = [parse_qs(r.query).get("client_reference", [""])[0] for r in sinch_sandbox.requests
                   if r.method == "GET" and r.path.endswith("/batches")]
        assert Counter(lookups) == {batch["client_reference"]: 2 for batch in batches}
        assert not any(path.endswith(f"/batches/{chunk0['id']}") for path in gets)
        return
    assert any(path.endswith(f"/batches/{chunk0['id']}") for path in gets)
    assert sum(path.endswith(f"/batches/{chunk0['id']}") for path in gets) == 1  # read once, by the retry
    lookups = [parse_qs(r.query).get("client_reference", [""])[0] for r in sinch_sandbox.requests
               if r.method == "GET" and r.path.endswith("/batches")]
    assert chunk1["client_reference"] in lookups
    assert chunk0["client_reference"] not in lookups
