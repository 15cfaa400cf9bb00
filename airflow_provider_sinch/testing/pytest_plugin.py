"""pytest plugin with the Sinch sandbox's fixtures; opt-in, so installing the provider changes no test suite.

Load it in your ``conftest.py`` (the top-level one)::

    pytest_plugins = ["airflow_provider_sinch.testing.pytest_plugin"]

or per run with ``pytest -p airflow_provider_sinch.testing.pytest_plugin``.  Then tests get these fixtures:

``sinch_sandbox``
    A :class:`~airflow_provider_sinch.testing.sandbox.Sandbox` served on ``127.0.0.1`` (a free port, one
    server per session), reset before each test.  ``.url``, ``.conn_uri`` (an ``AIRFLOW_CONN_<ID>`` value),
    ``.project_conn_uri`` (OAuth2), control (``advance``, ``add_outcome``, ``add_fault``, ``inject_inbound``,
    ``add_auto_reply``, ``rotate_token``, ``revoke_token``, ``configure`` ...) and inspection (``batches()``,
    ``statuses(id)``, ``requests``, ``callbacks``, ``wait_for_callbacks`` ...).
``sinch_sandbox_connection``
    ``sinch_sandbox`` set as the ``sinch_default`` connection (``AIRFLOW_CONN_SINCH_DEFAULT``); returns
    the connection id.
``sinch_sandbox_factory``
    ``make(**settings)``: more sandboxes with their own settings, each on its own port, stopped after the
    test.

The session sandbox passes its waits ``sinch_sandbox_time_scale`` times faster than real time (ini option,
default 10): the default 1 s queue and 2 s delivery delays then take 0.3 s.  Its now stays the wall clock.

Checking every answer: set the ini option ``sinch_sandbox_response_validator`` to ``module:function`` (or
override the ``sinch_sandbox_validator`` fixture) with a function ``f(method, path, status, body)`` that
raises ``AssertionError`` for an answer that breaks your API contract.  After each test, every answer the
test's sandboxes gave is passed to it (except a 415, and a 429 or 5xx caused by an injected fault); a
429 or 5xx that no fault explains fails the test too.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_sinch.testing.sandbox import Sandbox, SandboxServer

TIME_SCALE_INI = "sinch_sandbox_time_scale"
VALIDATOR_INI = "sinch_sandbox_response_validator"
Validator = Callable[[str, str, int, Any], Any]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the plugin's ini options: ``sinch_sandbox_time_scale`` and
    ``sinch_sandbox_response_validator``."""
    parser.addini(TIME_SCALE_INI, "sandbox seconds per real second of the sinch_sandbox fixture",
                  default="10")
    parser.addini(VALIDATOR_INI, "module:function checking each sandbox answer (method, path, status, body)",
                  default="")


def answer_problems(sandbox: Sandbox, validate: Validator) -> list[str]:
    """Every recorded answer of ``sandbox`` that ``validate`` rejects, or that is an unexplained 429/5xx."""
    problems = []
    for seen in sandbox.requests:
        if seen.status is None or seen.status == 415:  # dropped on purpose; 415 is not in Sinch's contract
            continue
        if seen.status == 429 or seen.status >= 500:
            if seen.fault is None:
                problems.append(f"{seen.method} {seen.path}: {seen.status} without an injected fault")
            continue
        try:
            validate(seen.method, seen.path, seen.status, seen.response)
        except AssertionError as exc:
            problems.append(str(exc))
    return problems


def _check(sandboxes: list[Sandbox], validate: Validator | None) -> None:
    if validate is None:
        return
    problems = [p for sandbox in sandboxes for p in answer_problems(sandbox, validate)]
    if problems:
        pytest.fail("the Sinch sandbox gave answers that break the contract:\n" + "\n".join(problems))


@pytest.fixture(scope="session")
def sinch_sandbox_validator(pytestconfig: pytest.Config) -> Validator | None:
    """The answer checker named by the ``sinch_sandbox_response_validator`` ini option (or ``None``)."""
    spec = str(pytestconfig.getini(VALIDATOR_INI) or "")
    if not spec:
        return None
    module, _, name = spec.partition(":")
    validate: Validator = getattr(importlib.import_module(module), name)
    return validate


@pytest.fixture(scope="session")
def sinch_sandbox_server(pytestconfig: pytest.Config) -> Iterator[SandboxServer]:
    """The session's sandbox server (use ``sinch_sandbox`` in tests: it resets the state)."""
    from airflow_provider_sinch.testing.sandbox import SandboxServer

    server = SandboxServer(time_scale=float(pytestconfig.getini(TIME_SCALE_INI)))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sinch_sandbox(sinch_sandbox_server: SandboxServer, sinch_sandbox_validator: Validator | None
                  ) -> Iterator[Sandbox]:
    """A running Sinch sandbox with a clean state (see the module docstring)."""
    sandbox = sinch_sandbox_server.sandbox
    sandbox.reset()
    yield sandbox
    _check([sandbox], sinch_sandbox_validator)


@pytest.fixture
def sinch_sandbox_connection(sinch_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make ``sinch_default`` point at ``sinch_sandbox``; returns the connection id."""
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", sinch_sandbox.conn_uri)
    return "sinch_default"


@pytest.fixture
def sinch_sandbox_factory(sinch_sandbox_validator: Validator | None) -> Iterator[Callable[..., Sandbox]]:
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
    _check([server.sandbox for server in servers], sinch_sandbox_validator)
