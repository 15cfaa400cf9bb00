"""Rotating the sandbox's credentials the way an account owner does: the new ones go into the Airflow
connection (``AIRFLOW_CONN_SINCH_DEFAULT``) and the old ones are revoked, so they answer 401 at once."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_sinch.client.renewal import RenewalGate
from airflow_provider_sinch.hooks import sinch as hook_module

NEW_TOKEN = "token-rotated-7e6d5c"


def rotate(sandbox: Any, monkeypatch: pytest.MonkeyPatch, *, connection: bool = True,
           project: bool = False) -> None:
    """Give the sandbox new credentials and revoke the old ones; ``connection``: put the new ones into
    ``sinch_default`` too (else it keeps the revoked ones); ``project``: the access key's secret (OAuth2)
    instead of the plan's API token."""
    if project:  # both at once: nothing runs between the two lines (the test does not yield)
        sandbox.rotate_key_secret("secret-rotated-4b3a")
        if connection:
            monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", sandbox.project_conn_uri)
        return
    old = sandbox.rotate_token(NEW_TOKEN, keep_old=True)  # an owner's order: new token, connection, revoke
    if connection:
        monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", sandbox.conn_uri)
    sandbox.revoke_token(old)


def refusals(sandbox: Any) -> int:
    """How many API requests the sandbox answered 401 (its log does not hold OAuth2 token requests)."""
    return sum(1 for seen in sandbox.requests if seen.status == 401)


@pytest.fixture(autouse=True)
def fresh_renewals(monkeypatch: pytest.MonkeyPatch) -> RenewalGate:
    """The worker-wide gate on forced re-reads, empty for this test (another test may have used it)."""
    gate = RenewalGate()
    monkeypatch.setattr(hook_module, "RENEWALS", gate)
    return gate
