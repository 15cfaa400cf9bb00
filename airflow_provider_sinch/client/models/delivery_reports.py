"""Delivery report models: batch summaries/full reports, recipient reports and the report list."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from airflow_provider_sinch.client.models.common import (
    CsvList,
    DateRangeQuery,
    Page,
    QueryModel,
    ResponseModel,
    ResponseTime,
)
from airflow_provider_sinch.client.models.statuses import (  # re-exported: defined apart from the models
    FINAL_STATUSES as FINAL_STATUSES,
)
from airflow_provider_sinch.client.models.statuses import (
    INTERMEDIATE_STATUSES as INTERMEDIATE_STATUSES,
)
from airflow_provider_sinch.client.models.statuses import DeliveryStatus as DeliveryStatus


class DeliveryReportQuery(QueryModel):
    """Query of ``GET /batches/{id}/delivery_report``: ``summary`` (default) or ``full`` with recipients."""

    type: Literal["summary", "full"] | None = None
    status: CsvList[DeliveryStatus] | None = None
    code: CsvList[int] | None = None


class ListDeliveryReportsQuery(DateRangeQuery):
    """Filters of ``GET /delivery_reports``."""

    status: CsvList[DeliveryStatus] | None = None
    code: CsvList[int] | None = None
    client_reference: str | None = Field(default=None, max_length=2048)


class MessageDeliveryStatus(ResponseModel):
    """One status bucket of a batch report (``recipients`` only with ``type=full``)."""

    code: int
    status: str
    count: int
    recipients: list[str] = Field(default_factory=list)


class BatchDeliveryReport(ResponseModel):
    """A batch delivery report; only statuses with a count of at least one are listed."""

    type: str = "delivery_report_sms"
    batch_id: str
    total_message_count: int = 0
    statuses: list[MessageDeliveryStatus] = Field(default_factory=list)
    client_reference: str | None = None

    def counts(self) -> dict[str, int]:
        """``{status: count}`` summed over codes."""
        out: dict[str, int] = {}
        for bucket in self.statuses:
            out[bucket.status] = out.get(bucket.status, 0) + bucket.count
        return out


class RecipientDeliveryReport(ResponseModel):
    """The delivery report of one recipient of a batch."""

    type: str = "recipient_delivery_report_sms"
    batch_id: str
    recipient: str
    code: int
    status: str
    at: ResponseTime | None = None
    operator_status_at: ResponseTime | None = None
    client_reference: str | None = None
    applied_originator: str | None = None
    encoding: str | None = None
    number_of_message_parts: int | None = None
    operator: str | None = None
    status_message: str | None = None


class ListDeliveryReportsResponse(Page):
    """A page of recipient delivery reports."""

    # Required: a page without its list is not an answer to a list request.
    delivery_reports: list[RecipientDeliveryReport]
