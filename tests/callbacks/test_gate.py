"""A request refused on its credentials makes the receiver read the connection again at once: a rotated
callback secret or Basic password is used by the next callback, the old one is refused (no DB: the recorder
records nothing; the connection is an ``AIRFLOW_CONN_*`` env var read through Airflow)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_sinch.callbacks.app import connection_settings, create_app
from airflow_provider_sinch.callbacks.settings import SettingsCache
from airflow_provider_sinch.client.webhooks import signed_headers
from tests.callbacks.conftest import CONN_ID, PASSWORD, REPORT, SECRET, USER, Recorded, asgi_post
from tests.callbacks.test_settings import Clock

URL = f"/callbacks/{CONN_ID}"
NEW_SECRET = "rotated-secret-0001"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def receiver(push_connection: Callable[..., None]) -> tuple[Any, Clock, list[str], Recorded]:
    """The receiver serving :data:`CONN_ID` through Airflow's connection lookup, counting lookups; its
    settings cache on an injected clock (answers kept 10 s, re-reads at most every 5 s)."""
    lookups: list[str] = []

    def counted(conn_id: str) -> Any:
        lookups.append(conn_id)
        return connection_settings(conn_id)

    clock = Clock()
    recorder = Recorded()
    app = create_app(lookup=SettingsCache(counted, clock=clock), recorder=recorder, served=CONN_ID)
    return app, clock, lookups, recorder


async def test_a_rotated_secret_is_used_by_the_next_callback(
    receiver: tuple[Any, Clock, list[str], Recorded], push_connection: Callable[..., None]
) -> None:
    app, clock, lookups, recorder = receiver
    assert (await asgi_post(app, URL, REPORT, signed_headers(SECRET, REPORT))).status_code == 200
    push_connection(callback_secret=NEW_SECRET)  # rotated; the old secret is revoked at Sinch
    clock.now = 1.0  # well within the 10 s the old settings are remembered
    answer = await asgi_post(app, URL, REPORT, signed_headers(NEW_SECRET, REPORT))
    assert (answer.status_code, answer.json()["status"]) == (200, "recorded")
    assert lookups == [CONN_ID, CONN_ID]  # read again once, at the refusal
    old = await asgi_post(app, URL, REPORT, signed_headers(SECRET, REPORT))
    assert (old.status_code, old.json()["detail"]) == (401, "invalid signature")
    assert recorder.calls == [CONN_ID, CONN_ID]


async def test_a_rotated_basic_password_is_used_by_the_next_callback(
    receiver: tuple[Any, Clock, list[str], Recorded], push_connection: Callable[..., None]
) -> None:
    app, _, lookups, _ = receiver
    assert (await asgi_post(app, URL, REPORT, basic(USER, PASSWORD))).status_code == 200
    push_connection(callback_username=USER, callback_password="new-password-1")
    assert (await asgi_post(app, URL, REPORT, basic(USER, "new-password-1"))).status_code == 200
    assert (await asgi_post(app, URL, REPORT, basic(USER, PASSWORD))).status_code == 401
    assert len(lookups) == 2


async def test_bad_requests_cost_at_most_one_lookup_per_interval(
    receiver: tuple[Any, Clock, list[str], Recorded]
) -> None:
    """A stranger's forged signatures: the first one re-reads the connection (nothing changed), the next
    ones within 5 s are refused on the remembered settings, the first after 5 s re-reads once more."""
    app, clock, lookups, recorder = receiver
    for second in (0.0, 1.0, 2.0, 4.9, 5.0, 6.0):
        clock.now = second
        answer = await asgi_post(app, URL, REPORT, signed_headers("forged", REPORT))
        assert answer.status_code == 401
    assert len(lookups) == 3  # the first lookup, the re-reads at 0 s and 5 s
    assert recorder.calls == []


async def test_refusals_a_reread_cannot_explain_do_not_read_again(
    receiver: tuple[Any, Clock, list[str], Recorded]
) -> None:
    app, _, lookups, _ = receiver
    stale = signed_headers(SECRET, REPORT, timestamp=str(int(time.time()) - 3600))
    assert (await asgi_post(app, URL, REPORT, stale)).status_code == 401
    headers = signed_headers(SECRET, REPORT)
    assert (await asgi_post(app, URL, REPORT, headers)).status_code == 200
    replay = await asgi_post(app, URL, REPORT, headers)
    assert (replay.status_code, replay.json()["detail"]) == (401, "nonce already used (replayed request)")
    assert lookups == [CONN_ID]


async def test_a_secret_added_to_a_connection_is_used_before_the_answer_expires(
    receiver: tuple[Any, Clock, list[str], Recorded], push_connection: Callable[..., None]
) -> None:
    """The refusal of a connection without credentials re-reads it too (rate-limited like the others)."""
    app, clock, lookups, _ = receiver
    push_connection(region="eu")  # no callback credentials yet
    assert (await asgi_post(app, URL, REPORT, signed_headers(SECRET, REPORT))).status_code == 403
    push_connection(callback_secret=NEW_SECRET)
    clock.now = 4.0  # re-read 4 s ago: refused on what it read then
    assert (await asgi_post(app, URL, REPORT, signed_headers(NEW_SECRET, REPORT))).status_code == 403
    clock.now = 5.0  # answers are kept 10 s; a refusal re-reads after 5
    assert (await asgi_post(app, URL, REPORT, signed_headers(NEW_SECRET, REPORT))).status_code == 200
    assert len(lookups) == 3
