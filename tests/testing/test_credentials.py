"""Rotating and revoking credentials in the sandbox: what a rotation test needs (the old token refused)."""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_sinch.testing.sandbox import Sandbox
from tests.testing.conftest import api_client


def _status(sandbox: Sandbox, token: str, path_id: str | None = None) -> int:
    with api_client(sandbox, token=token, path_id=path_id) as api:
        return api.get("/batches").status_code


def _oauth_token(sandbox: Sandbox) -> str:
    settings = sandbox.settings
    answer = httpx.post(f"{sandbox.url}/oauth2/token", data={"grant_type": "client_credentials"},
                        auth=(settings.key_id, settings.key_secret), trust_env=False)
    return str(answer.json()["access_token"])


def test_a_rotated_api_token_refuses_the_old_one_at_once(sandbox: Sandbox) -> None:
    old = sandbox.rotate_token("token-2")
    assert (_status(sandbox, old), _status(sandbox, "token-2")) == (401, 200)
    assert '"password": "token-2"' in sandbox.conn_uri


def test_a_kept_token_works_until_it_is_revoked(sandbox: Sandbox) -> None:
    old = sandbox.rotate_token("token-2", keep_old=True)
    assert (_status(sandbox, old), _status(sandbox, "token-2")) == (200, 200)
    sandbox.revoke_token(old)
    assert (_status(sandbox, old), _status(sandbox, "token-2")) == (401, 200)
    with pytest.raises(ValueError, match="rotate_token"):
        sandbox.revoke_token("token-2")


def test_a_rotated_key_secret_revokes_the_oauth2_tokens_issued_before(sandbox: Sandbox) -> None:
    project = sandbox.settings.project_id
    before, other = _oauth_token(sandbox), _oauth_token(sandbox)
    sandbox.revoke_token(other)
    assert (_status(sandbox, before, project), _status(sandbox, other, project)) == (200, 401)
    sandbox.rotate_key_secret("secret-2")
    assert _status(sandbox, before, project) == 401
    assert _status(sandbox, _oauth_token(sandbox), project) == 200  # issued with the new secret


def test_control_routes_rotate_and_revoke(sandbox: Sandbox) -> None:
    control = f"{sandbox.url}/_sandbox/credentials"
    rotation = {"api_token": "token-2", "keep_old": True}
    assert httpx.post(f"{control}/rotate", json=rotation, trust_env=False).status_code == 200
    assert _status(sandbox, "sandbox-token") == 200
    revoked = httpx.post(f"{control}/revoke", json={"token": "sandbox-token"}, trust_env=False)
    assert revoked.status_code == 200
    assert _status(sandbox, "sandbox-token") == 401
    refused = httpx.post(f"{control}/revoke", json={"token": "token-2"}, trust_env=False)
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_revocation")


def test_a_reset_forgets_rotations(sandbox: Sandbox) -> None:
    sandbox.rotate_token("token-2", keep_old=True)
    sandbox.reset()
    assert (_status(sandbox, "sandbox-token"), _status(sandbox, "token-2")) == (200, 401)
