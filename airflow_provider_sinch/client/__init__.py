"""The Sinch SMS REST API in plain Python (no Airflow imports).

``SinchClient`` (requests) and ``AsyncSinchClient`` (aiohttp) expose the same 20 operations, defined once in
:mod:`~airflow_provider_sinch.client.operations`; each returns its model (``get_batch`` a :class:`Batch`),
exported here with the others a call returns.  Request and query models live in
:mod:`~airflow_provider_sinch.client.models`.

Every name is imported on first use (:mod:`~airflow_provider_sinch.client.lazy`): a DAG file that needs an
error class or a phone-number check does not pay for ``requests``, aiohttp or the pydantic models.
"""

from typing import TYPE_CHECKING

from airflow_provider_sinch.client.lazy import lazy_exports

if TYPE_CHECKING:
    from airflow_provider_sinch.client.async_client import AsyncSinchClient
    from airflow_provider_sinch.client.auth import ProjectAuth, ServicePlanAuth
    from airflow_provider_sinch.client.config import REGIONS, SinchConfig, region_base_url
    from airflow_provider_sinch.client.errors import (
        SinchAmbiguousSendError,
        SinchAPIError,
        SinchAuthenticationError,
        SinchBadRequestError,
        SinchConfigurationError,
        SinchConflictError,
        SinchError,
        SinchForbiddenError,
        SinchMalformedResponseError,
        SinchMalformedSendResponseError,
        SinchNotFoundError,
        SinchRateLimitError,
        SinchReportNotReadyError,
        SinchServerError,
        SinchTransportError,
        SinchValidationError,
    )
    from airflow_provider_sinch.client.identifiers import MAX_PATH_ID_LENGTH, check_path_id
    from airflow_provider_sinch.client.models import (
        Batch,
        BatchDeliveryReport,
        BatchMediaBody,
        DeliveryStatus,
        DryRunRecipient,
        DryRunResponse,
        Group,
        GroupAutoUpdate,
        GroupKeyword,
        InboundMedia,
        InboundMediaBody,
        InboundMessage,
        ListBatchesResponse,
        ListDeliveryReportsResponse,
        ListGroupsResponse,
        ListInboundsResponse,
        MessageDeliveryStatus,
        RecipientDeliveryReport,
    )
    from airflow_provider_sinch.client.msisdn import (
        check_destination,
        check_destinations,
        mask_all,
        mask_destination,
        mask_msisdn,
        normalize_msisdn,
    )
    from airflow_provider_sinch.client.operations import OPERATIONS, Operation, SinchOperations
    from airflow_provider_sinch.client.redact import mask_text
    from airflow_provider_sinch.client.retry import RetryPolicy
    from airflow_provider_sinch.client.segments import count_segments, truncate_to_parts
    from airflow_provider_sinch.client.sync_client import SinchClient

_EXPORTS = {
    "async_client": ("AsyncSinchClient",),
    "auth": ("ProjectAuth", "ServicePlanAuth"),
    "config": ("REGIONS", "SinchConfig", "region_base_url"),
    "errors": (
        "SinchAmbiguousSendError", "SinchAPIError", "SinchAuthenticationError", "SinchBadRequestError",
        "SinchConfigurationError", "SinchConflictError", "SinchError", "SinchForbiddenError",
        "SinchMalformedResponseError", "SinchMalformedSendResponseError", "SinchNotFoundError",
        "SinchRateLimitError", "SinchReportNotReadyError", "SinchServerError", "SinchTransportError",
        "SinchValidationError",
    ),
    "identifiers": ("MAX_PATH_ID_LENGTH", "check_path_id"),
    "models": (
        "Batch", "BatchDeliveryReport", "BatchMediaBody", "DeliveryStatus", "DryRunRecipient",
        "DryRunResponse", "Group", "GroupAutoUpdate", "GroupKeyword", "InboundMedia", "InboundMediaBody",
        "InboundMessage", "ListBatchesResponse", "ListDeliveryReportsResponse", "ListGroupsResponse",
        "ListInboundsResponse", "MessageDeliveryStatus", "RecipientDeliveryReport",
    ),
    "msisdn": (
        "check_destination", "check_destinations", "mask_all", "mask_destination", "mask_msisdn",
        "normalize_msisdn",
    ),
    "operations": ("OPERATIONS", "Operation", "SinchOperations"),
    "redact": ("mask_text",),
    "retry": ("RetryPolicy",),
    "segments": ("count_segments", "truncate_to_parts"),
    "sync_client": ("SinchClient",),
}

__all__ = [
    "MAX_PATH_ID_LENGTH",
    "OPERATIONS",
    "REGIONS",
    "AsyncSinchClient",
    "Batch",
    "BatchDeliveryReport",
    "BatchMediaBody",
    "DeliveryStatus",
    "DryRunRecipient",
    "DryRunResponse",
    "Group",
    "GroupAutoUpdate",
    "GroupKeyword",
    "InboundMedia",
    "InboundMediaBody",
    "InboundMessage",
    "ListBatchesResponse",
    "ListDeliveryReportsResponse",
    "ListGroupsResponse",
    "ListInboundsResponse",
    "MessageDeliveryStatus",
    "Operation",
    "ProjectAuth",
    "RecipientDeliveryReport",
    "RetryPolicy",
    "ServicePlanAuth",
    "SinchAPIError",
    "SinchAmbiguousSendError",
    "SinchAuthenticationError",
    "SinchBadRequestError",
    "SinchClient",
    "SinchConfig",
    "SinchConfigurationError",
    "SinchConflictError",
    "SinchError",
    "SinchForbiddenError",
    "SinchMalformedResponseError",
    "SinchMalformedSendResponseError",
    "SinchNotFoundError",
    "SinchOperations",
    "SinchRateLimitError",
    "SinchReportNotReadyError",
    "SinchServerError",
    "SinchTransportError",
    "SinchValidationError",
    "check_destination",
    "check_destinations",
    "check_path_id",
    "count_segments",
    "mask_all",
    "mask_destination",
    "mask_msisdn",
    "mask_text",
    "normalize_msisdn",
    "region_base_url",
    "truncate_to_parts",
]

if not TYPE_CHECKING:  # mypy reads the imports above, so a misspelt name stays an error there
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
