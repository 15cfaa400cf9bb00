"""When to retry a Sinch request and how long to wait: one policy for the sync and the async client.

* 429 is retried on every method: Sinch did not accept the request, so resending cannot duplicate it.
* 5xx and connection errors are retried only for operations that are safe to repeat (GET, PUT, DELETE
  and the side-effect-free dry run).  A state-changing POST that may have been applied is never resent;
  the client raises :class:`~airflow_provider_sinch.client.errors.SinchAmbiguousSendError` instead.
* A 401 with an OAuth2 project token is retried once, with a new token (the cached one may have been
  revoked before its expiry); a second 401 is final here (a client given a ``renew`` then asks for the
  connection's credentials again: :mod:`~airflow_provider_sinch.client.renewal`).
* A connection that failed *before* the request was sent (refused, DNS, connect timeout) is safe to
  retry for every method.
* Waits are jittered exponential backoff; a ``Retry-After`` header (seconds or an HTTP date) is honoured,
  capped so a misbehaving proxy cannot park a worker for hours.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeGuard

from tenacity import RetryCallState, retry_if_exception

from airflow_provider_sinch.client.errors import (
    SinchAPIError,
    SinchAuthenticationError,
    SinchConfigurationError,
    SinchRateLimitError,
    SinchServerError,
    SinchTransportError,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries.

    :param max_attempts: attempts per request, the first included (1 disables retries; a 401 with an
        expired OAuth2 token is still resent once with a new token, which is not counted).
    :param backoff_base: first backoff in seconds; doubles each attempt, with full jitter.
    :param backoff_max: upper bound of one backoff.
    :param retry_after_cap: upper bound honoured for a server's ``Retry-After``.
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0

    def __post_init__(self) -> None:
        errors = []
        attempts = self.max_attempts
        if not is_whole(attempts) or attempts < 1:
            errors.append(
                ("retry.max_attempts", f"must be a whole number, at least 1, got {shown_number(attempts)}"))
        for name in ("backoff_base", "backoff_max", "retry_after_cap"):
            value = getattr(self, name)
            if not is_finite_number(value) or value < 0:
                rule = f"must be a finite number of seconds from 0, got {shown_number(value)}"
                errors.append((f"retry.{name}", rule))
        if errors:
            raise SinchConfigurationError(errors)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.retry_after_cap))
        # Capped exponent: 2 ** 1024 does not fit a float, and the ceiling is reached long before.
        ceiling = min(self.backoff_max, self.backoff_base * (2.0 ** min(attempt - 1, 64)))
        return random.uniform(ceiling / 2, ceiling)

    def tenacity_kwargs(self, safe_to_retry: bool) -> dict[str, Any]:
        """Arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` for one operation."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, SinchAuthenticationError):
                return 0.0  # a new token is all it needs
            retry_after = exc.retry_after if isinstance(exc, SinchAPIError) else None
            return self.backoff(state.attempt_number, retry_after)

        def stop(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, SinchAuthenticationError) and exc.renew_token:
                return False  # the one resend with a new token is not a retry: even max_attempts=1 gets it
            return state.attempt_number >= self.max_attempts

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, SinchAuthenticationError):
                log.warning("Sinch refused the OAuth2 token (revoked early?); resending once with a new one")
                return
            log.warning(
                "Sinch request failed (%s); retry %d of %d in %.1fs",
                exc,
                state.attempt_number,
                self.max_attempts - 1,
                state.next_action.sleep if state.next_action else 0.0,
            )

        return {
            "stop": stop,
            "wait": wait,
            "retry": retry_if_exception(lambda exc: is_retryable(exc, safe_to_retry)),
            "before_sleep": before_sleep,
            "reraise": True,
        }


def is_whole(value: object) -> TypeGuard[int]:
    """An ``int`` that is not a ``bool``: ``True`` is neither a count nor an id."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    """An ``int`` or a ``float`` (NaN and infinities included), not a ``bool``."""
    return is_whole(value) or isinstance(value, float)


def is_finite_number(value: object) -> bool:
    """An ``int`` or a finite ``float``, not a ``bool`` (``True`` is not a number of seconds)."""
    return is_whole(value) or (isinstance(value, float) and math.isfinite(value))


def shown_number(value: object) -> str:
    """A setting for an error message: a number as written (unless huge), anything else by its type."""
    if isinstance(value, float):
        return repr(value)
    if is_whole(value):
        return repr(value) if abs(value) < 10**15 else "a very large number"
    return f"a {type(value).__name__}"


def is_retryable(exc: BaseException, safe_to_retry: bool) -> bool:
    """Whether ``exc`` may be retried for an operation that is (or is not) safe to repeat."""
    if isinstance(exc, SinchRateLimitError):
        return True
    if isinstance(exc, SinchAuthenticationError):
        return exc.renew_token  # refused, so never applied: safe to resend once with a new token
    if isinstance(exc, SinchTransportError):
        return safe_to_retry or not exc.sent
    if isinstance(exc, SinchServerError):
        return safe_to_retry
    return False


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
