"""The two callback example DAGs' task logic, fed asset events as the receiver records them (no DB)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowSkipException

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "sinch_api" / "fixtures" / "callbacks"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "example_dags" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event(payload: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(extra={"payload": payload, "type": payload["type"], "source": "sinch-callback"})


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    return {**json.loads((FIXTURES / name).read_text()), **changes}


class Triggering:
    """``triggering_asset_events`` as a task gets it: the events of an asset, looked up by the asset (Airflow
    keys them by name and URI; a dict cannot stand in, Airflow 3.1's ``Asset`` is unhashable).

    :param asset: the asset the events are on.
    :param events: its events.
    """

    def __init__(self, asset: Any, events: list[Any]) -> None:
        self.key, self.events = (asset.name, asset.uri), events

    def __getitem__(self, asset: Any) -> list[Any]:
        assert (asset.name, asset.uri) == self.key
        return self.events


def callable_of(module: ModuleType, task_id: str) -> Any:
    return module.dag.get_task(task_id).python_callable


@pytest.fixture(scope="module")
def stop() -> ModuleType:
    return load("example_sinch_stop_unsubscribe")


@pytest.fixture(scope="module")
def failed() -> ModuleType:
    return load("example_sinch_delivery_failed")


def test_stop_dag_is_scheduled_on_the_pushed_inbound_asset(stop: ModuleType) -> None:
    assert stop.inbound_sms.uri == "sinch://sinch_default/inbound"
    assert stop.dag.get_task("unsubscribe").upstream_task_ids == {"opted_out"}


def test_stop_picks_opt_out_senders_only(stop: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    events = [event(fixture("mo_text.json", id="1", body="STOP", **{"from": "46701234567"})),
              event(fixture("mo_text.json", id="2", body="stop please", **{"from": "46701234568"})),
              event(fixture("mo_text.json", id="3", body="Stopping by later?", **{"from": "46701234569"})),
              event(fixture("mo_text.json", id="4", body="Unsubscribe.", **{"from": "46701234567"}))]
    senders = callable_of(stop, "opted_out")(triggering_asset_events=Triggering(stop.inbound_sms, events))
    assert senders == ["46701234567", "46701234568"]
    out = capsys.readouterr().out
    assert "4 inbound SMS, 3 opt-out(s)" in out
    assert "46701234567" not in out  # masked


def test_stop_skips_a_run_without_opt_out(stop: ModuleType) -> None:
    with pytest.raises(AirflowSkipException):
        callable_of(stop, "opted_out")(
            triggering_asset_events=Triggering(stop.inbound_sms, [event(fixture("mo_text.json"))]))
    with pytest.raises(AirflowSkipException):
        callable_of(stop, "opted_out")(triggering_asset_events=None)  # a manual run


def test_delivery_failed_keeps_final_failures(failed: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert failed.delivery_reports.uri == "sinch://sinch_default/delivery"
    events = [event(fixture("recipient_delivery_report_sms.delivered.json")),
              event(fixture("recipient_delivery_report_sms.aborted_412.json")),
              event(fixture("recipient_delivery_report_sms.delivered.json", status="Dispatched", code=401)),
              event(fixture("delivery_report_sms.full.json"))]
    failed_reports = callable_of(failed, "failed_reports")
    reports = failed_reports(triggering_asset_events=Triggering(failed.delivery_reports, events))
    assert reports == [{"batch_id": "01W4FFL35P4NC4K35SMSBATCH9", "recipient": "12010000000",
                        "status": "Aborted", "code": 412, "at": "2024-06-06T08:17:15.603000Z",
                        "client_reference": "client-ref"}]
    assert callable_of(failed, "follow_up")(reports) == {"client-ref": 1}
    assert "+1201****000 Aborted (code 412)" in capsys.readouterr().out
    with pytest.raises(AirflowSkipException):
        failed_reports(triggering_asset_events=Triggering(failed.delivery_reports, events[:1]))
