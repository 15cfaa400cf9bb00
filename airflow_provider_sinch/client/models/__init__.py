"""pydantic v2 models of every Sinch SMS request and response.

Each name is imported on first use (:mod:`~airflow_provider_sinch.client.lazy`), so using one module's models
does not define the others (Sinch's size limits are in :mod:`~airflow_provider_sinch.client.limits`).
"""

from typing import TYPE_CHECKING

from airflow_provider_sinch.client.lazy import lazy_exports

if TYPE_CHECKING:
    from airflow_provider_sinch.client.models.batches import (
        Batch,
        BatchMediaBody,
        BatchRequest,
        BatchType,
        BinaryBatchRequest,
        DeliveryFeedbackRequest,
        DeliveryReportType,
        DryRunQuery,
        DryRunRecipient,
        DryRunResponse,
        ListBatchesQuery,
        ListBatchesResponse,
        MediaBatchRequest,
        MediaBody,
        TextBatchRequest,
        UpdateBatchRequest,
    )
    from airflow_provider_sinch.client.models.common import build
    from airflow_provider_sinch.client.models.delivery_reports import (
        BatchDeliveryReport,
        DeliveryReportQuery,
        ListDeliveryReportsQuery,
        ListDeliveryReportsResponse,
        MessageDeliveryStatus,
        RecipientDeliveryReport,
    )
    from airflow_provider_sinch.client.models.groups import (
        AutoUpdate,
        Group,
        GroupAutoUpdate,
        GroupKeyword,
        GroupRequest,
        GroupUpdateRequest,
        Keyword,
        ListGroupsQuery,
        ListGroupsResponse,
    )
    from airflow_provider_sinch.client.models.inbounds import (
        InboundMedia,
        InboundMediaBody,
        InboundMessage,
        ListInboundsQuery,
        ListInboundsResponse,
    )
    from airflow_provider_sinch.client.models.statuses import (
        FINAL_STATUSES,
        INTERMEDIATE_STATUSES,
        DeliveryStatus,
    )

_EXPORTS = {
    "batches": (
        "Batch", "BatchMediaBody", "BatchRequest", "BatchType", "BinaryBatchRequest",
        "DeliveryFeedbackRequest", "DeliveryReportType", "DryRunQuery", "DryRunRecipient", "DryRunResponse",
        "ListBatchesQuery", "ListBatchesResponse", "MediaBatchRequest", "MediaBody", "TextBatchRequest",
        "UpdateBatchRequest",
    ),
    "common": ("build",),
    "delivery_reports": (
        "BatchDeliveryReport", "DeliveryReportQuery", "ListDeliveryReportsQuery",
        "ListDeliveryReportsResponse", "MessageDeliveryStatus", "RecipientDeliveryReport",
    ),
    "groups": (
        "AutoUpdate", "Group", "GroupAutoUpdate", "GroupKeyword", "GroupRequest", "GroupUpdateRequest",
        "Keyword", "ListGroupsQuery", "ListGroupsResponse",
    ),
    "inbounds": (
        "InboundMedia", "InboundMediaBody", "InboundMessage", "ListInboundsQuery", "ListInboundsResponse",
    ),
    "statuses": ("FINAL_STATUSES", "INTERMEDIATE_STATUSES", "DeliveryStatus"),
}

__all__ = [
    "FINAL_STATUSES",
    "INTERMEDIATE_STATUSES",
    "AutoUpdate",
    "Batch",
    "BatchDeliveryReport",
    "BatchMediaBody",
    "BatchRequest",
    "BatchType",
    "BinaryBatchRequest",
    "DeliveryFeedbackRequest",
    "DeliveryReportQuery",
    "DeliveryReportType",
    "DeliveryStatus",
    "DryRunQuery",
    "DryRunRecipient",
    "DryRunResponse",
    "Group",
    "GroupAutoUpdate",
    "GroupKeyword",
    "GroupRequest",
    "GroupUpdateRequest",
    "InboundMedia",
    "InboundMediaBody",
    "InboundMessage",
    "Keyword",
    "ListBatchesQuery",
    "ListBatchesResponse",
    "ListDeliveryReportsQuery",
    "ListDeliveryReportsResponse",
    "ListGroupsQuery",
    "ListGroupsResponse",
    "ListInboundsQuery",
    "ListInboundsResponse",
    "MediaBatchRequest",
    "MediaBody",
    "MessageDeliveryStatus",
    "RecipientDeliveryReport",
    "TextBatchRequest",
    "UpdateBatchRequest",
    "build",
]

if not TYPE_CHECKING:  # mypy reads the imports above, so a misspelt name stays an error there
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
