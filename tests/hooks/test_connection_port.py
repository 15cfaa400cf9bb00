"""The connection form shows the port (a work-around for Airflow 3.3.2's list Test button): a port stored
without a host override must not change where requests go."""

from __future__ import annotations

from airflow_provider_sinch.hooks.connection import config_from_connection


def test_port_without_host_keeps_the_region_url() -> None:
    config = config_from_connection(login="plan", password="token", host=None, port=443,
                                    extra={"region": "eu"})
    assert config.api_root == "https://eu.sms.api.sinch.com/xms/v1/plan"


def test_port_with_a_host_override_is_used() -> None:
    config = config_from_connection(login="plan", password="token", host="proxy.example", port=8443, extra={})
    assert config.api_root == "https://proxy.example:8443/xms/v1/plan"


def test_the_port_joins_the_host_name_not_the_path_of_the_override() -> None:
    config = config_from_connection(login="plan", password="token", host="https://proxy.example/sinch",
                                    port=8443, extra={})
    assert config.api_root == "https://proxy.example:8443/sinch/xms/v1/plan"
    config = config_from_connection(login="plan", password="token", host="http://127.0.0.1:8080/sinch",
                                    port=443, extra={})
    assert config.api_root == "http://127.0.0.1:8080/sinch/xms/v1/plan"  # a port in the host wins
