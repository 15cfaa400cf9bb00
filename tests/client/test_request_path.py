"""The sync client's request path: the environment read once per origin, answers parsed from their bytes,
and tenacity started only by a failure (the retry policy itself is tested in test_retry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import requests_mock

from airflow_provider_sinch.client import RetryPolicy, ServicePlanAuth, SinchClient, SinchConfig
from airflow_provider_sinch.client.errors import SinchAPIError, SinchMalformedResponseError, SinchServerError
from airflow_provider_sinch.client.operations import OPERATIONS
from tests.client.samples import BATCH, BATCH_ID, CASES

TOKEN = "token-1"
URL = f"https://us.sms.api.sinch.com/xms/v1/plan-1/batches/{BATCH_ID}"
PROXY = "http://proxy.internal:3128"


def _client(**overrides: object) -> SinchClient:
    values: dict[str, object] = {"auth": ServicePlanAuth("plan-1", TOKEN),
                                 "retry": RetryPolicy(max_attempts=3, backoff_base=0, backoff_max=0)}
    values.update(overrides)
    return SinchClient(SinchConfig(**values))  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                 "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC"):
        monkeypatch.delenv(name, raising=False)


def test_environment_proxies_are_used_and_read_once_per_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    with requests_mock.Mocker() as mock, _client() as client:
        mock.get(URL, json=BATCH)
        client.get_batch(BATCH_ID)
        monkeypatch.setenv("HTTPS_PROXY", "http://other.internal:8080")
        client.get_batch(BATCH_ID)
        with _client() as fresh:  # a new client (a new task, a new hook) reads the environment again
            fresh.get_batch(BATCH_ID)
    assert [sent.proxies.get("https") for sent in mock.request_history] == [
        PROXY, PROXY, "http://other.internal:8080"]


def test_no_proxy_and_a_ca_bundle_from_the_environment_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", "sms.api.sinch.com")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    with requests_mock.Mocker() as mock, _client() as client:
        mock.get(URL, json=BATCH)
        client.get_batch(BATCH_ID)
    sent = mock.request_history[0]
    assert "https" not in sent.proxies
    assert sent.verify == "/etc/ssl/corporate.pem"


def test_a_netrc_entry_for_the_host_does_not_replace_the_bearer_token(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine us.sms.api.sinch.com login someone password not-the-token\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with requests_mock.Mocker() as mock, _client() as client:
        mock.get(URL, json=BATCH)
        client.get_batch(BATCH_ID)
    assert mock.request_history[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_callers_session_keeps_its_own_environment_handling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    session = requests.Session()
    with requests_mock.Mocker(session=session) as mock, SinchClient(_client().config, session=session) as c:
        mock.get(URL, json=BATCH)
        c.get_batch(BATCH_ID)
    assert session.trust_env is True
    assert mock.request_history[0].proxies.get("https") == PROXY  # requests itself read it
    session.close()


@pytest.mark.parametrize("case", [c for c in CASES if c.answer is not None and c.status < 300],
                         ids=lambda c: c.id)
def test_answers_parsed_from_bytes_equal_answers_parsed_from_json(case: object) -> None:
    operation = OPERATIONS[case.op]  # type: ignore[attr-defined]
    answer = case.answer  # type: ignore[attr-defined]
    from_bytes = operation.parse_json(json.dumps(answer).encode())
    assert from_bytes == operation.parse(answer)


@pytest.mark.parametrize(("body", "error"), [
    (b"", SinchAPIError),  # not JSON: the message says what came instead
    (b"null", SinchAPIError),
    (b"<html><title>Bad gateway</title></html>", SinchAPIError),
    (b'{"id": 5, "to": "not a list"}', SinchMalformedResponseError),  # JSON, not a batch: named fields
])
def test_a_body_the_fast_parse_refuses_gets_the_careful_error(body: bytes, error: type[Exception]) -> None:
    with requests_mock.Mocker() as mock, _client() as client:
        mock.get(URL, content=body, status_code=200)
        with pytest.raises(error) as raised:
            client.get_batch(BATCH_ID)
    assert type(raised.value) is error
    if error is SinchAPIError:
        assert "expected a JSON body" in str(raised.value)
    else:
        assert "to" in str(raised.value)


def test_a_failed_first_attempt_is_retried_by_the_policy_and_counted() -> None:
    with requests_mock.Mocker() as mock, _client() as client:
        mock.get(URL, [{"status_code": 503, "json": {}}, {"status_code": 503, "json": {}},
                       {"status_code": 200, "json": BATCH}])
        assert client.get_batch(BATCH_ID).id == BATCH_ID
        assert mock.call_count == 3
        mock.get(URL, status_code=503, json={})
        with pytest.raises(SinchServerError):
            client.get_batch(BATCH_ID)
        assert mock.call_count == 3 + 3  # max_attempts counts the first attempt, made outside tenacity


def test_a_failure_the_policy_does_not_retry_is_raised_after_one_attempt() -> None:
    with requests_mock.Mocker() as mock, _client() as client:
        mock.get(URL, status_code=400, json={"code": "syntax_invalid_json", "text": "bad"})
        with pytest.raises(SinchAPIError):
            client.get_batch(BATCH_ID)
        assert mock.call_count == 1
