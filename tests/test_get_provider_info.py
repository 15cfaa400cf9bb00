"""The provider info validates against Airflow's schema and names only classes that import."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
from pathlib import Path

import airflow
import jsonschema
import pytest

from airflow_provider_sinch.get_provider_info import get_provider_info


def test_provider_info_matches_airflow_schema() -> None:
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_package_name_is_the_distribution_name() -> None:
    dist = importlib.metadata.distribution(get_provider_info()["package-name"])
    eps = [ep for ep in dist.entry_points if ep.group == "apache_airflow_provider"]
    assert eps
    assert eps[0].load()() == get_provider_info()


def _modules(info: dict) -> list[str]:
    mods = []
    for key in ("hooks", "operators", "sensors", "triggers"):
        for entry in info.get(key, []):
            mods.extend(entry["python-modules"])
    return mods


@pytest.mark.parametrize("module", _modules(get_provider_info()))
def test_every_listed_module_imports(module: str) -> None:
    importlib.import_module(module)


def test_every_listed_class_imports() -> None:
    info = get_provider_info()
    paths = [c["hook-class-name"] for c in info["connection-types"]] + list(info.get("notifications", []))
    for path in paths:
        module, _, name = path.rpartition(".")
        assert getattr(importlib.import_module(module), name)


def test_connection_form_is_declarative() -> None:
    conn = get_provider_info()["connection-types"][0]
    assert conn["connection-type"] == "sinch"
    assert {"region", "auth_method", "key_id", "default_from", "timeout"} <= set(conn["conn-fields"])
    assert "password" in conn["ui-field-behaviour"]["relabeling"]
