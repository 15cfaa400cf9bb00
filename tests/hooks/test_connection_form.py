"""The ``sinch`` connection form is the same on Airflow 3.1, 3.2 and 3.3, defined once in the provider info.

3.2+ reads the provider info's ``conn-fields`` / ``ui-field-behaviour``; 3.1 asks the hook, whose methods
(3.1 only) derive them from the provider info.  The first test asks the service behind the UI's form
(``GET /ui/connections/hook_meta``) in a fresh interpreter, as the API server does, on whichever Airflow
runs the suite; the others check the 3.1 methods with Airflow's own wtforms stand-ins on every version.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from typing import Any

import pytest
from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

from airflow_provider_sinch.get_provider_info import get_provider_info
from airflow_provider_sinch.hooks.connection_form import connection_form_widgets, ui_field_behaviour
from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.version_compat import PROVIDER_INFO_CONNECTION_FORM

DECLARED = get_provider_info()["connection-types"][0]
STANDARD = {"host": "host", "port": "port", "login": "login", "password": "password", "url_schema": "schema"}
"""The UI's name of each standard field -> the name the field behaviour uses."""

_CHILD = r"""
import json, logging, warnings
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger().addHandler(Keep(logging.WARNING))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
    meta = {m.connection_type: m.model_dump(mode="json") for m in HookMetaService.hook_meta_data()}
print(json.dumps({"sinch": meta.get("sinch"), "said": records + [str(w.message) for w in caught]}))
"""


@pytest.fixture(scope="module")
def hook_meta() -> dict[str, Any]:
    """What the API server serves the UI for the ``sinch`` form, and every warning said while building it."""
    done = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def shown(field: dict[str, Any]) -> dict[str, Any]:
    """What a form field means to a user, from the UI's JSON schema of it."""
    schema = field["schema"]
    kinds = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
    return {"title": schema.get("title"), "description": field.get("description"),
            "value": field.get("value"), "enum": schema.get("enum"),
            "secret": schema.get("format") == "password", "kind": next(k for k in kinds if k != "null")}


def declared(field: dict[str, Any]) -> dict[str, Any]:
    """The same, from the provider info's ``conn-fields`` entry: on 3.1 a ``number`` is a text field (the
    form there has no decimal field; the connection reader takes ``"2.5"`` as 2.5)."""
    schema = field["schema"]
    kinds = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
    kind = next(k for k in kinds if k != "null")
    return {"title": field["label"], "description": field.get("description"), "value": schema.get("default"),
            "enum": schema.get("enum"), "secret": schema.get("format") == "password",
            "kind": kind if PROVIDER_INFO_CONNECTION_FORM or kind != "number" else "string"}


def test_the_ui_gets_the_declared_form_on_this_airflow(hook_meta: dict[str, Any]) -> None:
    sinch = hook_meta["sinch"]
    assert sinch is not None
    assert sinch["hook_class_name"] == DECLARED["hook-class-name"]
    extra = sinch["extra_fields"]
    assert list(extra) == list(DECLARED["conn-fields"])  # same fields, same order
    for name, field in DECLARED["conn-fields"].items():
        assert shown(extra[name]) == declared(field), name
    behaviour = DECLARED["ui-field-behaviour"]
    for ui_name, name in STANDARD.items():
        standard = sinch["standard_fields"][ui_name]
        expected = (name in behaviour["hidden-fields"], behaviour["relabeling"].get(name),
                    behaviour["placeholders"].get(name))
        got = ((standard["hidden"], standard["title"], standard["placeholder"]) if standard
               else (False, None, None))
        assert got == expected, ui_name


def test_nothing_is_warned_or_added_twice(hook_meta: dict[str, Any]) -> None:
    """3.2+ would warn that the hook's form methods are deprecated, or skip fields "already added"."""
    about_us = [said for said in hook_meta["said"] if "sinch" in said.lower()]
    assert about_us == []


def test_the_hook_answers_for_the_form_only_where_airflow_asks_it() -> None:
    own = vars(SinchHook)
    assert ("get_connection_form_widgets" in own) is (not PROVIDER_INFO_CONNECTION_FORM)
    assert ("get_ui_field_behaviour" in own) is (not PROVIDER_INFO_CONNECTION_FORM)


def test_the_field_behaviour_is_the_provider_infos() -> None:
    behaviour = ui_field_behaviour("sinch")
    declared_behaviour = DECLARED["ui-field-behaviour"]
    assert behaviour == {"hidden_fields": declared_behaviour["hidden-fields"],
                         "relabeling": declared_behaviour["relabeling"],
                         "placeholders": declared_behaviour["placeholders"]}
    behaviour["placeholders"]["extra__sinch__x"] = "y"  # Airflow rewrites what it gets in place
    assert ui_field_behaviour("sinch") != behaviour
    with pytest.raises(KeyError, match="no connection type 'smtp'"):
        ui_field_behaviour("smtp")


@pytest.fixture
def airflow_standins(monkeypatch: pytest.MonkeyPatch) -> None:
    """wtforms as Airflow 3.1's API server presents it while it asks hooks (its own stand-in classes)."""
    wtforms = types.ModuleType("wtforms")
    validators = types.ModuleType("wtforms.validators")
    for name in ("StringField", "IntegerField", "PasswordField", "BooleanField"):
        setattr(wtforms, name, getattr(HookMetaService, f"Mock{name}"))
    validators.Optional = HookMetaService.MockOptional  # type: ignore[attr-defined]
    validators.any_of = HookMetaService.MockEnum  # type: ignore[attr-defined]
    wtforms.validators = validators  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "wtforms", wtforms)
    monkeypatch.setitem(sys.modules, "wtforms.validators", validators)


@pytest.mark.usefixtures("airflow_standins")
def test_the_31_fields_carry_the_declared_form() -> None:
    widgets = connection_form_widgets("sinch")
    assert list(widgets) == list(DECLARED["conn-fields"])
    for name, field in DECLARED["conn-fields"].items():
        param = widgets[name].param.dump()
        kinds = field["schema"]["type"]
        kind = kinds if isinstance(kinds, str) else next(k for k in kinds if k != "null")
        expected = {**declared(field), "kind": kind if kind in ("integer", "boolean") else "string"}
        assert shown(param) == expected, name
    assert widgets["callback_secret"].field_class is HookMetaService.MockPasswordField
    assert widgets["retries"].field_class is HookMetaService.MockIntegerField
    assert widgets["timeout"].field_class is HookMetaService.MockStringField  # no decimal field on 3.1


@pytest.mark.skipif(PROVIDER_INFO_CONNECTION_FORM, reason="Airflow 3.2+ does not ask the hook for the form "
                    "(the provider info is read); the functions behind it are tested on every version above")
@pytest.mark.usefixtures("airflow_standins")
def test_on_31_the_hook_methods_return_the_declared_form() -> None:
    assert list(SinchHook.get_connection_form_widgets()) == list(DECLARED["conn-fields"])
    assert SinchHook.get_ui_field_behaviour() == ui_field_behaviour("sinch")
