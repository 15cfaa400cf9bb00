"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_sinch import __version__

PACKAGE = "airflow_provider_sinch"
DOCS_URL = "https://airflow-provider-sinch.readthedocs.io/"
"""The documentation site (built from ``docs/``); also ``[project.urls] Documentation`` in pyproject.toml,
which is what Airflow's Admin -> Providers page links."""


def get_provider_info() -> dict[str, Any]:
    """Everything Airflow lists about this provider: hooks, operators, sensors, triggers, notifiers and
    the declarative form of the ``sinch`` connection (Airflow 3.2+ renders it without importing the hook)."""
    return {
        "package-name": "airflow-provider-sinch",
        "name": "Sinch SMS",
        "description": "Send SMS, manage recipient groups and wait for delivery reports and replies with the "
        "Sinch SMS REST API.",
        "versions": [__version__],
        "documentation-url": DOCS_URL,
        "integrations": [
            {
                "integration-name": "Sinch SMS",
                "external-doc-url": "https://developers.sinch.com/docs/sms/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "Sinch SMS", "python-modules": [f"{PACKAGE}.hooks.sinch"]}],
        "operators": [
            {
                "integration-name": "Sinch SMS",
                "python-modules": [
                    f"{PACKAGE}.operators.send",
                    f"{PACKAGE}.operators.batches",
                    f"{PACKAGE}.operators.groups",
                    f"{PACKAGE}.operators.inbounds",
                    f"{PACKAGE}.operators.hitl",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Sinch SMS",
                "python-modules": [f"{PACKAGE}.sensors.delivery", f"{PACKAGE}.sensors.inbound"],
            }
        ],
        "triggers": [
            {
                "integration-name": "Sinch SMS",
                "python-modules": [f"{PACKAGE}.triggers.delivery", f"{PACKAGE}.triggers.inbound"],
            }
        ],
        "notifications": [
            f"{PACKAGE}.notifications.sinch.SinchNotifier",
            f"{PACKAGE}.notifications.hitl.SinchHITLNotifier",
        ],
        # No "plugins" here: the callback receiver plugin (callbacks.plugin.SinchCallbacksPlugin) is an
        # "airflow.plugins" entry point, because Airflow 3.3 loads provider-info plugins only with
        # [core] lazy_discover_providers = False, and listing it in both places makes that setting report
        # a plugin import error ("already registered").
        "config": {
            "sinch": {
                "description": "Options of the Sinch SMS provider.",
                "options": {
                    "callback_connections": {
                        "description": "Comma-separated ids of the sinch connections whose callbacks the "
                        "receiver accepts (the provider mounts it on the API server: POST "
                        "/sinch/callbacks/{conn_id}). Empty (the default): it serves none. Any other id is "
                        "answered 404 without looking the connection up (no secrets-backend query), and "
                        "such refusals are logged at most once a minute. An id must be a connection id "
                        "Airflow accepts, not dots only, and made of letters, digits, '_', '.' and '-' (it "
                        "is part of the asset URIs sinch://<conn_id>/...); other ids are logged as errors "
                        "and not served. Read when the receiver starts (its first request): restart the API "
                        "server after a change.",
                        "version_added": None,
                        "type": "string",
                        "example": "sinch_default,sinch_eu",
                        "default": "",
                    },
                },
            }
        },
        "connection-types": [
            {
                "hook-class-name": f"{PACKAGE}.hooks.sinch.SinchHook",
                "connection-type": "sinch",
                "hook-name": "Sinch SMS",
                "ui-field-behaviour": {
                    # The port stays visible: Airflow 3.3.2's Test button in the connections list sends
                    # port 0 for a connection without one and the API refuses that; a stored port (443,
                    # ignored without a host override) avoids it.
                    "hidden-fields": ["schema"],
                    "relabeling": {
                        "login": "Service plan ID (or project ID)",
                        "password": "API token (or access key secret)",
                        "host": "Base URL override (optional)",
                        "port": "Port (optional: enter 443 so Airflow 3.3.2's list Test button works)",
                    },
                    "placeholders": {
                        "login": "jd63jf88477ll123ab4567cd89012ef3",
                        "host": "leave empty for https://{region}.sms.api.sinch.com",
                    },
                },
                "conn-fields": {
                    "region": {
                        "label": "Region",
                        "description": "us, eu, au, br or ca (project auth: us or eu).",
                        "schema": {"type": "string", "enum": ["us", "eu", "au", "br", "ca"], "default": "us"},
                    },
                    "auth_method": {
                        "label": "Authentication",
                        "description": "service_plan (API token) or project (OAuth2 access key).",
                        "schema": {"type": "string", "enum": ["service_plan", "project"],
                                   "default": "service_plan"},
                    },
                    "key_id": {
                        "label": "Access key ID (project auth)",
                        "schema": {"type": ["string", "null"]},
                    },
                    "auth_url": {
                        "label": "OAuth2 token URL override (project auth)",
                        "schema": {"type": ["string", "null"]},
                    },
                    "default_from": {
                        "label": "Default sender",
                        "description": "Number or alphanumeric sender used when a task gives no from_.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "timeout": {
                        "label": "Request timeout (seconds)",
                        "schema": {"type": ["number", "null"], "minimum": 1},
                    },
                    "retries": {
                        "label": "Retries per request",
                        "description": "429s, and 5xx or connection errors where resending is safe "
                        "(default 4).",
                        "schema": {"type": ["integer", "null"], "minimum": 0},
                    },
                    "max_in_flight": {
                        "label": "Most requests in flight (triggerer)",
                        "description": "Ceiling of the requests a triggerer keeps on the wire for this "
                        "connection, 1 to 1000 (default 100); below it the limit adapts to Sinch's answers.",
                        "schema": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000},
                    },
                    # Callbacks (push): read by the receiver at /sinch/callbacks/<conn_id>: docs/callbacks.md
                    "callback_secret": {
                        "label": "Callback signing secret",
                        "description": "Sinch's webhook signing secret (verifies signed callbacks).",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "callback_username": {
                        "label": "Callback Basic user",
                        "description": "HTTP Basic user Sinch sends with callbacks (alternative to signing).",
                        "schema": {"type": ["string", "null"]},
                    },
                    "callback_password": {
                        "label": "Callback Basic password",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "callback_url": {
                        "label": "Callback URL",
                        "description": "Public URL of this connection's receiver, "
                        "https://<airflow>/sinch/callbacks/<conn_id>, for batches that ask for reports.",
                        "schema": {"type": ["string", "null"]},
                    },
                    # HITL by SMS (push): the receiver answers Airflow's HITL requests: docs/howto/hitl.md
                    "hitl_conn_id": {
                        "label": "HITL bridge connection (push answers)",
                        "description": "Id of the connection the receiver answers human-in-the-loop requests "
                        "through (Airflow API URL, bridge user, code secret). Empty: inbound SMS never "
                        "answer HITL requests.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "hitl_text_back": {
                        "label": "Text HITL repliers back",
                        "description": "Text a short hint back to a HITL replier who sent a valid code (how "
                        "to reply, already answered, too late), at most 3 an hour per number.",
                        "schema": {"type": ["boolean", "null"], "default": False},
                    },
                },
            }
        ],
    }
