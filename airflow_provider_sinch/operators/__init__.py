"""Operators for everything that changes state at Sinch: batches, groups, and reading inbound messages."""

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
from airflow_provider_sinch.operators.inbounds import SinchListInboundMessagesOperator
from airflow_provider_sinch.operators.send import SinchDryRunBatchOperator, SinchSendBatchOperator

__all__ = [
    "SinchCancelBatchOperator",
    "SinchCreateGroupOperator",
    "SinchDeleteGroupOperator",
    "SinchDryRunBatchOperator",
    "SinchGetGroupMembersOperator",
    "SinchListInboundMessagesOperator",
    "SinchReplaceBatchOperator",
    "SinchReplaceGroupOperator",
    "SinchSendBatchOperator",
    "SinchSendDeliveryFeedbackOperator",
    "SinchUpdateBatchOperator",
    "SinchUpdateGroupOperator",
]
