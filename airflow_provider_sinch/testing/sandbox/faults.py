"""Misbehaving on purpose: rate limits, refusals, server errors, latency, and "accept then drop".

Faults are switched on and off at run time and apply to API requests (``/xms/v1/...``) matching their
method and path.  "Accept then drop" is the dangerous one for clients: the request is handled (a batch is
created) but the client never gets the answer, so a naive retry sends the batch twice.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FaultKind = Literal["rate_limit", "refuse", "server_error", "latency", "drop"]


class Fault(BaseModel):
    """One misbehaviour.

    :param kind: ``rate_limit``: answer 429 (with ``Retry-After`` when ``retry_after`` is set) without
        handling the request; ``refuse``: answer ``status`` (4xx, as Sinch refuses a request it finds
        invalid) without handling it; ``server_error``: answer ``status`` (5xx) without handling it;
        ``latency``: handle it but answer ``seconds`` late; ``drop``: handle it, then give the client no
        answer (``mode``).
    :param probability: the share of matching requests hit, 0 to 1.
    :param times: hit at most this many requests, then the fault is spent (``None``: no limit).
    :param after: leave the first this-many requests the fault selects alone (``after=1``: the second send
        fails, the first goes through), to fail a send part-way.  Counted among the requests that match
        and pass the ``probability`` draw, whatever other faults then do to them.
    :param method: only requests with this HTTP method (``None``: any).
    :param path: only requests whose path below ``/xms/v1/{id}`` matches this regular expression
        (``"^/batches$"``: sends and lists; ``None``: any).
    :param retry_after: seconds for the ``Retry-After`` header of a ``rate_limit`` (``None``: no header).
    :param status: the status of a ``server_error`` (5xx, 503 by default) or of a ``refuse`` (4xx but 429, 400
        by default).
    :param seconds: real seconds of ``latency``, or how long a ``drop`` in ``hang`` mode holds the answer.
    :param mode: how a ``drop`` fails: ``reset`` closes the connection without answering; ``hang``
        answers only after ``seconds``, after the client's read timeout.
    """

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    probability: float = Field(default=1.0, ge=0, le=1)
    times: int | None = Field(default=None, ge=1)
    after: int = Field(default=0, ge=0)
    method: str | None = None
    path: str | None = None
    retry_after: float | None = Field(default=None, ge=0)
    status: int = Field(default=503, ge=400, le=599)
    seconds: float = Field(default=0.0, ge=0)
    mode: Literal["reset", "hang"] = "reset"

    @model_validator(mode="after")
    def _check(self) -> Fault:
        if self.path is not None:
            re.compile(self.path)
        if self.kind == "refuse" and "status" not in self.model_fields_set:
            self.status = 400  # a refusal is a 4xx; the 503 default belongs to server_error
        if self.kind == "refuse" and not (400 <= self.status < 500 and self.status != 429):
            raise ValueError("a refuse fault needs a 4xx status other than 429 (that is a rate_limit)")
        if self.kind == "server_error" and self.status < 500:
            raise ValueError("a server_error fault needs a 5xx status")
        if self.kind == "latency" and self.seconds <= 0:
            raise ValueError("a latency fault needs seconds > 0")
        if self.kind == "drop" and self.mode == "hang" and self.seconds <= 0:
            raise ValueError("a drop in hang mode needs seconds > 0 (longer than the client's timeout)")
        return self

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or re.search(self.path, path) is not None
        )


@dataclass(frozen=True)
class Hit:
    """What to do to one request: wait ``delay`` seconds, then apply ``fault`` (if any).

    :param delay: seconds of added latency (the sum of the latency faults that hit).
    :param fault: the one other fault that hit, or ``None``.
    """

    delay: float = 0.0
    fault: Fault | None = None


class FaultPlan:
    """The active faults (thread-safe).

    :param seed: seed for the probability draws (``None``: not reproducible).
    """

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._left: dict[int, int] = {}
        self._passed: dict[int, int] = {}
        self._random = random.Random(seed)

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)
            if fault.times is not None:
                self._left[id(fault)] = fault.times

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._left.clear()
            self._passed.clear()

    def pick(self, method: str, path: str) -> Hit | None:
        """The faults that hit this request (latencies add up; the first other fault wins)."""
        if not self._faults:
            return None
        delay, chosen = 0.0, None
        with self._lock:
            for fault in list(self._faults):
                if (fault.kind != "latency" and chosen is not None) or not fault.matches(method, path):
                    continue
                if fault.probability < 1 and self._random.random() >= fault.probability:
                    continue
                if self._passed.get(id(fault), 0) < fault.after:
                    self._passed[id(fault)] = self._passed.get(id(fault), 0) + 1
                    continue
                self._spend(fault)
                if fault.kind == "latency":
                    delay += fault.seconds
                else:
                    chosen = fault
        return Hit(delay, chosen) if delay or chosen else None

    def _spend(self, fault: Fault) -> None:
        left = self._left.get(id(fault))
        if left is None:
            return
        if left <= 1:
            self._faults.remove(fault)
            del self._left[id(fault)]
            self._passed.pop(id(fault), None)
        else:
            self._left[id(fault)] = left - 1
