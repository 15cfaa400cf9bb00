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


def test_fresher_reads_the_connection_again_at_once_at_most_once_per_interval() -> None:
    looked_up: list[str] = []
    secrets = {"a": "old"}

    def lookup(conn_id: str) -> CallbackSettings | None:
        looked_up.append(conn_id)
        return CallbackSettings(secret=secrets[conn_id]) if conn_id in secrets else None

    clock = Clock()
    cache = SettingsCache(lookup, ttl=10, clock=clock, reread_interval=5)
    old = cache("a")
    assert cache.fresher("a", old) is None  # nothing changed: refused as before
    secrets["a"] = "new"
    clock.now = 4.9
    assert cache.fresher("a", old) is None  # re-read 4.9 s ago: a stranger's bad requests cost nothing more
    assert looked_up == ["a", "a"]
    clock.now = 5.0
    assert cache.fresher("a", old) == CallbackSettings(secret="new")
    assert cache("a") == CallbackSettings(secret="new")  # remembered: the next requests use it
    assert cache.fresher("a", old) == CallbackSettings(secret="new")  # another request found it: no lookup
    assert looked_up == ["a", "a", "a"]
    assert cache.fresher("nope", None) is None  # a missing connection stays missing
    assert looked_up == ["a", "a", "a", "nope"]


def test_concurrent_refusals_after_a_rotation_cost_one_lookup() -> None:
    """Callbacks signed with the new secret arrive together: the first re-reads (slowly), the others wait
    for it and use its answer."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    release = threading.Event()
    looked_up: list[str] = []
    secret = ["old"]

    def lookup(conn_id: str) -> CallbackSettings:
        looked_up.append(conn_id)
        if len(looked_up) > 1:
            release.wait(10)
        return CallbackSettings(secret=secret[0])

    cache = SettingsCache(lookup, clock=Clock())
    old = cache("a")
    secret[0] = "new"
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(cache.fresher, "a", old) for _ in range(8)]
        release.set()
        answers = [f.result(10) for f in futures]
    assert answers == [CallbackSettings(secret="new")] * 8
    assert looked_up == ["a", "a"]
