"""The one scripted fake Sinch of the unit tests, for what the sandbox cannot express.

Everything a faithful Sinch does (state, the delivery lifecycle, groups, inbounds, 429/5xx faults, lost
answers) is the job of the shipped sandbox (the ``sinch_sandbox`` fixture).  This fake keeps only what a
test scripts: it answers at the transport level, behind ``requests_mock`` (the sync client) and
:func:`~tests.mock_aiohttp.mock_session` (the async client), with exactly the replies a test gives:
malformed bodies, network failures as each library really raises them, a status sequence poll by poll,
inbound messages received at chosen times (the sandbox stamps its own; the list's ``start_date``/``to``
filter is the one piece of Sinch logic here), and a capture of every request (headers, body, the timeout
handed to the HTTP library) for exact counting.

A test scripts answers, looked up in this order: with ``polls=True``, the reads the delivery and inbound
waits make (``add_batch`` / ``add_recipient`` with report sequences, ``inbounds``, ``fail(kind, *statuses)``:
each read takes the next report, the last repeats, so a test says "Queued, then Delivered");
``route(responder)`` for every request; ``reply(*replies)`` for the next requests in order.  A request
nothing answers fails the test.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import requests
import requests_mock
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from airflow_provider_sinch.client import AsyncSinchClient, RetryPolicy, ServicePlanAuth, SinchConfig
from tests.mock_aiohttp import mock_session

PLAN = "plan-1"
TOKEN = "tok-SECRET-9f8e7d6c5b4a"  # distinctive, so a leak is easy to grep for
API_PREFIX = f"/xms/v1/{PLAN}"
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)
# An Airflow connection for the fake (hooks reach it through requests_mock / a patched ``aget_client``).
CONN = {"conn_type": "sinch", "login": PLAN, "password": TOKEN, "host": "http://sinch.test",
        "extra": {"region": "us", "timeout": 5}}

_NO_JSON = object()


def make_config(**overrides: Any) -> SinchConfig:
    """A service plan config with fast retries; any field can be overridden."""
    values: dict[str, Any] = {"auth": ServicePlanAuth(PLAN, TOKEN), "retry": FAST_RETRY}
    values.update(overrides)
    return SinchConfig(**values)


@dataclass
class Reply:
    """What the fake answers to one request.

    :param status: the HTTP status.
    :param json: a JSON body (sets ``Content-Type``); else ``content`` is sent as it is.
    :param content: raw body bytes (for malformed or non-JSON answers).
    :param headers: response headers.
    :param fail: instead of answering, fail the way a network does: ``refused`` (connection refused, nothing
        sent), ``connect_timeout`` (nothing sent), ``read_timeout`` (sent, no answer), ``reset`` (connection
        reset after the request was written).
    """

    status: int = 200
    json: Any = _NO_JSON
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    fail: str | None = None

    @classmethod
    def error(cls, status: int) -> Reply:
        """A Sinch error answer with ``status`` (``{"code", "text"}`` body)."""
        return cls(status, json={"code": "scripted", "text": f"scripted {status}"})

    def body(self) -> bytes:
        return self.content if self.json is _NO_JSON else json.dumps(self.json).encode()

    def response_headers(self) -> dict[str, str]:
        if self.json is _NO_JSON:
            return dict(self.headers)
        return {"Content-Type": "application/json", **self.headers}


@dataclass
class Captured:
    """One request a client sent, as the fake saw it."""

    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    content: bytes
    timeout: tuple[float, float] | None  # (connect, read) as handed to requests / aiohttp
    raw_timeout: Any = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def api_path(self) -> str:
        """The path below ``/xms/v1/{service_plan_id}``."""
        return self.path.removeprefix(API_PREFIX)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    @property
    def json(self) -> Any:
        return json.loads(self.content) if self.content else None

    @property
    def is_api(self) -> bool:
        return "/xms/v1/" in self.path


class FakeSinch:
    """Scripted answers and the log of every request; mount it on ``requests_mock`` or use :meth:`transport`.

    :param polls: answer the GETs of the delivery and inbound waits from :meth:`add_batch`,
        :meth:`add_recipient`, :attr:`inbounds` and :meth:`fail` (unknown ids: 404).
    """

    READS = {  # kind -> API path, most specific first
        "recipient": r"/batches/([^/]+)/delivery_report/([^/]+)",
        "report": r"/batches/([^/]+)/delivery_report",
        "batch": r"/batches/([^/]+)",
        "inbounds": r"/inbounds",
    }

    def __init__(self, *, polls: bool = False) -> None:
        self.polls = polls
        self.requests: list[Captured] = []
        self._queue: list[Reply] = []
        self._route: Any = None
        self.batches: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, deque[dict[str, Any]]] = {}
        self.recipient_reports: dict[tuple[str, str], deque[dict[str, Any]]] = {}
        self.inbounds: list[dict[str, Any]] = []
        self.errors: dict[str, deque[int]] = defaultdict(deque)

    def reply(self, *replies: Reply) -> FakeSinch:
        """Answer the next requests with ``replies``, in order."""
        self._queue.extend(replies)
        return self

    def route(self, responder: Any) -> FakeSinch:
        """Answer every request with ``responder(captured)``."""
        self._route = responder
        return self

    def add_batch(self, batch_id: str, to: Iterable[str], *reports: dict[str, Any],
                  canceled: bool = False) -> None:
        """A batch and the summary reports its successive reads return (the last one repeats)."""
        self.batches[batch_id] = {"id": batch_id, "to": list(to), "canceled": canceled, "type": "mt_text"}
        self.reports[batch_id] = deque(reports)

    def add_recipient(self, batch_id: str, msisdn: str, *statuses: tuple[str, int]) -> None:
        """The recipient reports successive reads return, as ``(status, code)`` (the last one repeats)."""
        self.recipient_reports[(batch_id, msisdn)] = deque(
            recipient_report(batch_id, msisdn, s, c) for s, c in statuses)

    def fail(self, kind: str, *statuses: int) -> None:
        """The next reads of ``kind`` (``batch``, ``report``, ``recipient``, ``inbounds``) answer ``statuses``
        (0: answer normally that time)."""
        self.errors[kind].extend(statuses)

    def calls(self, kind: str) -> int:
        """How many requests read ``kind`` (``batch``, ``report``, ``recipient``, ``inbounds``)."""
        return sum(1 for r in self.requests if re.fullmatch(self.READS[kind], r.api_path))

    def _answer(self, captured: Captured) -> Reply:
        self.requests.append(captured)
        if self.polls and captured.method == "GET":
            for kind, path in self.READS.items():
                if match := re.fullmatch(path, captured.api_path):
                    return self._read(kind, match, captured)
        if self._route is not None:
            return self._route(captured)  # type: ignore[no-any-return]
        if not self._queue:
            raise AssertionError(f"unexpected request {captured.method} {captured.url}")
        return self._queue.pop(0)

    def _read(self, kind: str, match: re.Match[str], captured: Captured) -> Reply:
        status = self.errors[kind].popleft() if self.errors[kind] else 0
        if status:  # 0 in the script: answer normally this time
            return Reply.error(status)
        try:
            if kind == "inbounds":
                return Reply(json=self._inbounds({k: v[0] for k, v in captured.query.items()}))
            if kind == "batch":
                return Reply(json=self.batches[match[1]])
            queue = self.recipient_reports[(match[1], match[2])] if kind == "recipient" \
                else self.reports[match[1]]
            return Reply(json=queue.popleft() if len(queue) > 1 else queue[0])
        except (KeyError, IndexError):
            return Reply(404)

    def _inbounds(self, params: dict[str, str]) -> dict[str, Any]:
        """A page of :attr:`inbounds`, filtered on ``start_date`` and ``to`` as Sinch filters them."""
        start = _z(params["start_date"]) if "start_date" in params else None
        to = set(params["to"].split(",")) if "to" in params else None
        items = [m for m in self.inbounds
                 if (start is None or m["received_at"] >= start) and (to is None or m["to"] in to)]
        page, size = int(params.get("page", 0)), int(params.get("page_size", 30))
        chunk = items[page * size : (page + 1) * size]
        return {"count": len(items), "page": page, "page_size": len(chunk), "inbounds": chunk}

    @property
    def api_requests(self) -> list[Captured]:
        """Requests to the SMS API (not to the OAuth2 token endpoint)."""
        return [r for r in self.requests if r.is_api]

    @property
    def last(self) -> Captured:
        return self.api_requests[-1]

    # The two transports

    def mount(self, mocker: requests_mock.Mocker) -> FakeSinch:
        """Answer every request of the sync client (``requests``) through ``mocker``."""
        mocker.register_uri(requests_mock.ANY, requests_mock.ANY, content=self._requests_callback)
        return self

    def _requests_callback(self, request: Any, context: Any) -> bytes:
        body = request.body
        reply = self._answer(Captured(
            method=request.method,
            url=request.url,
            headers={k.lower(): v for k, v in request.headers.items()},
            content=body.encode() if isinstance(body, str) else (body or b""),
            timeout=_pair(request.timeout),
            raw_timeout=request.timeout,
        ))
        if reply.fail:
            raise sync_failure(reply.fail, request.url)
        context.status_code = reply.status
        context.headers = reply.response_headers()
        return reply.body()

    def session(self) -> Any:
        """A maker of aiohttp sessions answered by this fake (``AsyncSinchClient(http=...)``)."""
        return mock_session(self._httpx_handler)

    def _httpx_handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        raw = request.extensions.get("timeout")
        reply = self._answer(Captured(
            method=request.method,
            url=str(request.url),
            headers={k.lower(): v for k, v in request.headers.items()},
            content=request.content,
            timeout=(raw["connect"], raw["read"]) if raw else None,
            raw_timeout=raw,
        ))
        if reply.fail:
            raise async_failure(reply.fail, request)
        return httpx.Response(reply.status, headers=reply.response_headers(), content=reply.body())

    def async_client(self, **config: Any) -> AsyncSinchClient:
        """An async client answered by this fake (one attempt per request unless ``retry`` says otherwise)."""
        config.setdefault("retry", RetryPolicy(max_attempts=1))
        config.setdefault("base_url", CONN["host"])
        return AsyncSinchClient(make_config(**config), http=self.session())


def _z(value: str) -> str:
    """``start_date`` as ``received_at`` is written (ISO, UTC, milliseconds, ``Z``), to compare the two."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _pair(timeout: Any) -> tuple[float, float] | None:
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        return (float(timeout[0]), float(timeout[1]))
    return (float(timeout), float(timeout))


# Network failures, as each library really raises them.

FAILURES = ("refused", "connect_timeout", "read_timeout", "reset")


def sync_failure(kind: str, url: str) -> requests.RequestException:
    if kind == "refused":  # what HTTPAdapter raises for ECONNREFUSED: nothing was sent
        reason = NewConnectionError(
            None, "Failed to establish a new connection: [Errno 111] Connection refused"
        )  # type: ignore[arg-type]
        return requests.ConnectionError(MaxRetryError(None, url, reason))  # type: ignore[arg-type]
    if kind == "connect_timeout":
        return requests.ConnectTimeout("connect timed out")
    if kind == "read_timeout":
        return requests.ReadTimeout("read timed out")
    if kind == "reset":  # the request was written, then the peer reset the connection
        return requests.ConnectionError(
            ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
        )
    raise ValueError(kind)


def async_failure(kind: str, request: httpx.Request) -> httpx.HTTPError:
    cls = {
        "refused": httpx.ConnectError,
        "connect_timeout": httpx.ConnectTimeout,
        "read_timeout": httpx.ReadTimeout,
        "reset": httpx.ReadError,
    }[kind]
    return cls(f"simulated {kind}", request=request)


# Sinch's answer shapes, for scripting.

REPORT_CODES = {"Delivered": 0, "Queued": 400, "Dispatched": 401, "Failed": 402, "Expired": 406,
                "Cancelled": 407, "Rejected": 408, "Aborted": 412, "Deleted": 403, "Unknown": 0}


def report(batch_id: str, total: int, **statuses: int | tuple[int, int]) -> dict[str, Any]:
    """A summary report: ``report("b1", 3, Delivered=2, Failed=(402, 1))`` (default codes per status)."""
    buckets = []
    for status, value in statuses.items():
        code, count = value if isinstance(value, tuple) else (REPORT_CODES[status], value)
        buckets.append({"code": code, "status": status, "count": count})
    return {"type": "delivery_report_sms", "batch_id": batch_id, "total_message_count": total,
            "statuses": buckets}


def recipient_report(batch_id: str, msisdn: str, status: str, code: int = 0) -> dict[str, Any]:
    return {"type": "recipient_delivery_report_sms", "batch_id": batch_id, "recipient": msisdn,
            "code": code, "status": status, "at": "2026-01-01T00:00:00.000Z"}


def inbound(msg_id: str, sender: str, text: str, at: str, to: str = "12017777777") -> dict[str, Any]:
    return {"type": "mo_text", "id": msg_id, "from": sender, "to": to, "body": text, "received_at": at}
