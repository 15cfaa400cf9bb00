"""The connection-settings cache in front of the connection lookup."""

from __future__ import annotations

from airflow_provider_sinch.callbacks.settings import CallbackSettings, SettingsCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_answers_are_reused_for_the_ttl_then_looked_up_again() -> None:
    looked_up: list[str] = []
    secrets = {"a": "one"}

    def lookup(conn_id: str) -> CallbackSettings | None:
        looked_up.append(conn_id)
        return CallbackSettings(secret=secrets[conn_id]) if conn_id in secrets else None

    clock = Clock()
    cache = SettingsCache(lookup, ttl=10, clock=clock)
    assert cache("a") == CallbackSettings(secret="one")
    assert cache("nope") is None
    secrets["a"] = "two"
    clock.now = 9.9
    assert cache("a") == CallbackSettings(secret="one")
    assert cache("nope") is None
    assert looked_up == ["a", "nope"]
    clock.now = 10.0
    assert cache("a") == CallbackSettings(secret="two")  # a changed secret applies after the ttl
    assert looked_up == ["a", "nope", "a"]


def test_the_cache_is_bounded() -> None:
    looked_up: list[str] = []
    cache = SettingsCache(lambda c: looked_up.append(c), max_entries=2, clock=Clock())  # type: ignore[func-returns-value]
    for conn_id in ["a", "b", "c", "a"]:
        cache(conn_id)
    assert looked_up == ["a", "b", "c", "a"]  # "a" was forgotten when "c" came
