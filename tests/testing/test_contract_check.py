"""The answer check is not vacuous: a broken answer or an unexplained server error is reported."""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_sinch.testing.pytest_plugin import answer_problems
from airflow_provider_sinch.testing.sandbox import Sandbox
from tests.contract import validate_response
from tests.testing.conftest import send


def test_an_answer_that_breaks_the_contract_is_reported(api: httpx.Client, sandbox: Sandbox,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    send(api)
    assert answer_problems(sandbox, validate_response) == []
    monkeypatch.setattr("airflow_provider_sinch.testing.sandbox.batches.batch_view",
                        lambda batch: {"id": 42, "type": "mt_text", "canceled": "no"})
    send(api)
    problems = answer_problems(sandbox, validate_response)
    sandbox.request_log.clear()  # this test's broken answers are on purpose
    assert len(problems) == 1
    assert "body.id" in problems[0]
    assert "body.canceled" in problems[0]


def test_an_unexplained_server_error_is_reported(api: httpx.Client, sandbox: Sandbox,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(batch_id: str) -> dict:
        raise RuntimeError("a bug in the sandbox")

    monkeypatch.setattr(sandbox.batch_service, "get", broken)
    assert api.get("/batches/anything").status_code == 500
    sandbox.add_fault(kind="server_error", times=1)
    assert api.get("/groups").status_code == 503
    problems = answer_problems(sandbox, validate_response)
    sandbox.request_log.clear()
    assert problems == [f"GET /xms/v1/{sandbox.settings.service_plan_id}/batches/anything: 500 without an "
                        "injected fault"]
