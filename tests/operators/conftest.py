"""Operator test fixtures: the ``sinch_default`` connection on a fake Sinch, and task contexts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests_mock

from tests.operators.fake_api import CONN, FakeApi


class FakeStore:
    """``task_state_store`` as the task runner gives it: JSON values by key; every write recorded."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        self.values[key] = json.loads(json.dumps(value))  # what survives the trip to the API server
        self.writes.append(key)


@dataclass
class FakeTI:
    dag_id: str = "campaign"
    task_id: str = "send"
    run_id: str = "manual__2026-01-01T00:00:00+00:00"
    map_index: int = -1
    try_number: int = 1
    start_date: datetime = field(default_factory=lambda: datetime.now(UTC))
    stats_tags: dict[str, str] = field(default_factory=dict)


def make_context(store: FakeStore | None = None, **ti: Any) -> dict[str, Any]:
    """A task context with a task instance and, when given, a state store."""
    context: dict[str, Any] = {"ti": FakeTI(**ti), "run_id": ti.get("run_id", FakeTI.run_id)}
    if store is not None:
        context["task_state_store"] = store
    return context


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, executor_safeguard_off: None) -> Iterator[FakeApi]:
    """The fake Sinch as ``sinch_default``; any request elsewhere fails the test (no network)."""
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps(CONN))
    with requests_mock.Mocker() as mocker:
        yield FakeApi().install(mocker)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()
