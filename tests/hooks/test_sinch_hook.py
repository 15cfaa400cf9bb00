"""SinchHook: connection handling for every region and both auth methods, delegation, test_connection."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
import requests_mock

from airflow_provider_sinch.client import ProjectAuth, ServicePlanAuth, SinchValidationError
from airflow_provider_sinch.client.operations import OPERATIONS
from airflow_provider_sinch.hooks.connection import SinchConnectionError, config_from_connection
from airflow_provider_sinch.hooks.sinch import SinchHook
from tests.mock_aiohttp import mock_session

TOKEN = "secret-api-token-123"


def set_conn(monkeypatch: pytest.MonkeyPatch, conn_id: str = "sinch_default", **fields: object) -> None:
    body = {"conn_type": "sinch", "login": "plan-1", "password": TOKEN, **fields}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(body))


@pytest.mark.parametrize("region", ["us", "eu", "au", "br", "ca"])
def test_service_plan_connection_per_region(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    set_conn(monkeypatch, extra={"region": region})
    config = SinchHook().config
    assert isinstance(config.auth, ServicePlanAuth)
    assert config.api_root == f"https://{region}.sms.api.sinch.com/xms/v1/plan-1"


def test_region_defaults_to_us_and_rejects_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch)
    assert SinchHook().config.api_root == "https://us.sms.api.sinch.com/xms/v1/plan-1"
    set_conn(monkeypatch, extra={"region": "xx"})
    with pytest.raises(SinchConnectionError, match="region must be one of us, eu, au, br, ca"):
        _ = SinchHook().config


@pytest.mark.parametrize("region", ["us", "eu"])
def test_project_auth_uses_zt_hosts(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    set_conn(monkeypatch, login="proj-1", extra={"auth_method": "project", "key_id": "kid", "region": region})
    config = SinchHook().config
    assert isinstance(config.auth, ProjectAuth)
    assert config.auth.key_id == "kid"
    assert config.api_root == f"https://zt.{region}.sms.api.sinch.com/xms/v1/proj-1"


def test_project_auth_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, extra={"auth_method": "project", "key_id": "kid", "region": "au"})
    with pytest.raises(SinchConnectionError, match="us, eu for project"):
        _ = SinchHook().config
    set_conn(monkeypatch, extra={"auth_method": "project"})
    with pytest.raises(SinchConnectionError, match=r"extra\.key_id is required"):
        _ = SinchHook().config
    set_conn(monkeypatch, extra={"auth_method": "magic"})
    with pytest.raises(SinchConnectionError, match="auth_method must be"):
        _ = SinchHook().config


def test_missing_credentials_name_the_field() -> None:
    with pytest.raises(SinchConnectionError, match="login"):
        config_from_connection(login="", password="x", host=None, extra={})
    with pytest.raises(SinchConnectionError, match="password"):
        config_from_connection(login="p", password=None, host=None, extra={})


def test_host_override_timeout_default_from_and_prefixed_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host="http://127.0.0.1", port=8999,
             extra={"extra__sinch__region": "eu", "timeout": 7, "default_from": "Acme"})
    hook = SinchHook()
    assert hook.config.api_root == "http://127.0.0.1:8999/xms/v1/plan-1"
    assert hook.config.timeouts == (7.0, 7.0)
    assert hook.default_from == "Acme"
    set_conn(monkeypatch, extra={"timeout": "soon"})
    with pytest.raises(SinchConnectionError, match="timeout"):
        _ = SinchHook().config


@pytest.mark.parametrize(("retries", "attempts"), [(None, 5), ("", 5), (0, 1), ("2", 3), (10, 11)])
def test_retries_from_the_connection(retries: Any, attempts: int) -> None:
    extra = {} if retries is None else {"retries": retries}
    config = config_from_connection(login="p", password="t", host=None, extra=extra)
    assert config.retry.max_attempts == attempts


@pytest.mark.parametrize("retries", [-1, "some", 1.5, True, float("inf"), "nan"])
def test_bad_retries_name_the_field(retries: Any) -> None:
    with pytest.raises(SinchConnectionError, match=r"extra\.retries must be a whole number"):
        config_from_connection(login="p", password="t", host=None, extra={"retries": retries})


@pytest.mark.parametrize(("value", "ceiling"), [(None, 100), ("", 100), (1, 1), ("50", 50), (250.0, 250),
                                               ("1000", 1000)])
def test_max_in_flight_from_the_connection(monkeypatch: pytest.MonkeyPatch, value: Any, ceiling: int) -> None:
    extra = {} if value is None else {"max_in_flight": value}
    assert config_from_connection(login="p", password="t", host=None, extra=extra).max_in_flight == ceiling
    set_conn(monkeypatch, extra={"extra__sinch__max_in_flight": value})  # the 3.1 form's prefixed key too
    assert SinchHook().config.max_in_flight == ceiling


@pytest.mark.parametrize("value", [0, -3, 1001, "many", 2.5, True, float("inf"), "nan", [10]])
def test_bad_max_in_flight_names_the_field(value: Any) -> None:
    with pytest.raises(SinchConnectionError,
                       match=r"extra\.max_in_flight must be a whole number from 1 to 1000") as info:
        config_from_connection(login="p", password="t", host=None, extra={"max_in_flight": value})
    assert info.value.errors[0][0] == "extra.max_in_flight"


def test_hook_exposes_all_twenty_operations() -> None:
    assert len(OPERATIONS) == 20
    for name in OPERATIONS:
        assert callable(getattr(SinchHook, name)), name


def test_hook_delegates_to_client_with_default_from(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host="https://sinch.test", extra={"default_from": "12345"})
    hook = SinchHook()
    with requests_mock.Mocker() as m:
        m.post(
            "https://sinch.test/xms/v1/plan-1/batches", status_code=201, json={"id": "b1", "type": "mt_text"}
        )
        batch = hook.send_batch(to=["+46701234567"], body="hi")
        assert batch.id == "b1"
        assert m.last_request.json()["from"] == "12345"
        assert m.last_request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_validation_happens_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host="https://sinch.test")
    with requests_mock.Mocker() as m, pytest.raises(SinchValidationError, match="to"):
        SinchHook().send_batch(to=[], from_="1", body="x")
    assert m.call_count == 0


def test_test_connection_is_read_only_and_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host="https://sinch.test")
    with requests_mock.Mocker() as m:
        empty_page = {"count": 0, "page": 0, "page_size": 0, "batches": []}
        m.get("https://sinch.test/xms/v1/plan-1/batches", json=empty_page)
        ok, message = SinchHook().test_connection()
        assert ok, message
        assert m.last_request.method == "GET"
        assert m.last_request.qs == {"page_size": ["1"]}
        m.get("https://sinch.test/xms/v1/plan-1/batches", status_code=401, text="")
        ok, message = SinchHook().test_connection()
        assert not ok
        assert "service plan id" in message
        assert TOKEN not in message
    set_conn(monkeypatch, login="")
    ok, message = SinchHook().test_connection()
    assert not ok
    assert "login" in message


def test_token_is_masked_in_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk._shared.secrets_masker.secrets_masker import _secrets_masker

    set_conn(monkeypatch, host="https://sinch.test")
    hook = SinchHook()
    _ = hook.config
    assert TOKEN not in repr(hook.config)
    assert TOKEN not in repr(hook.client)
    assert _secrets_masker().redact(f"token={TOKEN}") != f"token={TOKEN}"
    logging.getLogger(__name__).info("no token here: %s", hook.config)


async def test_async_client_is_shared_per_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host="https://sinch.test")
    hook = SinchHook()
    first = await hook.aget_client()
    second = await SinchHook().aget_client()
    assert first is second
    set_conn(monkeypatch, conn_id="other", host="https://sinch.test")
    assert await SinchHook("other").aget_client() is not first

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/xms/v1/plan-1/inbounds"
        return httpx.Response(200, json={"count": 1, "page": 0, "page_size": 1, "inbounds": [
            {"type": "mo_text", "id": "i1", "from": "46701", "to": "123", "body": "YES",
             "received_at": "2026-01-01T00:00:00Z"}]})

    first._http = mock_session(handler)()  # the shared client, answered by the handler from now on
    messages = [m async for m in hook.aiter_inbounds(to=["123"])]
    assert [m.text for m in messages] == ["YES"]


@pytest.mark.parametrize("timeout", [[-1, 5], "nan", 0, float("inf"), True, [1, 2, 3], [5, "x"], 1e300,
                                     {"a": 1}])
def test_bad_timeout_is_a_project_error_naming_the_field(timeout: Any) -> None:
    rule = r"extra\.timeout must be a number of seconds above 0"
    with pytest.raises(SinchConnectionError, match=rule) as info:
        config_from_connection(login="p", password=TOKEN, host=None, extra={"timeout": timeout})
    assert isinstance(info.value, SinchValidationError)  # one hierarchy: except SinchError catches it
    assert info.value.errors[0][0] == "extra.timeout"
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize(("timeout", "expected"),
                         [(5, (5.0, 5.0)), ("2.5", (2.5, 2.5)), ([3, 30], (3.0, 30.0))])
def test_good_timeouts(timeout: Any, expected: tuple[float, float]) -> None:
    config = config_from_connection(login="p", password=TOKEN, host=None, extra={"timeout": timeout})
    assert config.timeouts == expected


@pytest.mark.parametrize(("host", "rule"), [
    ("ftp://files.example", r"must be an absolute http\(s\) URL with a host .*, got 'ftp://files.example'"),
    ("http://", r"must be an absolute http\(s\) URL with a host"),
    ("https://proxy example", "without spaces or control characters"),
    ("http://proxy.example:port", r"must be an absolute http\(s\) URL"),
    ("https://user:pw@proxy.example", "must not contain a user name or password"),
])
def test_host_must_be_an_http_url(host: str, rule: str) -> None:
    with pytest.raises(SinchConnectionError, match=rule) as info:
        config_from_connection(login="p", password=TOKEN, host=host, extra={})
    assert info.value.errors[0][0] == "host"


def test_auth_url_must_be_an_http_url() -> None:
    with pytest.raises(SinchConnectionError, match=r"extra\.auth_url must be an absolute http\(s\) URL"):
        config_from_connection(login="p", password=TOKEN, host=None,
                               extra={"auth_method": "project", "key_id": "k", "auth_url": "file:///etc/x"})


@pytest.mark.parametrize("password", ["", None, "   "])
def test_empty_token_is_rejected(password: str | None) -> None:
    with pytest.raises(SinchConnectionError, match="password is empty"):
        config_from_connection(login="p", password=password, host=None, extra={})


def test_bad_hook_timeout_names_the_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch)
    with pytest.raises(SinchConnectionError, match=r"timeout \(hook argument\) must be a number of seconds"):
        _ = SinchHook(timeout=-3).config


def test_a_bad_connection_is_not_transient_and_test_connection_says_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_sinch.common.polling import is_transient

    set_conn(monkeypatch, host="ftp://files.example")
    with requests_mock.Mocker() as m:
        ok, message = SinchHook().test_connection()
        assert m.call_count == 0
    assert not ok
    assert "host must be an absolute http(s) URL" in message
    assert not is_transient(SinchConnectionError("host", "must be an http(s) URL"))
