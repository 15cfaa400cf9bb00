"""The pure parts of the send: chunk planning, references, the ledger, lookups' start (reading template and
XCom values is tested in tests/common)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_sinch.client.models.batches import MAX_URL_LENGTH
from airflow_provider_sinch.hooks.chunking import (
    base_reference,
    missing_parameter_values,
    plan_chunks,
    unique_destinations,
)
from airflow_provider_sinch.hooks.send_ledger import ChunkLedger, lookup_since
from tests.operators.conftest import FakeStore


def test_unique_destinations_keep_first_spelling() -> None:
    # Numbers are valid international ones since issue 11 ("+46 70 1" is no longer a number at all).
    spellings = ["+46 70 123 45 67", "0046701234567", "G1", "G1", "46701234567"]
    assert unique_destinations(spellings) == (["+46 70 123 45 67", "G1"], 3)


def test_plan_chunks_sizes_and_references() -> None:
    to = [f"+4670{i:07d}" for i in range(2001)]
    chunks = plan_chunks(to, base="ref", size=1000)
    assert [len(c.to) for c in chunks] == [1000, 1000, 1]
    assert [c.client_reference for c in chunks] == ["ref:0", "ref:1", "ref:2"]
    assert plan_chunks(to, base="ref")[1].digest == chunks[1].digest
    with pytest.raises(ValueError, match="chunk size"):
        plan_chunks(to, size=1001)


def test_base_reference_is_readable_and_bounded() -> None:
    ref = base_reference(prefix=None, dag_id="d", task_id="t", run_id="r", map_index=-1)
    assert ref == "airflow:d:t:r:-1"
    long = base_reference(prefix="p", dag_id="d" * 250, task_id="t" * 250, run_id="r" * 2000, map_index=7)
    assert len(long) + len(":9999") <= MAX_URL_LENGTH
    assert long.startswith("p:ddd")
    other = base_reference(prefix="p", dag_id="d" * 250, task_id="t" * 250, run_id="r" * 2000, map_index=8)
    assert long != other


def test_missing_parameter_values() -> None:
    params = {"name": {"+1234567": "A"}, "code": {"default": "x"}}
    assert missing_parameter_values(params, ["+1234567", "+7654321", "G1"]) == {"name": 1}


def test_ledger_round_trip_and_input_check() -> None:
    store = FakeStore()
    chunk = plan_chunks(["+1234567"], base="r")[0]
    ledger = ChunkLedger(store)
    ledger.record(chunk, "B1")
    assert ChunkLedger(store).batch_id(chunk) == "B1"
    changed = plan_chunks(["+7654321"], base="r")[0]
    with pytest.raises(AirflowFailException, match="input of this send changed"):
        ChunkLedger(store).batch_id(changed)
    ledger.forget(chunk)
    assert ChunkLedger(store).batch_id(chunk) is None
    assert ChunkLedger(None).batch_id(chunk) is None


def test_lookup_since() -> None:
    now = datetime(2030, 1, 15, tzinfo=UTC)
    run = SimpleNamespace(start_date=datetime(2030, 1, 14, tzinfo=UTC))
    ti = SimpleNamespace(start_date=datetime(2030, 1, 14, 12, tzinfo=UTC))
    assert lookup_since({"dag_run": run, "ti": ti}, now) == datetime(2030, 1, 13, 23, tzinfo=UTC)
    old = SimpleNamespace(start_date=datetime(2029, 1, 1, tzinfo=UTC))
    assert lookup_since({"dag_run": old}, now) > now - timedelta(days=14)  # Sinch's reach
    assert lookup_since({}, now) == now - timedelta(hours=1)


def test_parameters_cost_nothing_when_there_are_none() -> None:
    assert missing_parameter_values(None, ["+46701234567"]) == {}
    (chunk,) = plan_chunks(["+46701234567", "group1"], parameters=None)
    assert chunk.parameters is None
