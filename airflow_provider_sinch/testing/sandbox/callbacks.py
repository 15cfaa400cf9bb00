"""POSTing callbacks (delivery reports, inbound messages) the way Sinch does, retries included.

Any 2xx acknowledges.  A 5xx, a 429 or no answer at all is retried after 5 s, 10 s, 20 s ... (doubling, on
the sandbox timeline, so a sandbox with a ``time_scale`` retries that much quicker) until the retry window
(about 22 h 45 min) is spent; any other status is final.  Several worker threads POST in parallel, so
callbacks can arrive out of order, as Sinch warns.  Every attempt is kept for inspection.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from airflow_provider_sinch.testing.sandbox.responses import JSON, dump
from airflow_provider_sinch.testing.sandbox.scheduler import Scheduler
from airflow_provider_sinch.testing.sandbox.settings import SandboxSettings
from airflow_provider_sinch.testing.sandbox.signing import signed_headers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallbackAttempt:
    """One POST of one callback.

    :param delivery: which callback this attempt belongs to (attempts of one callback share it).
    :param kind: ``delivery_report`` (batch summary/full), ``recipient_delivery_report`` or ``inbound``.
    :param url: where it was POSTed.
    :param attempt: 1 for the first try, 2 for the first retry ...
    :param at: the sandbox's now at the attempt (epoch seconds).
    :param status: the receiver's HTTP status, ``None`` when it did not answer.
    :param error: why there was no answer (exception name), else ``None``.
    :param payload: the JSON sent.
    :param retry_in: sandbox seconds until the next attempt (real: ``retry_in / time_scale``), ``None`` when
        there is none.
    """

    delivery: int
    kind: str
    url: str
    attempt: int
    at: float
    status: int | None
    error: str | None
    payload: Any
    retry_in: float | None

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class _Callback:
    delivery: int
    kind: str
    url: str
    payload: Any
    body: bytes
    generation: int


def _retryable(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500


def _safe_url(url: str) -> str:
    """``url`` without user info, for logs (callback URLs may carry basic-auth credentials)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}{parts.path}"


class CallbackDispatcher:
    """Delivers callbacks on worker threads and schedules their retries.

    :param scheduler: schedules retries on the sandbox timeline.
    :param settings: returns the current settings (secret, timeout, retry schedule).
    """

    def __init__(self, scheduler: Scheduler, settings: Callable[[], SandboxSettings]) -> None:
        self._scheduler = scheduler
        self._settings = settings
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._attempts: list[CallbackAttempt] = []
        self._generation = 0
        self._executor: ThreadPoolExecutor | None = None
        self._client: httpx.Client | None = None

    @property
    def attempts(self) -> list[CallbackAttempt]:
        with self._lock:
            return list(self._attempts)

    def send(self, kind: str, url: str, payload: Any) -> None:
        """POST ``payload`` to ``url`` soon, retrying as Sinch does."""
        callback = _Callback(next(self._ids), kind, url, payload, dump(payload), self._generation)
        self._submit(callback, 1, 0.0)

    def reset(self) -> None:
        """Forget every attempt; callbacks still in flight are not retried any more."""
        with self._lock:
            self._generation += 1
            self._attempts.clear()

    def start(self) -> None:
        if self._executor is None:
            settings = self._settings()
            self._executor = ThreadPoolExecutor(settings.callback_workers,
                                                thread_name_prefix="sinch-callback")
            self._client = httpx.Client(timeout=settings.callback_timeout, trust_env=False)

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _submit(self, callback: _Callback, attempt: int, waited: float) -> None:
        executor = self._executor
        if executor is None or callback.generation != self._generation:
            return
        with contextlib.suppress(RuntimeError):  # shutting down
            executor.submit(self._attempt, callback, attempt, waited)

    def _attempt(self, callback: _Callback, attempt: int, waited: float) -> None:
        settings = self._settings()
        headers = {"Content-Type": JSON}
        if settings.webhook_secret:
            headers.update(signed_headers(settings.webhook_secret, callback.body))
        status: int | None = None
        error: str | None = None
        client = self._client
        if client is None:
            return
        try:
            status = client.post(callback.url, content=callback.body, headers=headers).status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        retry_in: float | None = None
        if _retryable(status):
            delay = settings.callback_retry_base * 2 ** (attempt - 1)
            if waited + delay <= settings.callback_retry_window:
                retry_in = delay
        answered_at = self._scheduler.clock.time()
        if retry_in is not None:
            # Scheduled before the attempt is visible, so whoever sees the attempt can advance the clock
            # knowing its retry is already on the schedule.
            self._scheduler.after(retry_in, lambda: self._submit(callback, attempt + 1, waited + retry_in))
        with self._lock:
            if callback.generation != self._generation:
                return
            self._attempts.append(CallbackAttempt(
                callback.delivery, callback.kind, callback.url, attempt, answered_at,
                status, error, callback.payload, retry_in,
            ))
        log.debug("sandbox %s callback to %s, attempt %d: %s", callback.kind, _safe_url(callback.url),
                  attempt, status or error)
