"""Reading a callback body with a size limit, enforced before and while reading.

A declared ``Content-Length`` over the limit is refused without reading anything; a body sent without one
(chunked) or lying about it is counted as it streams in and refused as soon as it passes the limit, so an
oversized request never sits in memory whole.  Sinch's largest callback, a ``full`` batch report of 1000
recipients, is a few tens of kilobytes: :data:`MAX_BODY_BYTES` leaves ample room.

The body is read before its HMAC can be checked, so a client that sends plausible headers and then trickles
the body would hold a request open for as long as it liked: the whole body must arrive within
:data:`BODY_TIMEOUT_S` (Sinch sends a few kilobytes at once), or the request is answered 503 with
``Retry-After``: 5xx, not 408, because Sinch gives up on a 4xx, and a genuine callback held up by a slow
network must be sent again, not lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

from airflow_provider_sinch.callbacks.auth import CallbackRefused
from airflow_provider_sinch.client.webhooks import lowered

MAX_BODY_BYTES = 1024 * 1024
BODY_TIMEOUT_S = 30.0


def check_declared_length(headers: Mapping[str, str], limit: int = MAX_BODY_BYTES) -> None:
    """Refuse (413) a request whose ``Content-Length`` is over ``limit``; 400 when it is not a number."""
    declared = lowered(headers).get("content-length")
    if declared is None:
        return
    try:
        length = int(declared)
    except ValueError:
        raise CallbackRefused(400, "invalid Content-Length") from None
    if length > limit:
        raise CallbackRefused(413, f"body larger than {limit} bytes")


async def read_limited(chunks: AsyncIterator[bytes], limit: int = MAX_BODY_BYTES,
                       timeout: float = BODY_TIMEOUT_S) -> bytes:
    """The body from ``chunks``; refused (413) as soon as more than ``limit`` bytes have arrived, and refused
    (503, ``Retry-After: 5``) when the whole body has not arrived within ``timeout`` seconds."""
    parts: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise CallbackRefused(413, f"body larger than {limit} bytes")
                parts.append(chunk)
    except TimeoutError:
        raise CallbackRefused(503, f"body not received within {timeout:g} s",
                              headers={"Retry-After": "5"}) from None
    return b"".join(parts)
