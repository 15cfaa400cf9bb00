"""The ``/_sandbox`` control and inspection routes, and what inspection never shows (tokens)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from airflow_provider_sinch.testing.sandbox import Sandbox, SandboxSettings
from tests.testing.conftest import NUMBER, send


@pytest.fixture
def control(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.url}/_sandbox", trust_env=False) as client:
        yield client


def test_clock_routes(control: httpx.Client, sandbox: Sandbox) -> None:
    before = sandbox.clock.time()
    assert control.get("/clock").json()["time_scale"] == 0
    control.post("/clock/advance", json={"seconds": 3600})
    assert sandbox.clock.time() - before == pytest.approx(3600, abs=0.01)
    assert control.put("/clock", json={"time_scale": 50}).json()["time_scale"] == 50
    assert control.post("/clock/advance", json={"seconds": -1}).status_code == 422


def test_outcome_routes(api: httpx.Client, control: httpx.Client, sandbox: Sandbox) -> None:
    rules = control.put("/outcomes", json=[{"suffix": "", "status": "Rejected", "code": 12}]).json()
    assert rules == [{"suffix": "", "status": "Rejected", "code": 12, "delay": None}]
    control.post("/outcomes", json={"suffix": "4567", "status": "Unknown"})
    batch = send(api, to=[NUMBER, "+46702222222"])
    sandbox.advance(60)
    assert sandbox.statuses(batch["id"]) == {"46701234567": "Unknown", "46702222222": "Rejected"}
    assert control.put("/outcomes", json=[{"status": "Cancelled"}]).status_code == 422  # not an outcome


def test_settings_route(api: httpx.Client, control: httpx.Client, sandbox: Sandbox) -> None:
    assert control.patch("/settings", json={"dispatch_delay": 30}).json() == {"ok": True}
    batch = send(api)
    sandbox.advance(29)
    assert sandbox.statuses(batch["id"]) == {"46701234567": "Queued"}
    bad = control.patch("/settings", json={"no_such_setting": 1})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_settings")


def test_inspection_routes(api: httpx.Client, control: httpx.Client, sandbox: Sandbox) -> None:
    batch = send(api, client_reference="seen")
    api.get(f"/batches/{batch['id']}")
    assert [b["id"] for b in control.get("/batches").json()] == [batch["id"]]
    assert control.get(f"/batches/{batch['id']}/statuses").json() == {"46701234567": "Queued"}
    assert control.get("/batches/01NOPE/statuses").status_code == 404
    seen = control.get("/requests").json()
    assert [(r["method"], r["status"]) for r in seen] == [("POST", 201), ("GET", 200)]
    assert seen[0]["body"]["client_reference"] == "seen"
    assert control.get("/callbacks").json() == []


def test_reset_route(api: httpx.Client, control: httpx.Client, sandbox: Sandbox) -> None:
    send(api)
    sandbox.add_fault(kind="latency", seconds=1)
    control.patch("/settings", json={"dispatch_delay": 99})
    assert control.post("/reset").json() == {"ok": True}
    assert sandbox.batches() == []
    assert sandbox.fault_plan.faults == []
    assert sandbox.settings.dispatch_delay != 99


def test_tokens_stay_out_of_logs_and_inspection(api: httpx.Client, sandbox: Sandbox,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.configure(webhook_secret="hush-hush", default_callback_url="http://user:pw@127.0.0.1:9/cb")
    send(api, delivery_report="summary")
    api.get("/batches", headers={"Authorization": "Bearer wrong-token"})
    sandbox.advance(60)
    sandbox.wait_for(lambda: sandbox.callbacks)
    secrets = (sandbox.settings.api_token, "wrong-token", "hush-hush", sandbox.settings.key_secret, "pw@")
    recorded = " ".join(str(seen.summary()) + str(seen.response_headers) for seen in sandbox.requests)
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in recorded
        assert secret not in repr(sandbox.settings)
    assert "api_token" not in repr(SandboxSettings())


@pytest.mark.parametrize("name", ["dispatch_delay", "delivery_delay", "time_scale", "callback_retry_base",
                                  "list_delay"])
@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), "2"])
def test_a_delay_setting_must_be_a_finite_non_negative_number(name: str, value: object) -> None:
    """NaN passed a ``< 0`` check once: ``list_delay=nan`` hid every batch from ``GET /batches``."""
    with pytest.raises(ValueError, match=name):
        SandboxSettings(**{name: value})
