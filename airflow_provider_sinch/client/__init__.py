"""The Sinch SMS REST API in plain Python (no Airflow imports).

``SinchClient`` (requests) and ``AsyncSinchClient`` (httpx) expose the same 20 operations, defined once in
:mod:`~airflow_provider_sinch.client.operations`; each returns its model (``get_batch`` a :class:`Batch`),
exported here with the others a call returns.  Request and query models live in
:mod:`~airflow_provider_sinch.client.models`.
"""

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
