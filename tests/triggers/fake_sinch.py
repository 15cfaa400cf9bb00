"""A scriptable in-memory Sinch for unit tests of triggers and sensors (no network, no DB).

One :class:`FakeSinch` answers both clients: ``httpx.MockTransport`` for the async client the triggers use
and ``requests_mock`` for the sync client behind the hook in ``poke``.  Reports are scripted as sequences:
each read takes the next entry and the last one repeats, so a test says "Queued, then Delivered".
"""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from airflow_provider_sinch.client import AsyncSinchClient, RetryPolicy, ServicePlanAuth, SinchConfig

BASE = "http://sinch.test"
PLAN = "plan-1"
ROOT = f"{BASE}/xms/v1/{PLAN}"
CONN = {
    "conn_type": "sinch",
    "login": PLAN,
    "password": "token-1",
    "host": BASE,
    "extra": {"region": "us", "timeout": 5},
}


def report(batch_id: str, total: int, **statuses: int | tuple[int, int]) -> dict[str, Any]:
    """A summary report: ``report("b1", 3, Delivered=2, Failed=(402, 1))`` (default codes per status)."""
    codes = {
        "Delivered": 0,
        "Queued": 400,
        "Dispatched": 401,
        "Failed": 402,
        "Expired": 406,
        "Cancelled": 407,
        "Rejected": 408,
        "Aborted": 412,
        "Deleted": 403,
        "Unknown": 0,
    }
    buckets = []
    for status, value in statuses.items():
        code, count = value if isinstance(value, tuple) else (codes[status], value)
        buckets.append({"code": code, "status": status, "count": count})
    return {
        "type": "delivery_report_sms",
        "batch_id": batch_id,
        "total_message_count": total,
        "statuses": buckets,
    }


def recipient_report(batch_id: str, msisdn: str, status: str, code: int = 0) -> dict[str, Any]:
    return {
        "type": "recipient_delivery_report_sms",
        "batch_id": batch_id,
        "recipient": msisdn,
        "code": code,
        "status": status,
        "at": "2026-01-01T00:00:00.000Z",
    }


def inbound(msg_id: str, sender: str, text: str, at: str, to: str = "12017777777") -> dict[str, Any]:
    return {"type": "mo_text", "id": msg_id, "from": sender, "to": to, "body": text, "received_at": at}


@dataclass
class FakeSinch:
    """In-memory answers, an error script and a log of every request."""

    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    recipient_reports: dict[tuple[str, str], deque[dict[str, Any]]] = field(default_factory=dict)
    inbounds: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def add_batch(
        self, batch_id: str, to: Iterable[str], *reports: dict[str, Any], canceled: bool = False
    ) -> None:
        self.batches[batch_id] = {"id": batch_id, "to": list(to), "canceled": canceled, "type": "mt_text"}
        self.reports[batch_id] = deque(reports)

    def add_recipient(self, batch_id: str, msisdn: str, *statuses: tuple[str, int]) -> None:
        self.recipient_reports[(batch_id, msisdn)] = deque(
            recipient_report(batch_id, msisdn, s, c) for s, c in statuses
        )

    def fail(self, kind: str, *statuses: int) -> None:
        """The next reads of ``kind`` (``batch``, ``report``, ``recipient``, ``inbounds``) answer ``statuses``
        (0: answer normally that time)."""
        self.errors[kind].extend(statuses)

    @staticmethod
    def _next(queue: deque[dict[str, Any]]) -> dict[str, Any]:
        return queue.popleft() if len(queue) > 1 else queue[0]

    def answer(self, method: str, url: str) -> tuple[int, Any]:
        parts = urlsplit(url)
        path = parts.path.removeprefix(f"/xms/v1/{PLAN}")
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append((method, path, params))
        if method != "GET":
            return 405, {"code": "method_not_allowed", "text": "tests only read"}
        if m := re.fullmatch(r"/batches/([^/]+)/delivery_report/([^/]+)", path):
            return self._read("recipient", lambda: self._next(self.recipient_reports[(m[1], m[2])]))
        if m := re.fullmatch(r"/batches/([^/]+)/delivery_report", path):
            return self._read("report", lambda: self._next(self.reports[m[1]]))
        if m := re.fullmatch(r"/batches/([^/]+)", path):
            return self._read("batch", lambda: self.batches[m[1]])
        if path == "/inbounds":
            return self._read("inbounds", lambda: self._inbounds(params))
        return 404, None

    def _read(self, kind: str, get: Any) -> tuple[int, Any]:
        status = self.errors[kind].popleft() if self.errors[kind] else 0
        if status:  # 0 in the script: answer normally this time
            return status, {"code": "scripted", "text": f"scripted {status}"}
        try:
            return 200, get()
        except KeyError:
            return 404, None

    def _inbounds(self, params: dict[str, str]) -> dict[str, Any]:
        start = params.get("start_date")
        to = set(params["to"].split(",")) if "to" in params else None
        items = [
            m
            for m in self.inbounds
            if (start is None or m["received_at"] >= _z(start)) and (to is None or m["to"] in to)
        ]
        page, size = int(params.get("page", 0)), int(params.get("page_size", 30))
        chunk = items[page * size : (page + 1) * size]
        return {"count": len(items), "page": page, "page_size": len(chunk), "inbounds": chunk}

    def calls(self, kind: str) -> int:
        """How many requests hit ``batch``/``report``/``recipient``/``inbounds``."""
        pattern = {
            "batch": r"/batches/[^/]+",
            "report": r"/batches/[^/]+/delivery_report",
            "recipient": r"/batches/[^/]+/delivery_report/[^/]+",
            "inbounds": r"/inbounds",
        }[kind]
        return sum(1 for _, p, _ in self.requests if re.fullmatch(pattern, p))

    # Transports
    def httpx_handler(self, request: httpx.Request) -> httpx.Response:
        status, body = self.answer(request.method, str(request.url))
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status)

    def async_client(self) -> AsyncSinchClient:
        config = SinchConfig(
            auth=ServicePlanAuth(PLAN, "token-1"), base_url=BASE, retry=RetryPolicy(max_attempts=1)
        )
        return AsyncSinchClient(
            config, http=httpx.AsyncClient(transport=httpx.MockTransport(self.httpx_handler))
        )

    def mount(self, mocker: Any) -> None:
        """Route a ``requests_mock.Mocker`` to this fake."""

        def callback(request: Any, context: Any) -> Any:
            status, body = self.answer(request.method, request.url)
            context.status_code = status
            context.headers["Content-Type"] = "application/json"
            return json.dumps(body) if body is not None else ""

        mocker.register_uri(requests_mock_any(), re.compile(re.escape(BASE) + r"/.*"), text=callback)


def requests_mock_any() -> Any:
    import requests_mock

    return requests_mock.ANY


def _z(value: str) -> str:
    """The sandbox-free comparison key for ``start_date`` (ISO, UTC, milliseconds, ``Z``)."""
    from datetime import UTC, datetime

    when = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
