"""The ``sinch`` connection form for Airflow 3.1, made from the provider info's declarative form.

Airflow 3.2+ builds the connection form from the provider info (``conn-fields`` as JSON schema and
``ui-field-behaviour``) without importing the hook.  Airflow 3.1 ignores both and asks the hook's
``get_connection_form_widgets`` (wtforms fields) and ``get_ui_field_behaviour``; its API server turns the
fields into the React form's JSON schema (``/ui/connections/hook_meta``), putting stand-ins for wtforms and
flask-appbuilder in place while it asks, so neither needs to be installed.  ``SinchHook`` defines those two
methods on 3.1 only (:data:`~airflow_provider_sinch.version_compat.PROVIDER_INFO_CONNECTION_FORM`: 3.2+
would warn that they are deprecated) and they return what the functions here derive from
:func:`~airflow_provider_sinch.get_provider_info.get_provider_info`, so the form is defined once.

What 3.1's form cannot say: it knows four field classes (text, password, whole number, yes/no), so a
``number`` field (the request timeout) is a text field there, which the connection is read from all the
same (``"2.5"`` is 2.5 s); a ``minimum`` is not shown, and the connection reader still enforces it.
wtforms is imported when Airflow asks for the fields, never when a DAG file is parsed.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_sinch.get_provider_info import get_provider_info


def _connection_type(conn_type: str) -> dict[str, Any]:
    """The provider info's ``connection-types`` entry of ``conn_type``."""
    for entry in get_provider_info()["connection-types"]:
        if entry["connection-type"] == conn_type:
            return dict(entry)
    raise KeyError(f"the provider info declares no connection type {conn_type!r}")


def ui_field_behaviour(conn_type: str) -> dict[str, Any]:
    """The provider info's ``ui-field-behaviour`` in the form a hook returns it (``hidden_fields``,
    ``relabeling``, ``placeholders``), converted as Airflow 3.2+ converts it.

    :param conn_type: the connection type (``sinch``).
    """
    behaviour = _connection_type(conn_type).get("ui-field-behaviour") or {}
    return {
        "hidden_fields": list(behaviour.get("hidden-fields", [])),
        "relabeling": dict(behaviour.get("relabeling", {})),
        "placeholders": dict(behaviour.get("placeholders", {})),
    }


def _types(schema: dict[str, Any]) -> list[str]:
    kinds = schema.get("type", "string")
    return [kinds] if isinstance(kinds, str) else list(kinds)


def connection_form_widgets(conn_type: str) -> dict[str, Any]:
    """The provider info's ``conn-fields`` as the wtforms fields Airflow 3.1 asks a hook for, in order.

    Each field keeps its label, description, default and choices (``enum``: a dropdown); a ``password``
    format makes it a password field, ``integer`` a whole-number field, ``boolean`` a check box, anything
    else a text field.  Fields that may be empty are ``Optional``.

    :param conn_type: the connection type (``sinch``).
    """
    # Imported by name from wtforms when called: 3.1's API server swaps these names for stand-ins while it
    # asks (without flask-appbuilder installed there is no wtforms at all).
    from wtforms import BooleanField, IntegerField, PasswordField, StringField
    from wtforms.validators import Optional, any_of

    classes = {"boolean": BooleanField, "integer": IntegerField}
    widgets: dict[str, Any] = {}
    for name, field in (_connection_type(conn_type).get("conn-fields") or {}).items():
        schema = field.get("schema", {})
        kinds = _types(schema)
        kind = next((k for k in kinds if k != "null"), "string")
        field_class = PasswordField if schema.get("format") == "password" else classes.get(kind, StringField)
        validators = [Optional()] if "null" in kinds else []
        if "enum" in schema:
            validators.append(any_of(list(schema["enum"])))
        widgets[name] = field_class(field.get("label", name), validators=validators,
                                    description=field.get("description", ""), default=schema.get("default"))
    return widgets
