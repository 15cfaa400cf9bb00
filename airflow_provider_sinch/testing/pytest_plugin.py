"""pytest plugin (registered as ``sinch_sandbox`` through the ``pytest11`` entry point).

Installing the provider gives every test suite these fixtures:

``sinch_sandbox``
    A :class:`~airflow_provider_sinch.testing.sandbox.Sandbox` served on ``127.0.0.1`` (a free port, one
    server per session), reset before each test.  ``.url``, ``.conn_uri`` (an ``AIRFLOW_CONN_<ID>`` value),
    ``.project_conn_uri`` (OAuth2), control (``advance``, ``add_outcome``, ``add_fault``, ``inject_inbound``,
    ``add_auto_reply``, ``configure`` ...) and inspection (``batches()``, ``statuses(id)``, ``requests``,
    ``callbacks``, ``wait_for_callbacks`` ...).
``sinch_sandbox_connection``
    ``sinch_sandbox`` set as the ``sinch_default`` connection (``AIRFLOW_CONN_SINCH_DEFAULT``); returns
    the connection id.
``sinch_sandbox_factory``
    ``make(**settings)``: more sandboxes with their own settings, each on its own port, stopped after the
    test.

The session sandbox runs its clock ``sinch_sandbox_time_scale`` times faster than real time (ini option,
default 10): the default 1 s queue and 2 s delivery delays then take 0.3 s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_sinch.testing.sandbox import Sandbox, SandboxServer

TIME_SCALE_INI = "sinch_sandbox_time_scale"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(TIME_SCALE_INI, "sandbox seconds per real second of the sinch_sandbox fixture",
                  default="10")


@pytest.fixture(scope="session")
def sinch_sandbox_server(pytestconfig: pytest.Config) -> Iterator[SandboxServer]:
    """The session's sandbox server (use ``sinch_sandbox`` in tests: it resets the state)."""
    from airflow_provider_sinch.testing.sandbox import SandboxServer

    server = SandboxServer(time_scale=float(pytestconfig.getini(TIME_SCALE_INI)))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sinch_sandbox(sinch_sandbox_server: SandboxServer) -> Sandbox:
    """A running Sinch sandbox with a clean state (see the module docstring)."""
    sandbox = sinch_sandbox_server.sandbox
    sandbox.reset()
    return sandbox


@pytest.fixture
def sinch_sandbox_connection(sinch_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make ``sinch_default`` point at ``sinch_sandbox``; returns the connection id."""
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", sinch_sandbox.conn_uri)
    return "sinch_default"


@pytest.fixture
def sinch_sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """``make(**settings)`` starts another sandbox with its own settings; all stop after the test."""
    from airflow_provider_sinch.testing.sandbox import SandboxServer

    servers: list[SandboxServer] = []

    def make(**settings: Any) -> Sandbox:
        server = SandboxServer(**settings)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()
