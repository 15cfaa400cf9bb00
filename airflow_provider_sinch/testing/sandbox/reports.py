"""The delivery-report endpoints: a batch's report, one recipient's report, and the report list.

Reports are always readable by GET, whatever the batch's ``delivery_report`` setting.  A batch report shows
every recipient's current state (intermediate ones as ``Queued``/``Dispatched`` buckets); the list shows
finished (final) recipient reports only, newest first, from the last 24 hours unless told otherwise.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_sinch.client.msisdn import normalize_msisdn
from airflow_provider_sinch.testing.sandbox.clock import SandboxClock
from airflow_provider_sinch.testing.sandbox.errors import INVALID_FORMAT, bad_request, not_found
from airflow_provider_sinch.testing.sandbox.parsing import Query, page_of
from airflow_provider_sinch.testing.sandbox.state import Batch, Store
from airflow_provider_sinch.testing.sandbox.views import batch_report, recipient_report


class ReportService:
    """The delivery-report endpoints.

    :param store: the sandbox's state.
    :param clock: the sandbox clock (for the default date window).
    """

    def __init__(self, store: Store, clock: SandboxClock) -> None:
        self._store = store
        self._clock = clock

    def batch(self, batch_id: str, query: Query) -> dict[str, Any]:
        kind = query.text("type") or "summary"
        if kind not in ("summary", "full"):
            raise bad_request(INVALID_FORMAT, f"type must be summary or full, got {kind!r}")
        statuses, codes = query.statuses(), query.codes()
        with self._store.lock:
            return batch_report(self._batch(batch_id), full=kind == "full", statuses=statuses, codes=codes)

    def recipient(self, batch_id: str, msisdn: str) -> dict[str, Any]:
        with self._store.lock:
            batch = self._batch(batch_id)
            recipient = batch.recipients.get(normalize_msisdn(msisdn))
            if recipient is None:
                raise not_found()
            return recipient_report(batch, recipient)

    def find(self, query: Query) -> dict[str, Any]:
        page, page_size = query.page()
        start, end = query.window(self._clock.time())
        statuses, codes = query.statuses(), query.codes()
        reference = query.text("client_reference")
        with self._store.lock:
            found = [
                (r.at, recipient_report(b, r))
                for b in self._store.batches.values()
                if reference is None or b.fields.get("client_reference") == reference
                for r in b.recipients.values()
                if r.final and r.at >= start and (end is None or r.at < end)
                and (not statuses or r.status in statuses) and (not codes or r.code in codes)
            ]
        found.reverse()  # newest first, also among reports stamped with the same time
        found.sort(key=lambda item: item[0], reverse=True)
        return page_of([report for _, report in found], page, page_size, "delivery_reports")

    def _batch(self, batch_id: str) -> Batch:
        batch = self._store.batches.get(batch_id)
        if batch is None:
            raise not_found()
        return batch
