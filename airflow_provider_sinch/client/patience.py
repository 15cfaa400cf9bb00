"""Patience with a rate-limiting Sinch: the tenacity policy a send uses *after* the client's own retries.

The client (:mod:`~airflow_provider_sinch.client.retry`) retries a 429 a few times within one request.  A
long send can meet a storm that outlasts those retries; since Sinch did not accept a refused request,
sending it again later is safe, so a chunk keeps trying for up to ``seconds`` more before its send fails
(and the task's retry resumes it).  Between rounds it waits at least ``first_pause`` seconds, doubling up
to ``max_pause``, even when Sinch says ``Retry-After: 0``: a refusing Sinch is never hammered.

The sleep and the clock are injected, so a caller can make the waits interruptible (a killed task stops
waiting at once) and a test can run a storm of hours in no time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential

from airflow_provider_sinch.client.errors import SinchConfigurationError, SinchRateLimitError
from airflow_provider_sinch.client.retry import is_finite_number, shown_number

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimitPatience:
    """How long one request keeps trying through 429s after the client's retries, and how it waits.

    :param seconds: the most time spent waiting for Sinch to stop refusing (0: the first 429 the client
        gives up on is final).
    :param first_pause: the shortest wait between rounds; it doubles each round.
    :param max_pause: the longest wait between rounds (a ``Retry-After`` may ask for more).
    """

    seconds: float = 300.0
    first_pause: float = 1.0
    max_pause: float = 30.0

    def __post_init__(self) -> None:
        errors = [(f"rate_limit_patience.{name}",
                   f"must be a finite number of seconds from 0, got {shown_number(getattr(self, name))}")
                  for name in ("seconds", "first_pause", "max_pause")
                  if not is_finite_number(getattr(self, name)) or getattr(self, name) < 0]
        if errors:
            raise SinchConfigurationError(errors)

    def retrying(self, *, sleep: Callable[[float], Any] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, what: str = "request") -> Retrying:
        """A ``tenacity.Retrying`` for one request, its patience counted from now.

        :param sleep: how to wait (e.g. ``threading.Event.wait``, so that a stop interrupts it).
        :param clock: monotonic seconds, read now and before each wait.
        :param what: how log lines name the request (``chunk 3``).
        """
        deadline = clock() + self.seconds
        backoff = wait_exponential(multiplier=self.first_pause, max=self.max_pause)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = exc.retry_after if isinstance(exc, SinchRateLimitError) else None
            return max(backoff(state), retry_after or 0.0)

        def stop(state: RetryCallState) -> bool:
            return clock() + wait(state) > deadline

        def before_sleep(state: RetryCallState) -> None:
            pause = state.next_action.sleep if state.next_action else 0.0
            log.warning("%s rate limited by Sinch; again in %.1f s", what[:1].upper() + what[1:], pause)

        return Retrying(sleep=sleep, stop=stop, wait=wait, retry=retry_if_exception_type(SinchRateLimitError),
                        before_sleep=before_sleep, reraise=True)
