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


def test_documentation_url_is_the_docs_site() -> None:
    """Airflow's Admin -> Providers page links the distribution's ``Documentation`` project URL; the
    provider info names the same site."""
    from airflow_provider_sinch.get_provider_info import DOCS_URL

    dist = importlib.metadata.distribution(get_provider_info()["package-name"])
    urls = dict(entry.split(", ", 1) for entry in dist.metadata.get_all("Project-URL") or [])
    assert urls["Documentation"] == DOCS_URL == get_provider_info()["documentation-url"]
    assert DOCS_URL.startswith("https://")
    assert "readthedocs" in DOCS_URL


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


def test_connection_form_dropdowns_offer_no_null() -> None:
    """A dropdown built from an enum shows each value: ``None`` in it rendered as a literal "null"."""
    fields = get_provider_info()["connection-types"][0]["conn-fields"]
    dropdowns = {name: f["schema"] for name, f in fields.items() if "enum" in f["schema"]}
    assert set(dropdowns) == {"region", "auth_method"}
    for name, schema in dropdowns.items():
        assert None not in schema["enum"], name
        assert schema["type"] == "string", name
        assert schema["default"] in schema["enum"], name


def test_port_is_not_hidden() -> None:
    """Airflow 3.3.2's list Test button sends ``port: 0`` for a connection without a port, and the API
    refuses it; with the port visible, a user can store one (443, ignored without a host override)."""
    behaviour = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
    assert "port" not in behaviour["hidden-fields"]
    assert "443" in behaviour["relabeling"]["port"]
    assert "port" not in behaviour["placeholders"]  # a greyed "443" would look like a stored value


def _defined_classes(package: str, base: type) -> dict[str, list[str]]:
    """Public subclasses of ``base`` defined in each module of ``package`` (modules named ``base`` hold
    the shared abstract classes users do not instantiate)."""
    import pkgutil

    found: dict[str, list[str]] = {}
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        names = sorted({  # by the class's own name, so an alias (send_sinch_notification) counts once
            obj.__name__ for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, base) and obj.__module__ == module.__name__
            and not obj.__name__.startswith("_")
        })
        if names:
            found[module.__name__] = names
    return found


def test_every_operator_sensor_trigger_and_notifier_is_listed() -> None:
    """The provider info is complete: a new class in a module nobody listed fails here."""
    from airflow.sdk import BaseNotifier, BaseOperator, BaseSensorOperator
    from airflow.triggers.base import BaseTrigger

    info = get_provider_info()
    listed = {key: {m for entry in info[key] for m in entry["python-modules"]}
              for key in ("hooks", "operators", "sensors", "triggers")}
    operators = _defined_classes("airflow_provider_sinch.operators", BaseOperator)
    sensors = _defined_classes("airflow_provider_sinch.sensors", BaseSensorOperator)
    triggers = _defined_classes("airflow_provider_sinch.triggers", BaseTrigger)
    assert set(operators) <= listed["operators"], operators
    assert set(sensors) <= listed["sensors"], sensors
    assert set(triggers) <= listed["triggers"], triggers
    assert {"SinchSendBatchOperator", "SinchBatchDeliverySensor", "SinchInboundMessageEventTrigger"} <= {
        name for found in (operators, sensors, triggers) for names in found.values() for name in names}
    notifiers = _defined_classes("airflow_provider_sinch.notifications", BaseNotifier)
    assert {f"{m}.{n}" for m, names in notifiers.items() for n in names} == set(info["notifications"])
    hooks = _defined_classes("airflow_provider_sinch.hooks", importlib.import_module("airflow.sdk").BaseHook)
    assert set(hooks) == listed["hooks"]


def test_callback_connections_is_declared_empty_and_read_through_airflows_conf(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The receiver serves nothing by default; the option (documented in the provider info's ``config``)
    is what Airflow's configuration answers once it has the providers' options (lazily on 3.3, when a
    component initialises them on 3.1), its env var included."""
    from airflow.providers.common.compat.sdk import conf
    from airflow.providers_manager import ProvidersManager

    ProvidersManager().initialize_providers_configuration()

    option = get_provider_info()["config"]["sinch"]["options"]["callback_connections"]
    assert option["default"] == ""
    assert option["type"] == "string"
    assert "/sinch/callbacks/{conn_id}" in option["description"]
    assert "404" in option["description"]
    monkeypatch.delenv("AIRFLOW__SINCH__CALLBACK_CONNECTIONS", raising=False)
    assert conf.get("sinch", "callback_connections", fallback="not declared") == ""
    monkeypatch.setenv("AIRFLOW__SINCH__CALLBACK_CONNECTIONS", "sinch_default,sinch_eu")
    assert conf.get("sinch", "callback_connections") == "sinch_default,sinch_eu"
