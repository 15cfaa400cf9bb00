"""Serialise answers the way Sinch does: compact UTF-8 JSON with ``application/json``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

JSON = "application/json"


def dump(payload: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer."""
    return Response(dump(payload), status_code=status, media_type=JSON, headers=headers)


def empty_response(status: int, headers: Mapping[str, str] | None = None) -> Response:
    """An answer without a body (``202`` delivery feedback, ``200`` group delete, ``404``)."""
    return Response(b"", status_code=status, headers=headers)
