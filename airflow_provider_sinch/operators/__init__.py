"""Operators for everything that changes state at Sinch: batches, groups, and reading inbound messages.

Each class is imported on first use (:mod:`~airflow_provider_sinch.client.lazy`): a DAG file that takes one
operator from here does not import the others.
"""

from typing import TYPE_CHECKING

from airflow_provider_sinch.client.lazy import lazy_exports

if TYPE_CHECKING:
    from airflow_provider_sinch.operators.batches import (
        SinchCancelBatchOperator,
        SinchReplaceBatchOperator,
        SinchSendDeliveryFeedbackOperator,
        SinchUpdateBatchOperator,
    )
    from airflow_provider_sinch.operators.groups import (
        SinchCreateGroupOperator,
        SinchDeleteGroupOperator,
        SinchGetGroupMembersOperator,
        SinchReplaceGroupOperator,
        SinchUpdateGroupOperator,
    )
    from airflow_provider_sinch.operators.hitl import SinchHITLReplyOperator
    from airflow_provider_sinch.operators.inbounds import SinchListInboundMessagesOperator
    from airflow_provider_sinch.operators.send import SinchDryRunBatchOperator, SinchSendBatchOperator

_EXPORTS = {
    "batches": (
        "SinchCancelBatchOperator", "SinchReplaceBatchOperator", "SinchSendDeliveryFeedbackOperator",
        "SinchUpdateBatchOperator",
    ),
    "groups": (
        "SinchCreateGroupOperator", "SinchDeleteGroupOperator", "SinchGetGroupMembersOperator",
        "SinchReplaceGroupOperator", "SinchUpdateGroupOperator",
    ),
    "hitl": ("SinchHITLReplyOperator",),
    "inbounds": ("SinchListInboundMessagesOperator",),
    "send": ("SinchDryRunBatchOperator", "SinchSendBatchOperator"),
}

__all__ = [
    "SinchCancelBatchOperator",
    "SinchCreateGroupOperator",
    "SinchDeleteGroupOperator",
    "SinchDryRunBatchOperator",
    "SinchGetGroupMembersOperator",
    "SinchHITLReplyOperator",
    "SinchListInboundMessagesOperator",
    "SinchReplaceBatchOperator",
    "SinchReplaceGroupOperator",
    "SinchSendBatchOperator",
    "SinchSendDeliveryFeedbackOperator",
    "SinchUpdateBatchOperator",
    "SinchUpdateGroupOperator",
]

if not TYPE_CHECKING:  # mypy reads the imports above, so a misspelt name stays an error there
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
