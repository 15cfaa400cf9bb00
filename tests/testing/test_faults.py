"""Fault injection: rate limits, refusals, 5xx, latency and accept-then-drop, switched at run time."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import requests

from airflow_provider_sinch.client import (
    AsyncSinchClient,
    RetryPolicy,
    ServicePlanAuth,
    SinchAmbiguousSendError,
    SinchClient,
    SinchConfig,
)
from airflow_provider_sinch.testing.sandbox import Sandbox, SandboxClock
from tests.testing.conftest import NUMBER, SENDER, api_client, send, sinch_client

BODY = {"to": [NUMBER], "from": SENDER, "body": "Hello"}


def test_rate_limit_with_retry_after(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.add_fault(kind="rate_limit", times=2, retry_after=0)
    first, second = api.post("/batches", json=BODY), api.post("/batches", json=BODY)
    for limited in (first, second):
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "0")
    assert api.post("/batches", json=BODY).status_code == 201  # the fault is spent
    assert len(sandbox.batches()) == 1  # a 429 means the request was not handled
    assert [seen.fault for seen in sandbox.requests] == ["rate_limit", "rate_limit", None]


def test_a_fault_after_the_first_matching_requests(api: httpx.Client, sandbox: Sandbox) -> None:
    """``after=1``: the first send goes through, the second fails (a send broken part-way)."""
    sandbox.add_fault(kind="server_error", method="POST", path="^/batches$", after=1, times=1)
    assert api.get("/batches").status_code == 200  # not a match: does not count
    statuses = [api.post("/batches", json=BODY).status_code for _ in range(3)]
    assert statuses == [201, 503, 201]
    assert [seen.fault for seen in sandbox.requests if seen.method == "POST"] == [None, "server_error", None]
    assert sandbox.fault_plan.faults == []  # spent


def test_a_refusal_answers_4xx_without_handling_the_request(api: httpx.Client, sandbox: Sandbox) -> None:
    """``refuse``: Sinch turning a request down (400 and a Sinch error body); nothing is created."""
    sandbox.add_fault(kind="refuse", status=400, method="POST", path="^/batches$", times=1)
    refused = api.post("/batches", json=BODY)
    assert refused.status_code == 400
    assert refused.json()["code"] == "syntax_invalid_parameter_format"
    assert sandbox.batches() == []
    assert api.post("/batches", json=BODY).status_code == 201  # spent
    assert [seen.fault for seen in sandbox.requests] == ["refuse", None]


@pytest.mark.parametrize(("kind", "status"), [("refuse", 503), ("refuse", 429), ("server_error", 400)])
def test_a_fault_status_fits_its_kind(sandbox: Sandbox, kind: str, status: int) -> None:
    with pytest.raises(ValueError, match="needs a"):
        sandbox.add_fault(kind=kind, status=status)


def test_rate_limit_without_retry_after_and_the_client_retries(sandbox: Sandbox, client: SinchClient) -> None:
    sandbox.add_fault(kind="rate_limit", times=2, method="POST")
    batch = client.send_batch(to=[NUMBER], from_=SENDER, body="Hello", client_reference="once")
    assert [(seen.status, "retry-after" in seen.response_headers) for seen in sandbox.requests] == [
        (429, False), (429, False), (201, False)]
    assert [b["id"] for b in sandbox.batches()] == [batch.id]  # resending after a 429 cannot duplicate


def test_a_share_of_server_errors(make_sandbox) -> None:
    sandbox = make_sandbox(time_scale=0, seed=3)
    sandbox.add_fault(kind="server_error", probability=0.5, status=502, method="GET")
    with api_client(sandbox) as api:
        batch = send(api)
        statuses = [api.get(f"/batches/{batch['id']}").status_code for _ in range(60)]
        assert api.post("/batches", json=BODY).status_code == 201  # POST is not affected by this fault
    assert set(statuses) == {200, 502}
    assert 15 <= statuses.count(502) <= 45
    patient = RetryPolicy(max_attempts=8, backoff_base=0.001, backoff_max=0.002)
    with sinch_client(sandbox, retry=patient) as sinch:
        assert sinch.get_batch(batch["id"]).id == batch["id"]  # reads are retried through the errors


def test_a_server_error_on_send_is_ambiguous_for_the_client(sandbox: Sandbox, client: SinchClient) -> None:
    sandbox.add_fault(kind="server_error", times=1, status=503, path="^/batches$")
    with pytest.raises(SinchAmbiguousSendError):
        client.send_batch(to=[NUMBER], from_=SENDER, body="Hello", client_reference="ref-503")
    assert sandbox.batches() == []  # this 5xx came before handling; the client cannot know that


def test_added_latency_only_where_asked(make_sandbox: Callable[..., Sandbox]) -> None:
    """A latency fault makes the sandbox wait before it answers the requests it matches, and no others
    (the waits are recorded by the clock's ``sleep`` instead of being timed)."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    sandbox = make_sandbox(clock=SandboxClock(sleep=sleep))
    sandbox.add_fault(kind="latency", seconds=0.3, method="GET", path="^/batches$")
    with api_client(sandbox) as api:
        assert api.get("/batches").status_code == 200
        assert waits == [0.3]
        assert api.get("/groups").status_code == 200
        assert api.post("/batches", json=BODY).status_code == 201  # another method: not matched
        assert waits == [0.3]
        sandbox.clear_faults()
        assert api.get("/batches").status_code == 200
    assert waits == [0.3]
    assert [seen.fault for seen in sandbox.requests] == ["latency", None, None, None]


def test_accept_then_drop_closes_the_connection_after_creating_the_batch(sandbox: Sandbox) -> None:
    sandbox.add_fault(kind="drop", times=2, method="POST", path="^/batches$")
    url = f"{sandbox.url}/xms/v1/{sandbox.settings.service_plan_id}/batches"
    headers = {"Authorization": f"Bearer {sandbox.settings.api_token}"}

    with pytest.raises(requests.ConnectionError):
        requests.post(url, json={**BODY, "client_reference": "via-requests"}, headers=headers, timeout=5)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(url, json={**BODY, "client_reference": "via-httpx"}, headers=headers, trust_env=False)

    assert sorted(b["client_reference"] for b in sandbox.batches()) == ["via-httpx", "via-requests"]
    dropped = [seen for seen in sandbox.requests if seen.fault == "drop"]
    assert [(seen.status, seen.response["client_reference"]) for seen in dropped] == [
        (None, "via-requests"), (None, "via-httpx")]
    assert requests.post(url, json=BODY, headers=headers, timeout=5).status_code == 201  # spent


def test_accept_then_drop_makes_the_client_raise_ambiguous_send(sandbox: Sandbox,
                                                                client: SinchClient) -> None:
    sandbox.add_fault(kind="drop", times=1, method="POST", path="^/batches$")
    with pytest.raises(SinchAmbiguousSendError) as caught:
        client.send_batch(to=[NUMBER], from_=SENDER, body="Hello", client_reference="order-42")
    assert caught.value.client_reference == "order-42"
    found = client.list_batches(client_reference="order-42")  # how a careful caller resolves it
    assert found.count == 1
    assert len(sandbox.batches()) == 1


async def test_accept_then_drop_with_the_async_client(sandbox: Sandbox) -> None:
    sandbox.add_fault(kind="drop", times=1, method="POST")
    settings = sandbox.settings
    config = SinchConfig(auth=ServicePlanAuth(settings.service_plan_id, settings.api_token),
                         base_url=sandbox.url, retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    async with AsyncSinchClient(config) as sinch:
        with pytest.raises(SinchAmbiguousSendError):
            await sinch.send_batch(to=[NUMBER], from_=SENDER, body="Hello", client_reference="async-ref")
    assert [b["client_reference"] for b in sandbox.batches()] == ["async-ref"]


def test_accept_then_hang_past_the_client_timeout(sandbox: Sandbox) -> None:
    sandbox.add_fault(kind="drop", mode="hang", seconds=1.0, times=1, method="POST")
    with api_client(sandbox) as api:
        with pytest.raises(httpx.ReadTimeout):
            api.post("/batches", json={**BODY, "client_reference": "slow"}, timeout=0.3)
        assert [b["client_reference"] for b in sandbox.batches()] == ["slow"]
    sandbox.wait_for(lambda: any(seen.fault == "drop" for seen in sandbox.requests), timeout=3)
    (hung,) = [seen for seen in sandbox.requests if seen.fault == "drop"]
    assert hung.status == 201  # sent, a second too late


def test_faults_switch_over_http(sandbox: Sandbox) -> None:
    control = f"{sandbox.url}/_sandbox/faults"
    fault = {"kind": "rate_limit", "retry_after": 2, "method": "GET"}
    added = httpx.post(control, json=fault, trust_env=False)
    assert added.status_code == 200
    assert added.json()[0]["kind"] == "rate_limit"
    with api_client(sandbox) as api:
        limited = api.get("/groups")
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
        assert httpx.delete(control, trust_env=False).json() == []
        assert api.get("/groups").status_code == 200
    bad = httpx.post(control, json={"kind": "latency"}, trust_env=False)
    assert bad.status_code == 422  # latency needs seconds


def test_faults_apply_before_authentication(sandbox: Sandbox) -> None:
    sandbox.add_fault(kind="rate_limit")
    with api_client(sandbox, token="wrong") as api:
        assert api.get("/batches").status_code == 429
    sandbox.clear_faults()
    with api_client(sandbox, token="wrong") as api:
        assert api.get("/batches").status_code == 401


def test_a_refusal_without_a_status_is_a_400(sandbox: Sandbox) -> None:
    """The 503 default belongs to ``server_error``; a ``refuse`` with no status is Sinch's usual 400."""
    assert sandbox.add_fault(kind="refuse").status == 400
