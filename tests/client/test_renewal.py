"""Rotated credentials: a refused request asks for the connection again and is sent once more with new ones
(both clients; the owner's re-read is a plain function here, the hook layer's is tested in tests/hooks)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

import pytest

from airflow_provider_sinch.client import (
    ProjectAuth,
    ServicePlanAuth,
    SinchAuthenticationError,
    SinchConfig,
)
from airflow_provider_sinch.client.renewal import RenewalGate, credentials_identity, newer_credentials
from tests.client.samples import BATCH, BATCH_ID
from tests.fakes import PLAN, TOKEN, Captured, Reply, make_config

NEW_TOKEN = "tok-NEW-0a1b2c3d4e5f"
AUTH_URL = "https://auth.example/oauth2/token"


class Connection:
    """The owner's re-read: the connection as it is now (``token``), and every configuration refused."""

    def __init__(self, config: SinchConfig) -> None:
        self.config = config
        self.refused: list[SinchConfig] = []

    def renew(self, refused: SinchConfig) -> SinchConfig | None:
        self.refused.append(refused)
        return self.config


def accepting(*tokens: str) -> Callable[[Captured], Reply]:
    """A Sinch that accepts only ``tokens`` (the others: 401)."""
    return lambda sent: (Reply(json=BATCH) if sent.headers["authorization"] in {f"Bearer {t}" for t in tokens}
                         else Reply.error(401))


def bearers(harness) -> list[str]:
    return [r.headers["authorization"].removeprefix("Bearer ") for r in harness.api_requests]


def test_a_refused_request_is_sent_once_more_with_the_connections_new_token(make_harness) -> None:
    connection = Connection(make_config(auth=ServicePlanAuth(PLAN, NEW_TOKEN)))
    harness = make_harness(renew=connection.renew).route(accepting(NEW_TOKEN))
    assert harness.call("get_batch", BATCH_ID).id == BATCH_ID
    assert bearers(harness) == [TOKEN, NEW_TOKEN]
    assert [c.auth.api_token for c in connection.refused] == [TOKEN]  # type: ignore[union-attr]
    assert harness.call("send_batch", to=["46701234567"], body="x").id == BATCH_ID  # adopted for good
    assert bearers(harness) == [TOKEN, NEW_TOKEN, NEW_TOKEN]
    assert len(connection.refused) == 1
    assert harness.client.config.retry == harness.config.retry  # only the credentials were adopted


def test_a_refused_send_is_sent_once_more(make_harness) -> None:
    """A 401 means Sinch refused the request: sending it again cannot send the messages twice."""
    connection = Connection(make_config(auth=ServicePlanAuth(PLAN, NEW_TOKEN)))
    harness = make_harness(renew=connection.renew).route(accepting(NEW_TOKEN))
    assert harness.call("send_batch", to=["46701234567"], body="x").id == BATCH_ID
    assert [(r.method, b) for r, b in zip(harness.api_requests, bearers(harness), strict=True)] == [
        ("POST", TOKEN), ("POST", NEW_TOKEN)]


@pytest.mark.parametrize("renewed", ["same", "none", "other plan"])
def test_the_refusal_stands_without_other_credentials_for_this_plan(make_harness, renewed: str) -> None:
    """The connection still has the refused token, cannot be read now, or points at another plan (not a
    rotation: the owner's regular re-read reaches that)."""
    latest = {"same": make_config(), "none": None,
              "other plan": make_config(auth=ServicePlanAuth("plan-2", NEW_TOKEN))}[renewed]
    connection = Connection(latest)  # type: ignore[arg-type]
    harness = make_harness(renew=connection.renew).route(accepting(NEW_TOKEN))
    with pytest.raises(SinchAuthenticationError) as info:
        harness.call("get_batch", BATCH_ID)
    assert info.value.status == 401
    assert bearers(harness) == [TOKEN]
    assert len(connection.refused) == 1


def test_new_credentials_refused_too_fail_once_without_a_loop(make_harness) -> None:
    connection = Connection(make_config(auth=ServicePlanAuth(PLAN, NEW_TOKEN)))
    harness = make_harness(renew=connection.renew).route(accepting())
    with pytest.raises(SinchAuthenticationError):
        harness.call("get_batch", BATCH_ID)
    assert bearers(harness) == [TOKEN, NEW_TOKEN]
    assert len(connection.refused) == 1


def test_without_renew_a_refusal_is_final(make_harness) -> None:
    harness = make_harness().route(accepting(NEW_TOKEN))
    with pytest.raises(SinchAuthenticationError):
        harness.call("get_batch", BATCH_ID)
    assert bearers(harness) == [TOKEN]


def _project(secret: str) -> SinchConfig:
    return make_config(auth=ProjectAuth("proj-1", "key-id", secret, auth_url=AUTH_URL), region="eu")


def test_an_access_key_whose_secret_was_rotated_gets_a_token_with_the_new_secret(make_harness) -> None:
    """Project (OAuth2) auth: the secret is rotated and the tokens issued with the old one revoked.  The
    401 makes the client ask for a new token once (refused: the old secret), then the connection's new
    secret gets one and the request goes through."""
    secret, issued, revoked = ["secret-1"], [], set()

    def sinch(sent: Captured) -> Reply:
        if sent.url == AUTH_URL:
            basic = base64.b64encode(f"key-id:{secret[0]}".encode()).decode()
            if sent.headers["authorization"] != f"Basic {basic}":
                return Reply(401, json={"error": "invalid_client"})
            issued.append(f"access-{len(issued) + 1}")
            return Reply(json={"access_token": issued[-1], "expires_in": 3600})
        token = sent.headers["authorization"].removeprefix("Bearer ")
        return Reply.error(401) if token in revoked else Reply(json=BATCH)

    connection = Connection(_project("secret-1"))
    harness = make_harness(config=_project("secret-1"), renew=connection.renew).route(sinch)
    harness.call("get_batch", BATCH_ID)
    secret[0], connection.config = "secret-2", _project("secret-2")
    revoked.update(issued)
    assert harness.call("get_batch", BATCH_ID).id == BATCH_ID
    kinds = ["token" if r.url == AUTH_URL else r.headers["authorization"][7:] for r in harness.requests]
    assert kinds == ["token", "access-1", "access-1", "token", "token", "access-2"]
    assert len(connection.refused) == 1
    assert issued == ["access-1", "access-2"]


def test_tokens_never_appear_in_logs_or_errors(make_harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    connection = Connection(make_config(auth=ServicePlanAuth(PLAN, NEW_TOKEN)))
    harness = make_harness(renew=connection.renew).route(accepting(NEW_TOKEN))
    harness.call("get_batch", BATCH_ID)
    harness.route(accepting())
    with pytest.raises(SinchAuthenticationError) as info:
        harness.call("get_batch", BATCH_ID)
    assert "sent once more" in caplog.text  # the renewal was logged, without what it sent
    for secret in (TOKEN, NEW_TOKEN):
        assert secret not in caplog.text
        assert secret not in f"{info.value} {info.value!r}"


def test_credentials_are_told_apart_by_every_secret_field() -> None:
    plan = make_config()
    assert newer_credentials(plan, make_config()) is None
    assert newer_credentials(plan, None) is None
    rotated = make_config(auth=ServicePlanAuth(PLAN, NEW_TOKEN))
    assert newer_credentials(plan, rotated) is rotated
    assert credentials_identity(_project("a").auth) != credentials_identity(_project("b").auth)
    assert credentials_identity(_project("a").auth) == credentials_identity(_project("a").auth)


def test_the_gate_allows_one_re_read_per_connection_and_interval() -> None:
    now = [0.0]
    gate = RenewalGate(interval=10.0, clock=lambda: now[0])
    assert [gate.allow("a") for _ in range(100)].count(True) == 1  # a flood of 401s: one re-read
    assert gate.allow("b")  # another connection has its own budget
    now[0] = 9.9
    assert not gate.allow("a")
    now[0] = 10.0
    assert gate.allow("a")
