"""The ``sinch_sandbox`` pytest plugin as a user meets it: its fixtures only, none of this package's."""

from __future__ import annotations

import json

import httpx
import pytest

pytest_plugins = ["pytester"]


def test_the_fixture_serves_a_fresh_sandbox(sinch_sandbox) -> None:
    assert sinch_sandbox.url.startswith("http://127.0.0.1:")
    assert sinch_sandbox.batches() == []
    conn = json.loads(sinch_sandbox.conn_uri)
    assert conn == {"conn_type": "sinch", "login": sinch_sandbox.settings.service_plan_id,
                    "password": sinch_sandbox.settings.api_token, "host": sinch_sandbox.url}
    health = httpx.get(f"{sinch_sandbox.url}/_sandbox/health", trust_env=False)
    assert health.json() == {"status": "ok"}


def test_state_does_not_leak_between_tests_part_one(sinch_sandbox) -> None:
    sinch_sandbox.inject_inbound("+46701234567", "+46700000000", "left behind?")
    sinch_sandbox.add_fault(kind="rate_limit")
    assert len(sinch_sandbox.inbounds()) == 1


def test_state_does_not_leak_between_tests_part_two(sinch_sandbox) -> None:
    assert sinch_sandbox.inbounds() == []
    assert sinch_sandbox.fault_plan.faults == []


def test_the_hook_sends_through_the_connection_fixture(sinch_sandbox, sinch_sandbox_connection) -> None:
    from airflow_provider_sinch.hooks.sinch import SinchHook

    hook = SinchHook(sinch_conn_id=sinch_sandbox_connection)
    batch = hook.send_batch(to=["+46701234567"], from_="+46700000000", body="From a DAG test")
    sinch_sandbox.wait_for(lambda: sinch_sandbox.statuses(batch.id) == {"46701234567": "Delivered"},
                           timeout=3)
    assert hook.get_delivery_report(batch.id, type="full").counts() == {"Delivered": 1}
    assert [b["id"] for b in sinch_sandbox.batches()] == [batch.id]


def test_the_hook_with_project_auth(sinch_sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_sinch.hooks.sinch import SinchHook

    monkeypatch.setenv("AIRFLOW_CONN_SINCH_OAUTH", sinch_sandbox.project_conn_uri)
    batch = SinchHook(sinch_conn_id="sinch_oauth").send_batch(to=["+46701234567"], from_="Acme", body="Hi")
    assert sinch_sandbox.batch(batch.id)["from"] == "Acme"
    assert sinch_sandbox.authenticator.issued == 1


def test_the_factory_makes_sandboxes_with_their_own_settings(sinch_sandbox_factory, sinch_sandbox) -> None:
    other = sinch_sandbox_factory(service_plan_id="plan-b", api_token="token-b", time_scale=0)
    assert other.url != sinch_sandbox.url
    response = httpx.get(f"{other.url}/xms/v1/plan-b/batches", headers={"Authorization": "Bearer token-b"},
                         trust_env=False)
    assert response.json()["count"] == 0


USER_TEST = """
    import httpx

    def test_send(sinch_sandbox):
        sinch_sandbox.add_outcome("4567", "Failed")
        response = httpx.post(
            f"{sinch_sandbox.url}/xms/v1/{sinch_sandbox.settings.service_plan_id}/batches",
            headers={"Authorization": f"Bearer {sinch_sandbox.settings.api_token}"},
            json={"to": ["+46701234567"], "from": "Acme", "body": "hi"}, trust_env=False)
        assert response.status_code == 201
        batch_id = response.json()["id"]
        sinch_sandbox.wait_for(lambda: sinch_sandbox.statuses(batch_id) == {"46701234567": "Failed"})
"""
PLUGIN = "airflow_provider_sinch.testing.pytest_plugin"


def test_installing_the_provider_loads_no_plugin(pytester: pytest.Pytester) -> None:
    """A fresh pytest run where the provider is installed, asked for nothing: no sandbox plugin, no
    sandbox fixture, no sandbox ini option (the provider registers no ``pytest11`` entry point)."""
    import importlib.metadata

    dist = importlib.metadata.distribution("airflow-provider-sinch")
    assert [ep.name for ep in dist.entry_points if ep.group == "pytest11"] == []
    pytester.makepyfile(test_user=USER_TEST)
    traced = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--trace-config", "-q")
    traced.assert_outcomes(errors=1)
    traced.stdout.fnmatch_lines(["*fixture 'sinch_sandbox' not found*"])
    assert PLUGIN not in traced.stdout.str()  # --trace-config lists every registered plugin module
    fixtures = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fixtures")
    assert "sinch_sandbox" not in fixtures.stdout.str()
    assert "tmp_path" in fixtures.stdout.str()  # the listing itself worked


def test_conftest_opts_in_with_pytest_plugins(pytester: pytest.Pytester) -> None:
    """The documented opt-in: ``pytest_plugins`` in the suite's top-level ``conftest.py``."""
    pytester.makeconftest(f"pytest_plugins = [{PLUGIN!r}]")
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_a_run_opts_in_with_dash_p(pytester: pytest.Pytester) -> None:
    """The other opt-in: ``pytest -p airflow_provider_sinch.testing.pytest_plugin`` for one run."""
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", PLUGIN, "--trace-config", "-q")
    result.assert_outcomes(passed=1)
    assert PLUGIN in result.stdout.str()  # what the run without -p must not show
