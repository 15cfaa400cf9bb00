"""What "delivered well enough" means: the final statuses, the criteria of success, and Sinch's codes.

The criteria travel as trigger kwargs (:meth:`DeliveryCriteria.to_dict` / :meth:`~DeliveryCriteria.from_dict`)
and are checked when built, so bad input fails before any request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_sinch.client.errors import SinchValidationError, clip
from airflow_provider_sinch.client.models.statuses import FINAL_STATUSES, DeliveryStatus
from airflow_provider_sinch.client.retry import is_finite_number, shown_number

CRITERIA = "delivery criteria"

DELIVERY_CODES: dict[int, str] = {
    0: "delivered",
    400: "queued",
    401: "dispatched",
    402: "unroutable",
    403: "internal error",
    404: "temporary failure",
    405: "unmatched parameter",
    406: "internal expiry",
    407: "cancelled by user",
    408: "internal reject",
    410: "unmatched default originator",
    411: "exceeded parts limit",
    412: "unprovisioned region",
    413: "blocked account",
    414: "MMS failure",
    415: "MMS failure",
    416: "MMS failure",
    417: "MMS failure",
    418: "MMS failure",
}
"""Sinch delivery codes and what they mean."""

FINAL_STATUS_NAMES = frozenset(str(s) for s in FINAL_STATUSES)


def describe_code(code: int) -> str:
    """``"402 unroutable"``, or just the number for a code Sinch has not documented."""
    meaning = DELIVERY_CODES.get(code)
    return f"{code} {meaning}" if meaning else str(code)


CRITERIA_KEYS = ("success_statuses", "min_success_ratio", "unknown_is_success")


@dataclass(frozen=True)
class DeliveryCriteria:
    """What "delivered well enough" means; serialisable (:meth:`to_dict` / :meth:`from_dict`).

    :param success_statuses: final statuses that count as success (default ``["Delivered"]``).
    :param min_success_ratio: share of expected recipients, from 0.0 to 1.0, that must end in a success
        status once every recipient is final (default 1.0: all of them).
    :param unknown_is_success: count ``Unknown`` (delivered to the carrier, never confirmed) as success.
    """

    success_statuses: tuple[str, ...] = (DeliveryStatus.DELIVERED.value,)
    min_success_ratio: float = 1.0
    unknown_is_success: bool = False

    def __post_init__(self) -> None:
        statuses = self.success_statuses
        if isinstance(statuses, str):
            statuses = (statuses,)
        if not isinstance(statuses, list | tuple | set | frozenset):
            raise SinchValidationError([("success_statuses", "success_statuses must be a list of final "
                                         f"statuses, got a {type(statuses).__name__}")], CRITERIA)
        object.__setattr__(self, "success_statuses", tuple(str(s) for s in statuses))
        if not self.success_statuses:
            raise SinchValidationError(
                [("success_statuses", "success_statuses must name at least one final status")], CRITERIA)
        unknown = [s for s in self.success_statuses if s not in FINAL_STATUS_NAMES]
        if unknown:
            raise SinchValidationError([("success_statuses", clip(
                f"success_statuses must be final Sinch statuses ({', '.join(sorted(FINAL_STATUS_NAMES))}); "
                f"got {', '.join(unknown)}", 300))], CRITERIA)
        ratio = self.min_success_ratio
        if not is_finite_number(ratio) or not 0.0 <= ratio <= 1.0:  # type: ignore[operator]
            raise SinchValidationError([("min_success_ratio", f"min_success_ratio must be a number from 0.0 "
                                         f"to 1.0, got {shown_number(ratio)}")], CRITERIA)
        object.__setattr__(self, "min_success_ratio", float(ratio))

    @property
    def successful(self) -> frozenset[str]:
        """Every status that counts as success."""
        extra = {DeliveryStatus.UNKNOWN.value} if self.unknown_is_success else set()
        return frozenset(self.success_statuses) | extra

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (trigger kwargs)."""
        return {
            "success_statuses": list(self.success_statuses),
            "min_success_ratio": self.min_success_ratio,
            "unknown_is_success": self.unknown_is_success,
        }

    @classmethod
    def pop_from(cls, kwargs: dict[str, Any]) -> DeliveryCriteria:
        """Take ``success_statuses``, ``min_success_ratio`` and ``unknown_is_success`` out of ``kwargs``."""
        return cls.from_dict({k: kwargs.pop(k) for k in CRITERIA_KEYS if k in kwargs})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DeliveryCriteria:
        """Inverse of :meth:`to_dict`; missing keys take their defaults."""
        if data is not None and not isinstance(data, Mapping):
            rule = f"must be a mapping, got a {type(data).__name__}"
            raise SinchValidationError([("criteria", rule)], CRITERIA)
        data = dict(data or {})
        unknown = sorted(str(k) for k in data if k not in CRITERIA_KEYS)
        if unknown:
            raise SinchValidationError(
                [(clip(", ".join(unknown), 80), f"is not a delivery criterion ({', '.join(CRITERIA_KEYS)})")],
                CRITERIA)
        return cls(**data)
