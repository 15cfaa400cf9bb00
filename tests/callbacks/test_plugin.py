"""The plugin: cheap to import, listed by Airflow with its default configuration, and serving the receiver
from Airflow's own API server app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_sinch.client.webhooks import signed_headers

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def test_importing_the_plugin_loads_neither_fastapi_nor_the_receiver() -> None:
    code = ("import sys; import airflow_provider_sinch.callbacks.plugin as p; "
            "print(sorted(m for m in ('fastapi', 'airflow_provider_sinch.callbacks.app', "
            "'airflow_provider_sinch.callbacks.recorder') if m in sys.modules)); "
            "print(p.SinchCallbacksPlugin.fastapi_apps[0]['url_prefix'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split("\n")[:2] == ["[]", "/sinch"]


async def test_the_lazy_app_builds_the_receiver_once() -> None:
    from airflow_provider_sinch.callbacks.plugin import LazyReceiverApp

    built: list[int] = []
    calls: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["path"])

    def factory() -> Any:
        built.append(1)
        return inner

    app = LazyReceiverApp(factory)
    for path in ("/a", "/b"):
        await app({"type": "http", "path": path}, None, None)  # type: ignore[arg-type]
    assert (built, calls) == ([1], ["/a", "/b"])


def test_airflow_lists_the_plugin_with_its_default_configuration(tmp_path: Path) -> None:
    """An ``airflow.plugins`` entry point: provider-info plugins load only with
    ``[core] lazy_discover_providers = False`` in Airflow 3.3."""
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    env.pop("AIRFLOW__CORE__LAZY_DISCOVER_PROVIDERS", None)
    out = subprocess.run([AIRFLOW, "plugins", "-o", "json"], env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    (plugin,) = [p for p in json.loads(out.stdout) if p["name"] == "sinch_callbacks"]
    (app,) = plugin["fastapi_apps"]
    assert {k: v for k, v in app.items() if k != "description"} == {
        "app": "airflow_provider_sinch.callbacks.plugin.LazyReceiverApp", "url_prefix": "/sinch",
        "name": "Sinch callbacks"}
    # what it mounts, and that nothing is served until a connection opts in
    assert "POST /sinch/callbacks/{conn_id}" in app["description"]
    assert "Serves nothing until a connection opts in" in app["description"]
    assert "[sinch] callback_connections" in app["description"]


@pytest.mark.e2e
def test_airflow_api_server_app_serves_the_receiver(
    push_connection: Any, served: None, active_asset: Any, events: Any, sinch_api_dir: Path
) -> None:
    """Airflow's own API app (``airflow.api_fastapi.app.create_app``) mounts it at /sinch, outside
    Airflow's authentication: the callback's signature is its only credential, for the connection opted
    in; another one, though it accepts callbacks, is 404."""
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    from tests.callbacks.conftest import CONN_ID, SECRET

    active_asset(f"sinch://{CONN_ID}/delivery")
    fixtures = sinch_api_dir / "fixtures" / "callbacks"
    body = (fixtures / "recipient_delivery_report_sms.delivered.json").read_bytes()
    with TestClient(create_app(apps="core")) as http:
        answer = http.post(f"/sinch/callbacks/{CONN_ID}", content=body, headers=signed_headers(SECRET, body))
        assert (answer.status_code, answer.json()["status"]) == (200, "recorded"), answer.text
        assert http.post(f"/sinch/callbacks/{CONN_ID}", content=body).status_code == 401
        push_connection("sinch_other")
        other = http.post("/sinch/callbacks/sinch_other", content=body, headers=signed_headers(SECRET, body))
        assert other.status_code == 404
        assert http.get("/api/v2/assets").status_code == 401  # Airflow's own API still wants a token
    assert len(events()) == 1
