"""Both auth methods, regions and hosts; the OAuth2 project token is fetched once, cached and renewed."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from urllib.parse import parse_qs

import pytest

from airflow_provider_sinch import __version__
from airflow_provider_sinch.client import (
    REGIONS,
    ProjectAuth,
    RetryPolicy,
    ServicePlanAuth,
    SinchAuthenticationError,
    SinchConfig,
    region_base_url,
)
from airflow_provider_sinch.client import auth as auth_module
from tests.client.clients import Harness
from tests.client.samples import BATCH, BATCH_ID
from tests.fakes import TOKEN, Captured, Reply, make_config

AUTH_URL = "https://auth.example/oauth2/token"


class Clock:
    """``time.monotonic`` plus an offset the test moves forward (still monotonic for the event loop)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._real = time.monotonic

    def __call__(self) -> float:
        return self._real() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(auth_module.time, "monotonic", fake)
    return fake


class FakeSinch:
    """Issues tokens ``access-1``, ``access-2``, ... and answers the API with ``api_reply``."""

    def __init__(self, expires_in: object = 3600, token_reply: Reply | None = None) -> None:
        self.expires_in = expires_in
        self.token_reply = token_reply
        self.issued = 0
        self.api_reply: Callable[[Captured], Reply] = lambda sent: Reply(json=BATCH)

    def __call__(self, sent: Captured) -> Reply:
        if sent.url == AUTH_URL:
            if self.token_reply is not None:
                reply, self.token_reply = self.token_reply, None
                return reply
            self.issued += 1
            return Reply(
                json={
                    "access_token": f"access-{self.issued}",
                    "token_type": "bearer",
                    "expires_in": self.expires_in,
                }
            )
        return self.api_reply(sent)


def project_harness(make_harness: Callable[..., Harness], fake: FakeSinch, region: str = "eu") -> Harness:
    config = make_config(auth=ProjectAuth("proj-1", "key-id", "key-secret", auth_url=AUTH_URL), region=region)
    return make_harness(config=config).route(fake)


def bearers(harness: Harness) -> list[str]:
    return [r.headers["authorization"] for r in harness.api_requests]


def test_service_plan_token_is_the_bearer_and_hidden_from_repr(harness: Harness) -> None:
    harness.reply(Reply(json=BATCH))
    harness.call("get_batch", BATCH_ID)
    assert bearers(harness) == [f"Bearer {TOKEN}"]
    auth = ServicePlanAuth("plan-1", "secret-token")
    assert auth.path_id == "plan-1"
    assert "secret-token" not in repr(auth)


def test_project_token_is_fetched_once_and_reused(make_harness, clock: Clock) -> None:
    fake = FakeSinch()
    harness = project_harness(make_harness, fake)
    for _ in range(3):
        harness.call("get_batch", BATCH_ID)
    assert fake.issued == 1
    assert bearers(harness) == ["Bearer access-1"] * 3
    assert harness.api_requests[0].url.startswith("https://zt.eu.sms.api.sinch.com/xms/v1/proj-1/")


def test_token_request_is_oauth2_client_credentials(make_harness, clock: Clock) -> None:
    harness = project_harness(make_harness, FakeSinch())
    harness.call("get_batch", BATCH_ID)
    token_request = harness.requests[0]
    assert (token_request.method, token_request.url) == ("POST", AUTH_URL)
    assert (
        token_request.headers["authorization"] == "Basic " + base64.b64encode(b"key-id:key-secret").decode()
    )
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.content.decode()) == {"grant_type": ["client_credentials"]}
    assert token_request.headers["user-agent"] == f"airflow-provider-sinch/{__version__}"
    assert token_request.timeout == (10.0, 30.0)


def test_token_is_renewed_a_minute_before_it_expires(make_harness, clock: Clock) -> None:
    fake = FakeSinch(expires_in=3600)
    harness = project_harness(make_harness, fake)
    harness.call("get_batch", BATCH_ID)
    clock.advance(3530)
    harness.call("get_batch", BATCH_ID)
    clock.advance(20)  # 3550 s: inside the last minute
    harness.call("get_batch", BATCH_ID)
    assert bearers(harness) == ["Bearer access-1", "Bearer access-1", "Bearer access-2"]


@pytest.mark.parametrize(("expires_in", "cached_for"), [(30, 25), ("bogus", 3000), (None, 3000)])
def test_short_lived_or_odd_lifetimes_are_still_cached(
    make_harness, clock: Clock, expires_in: object, cached_for: float
) -> None:
    fake = FakeSinch(expires_in=expires_in)
    harness = project_harness(make_harness, fake)
    harness.call("get_batch", BATCH_ID)
    clock.advance(cached_for)
    harness.call("get_batch", BATCH_ID)
    assert fake.issued == 1


def test_a_401_renews_the_token_once_and_resends_even_a_send(make_harness, clock: Clock) -> None:
    """A token revoked before its expiry: Sinch refused the request, so one resend with a new token is
    safe even for a POST /batches."""
    fake = FakeSinch()
    harness = project_harness(make_harness, fake)
    fake.api_reply = lambda sent: (
        Reply(401) if sent.headers["authorization"] == "Bearer access-1" else Reply(json=BATCH)
    )
    assert harness.call("send_batch", to=["46701234567"], body="x").id == BATCH_ID
    assert bearers(harness) == ["Bearer access-1", "Bearer access-2"]
    assert harness.call("get_batch", BATCH_ID).id == BATCH_ID  # the new token is cached
    assert bearers(harness)[-1] == "Bearer access-2"
    assert fake.issued == 2


def test_the_token_renewal_resend_happens_even_with_retries_off(make_harness, clock: Clock) -> None:
    """``extra.retries = 0`` turns retries off, not the recovery from a revoked token."""
    fake = FakeSinch()
    config = make_config(auth=ProjectAuth("proj-1", "key-id", "key-secret", auth_url=AUTH_URL), region="eu",
                         retry=RetryPolicy(max_attempts=1))
    harness = make_harness(config=config).route(fake)
    fake.api_reply = lambda sent: (
        Reply(401) if sent.headers["authorization"] == "Bearer access-1" else Reply(json=BATCH)
    )
    assert harness.call("send_batch", to=["46701234567"], body="x").id == BATCH_ID
    assert bearers(harness) == ["Bearer access-1", "Bearer access-2"]
    fake.api_reply = lambda sent: Reply(401)
    with pytest.raises(SinchAuthenticationError):
        harness.call("get_batch", BATCH_ID)
    assert len(bearers(harness)) == 4  # one renewal per request, never more


def test_a_second_401_is_final_and_the_next_call_starts_afresh(make_harness, clock: Clock) -> None:
    """A key without SMS access: two tries (two tokens), then the error; no retry storm."""
    fake = FakeSinch()
    harness = project_harness(make_harness, fake)
    fake.api_reply = lambda sent: Reply(401, json={"code": "unauthorized", "text": "no access"})
    with pytest.raises(SinchAuthenticationError, match="no access"):
        harness.call("send_batch", to=["46701234567"], body="x")
    assert bearers(harness) == ["Bearer access-1", "Bearer access-2"]
    with pytest.raises(SinchAuthenticationError):
        harness.call("get_batch", BATCH_ID)
    assert bearers(harness)[2:] == ["Bearer access-3", "Bearer access-4"]


def test_a_service_plan_401_is_final_at_once(harness: Harness) -> None:
    harness.reply(Reply(401))
    with pytest.raises(SinchAuthenticationError, match="service plan id"):
        harness.call("get_batch", BATCH_ID)
    assert len(harness.api_requests) == 1


@pytest.mark.parametrize(
    "token_reply",
    [
        Reply(401, json={"error": "invalid_client"}),
        Reply(200, json={"no": "token"}),
        Reply(200, content=b"<html>"),
    ],
)
def test_a_refused_key_is_an_authentication_error_and_nothing_is_sent(
    make_harness, clock: Clock, token_reply: Reply
) -> None:
    harness = project_harness(make_harness, FakeSinch(token_reply=token_reply))
    with pytest.raises(SinchAuthenticationError, match="project id, key id and key secret"):
        harness.call("send_batch", to=["46701234567"], body="x")
    assert harness.api_requests == []


@pytest.mark.parametrize(
    "token_reply", [Reply(503), Reply(429), Reply(fail="refused"), Reply(fail="read_timeout")]
)
def test_a_token_service_hiccup_is_retried_even_for_a_send(
    make_harness, clock: Clock, token_reply: Reply
) -> None:
    """Nothing reached the SMS API, so resending cannot duplicate the batch."""
    fake = FakeSinch(token_reply=token_reply)
    harness = project_harness(make_harness, fake)
    assert harness.call("send_batch", to=["46701234567"], body="x").id == BATCH_ID
    assert len(harness.api_requests) == 1
    assert fake.issued == 1


@pytest.mark.parametrize("region", ["us", "eu"])
def test_project_auth_uses_zt_hosts(region: str) -> None:
    config = SinchConfig(auth=ProjectAuth("proj-1", "k", "s"), region=region)
    assert config.api_root == f"https://zt.{region}.sms.api.sinch.com/xms/v1/proj-1"
    assert region_base_url(region, project_auth=True) == f"https://zt.{region}.sms.api.sinch.com"


@pytest.mark.parametrize("region", ["au", "br", "ca", "xx"])
def test_project_auth_is_refused_in_other_regions(region: str) -> None:
    with pytest.raises(ValueError, match="region must be one of us, eu for project"):
        SinchConfig(auth=ProjectAuth("proj-1", "k", "s"), region=region)
    with pytest.raises(ValueError, match="region must be one of us, eu"):  # even behind a base URL override
        SinchConfig(auth=ProjectAuth("proj-1", "k", "s"), region=region, base_url="http://127.0.0.1:1")


@pytest.mark.parametrize("region", REGIONS)
def test_service_plan_regions(region: str) -> None:
    config = SinchConfig(auth=ServicePlanAuth("plan-1", "t"), region=region.upper())
    assert config.api_root == f"https://{region}.sms.api.sinch.com/xms/v1/plan-1"


def test_config_checks_and_overrides() -> None:
    auth = ServicePlanAuth("plan-1", "t")
    assert REGIONS == ("us", "eu", "au", "br", "ca")
    assert SinchConfig(auth=auth).api_root == "https://us.sms.api.sinch.com/xms/v1/plan-1"
    assert (
        SinchConfig(auth=auth, base_url="http://sandbox:8080/").api_root
        == "http://sandbox:8080/xms/v1/plan-1"
    )
    assert SinchConfig(auth=auth, timeout=7).timeouts == (7.0, 7.0)
    assert SinchConfig(auth=auth, timeout=(2, 9)).timeouts == (2.0, 9.0)
    with pytest.raises(ValueError, match="region must be one of us, eu, au, br, ca"):
        SinchConfig(auth=auth, region="uk")
    with pytest.raises(ValueError, match="region must be one of"):
        SinchConfig(auth=auth, region="uk", base_url="http://sandbox:8080")
    with pytest.raises(ValueError, match="must not be empty"):
        SinchConfig(auth=ServicePlanAuth("", "t"))


def test_whether_a_token_is_due_is_decided_once_for_both_clients() -> None:
    """``bearer_or_request``: the API token, a cached OAuth2 token, or the request that gets one (whose
    ``accept`` caches the answer, and whose ``unreachable`` error names the library's exception only)."""
    assert ServicePlanAuth("plan-1", TOKEN).bearer_or_request() == TOKEN
    project = ProjectAuth("proj-1", "key-id", "key-secret", auth_url=AUTH_URL)
    req = project.bearer_or_request()
    assert not isinstance(req, str)
    assert "key-secret" not in repr(req)
    assert req.accept(200, b'{"access_token": "t-1", "expires_in": 3600}') == "t-1"
    assert project.bearer_or_request() == "t-1"
    error = req.unreachable(ConnectionError("key-secret in a message"))
    assert (str(error).count("ConnectionError"), "key-secret" in str(error)) == (1, False)
