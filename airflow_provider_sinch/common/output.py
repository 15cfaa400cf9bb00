"""What tasks hand back and log: plain JSON for XCom, masked numbers for log lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from airflow_provider_sinch.client.msisdn import mask_all


def to_xcom(value: Any) -> Any:
    """Plain JSON for XCom: models become ``to_dict()``, containers are converted item by item."""
    from airflow_provider_sinch.client.models.common import ResponseModel  # not at DAG parse

    if isinstance(value, ResponseModel):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): to_xcom(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_xcom(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def masked(entries: Sequence[str], limit: int = 5) -> str:
    """Destinations for a log line: numbers masked, group ids as they are, at most ``limit`` shown."""
    return mask_all(list(entries), limit) if entries else "(none)"

