"""The Sinch SMS REST API in plain Python (no Airflow imports).

``SinchClient`` (requests) and ``AsyncSinchClient`` (httpx) expose the same 20 operations, defined once in
:mod:`~airflow_provider_sinch.client.operations`; models live in :mod:`~airflow_provider_sinch.client.models`.
"""

from airflow_provider_sinch.client.async_client import AsyncSinchClient
from airflow_provider_sinch.client.auth import ProjectAuth, ServicePlanAuth
from airflow_provider_sinch.client.config import REGIONS, SinchConfig, region_base_url
from airflow_provider_sinch.client.errors import (
    SinchAmbiguousSendError,
    SinchAPIError,
    SinchAuthenticationError,
    SinchBadRequestError,
    SinchConflictError,
    SinchError,
    SinchForbiddenError,
    SinchNotFoundError,
    SinchRateLimitError,
    SinchReportNotReadyError,
    SinchServerError,
    SinchTransportError,
    SinchValidationError,
)
from airflow_provider_sinch.client.msisdn import mask_msisdn, normalize_msisdn
from airflow_provider_sinch.client.operations import OPERATIONS, Operation, SinchOperations
from airflow_provider_sinch.client.retry import RetryPolicy
from airflow_provider_sinch.client.segments import count_segments, truncate_to_parts
from airflow_provider_sinch.client.sync_client import SinchClient

__all__ = [
    "OPERATIONS",
    "REGIONS",
    "AsyncSinchClient",
    "Operation",
    "ProjectAuth",
    "RetryPolicy",
    "ServicePlanAuth",
    "SinchAPIError",
    "SinchAmbiguousSendError",
    "SinchAuthenticationError",
    "SinchBadRequestError",
    "SinchClient",
    "SinchConfig",
    "SinchConflictError",
    "SinchError",
    "SinchForbiddenError",
    "SinchNotFoundError",
    "SinchOperations",
    "SinchRateLimitError",
    "SinchReportNotReadyError",
    "SinchServerError",
    "SinchTransportError",
    "SinchValidationError",
    "count_segments",
    "mask_msisdn",
    "normalize_msisdn",
    "region_base_url",
    "truncate_to_parts",
]
