"""Which final status each number reaches: a rule table matched on the end of the number.

The default table gives every number ``Delivered`` except a few magic endings, unlikely in real test
data, so tests can pick an outcome by choosing the recipient::

    ...999901 Failed     ...999902 Expired (no receipt until expire_at)   ...999903 Rejected
    ...999904 Aborted    ...999905 Deleted                                ...999906 Unknown

Rules are checked in order, the first match wins; replace or extend the table at run time.
"""

from __future__ import annotations

import threading
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OutcomeStatus = Literal["Delivered", "Failed", "Expired", "Rejected", "Aborted", "Deleted", "Unknown"]

# Sandbox defaults (operators report their own codes for Failed/Rejected: these are SMPP-style examples).
DEFAULT_CODES: dict[str, int] = {
    "Delivered": 0,
    "Failed": 11,
    "Expired": 406,
    "Rejected": 69,
    "Aborted": 402,
    "Deleted": 0,
    "Unknown": 0,
}


class OutcomeRule(BaseModel):
    """One row of the outcome table.

    :param suffix: numbers (digits only) ending with this match; ``""`` matches every number.
    :param status: the final status: ``Aborted`` happens at dispatch (the message never reaches an operator),
        ``Expired`` means no receipt ever comes (the message expires at ``expire_at``), the others arrive
        ``delay`` after dispatch.
    :param code: the status code (default per status: 0 delivered, 402 aborted, 406 expired ...).
    :param delay: sandbox seconds from dispatch to the final status (default: the sandbox's delivery_delay).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    suffix: str = ""
    status: OutcomeStatus
    code: int | None = None
    delay: float | None = Field(default=None, ge=0)

    @property
    def status_code(self) -> int:
        return DEFAULT_CODES[self.status] if self.code is None else self.code


DEFAULT_RULES: tuple[OutcomeRule, ...] = (
    OutcomeRule(suffix="999901", status="Failed"),
    OutcomeRule(suffix="999902", status="Expired"),
    OutcomeRule(suffix="999903", status="Rejected"),
    OutcomeRule(suffix="999904", status="Aborted"),
    OutcomeRule(suffix="999905", status="Deleted"),
    OutcomeRule(suffix="999906", status="Unknown"),
)
_DELIVERED = OutcomeRule(status="Delivered")


class OutcomeTable:
    """The rule table (thread-safe).

    :param rules: rules to start with (default :data:`DEFAULT_RULES`).
    """

    def __init__(self, rules: tuple[OutcomeRule, ...] | list[OutcomeRule] = DEFAULT_RULES) -> None:
        self._lock = threading.Lock()
        self._rules = list(rules)

    @property
    def rules(self) -> list[OutcomeRule]:
        with self._lock:
            return list(self._rules)

    def set(self, rules: list[OutcomeRule]) -> None:
        """Replace the whole table."""
        with self._lock:
            self._rules = list(rules)

    def add(self, rule: OutcomeRule) -> None:
        """Put ``rule`` first, ahead of every existing rule."""
        with self._lock:
            self._rules.insert(0, rule)

    def resolve(self, msisdn: str) -> OutcomeRule:
        """The first rule matching ``msisdn``; ``Delivered`` when none does."""
        with self._lock:
            for rule in self._rules:
                if msisdn.endswith(rule.suffix):
                    return rule
        return _DELIVERED
