"""Lazy pagination over Sinch list endpoints, shared by the sync and async iterators.

Pages count from 0.  ``page_size`` in an answer is the number of entries in *that* page (not the size
asked for), so the end is reached when a page is empty or the entries seen reach ``count``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.client.retry import is_whole


@dataclass
class PageCursor:
    """Where an iteration over a list endpoint stands.

    :param filters: the caller's filters; ``page`` in them is the first page to fetch (default 0).
    :param page: the next page to fetch.
    :param seen: entries returned so far.
    :param done: whether the last page has been read.
    """

    filters: dict[str, Any]
    page: int = 0
    seen: int = 0
    done: bool = False
    _first: bool = field(default=True, repr=False)

    def __post_init__(self) -> None:
        self.filters = dict(self.filters)
        page = self.filters.pop("page", None) or 0
        if not is_whole(page) or page < 0:
            raise SinchValidationError([("page", "must be a whole number from 0 (the first page to fetch)")],
                                       "pagination")
        self.page = page

    def request(self) -> dict[str, Any]:
        """Arguments for the next page's request."""
        return {**self.filters, "page": self.page}

    def advance(self, response: Any, items_field: str) -> list[Any]:
        """Record a fetched page and return its entries."""
        items = list(getattr(response, items_field, None) or [])
        self.seen += len(items)
        total = int(getattr(response, "count", 0) or 0)
        self.page += 1
        if not items or self.seen >= total:
            self.done = True
        return items
