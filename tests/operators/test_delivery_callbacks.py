"""``delivery_callbacks=True``: Sinch pushes the delivery reports of a send to this Airflow's receiver."""

from __future__ import annotations

import json

import pytest

from airflow_provider_sinch.client import SinchError, SinchValidationError
from airflow_provider_sinch.hooks.connection import SinchConnectionError
from airflow_provider_sinch.operators import SinchSendBatchOperator
from tests.operators.conftest import ApiView, make_context

RECEIVER = "https://airflow.example.com/sinch/callbacks/sinch_default"
TO = ["+46701234567", "+46701234568"]


def with_callback_url(api: ApiView, monkeypatch: pytest.MonkeyPatch, url: object) -> None:
    conn = api.conn
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps({**conn, "extra": {**conn["extra"],
                                                                                   "callback_url": url}}))


def test_every_batch_asks_for_per_recipient_final_reports_at_the_connections_receiver(
    api: ApiView, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_callback_url(api, monkeypatch, RECEIVER)
    SinchSendBatchOperator(task_id="s", to=[*TO, "+46701234569"], body="Hi", chunk_size=2,
                           delivery_callbacks=True).execute(make_context())
    bodies = [c.body for c in api.requests("POST", "/batches")]
    assert len(bodies) == 2
    assert all(b["callback_url"] == RECEIVER for b in bodies)
    assert all(b["delivery_report"] == "per_recipient_final" for b in bodies)


def test_a_delivery_report_kind_given_by_the_task_is_kept(
    api: ApiView, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_callback_url(api, monkeypatch, RECEIVER)
    SinchSendBatchOperator(task_id="s", to=TO, body="Hi", delivery_report="full",
                           delivery_callbacks=True).execute(make_context())
    (body,) = [c.body for c in api.requests("POST", "/batches")]
    assert (body["callback_url"], body["delivery_report"]) == (RECEIVER, "full")


@pytest.mark.parametrize("url", [None, "", "not a url", "ftp://airflow.example.com/x"])
def test_a_missing_or_bad_receiver_url_fails_before_anything_is_sent(
    api: ApiView, monkeypatch: pytest.MonkeyPatch, url: object
) -> None:
    with_callback_url(api, monkeypatch, url)
    with pytest.raises(SinchConnectionError, match=r"extra\.callback_url") as caught:
        SinchSendBatchOperator(task_id="s", to=TO, body="Hi", delivery_callbacks=True).execute(make_context())
    assert isinstance(caught.value, SinchError)
    assert api.conn["password"] not in str(caught.value)
    assert api.calls == []


def test_reports_switched_off_is_refused_before_anything_is_sent(
    api: ApiView, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_callback_url(api, monkeypatch, RECEIVER)
    op = SinchSendBatchOperator(task_id="s", to=TO, body="Hi", delivery_report="none",
                                delivery_callbacks=True)
    with pytest.raises(SinchValidationError, match="delivery_report: must not be 'none'"):
        op.execute(make_context())
    assert api.calls == []


def test_conflicting_or_wrong_arguments_fail_when_the_dag_is_parsed() -> None:
    with pytest.raises(SinchValidationError, match="callback_url: must not be given with delivery_callbacks"):
        SinchSendBatchOperator(task_id="s", to=TO, body="Hi", callback_url=RECEIVER, delivery_callbacks=True)
    with pytest.raises(SinchValidationError, match="delivery_callbacks: must be True or False"):
        SinchSendBatchOperator(task_id="s", to=TO, body="Hi", delivery_callbacks="yes")  # type: ignore[arg-type]


def test_without_the_option_nothing_changes(api: ApiView) -> None:
    SinchSendBatchOperator(task_id="s", to=TO, body="Hi").execute(make_context())
    (body,) = [c.body for c in api.requests("POST", "/batches")]
    assert "callback_url" not in body
    assert "delivery_report" not in body


def test_basic_credentials_come_from_the_secret_fields_into_the_url_sinch_gets(
    api: ApiView, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection form shows callback_url in clear: the password lives in callback_password (a secret
    field) and is put into the URL only for Sinch, registered with the secret masker."""
    from airflow.sdk._shared.secrets_masker.secrets_masker import _secrets_masker

    conn = api.conn
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps({**conn, "extra": {
        **conn["extra"], "callback_url": RECEIVER, "callback_username": "sinch",
        "callback_password": "s3cr:et/pw"}}))
    SinchSendBatchOperator(task_id="s", to=TO, body="Hi", delivery_callbacks=True).execute(make_context())
    (body,) = [c.body for c in api.requests("POST", "/batches")]
    assert body["callback_url"] == "https://sinch:s3cr%3Aet%2Fpw@airflow.example.com/sinch/callbacks/sinch_default"
    assert "s3cr%3Aet%2Fpw" not in _secrets_masker().redact(f"posted to {body['callback_url']}")


def test_credentials_written_into_callback_url_itself_are_refused(
    api: ApiView, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_callback_url(api, monkeypatch, "https://sinch:pw@airflow.example.com/sinch/callbacks/sinch_default")
    with pytest.raises(SinchConnectionError, match=r"extra\.callback_url") as caught:
        SinchSendBatchOperator(task_id="s", to=TO, body="Hi", delivery_callbacks=True).execute(make_context())
    assert "pw@" not in str(caught.value)
    assert api.calls == []
