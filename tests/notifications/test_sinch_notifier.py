"""SinchNotifier: default text, templating, segment-aware truncation, sync and async sends, loud failures."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import requests_mock
from airflow.sdk import DAG

from airflow_provider_sinch.client import (
    AsyncSinchClient,
    SinchAmbiguousSendError,
    SinchAuthenticationError,
    SinchValidationError,
)
from airflow_provider_sinch.client.segments import count_segments
from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.notifications import SinchNotifier, send_sinch_notification
from airflow_provider_sinch.notifications.sinch import default_message
from airflow_provider_sinch.version_compat import AIRFLOW_V_3_2_PLUS, HAS_SYNC_DEADLINE_CALLBACKS
from tests.mock_aiohttp import mock_session

BASE = "http://sinch.test"
URL = f"{BASE}/xms/v1/plan-1/batches"
ONCALL = "+46701234567"


@pytest.fixture(autouse=True)
def conn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps(
        {"conn_type": "sinch", "login": "plan-1", "password": "tok", "host": BASE}))


@pytest.fixture
def sinch() -> Iterator[requests_mock.Mocker]:
    with requests_mock.Mocker() as mocker:
        mocker.post(URL, status_code=201, json={"id": "B1", "to": ["46701234567"], "body": "x"})
        yield mocker


@pytest.fixture
def async_sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The bodies of the batches sent through the hook's async client (a mock session answering 201)."""
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(201, json={"id": "B9", "to": ["46701234567"]})

    async def aget_client(self: SinchHook) -> AsyncSinchClient:
        return AsyncSinchClient(self.config, http=mock_session(handler))

    monkeypatch.setattr(SinchHook, "aget_client", aget_client)
    return seen


def import_string(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def deadline_context() -> dict[str, Any]:
    """The context Airflow (3.1 to 3.3) gives a deadline callback: the run as the REST API's
    ``DAGRunResponse`` (its id named ``dag_run_id``) and the deadline."""
    return {"dag_run": {"dag_id": "etl", "dag_run_id": "r3", "state": "running"},
            "deadline": {"id": "d1", "deadline_time": "2030-01-01T00:00:00Z"}}


MISSED = "Airflow: DAG etl missed its deadline (2030-01-01T00:00:00Z), run r3"


def test_the_deadline_context_is_shaped_as_airflows() -> None:
    from airflow.api_fastapi.core_api.datamodels.dag_run import DAGRunResponse

    assert set(deadline_context()["dag_run"]) <= set(DAGRunResponse.model_fields)
    assert "run_id" not in DAGRunResponse.model_fields


def task_context(state: str = "failed", try_number: int = 2) -> dict[str, Any]:
    ti = SimpleNamespace(dag_id="etl", task_id="load", run_id="manual__1", state=state, try_number=try_number)
    return {"ti": ti, "dag": DAG("etl", schedule=None), "params": {"oncall": ONCALL}}


def test_default_message_for_a_task() -> None:
    assert default_message(task_context()) == "Airflow: etl.load failed (try 2), run manual__1"


def test_default_message_for_a_dag_run() -> None:
    run = SimpleNamespace(dag_id="etl", run_id="scheduled__2", state="failed")
    assert default_message({"dag_run": run, "reason": "task_failure"}) == \
        "Airflow: DAG etl failed (task_failure), run scheduled__2"


def test_default_message_for_a_deadline_alert() -> None:
    assert default_message(deadline_context()) == MISSED


def test_notify_sends_one_short_sms_with_templated_fields(sinch: requests_mock.Mocker) -> None:
    notifier = SinchNotifier(to="{{ params.oncall }}", from_="Airflow",
                             client_reference="alert:{{ ti.task_id }}")
    notifier(task_context())
    (request,) = sinch.request_history
    assert request.json() == {"to": [ONCALL], "from": "Airflow", "client_reference": "alert:load",
                              "type": "mt_text",
                              "body": "Airflow: etl.load failed (try 2), run manual__1"}


@pytest.mark.parametrize(("body", "max_parts"), [("x" * 500, 1), ("ж" * 300, 2), ("€" * 100, 1)])
def test_long_text_is_cut_to_max_parts(sinch: requests_mock.Mocker, body: str, max_parts: int) -> None:
    SinchNotifier(to=[ONCALL], body=body, max_parts=max_parts)(task_context())
    sent = sinch.request_history[0].json()["body"]
    assert sent.endswith("...")
    assert count_segments(sent).parts == max_parts


def test_templated_body(sinch: requests_mock.Mocker) -> None:
    SinchNotifier(to=[ONCALL], body="{{ ti.task_id }} is {{ ti.state }}")(task_context())
    assert sinch.request_history[0].json()["body"] == "load is failed"


def test_failed_send_raises(sinch: requests_mock.Mocker) -> None:
    sinch.post(URL, status_code=401)
    with pytest.raises(SinchAuthenticationError):
        SinchNotifier(to=[ONCALL])(task_context())
    sinch.post(URL, status_code=503)
    with pytest.raises(SinchAmbiguousSendError):
        SinchNotifier(to=[ONCALL])(task_context())


def test_bad_input_raises_before_sending(sinch: requests_mock.Mocker) -> None:
    with pytest.raises(SinchValidationError, match="to: is empty"):
        SinchNotifier(to="{{ params.get('nobody', '') }}")(task_context())
    with pytest.raises(SinchValidationError, match="max_parts"):
        SinchNotifier(to=[ONCALL], max_parts=0)(task_context())
    assert sinch.request_history == []


def test_fields_that_render_empty_stay_empty(sinch: requests_mock.Mocker) -> None:
    """Airflow 3.1 and 3.2 keep a field's template text when it renders empty (3.3 does not): the notifier
    keeps the empty rendering on every version, so the default text goes out, never Jinja source."""
    SinchNotifier(to=[ONCALL], body="{{ params.get('no_body', '') }}",
                  from_="{{ params.get('no_sender', '') }}",
                  client_reference="{{ params.get('no_reference', '') }}")(task_context())
    assert sinch.request_history[0].json() == {
        "to": [ONCALL], "type": "mt_text", "body": "Airflow: etl.load failed (try 2), run manual__1"}


async def test_fields_that_render_empty_stay_empty_in_the_triggerer(async_sent: list[dict[str, Any]]) -> None:
    await SinchNotifier(to=[ONCALL], body="{{ dag_run.get('note') or '' }}", context=deadline_context())
    assert async_sent == [{"to": [ONCALL], "type": "mt_text", "body": MISSED}]


@pytest.mark.parametrize("to", [[], "", " , ", None, ()])
def test_an_alert_without_recipients_fails_when_the_dag_is_parsed(to: Any) -> None:
    """Not when the failure it should report finally happens."""
    with pytest.raises(SinchValidationError, match="to: is empty"):
        SinchNotifier(to=to)


@pytest.mark.parametrize("to", ["{{ var.value.oncall }}", ["{% if params.x %}+46701234567{% endif %}"]])
def test_templated_recipients_are_judged_after_rendering(to: Any) -> None:
    assert SinchNotifier(to=to).to == to


def test_alias() -> None:
    assert send_sinch_notification is SinchNotifier
    assert set(SinchNotifier.template_fields) >= {"to", "body", "from_", "sinch_conn_id"}


async def test_async_notify_uses_the_shared_async_client(async_sent: list[dict[str, Any]]) -> None:
    await SinchNotifier(to=[ONCALL], context=deadline_context())  # how Airflow runs it in the triggerer
    assert async_sent == [{"to": [ONCALL], "type": "mt_text", "body": MISSED}]


async def test_a_deadline_alert_template_reads_the_run_id_as_in_other_callbacks(
    async_sent: list[dict[str, Any]],
) -> None:
    await SinchNotifier(to=[ONCALL], body="{{ dag_run.dag_id }} {{ dag_run.run_id }} late",
                        client_reference="late:{{ dag_run.dag_run_id }}", context=deadline_context())
    assert async_sent == [{"to": [ONCALL], "type": "mt_text", "body": "etl r3 late",
                           "client_reference": "late:r3"}]


CALLBACK_TRIGGER = ("airflow.triggers.callback.CallbackTrigger" if AIRFLOW_V_3_2_PLUS
                    else "airflow.triggers.deadline.DeadlineCallbackTrigger")
"""The trigger Airflow's scheduler creates for a missed deadline's ``AsyncCallback`` (renamed in 3.2)."""


async def test_the_triggerer_sends_the_deadline_alert(async_sent: list[dict[str, Any]]) -> None:
    """What this Airflow's triggerer runs when the deadline is missed: its callback trigger, made from the
    callback's path and kwargs plus the context, as the triggerer gets it (through ``serialize()``)."""
    callback = SinchNotifier.deadline_callback(to=[ONCALL], body="{{ dag_run.run_id }} is late")
    assert callback.path == "airflow_provider_sinch.notifications.sinch.SinchNotifier"
    trigger_class = import_string(CALLBACK_TRIGGER)
    made = trigger_class(callback_path=callback.path,
                         callback_kwargs={**(callback.kwargs or {}), "context": deadline_context()})
    _, kwargs = made.serialize()
    states = [event.payload["state"] async for event in trigger_class(**kwargs).run()]
    assert [getattr(state, "value", state) for state in states] == ["running", "success"]
    assert async_sent == [{"to": [ONCALL], "type": "mt_text", "body": "r3 is late"}]


def test_deadline_callback_checks_the_alert_when_the_dag_is_parsed() -> None:
    from airflow.sdk.definitions.deadline import AsyncCallback

    callback = SinchNotifier.deadline_callback(to=[ONCALL], max_parts=2)
    assert isinstance(callback, AsyncCallback)
    assert callback.kwargs == {"to": [ONCALL], "max_parts": 2}
    with pytest.raises(SinchValidationError, match="to: is empty"):
        SinchNotifier.deadline_callback(to=[])
    with pytest.raises(SinchValidationError, match="max_parts"):
        SinchNotifier.deadline_callback(to=[ONCALL], max_parts=0)
    with pytest.raises(SinchValidationError, match="context: is given by Airflow"):
        SinchNotifier.deadline_callback(to=[ONCALL], context={})


def test_a_sync_deadline_callback_where_airflow_runs_them(sinch: requests_mock.Mocker) -> None:
    """3.2+: a ``SyncCallback``, which an executor runs as it runs any notifier (built with the kwargs and
    the context, then called with the context); 3.1's scheduler runs none, so it is refused there, by
    version."""
    if not HAS_SYNC_DEADLINE_CALLBACKS:
        refused = r"sync: needs Airflow 3\.2 or later, this is Airflow 3\.1\.\d+: its scheduler"
        with pytest.raises(SinchValidationError, match=refused):
            SinchNotifier.deadline_callback(sync=True, to=[ONCALL])
        return
    from airflow.sdk.definitions.deadline import SyncCallback

    callback = SinchNotifier.deadline_callback(sync=True, to=[ONCALL])
    assert isinstance(callback, SyncCallback)
    notifier = import_string(callback.path)(**(callback.kwargs or {}), context=deadline_context())
    notifier(deadline_context())
    assert sinch.request_history[0].json() == {"to": [ONCALL], "type": "mt_text", "body": MISSED}


async def test_async_notify_raises_on_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    async def aget_client(self: SinchHook) -> AsyncSinchClient:
        return AsyncSinchClient(self.config, http=mock_session(lambda request: httpx.Response(401)))

    monkeypatch.setattr(SinchHook, "aget_client", aget_client)
    with pytest.raises(SinchAuthenticationError):
        await SinchNotifier(to=[ONCALL]).async_notify(task_context())


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"body": 123}, "body"),  # was: silently sent the default text
    ({"body": ["Disk full"]}, "body"),
    ({"body": "Disk \ud800 full"}, "body"),  # a lone surrogate: was UnicodeEncodeError in requests
    ({"from_": 12017777777}, "from_"),
    ({"client_reference": {"id": 1}}, "client_reference"),
    ({"to": object()}, "to"),
    ({"to": [ONCALL, 4.5]}, "to"),
])
def test_bad_arguments_fail_when_the_dag_is_parsed(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SinchValidationError) as info:
        SinchNotifier(**{"to": [ONCALL], **kwargs})
    assert info.value.errors[0][0] == field
    assert "notifier arguments" in str(info.value)


def test_a_body_rendered_into_a_lone_surrogate_fails_before_sending(sinch: requests_mock.Mocker) -> None:
    context = {**task_context(), "params": {"oncall": ONCALL, "text": "broken \udc80 decode"}}
    with pytest.raises(SinchValidationError, match="body: must be valid text: a lone surrogate at position"):
        SinchNotifier(to=[ONCALL], body="{{ params.text }}")(context)
    assert sinch.request_history == []
