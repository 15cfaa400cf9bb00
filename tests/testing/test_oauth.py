"""OAuth2 (project auth): the token endpoint and the project paths, end to end with the provider's client."""

from __future__ import annotations

import httpx

from airflow_provider_sinch.client import ProjectAuth, RetryPolicy, SinchClient, SinchConfig
from airflow_provider_sinch.testing.sandbox import Sandbox
from tests.testing.conftest import NUMBER, SENDER, api_client, send


def _token(sandbox: Sandbox, key_id: str | None = None, secret: str | None = None,
           grant: str = "client_credentials") -> httpx.Response:
    settings = sandbox.settings
    return httpx.post(f"{sandbox.url}/oauth2/token", data={"grant_type": grant}, trust_env=False,
                      auth=(key_id or settings.key_id, secret or settings.key_secret))


def test_the_token_endpoint_issues_bearer_tokens(sandbox: Sandbox) -> None:
    response = _token(sandbox)
    assert response.status_code == 200
    token = response.json()
    assert set(token) == {"access_token", "expires_in", "scope", "token_type"}
    assert (token["token_type"], token["expires_in"]) == ("bearer", 3600)
    assert response.headers["cache-control"] == "no-store"

    wrong = _token(sandbox, secret="nope")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert _token(sandbox, key_id="someone-else").status_code == 401
    grant = _token(sandbox, grant="password")
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    assert httpx.post(f"{sandbox.url}/oauth2/token", data={"grant_type": "client_credentials"},
                      trust_env=False).status_code == 401


def test_project_paths_take_issued_tokens_only(sandbox: Sandbox) -> None:
    token = _token(sandbox).json()["access_token"]
    project = sandbox.settings.project_id
    with api_client(sandbox, token=token, path_id=project) as api:
        batch = send(api)
        assert api.get(f"/batches/{batch['id']}").status_code == 200
    with api_client(sandbox, token=token) as api:  # an OAuth2 token is not the plan's API token
        assert api.get("/batches").status_code == 401
    with api_client(sandbox, path_id=project) as api:  # nor is the plan's token valid for the project
        assert api.get("/batches").status_code == 401


def test_tokens_expire_on_the_sandbox_clock(make_sandbox) -> None:
    sandbox = make_sandbox(time_scale=0, token_ttl=60)
    token = _token(sandbox).json()["access_token"]
    with api_client(sandbox, token=token, path_id=sandbox.settings.project_id) as api:
        assert api.get("/batches").status_code == 200
        sandbox.advance(61)
        expired = api.get("/batches")
    assert expired.status_code == 401
    assert "expired" in expired.headers["www-authenticate"]


def test_the_provider_client_runs_end_to_end_with_project_auth(sandbox: Sandbox) -> None:
    settings = sandbox.settings
    auth = ProjectAuth(project_id=settings.project_id, key_id=settings.key_id, key_secret=settings.key_secret,
                       auth_url=f"{sandbox.url}/oauth2/token")
    config = SinchConfig(auth=auth, base_url=sandbox.url, retry=RetryPolicy(max_attempts=1))
    with SinchClient(config) as sinch:
        batch = sinch.send_batch(to=[NUMBER], from_=SENDER, body="Hello over OAuth2")
        sandbox.advance(60)
        report = sinch.get_delivery_report(batch.id)
        group = sinch.create_group(name="oauth", members=[NUMBER])
    assert report.counts() == {"Delivered": 1}
    assert group.size == 1
    assert sandbox.authenticator.issued == 1  # one token, cached for every call
    assert all(seen.path.startswith(f"/xms/v1/{settings.project_id}/") for seen in sandbox.requests)
