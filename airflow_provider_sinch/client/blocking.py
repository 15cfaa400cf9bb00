"""The operations as blocking methods, without an HTTP library: what ``SinchClient`` and ``SinchHook`` share.

Kept apart from :mod:`~airflow_provider_sinch.client.sync_client` so that the hook class (which every
operator and sensor module imports) can be defined without importing ``requests``, urllib3 and
charset_normalizer; the hook imports the sync client when it first builds one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from airflow_provider_sinch.client.endpoints import Pages
from airflow_provider_sinch.client.operations import (
    LIST_BATCHES,
    LIST_DELIVERY_REPORTS,
    LIST_GROUPS,
    LIST_INBOUNDS,
    ListOperation,
    Operation,
    SinchOperations,
)
from airflow_provider_sinch.client.pagination import PageCursor

T = TypeVar("T")
ItemT = TypeVar("ItemT")


class BlockingOperations(SinchOperations):
    """The Sinch operations where ``_execute`` returns the answer, with the lazy iterators over list
    operations: the sync client's methods, shared by ``SinchHook`` (whose ``_execute`` is its client's).
    """

    def _execute(self, operation: Operation[T], kwargs: dict[str, Any]) -> T:
        raise NotImplementedError

    def _paginate(self, operation: ListOperation[Any, ItemT], filters: dict[str, Any]) -> Iterator[ItemT]:
        cursor = PageCursor(filters)
        while not cursor.done:
            yield from cursor.advance(self._execute(operation, cursor.request()), operation.items or "")

    iter_batches = Pages(LIST_BATCHES)
    iter_delivery_reports = Pages(LIST_DELIVERY_REPORTS)
    iter_groups = Pages(LIST_GROUPS)
    iter_inbounds = Pages(LIST_INBOUNDS)
