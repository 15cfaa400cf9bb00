"""A configuration that cannot work is refused when it is built, naming the setting (issue 11).

On main, ``SinchConfig(timeout=0)`` failed at the first request with a raw requests/anyio error, an empty
or ``None`` token was sent as ``Authorization: Bearer None``, and a host ``ftp://...`` was retried four
times as if the network had failed before "No connection adapters".
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import requests
import requests_mock

from airflow_provider_sinch.client import (
    AsyncSinchClient,
    ProjectAuth,
    RetryPolicy,
    ServicePlanAuth,
    SinchClient,
    SinchConfig,
    SinchConfigurationError,
    SinchValidationError,
)
from airflow_provider_sinch.client.retry import is_retryable
from tests.client.refusals import refused
from tests.fakes import TOKEN
from tests.mock_aiohttp import mock_session

PLAN = "plan-1"


def config(**overrides: Any) -> SinchConfig:
    values: dict[str, Any] = {"auth": ServicePlanAuth(PLAN, TOKEN)}
    values.update(overrides)
    return SinchConfig(**values)


TIMEOUT_RULE = ("above 0", "at most 3600", "(connect, read) pair")


@pytest.mark.parametrize(
    "timeout",
    [0, -1, [-1, 5], (5, -1), (5, 0), "nan", "5", float("nan"), float("inf"), -float("inf"), True, (1,),
     (1, 2, 3), None, 10**400, 3601, (1, float("nan"))],
    ids=repr,
)
def test_a_timeout_that_cannot_work_is_refused(timeout: Any) -> None:
    refused(lambda: config(timeout=timeout), "timeout", *TIMEOUT_RULE, error=SinchConfigurationError)


@pytest.mark.parametrize(("timeout", "pair"), [(5, (5.0, 5.0)), (2.5, (2.5, 2.5)), ((1, 30), (1.0, 30.0)),
                                                ([1, 30], (1.0, 30.0)), (3600, (3600.0, 3600.0))])
def test_a_good_timeout_is_kept(timeout: Any, pair: tuple[float, float]) -> None:
    assert config(timeout=timeout).timeouts == pair


@pytest.mark.parametrize("token", ["", None, "   ", "tok\nen", 123])
def test_a_missing_token_is_refused_not_sent_as_bearer_none(token: Any) -> None:
    refused(lambda: SinchClient(config(auth=ServicePlanAuth(PLAN, token))), "auth.api_token",
            error=SinchConfigurationError)


@pytest.mark.parametrize(
    ("auth", "field", "words"),
    [
        (ProjectAuth("proj-1", "", "s3cr3t-value"), "auth.key_id", ("must not be empty",)),
        (ProjectAuth("proj-1", "key:1", "s3cr3t-value"), "auth.key_id", ("must not contain ':'",)),
        (ProjectAuth("proj-1", "key", None), "auth.key_secret", ("must not be empty",)),  # type: ignore[arg-type]
        (ProjectAuth("proj-1", "key", "s", auth_url="ftp://auth"), "auth.auth_url", ("http(s)",)),
        (ProjectAuth("proj-1", "key", "s", auth_url="/oauth2/token"), "auth.auth_url", ("http(s)",)),
        (ServicePlanAuth("..", TOKEN), "auth.service_plan_id", ("'..'",)),
        (ServicePlanAuth("a/b", TOKEN), "auth.service_plan_id", ("'/'",)),
        (ServicePlanAuth("", TOKEN), "auth.service_plan_id", ("must not be empty",)),
        (ProjectAuth("pro ject", "key", "s"), "auth.project_id", ("whitespace",)),
        ("token", "auth", ("ServicePlanAuth or a ProjectAuth",)),
    ],
)
def test_bad_credentials_are_refused_by_field(auth: Any, field: str, words: tuple[str, ...]) -> None:
    exc = refused(lambda: config(auth=auth), field, *words, error=SinchConfigurationError)
    assert "s3cr3t" not in str(exc)


@pytest.mark.parametrize(
    ("base_url", "words"),
    [
        ("ftp://sandbox.example", ("http(s)",)),
        ("not a url", ("http(s)", "without spaces")),
        ("http://", ("http(s)",)),
        ("sandbox:8080", ("http(s)",)),
        ("/xms/v1", ("http(s)",)),
        ("http://user:pw@host.example", ("user name or password",)),
        ("https://proxy.example/?x=1", ("query string",)),
        ("http://host.example:99999", ("http(s)",)),
        ("http://host.example\n", ("control characters",)),
        ("", ("empty",)),
    ],
)
def test_a_base_url_without_http_scheme_and_host_is_refused(base_url: str, words: tuple[str, ...]) -> None:
    exc = refused(lambda: config(base_url=base_url), "base_url", *words, error=SinchConfigurationError)
    assert "pw@" not in str(exc)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8080", "https://proxy.example/sinch/", "HTTP://H"])
def test_good_base_urls_pass(base_url: str) -> None:
    assert config(base_url=base_url).api_root.endswith(f"/xms/v1/{PLAN}")


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"max_attempts": 0}, "retry.max_attempts"),
        ({"max_attempts": True}, "retry.max_attempts"),
        ({"max_attempts": "3"}, "retry.max_attempts"),
        ({"max_attempts": 1.5}, "retry.max_attempts"),
        ({"backoff_base": float("nan")}, "retry.backoff_base"),
        ({"backoff_max": -1}, "retry.backoff_max"),
        ({"retry_after_cap": float("inf")}, "retry.retry_after_cap"),
    ],
)
def test_a_retry_policy_that_cannot_work_is_refused(policy: dict[str, Any], field: str) -> None:
    refused(lambda: RetryPolicy(**policy), field, error=SinchConfigurationError)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"region": "uk"}, "region"), ({"region": 5}, "region"), ({"default_from": ""}, "default_from"),
     ({"user_agent": "x\r\nX-Evil: 1"}, "user_agent"), ({"retry": 3}, "retry")],
)
def test_other_settings_are_checked(overrides: dict[str, Any], field: str) -> None:
    refused(lambda: config(**overrides), field, error=SinchConfigurationError)


def test_every_problem_is_named_at_once() -> None:
    exc = refused(lambda: config(auth=ServicePlanAuth(PLAN, ""), timeout=0, base_url="ftp://x"), "timeout",
                  error=SinchConfigurationError)
    assert {f for f, _ in exc.errors} == {"auth.api_token", "timeout", "base_url"}
    assert str(exc).startswith("invalid Sinch configuration: ")


def test_a_configuration_error_is_a_validation_error_and_never_retried() -> None:
    with pytest.raises(SinchConfigurationError) as caught:
        config(timeout=0)
    assert isinstance(caught.value, SinchValidationError)
    assert isinstance(caught.value, ValueError)  # what hooks and older callers catch
    assert not is_retryable(caught.value, safe_to_retry=True)


def test_a_url_requests_refuses_is_a_configuration_error_sent_once() -> None:
    calls = []
    with requests_mock.Mocker() as mock:
        def refuse(request: Any, context: Any) -> str:
            calls.append(request.url)
            raise requests.exceptions.InvalidSchema("No connection adapters were found")

        mock.register_uri(requests_mock.ANY, requests_mock.ANY, text=refuse)
        client = SinchClient(config(retry=RetryPolicy(max_attempts=4, backoff_base=0.001)))
        refused(lambda: client.get_batch("b1"), "base_url", "InvalidSchema", error=SinchConfigurationError)
    assert len(calls) == 1  # not retried as if the network had failed


def test_a_url_aiohttp_refuses_is_a_configuration_error_sent_once() -> None:
    calls = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        raise httpx.UnsupportedProtocol("stands for aiohttp's NonHttpUrlClientError", request=request)

    async def run() -> None:
        client = AsyncSinchClient(config(retry=RetryPolicy(max_attempts=4, backoff_base=0.001)),
                                  http=mock_session(refuse))
        with pytest.raises(SinchConfigurationError) as caught:
            await client.get_batch("b1")
        assert "base_url" in str(caught.value)
        await client.aclose()

    asyncio.run(run())
    assert len(calls) == 1
