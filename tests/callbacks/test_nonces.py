"""The per-process nonce cache: replays refused within the TTL, memory bounded."""

from __future__ import annotations

import pytest

from airflow_provider_sinch.callbacks.nonces import NonceCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_nonce_is_claimed_once_until_it_expires() -> None:
    clock = Clock()
    cache = NonceCache(ttl=600, clock=clock)
    assert cache.claim("a")
    assert not cache.claim("a")
    clock.now = 599
    assert not cache.claim("a")
    clock.now = 600
    assert cache.claim("a")  # expired (its timestamp is refused by then anyway)


def test_released_nonces_may_be_used_again() -> None:
    cache = NonceCache(ttl=600)
    assert cache.claim("a")
    cache.release("a")
    assert cache.claim("a")


def test_the_cache_is_bounded_oldest_first() -> None:
    cache = NonceCache(ttl=600, max_entries=3, clock=Clock())
    for nonce in "abcd":
        assert cache.claim(nonce)
    assert len(cache) == 3
    assert cache.claim("a")  # forgotten first
    assert not cache.claim("d")


def test_invalid_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        NonceCache(ttl=0)
    with pytest.raises(ValueError):
        NonceCache(ttl=1, max_entries=0)
