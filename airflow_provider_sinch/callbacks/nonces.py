"""Refusing a signed callback whose nonce was already used (a replay), within one API-server process.

A nonce only has to be remembered while its timestamp is still accepted: after the tolerance the timestamp
check refuses the replay anyway.  The cache is bounded (oldest entries go first when it is full), so a flood
cannot exhaust memory.  It is per process: with several API-server workers a replay that reaches another
worker passes this check, and the receiver's dedup record (one row per callback in the metadata DB) still
keeps it from producing a second asset event.  Exactly-once never depends on this cache.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class NonceCache:
    """Nonces seen recently, each kept for ``ttl`` seconds.

    :param ttl: seconds a nonce is remembered (at least twice the timestamp tolerance: a timestamp may be
        early or late by the tolerance).
    :param max_entries: most nonces kept; the oldest are forgotten first when full.
    :param clock: monotonic seconds (injectable for tests).
    """

    def __init__(self, ttl: float, max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if ttl <= 0 or max_entries < 1:
            raise ValueError("ttl must be positive and max_entries at least 1")
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, nonce: str) -> bool:
        """Remember ``nonce``; ``False`` when it was already claimed within ``ttl`` (a replay)."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if nonce in self._seen:
                return False
            self._seen[nonce] = now + self._ttl
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
            return True

    def release(self, nonce: str) -> None:
        """Forget ``nonce``: the request that claimed it was not acknowledged, so resending it is fine."""
        with self._lock:
            self._seen.pop(nonce, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest, expires = next(iter(self._seen.items()))
            if expires > now:
                break
            del self._seen[oldest]
