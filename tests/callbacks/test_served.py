"""Which connections the receiver serves: the opt-in option, the id rule, and refusals answered 404 with no
lookup and at most one log line a minute (no DB: nothing refused reaches the recorder)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_sinch.callbacks.app import create_app
from airflow_provider_sinch.callbacks.served import (
    RefusalLog,
    is_conn_id,
    parse_served,
    served_connections,
)
from airflow_provider_sinch.callbacks.settings import CallbackSettings
from airflow_provider_sinch.client.webhooks import signed_headers
from tests.callbacks.conftest import REPORT, Recorded, asgi_post
from tests.callbacks.test_settings import Clock

SECRET = "optin-secret-77"
ENV = "AIRFLOW__SINCH__CALLBACK_CONNECTIONS"


@pytest.mark.parametrize("conn_id", [
    "sinch_default", "a", "a.b-c_D9", "x" * 250, ".a", "a..", "a:b", "a/b", "a\\b", "(a)#!", "bérénice",
])
def test_airflow_connection_ids_pass(conn_id: str) -> None:
    assert is_conn_id(conn_id)


@pytest.mark.parametrize("conn_id", [
    ".", "..", "...", "", "x" * 251, "a b", "a%20b", "a\n", "a\x00b", "a;b", "<script>", "a?b", None, 5,
])
def test_other_ids_and_dots_only_are_refused(conn_id: object) -> None:
    assert not is_conn_id(conn_id)


def test_the_id_rule_is_airflows_own() -> None:
    """Not a copy: the check goes through ``airflow.models.connection.sanitize_conn_id``, so a character
    Airflow refuses is refused here too, and one it accepts is accepted (dots-only ids aside)."""
    from airflow.models.connection import sanitize_conn_id

    for conn_id in ("a$b", "a+b", "a@b", "a=b", "a,b", "a'b", "a:b", "a#b", "a\tb"):
        assert is_conn_id(conn_id) is (sanitize_conn_id(conn_id) == conn_id), conn_id


def test_the_option_lists_ids_separated_by_commas_or_spaces() -> None:
    served, refused = parse_served(" sinch_default, sinch_eu ,,\n sinch.us  ")
    assert served == {"sinch_default", "sinch_eu", "sinch.us"}
    assert refused == {}


def test_ids_that_cannot_be_served_are_named_with_the_rule() -> None:
    served, refused = parse_served("ok,..,a:b,a%b")
    assert served == {"ok"}
    assert set(refused) == {"..", "a:b", "a%b"}
    assert "not dots only" in refused[".."]
    assert "Airflow accepts" in refused["a%b"]
    assert "asset URIs" in refused["a:b"]  # Airflow accepts it, but "sinch://a:b/..." would read as a port


def test_the_option_is_read_from_the_environment_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(ENV, "sinch_eu,sinch_default,..")
    with caplog.at_level(logging.INFO, logger="airflow_provider_sinch"):
        assert served_connections() == {"sinch_default", "sinch_eu"}
    assert "serving POST /sinch/callbacks/{conn_id} for: sinch_default, sinch_eu" in caplog.text
    assert "'..' is not served" in caplog.text


def test_by_default_nothing_is_served_and_the_log_says_how_to_opt_in(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with caplog.at_level(logging.INFO, logger="airflow_provider_sinch"):
        assert served_connections() == frozenset()
    (record,) = [r for r in caplog.records if r.name.endswith("served")]
    assert record.levelname == "WARNING"
    assert "serves no connection" in record.getMessage()
    assert "AIRFLOW__SINCH__CALLBACK_CONNECTIONS=sinch_default" in record.getMessage()


def test_refusals_are_counted_and_logged_at_most_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    refusals = RefusalLog(clock=clock)
    with caplog.at_level(logging.WARNING, logger="airflow_provider_sinch"):
        for second in range(60):
            clock.now = float(second)
            refusals.refused(f"guess{second}")
        clock.now = 60.0
        refusals.refused("+12015550123")
    lines = [r.getMessage() for r in caplog.records]
    assert refusals.total == 61
    assert len(lines) == 2
    assert lines[0].startswith("Sinch callback receiver: 1 request(s) answered 404")
    assert "60 request(s) answered 404 since the last report (61 in all)" in lines[1]
    assert "'+1201****123'" in lines[1]  # the latest id: masked and quoted
    assert "[sinch] callback_connections" in lines[1]


@pytest.fixture
def lookups() -> list[str]:
    return []


@pytest.fixture
def post(lookups: list[str]) -> Callable[..., Any]:
    """``await post(conn_id, served=..., refusals=...)``: one signed callback to a receiver whose lookup
    records the ids it is asked for."""

    def lookup(conn_id: str) -> CallbackSettings:
        lookups.append(conn_id)
        return CallbackSettings(secret=SECRET)

    async def run(path_id: str, served: str = "sinch_push", refusals: RefusalLog | None = None) -> Any:
        app = create_app(lookup=lookup, recorder=Recorded(), served=served, refusals=refusals)
        return await asgi_post(app, f"/callbacks/{path_id}", REPORT, signed_headers(SECRET, REPORT))

    return run


async def test_a_served_connection_is_looked_up_and_served(post: Any, lookups: list[str]) -> None:
    answer = await post("sinch_push")
    assert (answer.status_code, answer.json()["status"]) == (200, "recorded")
    assert lookups == ["sinch_push"]


@pytest.mark.parametrize("path_id", [
    "sinch_other", "%2E%2E", "%2E", "...", "x" * 300, "a%20b", "sinch_push%0A", "a:b",
])
async def test_other_ids_get_404_without_lookup_or_warning(
    post: Any, lookups: list[str], caplog: pytest.LogCaptureFixture, path_id: str
) -> None:
    clock = Clock()
    refusals = RefusalLog(clock=clock)
    refusals.refused("earlier")  # the minute's line is already logged
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="airflow_provider_sinch"):
        for _ in range(3):
            answer = await post(path_id, served="sinch_push,a:b", refusals=refusals)
            assert (answer.status_code, answer.json()) == (404, {"detail": "Not Found"})
    assert lookups == []
    assert refusals.total == 4
    assert [r.getMessage() for r in caplog.records if "404" in r.getMessage()] == []


async def test_nothing_is_served_by_default(
    post: Any, lookups: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    answer = await post("sinch_default", served=None)
    assert answer.status_code == 404
    assert lookups == []
