"""Reading requests as Sinch does: JSON bodies (415, ``syntax_invalid_json``), model validation and queries.

Bodies are validated with the client's own models (:func:`airflow_provider_sinch.client.models.build`), so
the sandbox refuses exactly what the client refuses before sending.  Query strings are read by hand because
Sinch's rules differ from the client's models there: timestamps without an offset are UTC, lists are
comma-separated, and booleans are ``true``/``false`` only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.client.models import DeliveryStatus, build
from airflow_provider_sinch.testing.sandbox.clock import parse_timestamp
from airflow_provider_sinch.testing.sandbox.errors import (
    CONSTRAINT,
    INVALID_FORMAT,
    INVALID_JSON,
    ApiError,
    bad_request,
    from_validation,
)

_STATUSES = frozenset(s.value for s in DeliveryStatus)
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100


def is_json(content_type: str | None) -> bool:
    """``application/json`` (with or without parameters) or a ``+json`` type."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))


def parse_json_body(content_type: str | None, raw: bytes) -> Any:
    """The decoded JSON object of a request body, or the 415/400 Sinch gives instead."""
    if not is_json(content_type):
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(INVALID_JSON, f"The request body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise bad_request(INVALID_JSON, "The request body must be a JSON object")
    return payload


def validate(model: Any, data: Any, name: str) -> Any:
    """``data`` validated into ``model`` with the client's rules, or the 400 naming what is wrong."""
    try:
        return build(model, data, name)
    except SinchValidationError as exc:
        raise from_validation(exc) from None


class Query:
    """Typed access to a request's query parameters, with Sinch's 400s for bad values.

    :param params: the query parameters (one value per name).
    """

    def __init__(self, params: Mapping[str, str]) -> None:
        self.params = params

    def text(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value not in (None, "") else None

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(INVALID_FORMAT, f"{name} must be an integer, got {raw!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise bad_request(CONSTRAINT, f"{name} must be {bounds}, got {value}")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        if raw not in ("true", "false"):
            raise bad_request(INVALID_FORMAT, f"{name} must be true or false, got {raw!r}")
        return raw == "true"

    def timestamp(self, name: str, default: float | None = None) -> float | None:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return parse_timestamp(raw)
        except ValueError:
            raise bad_request(INVALID_FORMAT, f"{name} must be an ISO-8601 timestamp, got {raw!r}") from None

    def csv(self, name: str) -> list[str]:
        raw = self.text(name)
        return [part.strip() for part in raw.split(",") if part.strip()] if raw else []

    def statuses(self) -> set[str]:
        values = self.csv("status")
        unknown = [v for v in values if v not in _STATUSES]
        if unknown:
            raise bad_request(INVALID_FORMAT, f"unknown delivery status {unknown[0]!r} "
                                              f"(statuses are spelled {', '.join(sorted(_STATUSES))})")
        return set(values)

    def codes(self) -> set[int]:
        try:
            return {int(v) for v in self.csv("code")}
        except ValueError:
            raise bad_request(INVALID_FORMAT, "code must be a comma-separated list of integers") from None

    def page(self) -> tuple[int, int]:
        """``(page, page_size)``: pages count from 0, 1 to 100 entries a page (default 30)."""
        return self.integer("page", 0, 0), self.integer("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)

    def window(self, now: float, default_age: float = 24 * 3600.0) -> tuple[float, float | None]:
        """``(start, end)`` of a date filter: ``start_date`` defaults to ``default_age`` ago, no ``end_date``
        means no end."""
        start = self.timestamp("start_date", now - default_age)
        assert start is not None
        return start, self.timestamp("end_date")


def page_of(items: list[Any], page: int, page_size: int, key: str) -> dict[str, Any]:
    """A list answer: ``count`` is every match, ``page_size`` the entries in *this* page."""
    chunk = items[page * page_size:(page + 1) * page_size]
    return {"count": len(items), "page": page, "page_size": len(chunk), key: chunk}
