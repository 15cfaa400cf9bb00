"""The bridge to Airflow's REST API: tokens, a 401 renewal, refusals and failures as ``BridgeError``."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from airflow_provider_sinch.common.hitl_bridge import AirflowBridge, BridgeError, BridgeSettings
from tests.hitl_fake import USERS, FakeAirflow
from tests.hitl_support import SECRET, bridge, settings


def test_a_token_is_fetched_once_and_renewed_once_after_a_401() -> None:
    airflow = FakeAirflow()
    with bridge(airflow) as api:
        assert list(api.open_requests()) == []
        assert list(api.open_requests()) == []
        assert [c for c in airflow.calls if c[1] == "/auth/token"] == [("POST", "/auth/token")]
        airflow.tokens.clear()  # the API server restarted with a new signing key: the old JWT is refused
        assert list(api.open_requests()) == []
    assert [c for c in airflow.calls if c[1] == "/auth/token"] == [("POST", "/auth/token")] * 2


def test_a_refused_bridge_user_is_a_bridge_error_without_the_password() -> None:
    wrong = BridgeSettings("http://airflow.test", "sms-bridge", "not-the-password", "sms-bridge", SECRET)
    with AirflowBridge(wrong, session=FakeAirflow().session()) as api, pytest.raises(BridgeError) as caught:
        list(api.open_requests())
    assert caught.value.status == 401
    assert "sms-bridge" in str(caught.value)
    assert "not-the-password" not in str(caught.value)


def test_an_unreachable_api_server_is_a_bridge_error_with_status_0() -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    unreachable = BridgeSettings(f"http://127.0.0.1:{port}", "sms-bridge", USERS["sms-bridge"], "sms-bridge",
                                 SECRET)
    with AirflowBridge(unreachable, timeout=2) as api, pytest.raises(BridgeError) as caught:
        list(api.open_requests())
    assert caught.value.status == 0
    assert "ConnectionError" in str(caught.value)
    assert USERS["sms-bridge"] not in str(caught.value)


def test_a_netrc_entry_never_replaces_the_bridge_token(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine airflow.test login someone password else\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    airflow = FakeAirflow()
    with bridge(airflow) as api:
        assert list(api.open_requests()) == []  # the fake answers 401 to anything but its own JWT
    assert api.settings == settings()
