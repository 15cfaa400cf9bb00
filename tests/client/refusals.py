"""What every refused input must look like, in one place: the project's exception, a message that names
the field and the rule, at most 500 characters, no token in it, and nothing sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_sinch.client import SinchValidationError
from tests.client.clients import Harness
from tests.fakes import TOKEN, Captured, Reply

MAX_MESSAGE = 500


def no_request(captured: Captured) -> Reply:
    """A fake Sinch that fails the test on any request at all."""
    pytest.fail(f"a request left the client: {captured.method} {captured.url}")


def silent(harness: Harness) -> Harness:
    """``harness``, answering every request by failing the test."""
    return harness.route(no_request)


def refused(call: Callable[[], Any], field: str, *rule_words: str,
            error: type[SinchValidationError] = SinchValidationError) -> SinchValidationError:
    """Run ``call``, which must raise ``error`` naming ``field`` with a rule containing ``rule_words``,
    in a message of at most 500 characters without the token.  Returns the error for further checks."""
    with pytest.raises(error) as caught:
        call()
    exc = caught.value
    message = str(exc)
    assert any(f == field and all(w in r for w in rule_words) for f, r in exc.errors), exc.errors
    assert field in message, message
    assert len(message) <= MAX_MESSAGE, len(message)
    assert TOKEN not in message
    assert "\n" not in message  # one line, not a dump
    return exc


def nothing_sent(harness: Harness) -> None:
    assert harness.requests == []
