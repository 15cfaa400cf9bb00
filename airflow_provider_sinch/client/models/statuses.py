"""Sinch's delivery statuses, apart from the report models: waits decide on them without defining a model.

The delivery wait (:mod:`~airflow_provider_sinch.delivery`), which every delivery sensor and trigger
module imports when a DAG file is parsed, needs the statuses and which of them are final; the report models
in :mod:`~airflow_provider_sinch.client.models.delivery_reports` use them too.
"""

from enum import StrEnum


class DeliveryStatus(StrEnum):
    """Delivery statuses, spelled exactly as Sinch spells them."""

    QUEUED = "Queued"
    DISPATCHED = "Dispatched"
    DELIVERED = "Delivered"
    FAILED = "Failed"
    EXPIRED = "Expired"
    REJECTED = "Rejected"
    ABORTED = "Aborted"
    CANCELLED = "Cancelled"
    DELETED = "Deleted"
    UNKNOWN = "Unknown"


INTERMEDIATE_STATUSES = frozenset({DeliveryStatus.QUEUED, DeliveryStatus.DISPATCHED})
FINAL_STATUSES = frozenset(set(DeliveryStatus) - INTERMEDIATE_STATUSES)
