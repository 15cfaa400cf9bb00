"""Operator test fixtures: the ``sinch_default`` connection on the Sinch sandbox, and task contexts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest

from airflow_provider_sinch.testing.sandbox import Sandbox


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


@dataclass
class Call:
    """One API request the sandbox saw: ``path`` below ``/xms/v1/{plan}``, the query's last values, and the
    status answered (``None``: the answer was dropped)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int | None = None


class ApiView:
    """The sandbox as the operator tests read and arrange it: requests below the plan, and batches and
    groups by id (oldest first).  ``batch``/``group`` create through the sandbox's services, so they are
    not among the operators' requests; ``fail`` injects a sandbox fault on one method and path.

    :param sandbox: the running sandbox (``sinch_sandbox``), its clock frozen.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def conn(self) -> dict[str, Any]:
        """The ``sinch_default`` connection (JSON form): edit it to test connection options."""
        return {**json.loads(self.sandbox.conn_uri), "extra": {"timeout": 5}}

    @property
    def calls(self) -> list[Call]:
        prefix = f"/xms/v1/{self.sandbox.settings.service_plan_id}"
        return [Call(r.method, r.path.removeprefix(prefix), {k: v[-1] for k, v in parse_qs(r.query).items()},
                     r.body, r.status) for r in self.sandbox.requests]

    def requests(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(path, c.path)]

    @property
    def batches(self) -> dict[str, dict[str, Any]]:
        return {b["id"]: b for b in reversed(self.sandbox.batches())}

    @property
    def groups(self) -> dict[str, dict[str, Any]]:
        with self.sandbox.store.lock:
            ids = list(self.sandbox.store.groups)
        return {i: self.sandbox.group_service.get(i) for i in ids}

    def batch(self, *to: str, **fields: Any) -> str:
        body = {"to": list(to) or ["+46701234567"], "from": "12017777777", "body": "Hi", **fields}
        return str(self.sandbox.batch_service.send(body)["id"])

    def group(self, *members: str, **fields: Any) -> str:
        return str(self.sandbox.group_service.create({"members": list(members), **fields})["id"])

    def dispatch(self, batch_id: str) -> None:
        """Hand ``batch_id`` to the operators now (it can no longer be cancelled), whatever its send time."""
        with self.sandbox.store.lock:
            self.sandbox.store.batches[batch_id].dispatched_at = self.sandbox.clock.time()

    def cancel(self, batch_id: str) -> None:
        self.sandbox.batch_service.cancel(batch_id)

    def fail(self, method: str, path: str, *, status: int | None = None, drop: bool = False, times: int = 1,
             skip: int = 0) -> None:
        """The next ``times`` requests to ``path`` (after ``skip`` of them) answer ``status`` unhandled
        (429: rate limited, ``Retry-After: 0``; 4xx: refused; 5xx: server error) or, with ``drop``, are
        handled and their answer lost."""
        kind = "drop" if drop else "rate_limit" if status == 429 else "refuse" if status and status < 500 \
            else "server_error"
        fields: dict[str, Any] = {"retry_after": 0} if kind == "rate_limit" else {}
        if status is not None and kind != "rate_limit":
            fields["status"] = status
        self.sandbox.add_fault(kind=kind, method=method, path=f"^{path}$", times=times, after=skip, **fields)


@pytest.fixture
def api(sinch_sandbox: Sandbox, sinch_sandbox_connection: str, executor_safeguard_off: None) -> ApiView:
    """The sandbox as ``sinch_default``, its clock frozen (nothing dispatches unless a test says so), with
    an automatic default originator (a send without ``from`` is accepted, as the plan's setting allows)."""
    sinch_sandbox.configure(time_scale=0, default_originator="12017777777")
    return ApiView(sinch_sandbox)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()
