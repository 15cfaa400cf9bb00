"""The pure parts: reading template/XCom values, chunk planning, references, the ledger, lookups' start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_sinch.client import SinchValidationError
from airflow_provider_sinch.client.models.batches import MAX_URL_LENGTH
from airflow_provider_sinch.common.arguments import as_bool, as_int, as_list, as_mapping
from airflow_provider_sinch.common.output import brief_list, to_xcom
from airflow_provider_sinch.common.times import as_timestamp
from airflow_provider_sinch.operators.chunking import (
    base_reference,
    missing_parameter_values,
    plan_chunks,
    unique_destinations,
)
from airflow_provider_sinch.operators.resume import ChunkLedger, lookup_since
from tests.operators.conftest import FakeStore


@pytest.mark.parametrize(("value", "expected"), [
    (None, []),
    ("", []),
    ("+1, +2 ;+3\n+4", ["+1", "+2", "+3", "+4"]),
    ('["+1", "+2"]', ["+1", "+2"]),
    ("['+1', '+2']", ["+1", "+2"]),
    (("+1", 46700000000), ["+1", "46700000000"]),
    ({"+2", "+1"}, ["+1", "+2"]),
    ({"batch_ids": ["a", "b"]}, ["a", "b"]),
    ({"id": "a"}, ["a"]),
    ("{'id': 'a'}", ["a"]),
    ([{"id": "a"}, {"id": "b"}], ["a", "b"]),
])
def test_as_list(value: Any, expected: list[str]) -> None:
    assert as_list(value, "f", keys=("batch_ids", "id")) == expected


@pytest.mark.parametrize("value", ["[unclosed", {"other": 1}, [None], 3.5, [True]])
def test_as_list_names_the_field(value: Any) -> None:
    with pytest.raises(SinchValidationError, match="the_field: "):
        as_list(value, "the_field", keys=("id",))


def test_scalars() -> None:
    assert as_int("5", "n") == 5
    assert as_int("", "n") is None
    with pytest.raises(SinchValidationError, match="n: must be at least 1"):
        as_int(0, "n", 1)
    with pytest.raises(SinchValidationError, match="n: must be an integer"):
        as_int(True, "n")
    assert as_bool("False", "b") is False
    assert as_bool("yes", "b") is True
    with pytest.raises(SinchValidationError, match="b: must be true or false"):
        as_bool("maybe", "b")
    assert as_mapping('{"a": {"default": "x"}}', "p") == {"a": {"default": "x"}}
    with pytest.raises(SinchValidationError, match="p: expected a mapping"):
        as_mapping("[1]", "p")


def test_timestamps() -> None:
    assert as_timestamp("2030-01-01T10:00:00", "t") == datetime(2030, 1, 1, 10, tzinfo=UTC)
    assert as_timestamp("2030-01-01T10:00:00Z", "t") == datetime(2030, 1, 1, 10, tzinfo=UTC)
    future = as_timestamp(timedelta(minutes=5), "t")
    past = as_timestamp(timedelta(minutes=5), "t", past=True)
    assert future is not None
    assert past is not None
    assert future - past >= timedelta(minutes=9, seconds=59)
    with pytest.raises(SinchValidationError, match="t: must be an ISO-8601 time"):
        as_timestamp("tomorrow", "t")


def test_to_xcom_is_plain_json() -> None:
    when = datetime(2030, 1, 1, tzinfo=UTC)
    assert to_xcom({"a": (1, when)}) == {"a": [1, "2030-01-01T00:00:00+00:00"]}


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


def test_brief_list_caps_a_log_line_of_ids() -> None:
    ids = [f"batch{i}" for i in range(1000)]
    assert brief_list(ids[:3]) == "batch0, batch1, batch2"
    assert brief_list(ids) == ", ".join(ids[:10]) + " (+990 more)"


def test_parameters_cost_nothing_when_there_are_none() -> None:
    assert missing_parameter_values(None, ["+46701234567"]) == {}
    (chunk,) = plan_chunks(["+46701234567", "group1"], parameters=None)
    assert chunk.parameters is None


@pytest.fixture
def stockholm_airflow() -> Any:
    """Airflow configured with ``[core] default_timezone = Europe/Stockholm`` for one test."""
    from airflow.sdk import timezone as airflow_timezone

    airflow_timezone.initialize("Europe/Stockholm")
    yield
    airflow_timezone.initialize("UTC")


@pytest.mark.usefixtures("stockholm_airflow")
def test_naive_times_are_read_in_airflows_default_timezone() -> None:
    """As Airflow reads a DAG file's naive dates: 9:00 in Stockholm in winter is 8:00 UTC."""
    from airflow_provider_sinch.common.times import parse_time

    expected = datetime(2030, 1, 1, 8, tzinfo=UTC)
    assert as_timestamp(datetime(2030, 1, 1, 9), "send_at") == expected
    assert as_timestamp("2030-01-01T09:00:00", "send_at") == expected
    assert parse_time("2030-01-01T09:00:00", "since") == expected
    aware = datetime(2030, 1, 1, 9, tzinfo=timezone(timedelta(hours=-5)))
    assert as_timestamp(aware, "send_at") == aware  # an explicit offset is kept as given
