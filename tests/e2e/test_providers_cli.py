"""``airflow providers ...`` (the real CLI, through the installed entry point) shows the provider."""

from __future__ import annotations

import json
import subprocess

import pytest

from airflow_provider_sinch import __version__

from .conftest import AIRFLOW, AirflowHome

PKG = "airflow_provider_sinch"


def _cli_json(airflow_home: AirflowHome, *args: str) -> list[dict]:
    result = subprocess.run([AIRFLOW, "providers", *args, "-o", "json"], env=airflow_home.env,
                            capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout[result.stdout.index("["):])


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("list", {"package_name": "airflow-provider-sinch", "version": __version__}),
        ("hooks", {"connection_type": "sinch", "class": f"{PKG}.hooks.sinch.SinchHook"}),
        ("notifications", {"notification_class_name": f"{PKG}.notifications.sinch.SinchNotifier"}),
    ],
)
def test_airflow_providers_cli_shows_sinch(airflow_home: AirflowHome, command: str, expected: dict) -> None:
    rows = _cli_json(airflow_home, command)
    assert any(expected.items() <= row.items() for row in rows), [r for r in rows if "sinch" in json.dumps(r)]
