"""Retries and their limits, and the ambiguous-send rule, for both clients.

* 429 is retried on every method (the request was not accepted), honouring Retry-After (capped).
* 5xx and network errors are retried on GET/PUT/DELETE and the dry run.
* A POST that may have been applied (read timeout, reset after sending, 5xx) is sent exactly once and
  raises SinchAmbiguousSendError with its client_reference; a connection refused before sending is retried.

The last part is also checked against real sockets on 127.0.0.1, so the classification rests on what
requests and httpx really raise, not only on the mocks.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from airflow_provider_sinch.client import (
    RetryPolicy,
    SinchAmbiguousSendError,
    SinchAPIError,
    SinchAuthenticationError,
    SinchBadRequestError,
    SinchConflictError,
    SinchError,
    SinchRateLimitError,
    SinchServerError,
    SinchTransportError,
)
from airflow_provider_sinch.client.retry import is_retryable, parse_retry_after
from tests.client.clients import KINDS, Harness, open_harness
from tests.client.samples import BATCH, BATCH_ID, DRY_RUN, GROUP, GROUP_ID, page
from tests.fakes import Reply, make_config

SEND = {"to": ["+46701234567"], "from_": "12345", "body": "Hi", "client_reference": "order-42"}
SUCCESS = {
    "send_batch": Reply(201, json=BATCH),
    "update_batch": Reply(json=BATCH),
    "create_group": Reply(201, json=GROUP),
    "update_group": Reply(json=GROUP),
    "send_delivery_feedback": Reply(202),
    "list_batches": Reply(json=page("batches", [BATCH])),
    "get_batch": Reply(json=BATCH),
    "replace_batch": Reply(json=BATCH),
    "cancel_batch": Reply(json=BATCH),
    "dry_run": Reply(json=DRY_RUN),
    "delete_group": Reply(200),
}
ARGS: dict[str, dict[str, Any]] = {
    "send_batch": SEND,
    "update_batch": {"batch_id": BATCH_ID, "body": "x", "client_reference": "upd-1"},
    "create_group": {"name": "G"},
    "update_group": {"group_id": GROUP_ID, "add": ["46701234567"]},
    "send_delivery_feedback": {"batch_id": BATCH_ID},
    "list_batches": {},
    "get_batch": {"batch_id": BATCH_ID},
    "replace_batch": {"batch_id": BATCH_ID, **SEND},
    "cancel_batch": {"batch_id": BATCH_ID},
    "dry_run": SEND,
    "delete_group": {"group_id": GROUP_ID},
}
UNSAFE = ["send_batch", "update_batch", "create_group", "update_group", "send_delivery_feedback"]
SAFE = ["list_batches", "get_batch", "replace_batch", "cancel_batch", "dry_run", "delete_group"]


def call(harness: Harness, op: str) -> Any:
    return harness.call(op, **ARGS[op])


# The policy on its own


def test_backoff_is_jittered_exponential_and_capped() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=5.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (10, 5.0)]:
        waits = {policy.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jittered


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(retry_after_cap=60.0)
    assert policy.backoff(1, retry_after=7.0) == 7.0
    assert policy.backoff(1, retry_after=3600.0) == 60.0
    assert policy.backoff(1, retry_after=-1.0) == 0.0
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_parse_retry_after_seconds_and_http_dates() -> None:
    now = datetime(2031, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("5", now) == 5.0
    assert parse_retry_after(" 2.5 ", now) == 2.5
    assert parse_retry_after("-3", now) == 0.0
    assert parse_retry_after("Thu, 01 May 2031 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 May 2031 11:00:00 GMT", now) == 0.0  # already past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize(
    ("error", "safe", "unsafe"),
    [
        (SinchRateLimitError(429), True, True),
        (SinchServerError(503), True, False),
        (SinchTransportError("refused", sent=False), True, True),
        (SinchTransportError("reset", sent=True), True, False),
        (SinchBadRequestError(400), False, False),
        (SinchAuthenticationError(401), False, False),
        (SinchConflictError(409), False, False),
        (
            SinchAmbiguousSendError(client_reference="r", method="POST", path="/batches", cause="x"),
            False,
            False,
        ),
    ],
)
def test_what_is_retryable(error: BaseException, safe: bool, unsafe: bool) -> None:
    assert is_retryable(error, safe_to_retry=True) is safe
    assert is_retryable(error, safe_to_retry=False) is unsafe


# Through the clients


@pytest.mark.parametrize("op", UNSAFE + SAFE)
def test_429_is_retried_on_every_method(harness: Harness, op: str) -> None:
    harness.reply(Reply(429, json={"code": "too_many_requests"}), Reply(429), SUCCESS[op])
    call(harness, op)
    assert len(harness.api_requests) == 3
    assert len({(r.method, r.url, r.content) for r in harness.api_requests}) == 1  # the same request again


def test_retry_after_seconds_is_honoured(harness: Harness, sleeps: list[float]) -> None:
    harness.reply(Reply(429, headers={"Retry-After": "2"}), Reply(201, json=BATCH))
    call(harness, "send_batch")
    assert sleeps == [2.0]


def test_retry_after_http_date_is_honoured(harness: Harness, sleeps: list[float]) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    harness.reply(Reply(429, headers={"Retry-After": when}), Reply(201, json=BATCH))
    call(harness, "send_batch")
    assert len(sleeps) == 1
    assert 27.0 <= sleeps[0] <= 30.0


def test_retry_after_is_capped(make_harness, sleeps: list[float]) -> None:
    harness = make_harness(retry=RetryPolicy(max_attempts=3, retry_after_cap=5.0))
    far = format_datetime(datetime.now(UTC) + timedelta(hours=6), usegmt=True)
    harness.reply(
        Reply(429, headers={"Retry-After": "86400"}),
        Reply(503, headers={"Retry-After": far}),
        Reply(json=BATCH),
    )
    call(harness, "get_batch")
    assert sleeps == [5.0, 5.0]


def test_without_retry_after_the_backoff_grows(make_harness, sleeps: list[float]) -> None:
    harness = make_harness(retry=RetryPolicy(max_attempts=4, backoff_base=1.0, backoff_max=30.0))
    harness.reply(Reply(503), Reply(502), Reply(500), Reply(json=BATCH))
    call(harness, "get_batch")
    assert len(sleeps) == 3
    for wait, ceiling in zip(sleeps, (1.0, 2.0, 4.0), strict=True):
        assert ceiling / 2 <= wait <= ceiling


def test_max_attempts_is_respected_for_429(harness: Harness) -> None:
    harness.reply(*[Reply(429, headers={"Retry-After": "0"})] * 3)
    with pytest.raises(SinchRateLimitError) as caught:
        call(harness, "send_batch")
    assert len(harness.api_requests) == 3  # FAST_RETRY: max_attempts=3
    assert (caught.value.status, caught.value.retry_after) == (429, 0.0)


def test_one_attempt_means_no_retry(make_harness) -> None:
    harness = make_harness(retry=RetryPolicy(max_attempts=1))
    harness.reply(Reply(503))
    with pytest.raises(SinchServerError):
        call(harness, "get_batch")
    assert len(harness.api_requests) == 1


@pytest.mark.parametrize("op", SAFE)
@pytest.mark.parametrize(
    "failure",
    [
        Reply(500),
        Reply(502, content=b"<html>bad gateway</html>"),
        Reply(503),
        Reply(fail="read_timeout"),
        Reply(fail="reset"),
        Reply(fail="refused"),
    ],
)
def test_5xx_and_network_errors_are_retried_when_safe(harness: Harness, op: str, failure: Reply) -> None:
    harness.reply(failure, SUCCESS[op])
    call(harness, op)
    assert len(harness.api_requests) == 2


@pytest.mark.parametrize(
    ("failure", "error"), [(Reply(503), SinchServerError), (Reply(fail="read_timeout"), SinchTransportError)]
)
def test_max_attempts_is_respected_for_safe_operations(harness: Harness, failure: Reply, error: type) -> None:
    harness.reply(*[failure] * 3)
    with pytest.raises(error):
        call(harness, "get_batch")
    assert len(harness.api_requests) == 3


@pytest.mark.parametrize(
    "failure",
    [
        Reply(fail="read_timeout"),
        Reply(fail="reset"),
        Reply(500),
        Reply(502, content=b"<html>x</html>"),
        Reply(503),
        Reply(504),
    ],
    ids=["read-timeout", "reset-after-send", "500", "502-html", "503", "504"],
)
def test_send_with_unknown_outcome_is_ambiguous_and_sent_once(harness: Harness, failure: Reply) -> None:
    harness.reply(failure, Reply(201, json=BATCH))  # a blind resend would succeed: it must not happen
    with pytest.raises(SinchAmbiguousSendError) as caught:
        call(harness, "send_batch")
    assert len(harness.api_requests) == 1
    error = caught.value
    assert (error.client_reference, error.method, error.path) == ("order-42", "POST", "/batches")
    assert "order-42" in str(error)
    assert "may have been accepted" in str(error)
    assert not isinstance(error, SinchTransportError | SinchAPIError)


@pytest.mark.parametrize("op", UNSAFE[1:])
def test_other_state_changing_posts_are_not_resent_either(harness: Harness, op: str) -> None:
    harness.reply(Reply(fail="read_timeout"), SUCCESS[op])
    with pytest.raises(SinchAmbiguousSendError) as caught:
        call(harness, op)
    assert len(harness.api_requests) == 1
    assert caught.value.client_reference == ARGS[op].get("client_reference")


@pytest.mark.parametrize("failure", ["refused", "connect_timeout"])
def test_send_is_retried_when_nothing_was_sent(harness: Harness, failure: str) -> None:
    harness.reply(Reply(fail=failure), Reply(fail=failure), Reply(201, json=BATCH))
    assert call(harness, "send_batch").id == BATCH["id"]
    assert len(harness.api_requests) == 3


def test_send_refused_every_time_is_a_transport_error(harness: Harness) -> None:
    harness.reply(*[Reply(fail="refused")] * 3)
    with pytest.raises(SinchTransportError) as caught:
        call(harness, "send_batch")
    assert caught.value.sent is False
    assert len(harness.api_requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 415])
@pytest.mark.parametrize("op", ["send_batch", "get_batch"])
def test_client_errors_are_never_retried(harness: Harness, status: int, op: str) -> None:
    harness.reply(Reply(status, json={"code": "x", "text": "y"}), SUCCESS[op])
    with pytest.raises(SinchAPIError) as caught:
        call(harness, op)
    assert caught.value.status == status
    assert len(harness.api_requests) == 1


def test_each_retry_is_logged(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="airflow_provider_sinch.client.retry")
    harness.reply(Reply(429), Reply(503), Reply(json=BATCH))
    call(harness, "get_batch")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "429" in messages[0]
    assert "retry 1 of 2" in messages[0]
    assert "retry 2 of 2" in messages[1]


# Real sockets on 127.0.0.1: what requests and httpx really raise.


class TinyServer:
    """Accepts connections and, per request, closes without answering (``close``) or never answers
    (``hang``).  ``requests`` counts the requests it fully read."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                if self._read_request(conn):
                    self.requests += 1
                if self.behaviour == "hang":
                    self._stop.wait(2.0)

    @staticmethod
    def _read_request(conn: socket.socket) -> bool:
        conn.settimeout(2.0)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        while len(body) < length:
            body += conn.recv(65536)
        return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join(3)
        self._sock.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[TinyServer]:
    tiny = TinyServer(request.param)
    yield tiny
    tiny.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def real(kind: str, port: int, timeout: float = 2.0) -> Harness:
    return open_harness(kind, make_config(base_url=f"http://127.0.0.1:{port}", timeout=timeout), mock=False)


@pytest.mark.parametrize("kind", KINDS)
def test_real_connection_refused_is_retried_even_for_a_send(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="airflow_provider_sinch.client.retry")
    client = real(kind, free_port())
    try:
        with pytest.raises(SinchTransportError) as caught:
            client.call("send_batch", **SEND)
    finally:
        client.close()
    assert caught.value.sent is False
    assert len([r for r in caplog.records if "retry" in r.getMessage()]) == 2  # 3 attempts


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("server", "timeout"),
    [("close", 2.0), ("hang", 0.3)],
    indirect=["server"],
    ids=["closed-after-reading", "read-timeout"],
)
def test_real_lost_answer_to_a_send_is_ambiguous(kind: str, server: TinyServer, timeout: float,
                                                  sleeps: list[float]) -> None:
    client = real(kind, server.port, timeout)
    try:
        with pytest.raises(SinchAmbiguousSendError) as caught:
            client.call("send_batch", **SEND)
    finally:
        client.close()
    assert caught.value.client_reference == "order-42"
    assert server.requests == 1
    assert sleeps == []  # given up at once: no retry, no backoff


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("server", ["close"], indirect=True)
def test_real_lost_answer_to_a_read_is_retried(kind: str, server: TinyServer) -> None:
    client = real(kind, server.port)
    try:
        with pytest.raises(SinchTransportError) as caught:
            client.call("get_batch", BATCH_ID)
    finally:
        client.close()
    assert caught.value.sent is True
    # 3 attempts; aiohttp writes a GET once more by itself when its connection breaks (RFC 9112, 9.3.1)
    assert server.requests == (3 if kind == "sync" else 6)
    assert isinstance(caught.value, SinchError)


def test_the_backoff_of_a_very_late_attempt_does_not_overflow() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=5.0)
    assert 2.5 <= policy.backoff(5000) <= 5.0


# A resend that finds its job done


@pytest.mark.parametrize("lost", [Reply(fail="read_timeout"), Reply(fail="reset"), Reply(503)])
def test_a_group_delete_whose_answer_was_lost_succeeds_when_the_resend_gets_404(
    harness: Harness, lost: Reply
) -> None:
    """Sinch deleted the group on the first attempt; the resend's 404 means exactly that (sync and async)."""
    harness.reply(lost, Reply(404, json={"code": "not_found", "text": "no such group"}))
    assert call(harness, "delete_group") is None
    assert len(harness.api_requests) == 2


@pytest.mark.parametrize("first", [Reply(fail="refused"), Reply(fail="connect_timeout"),
                                   Reply(429, headers={"Retry-After": "0"})])
def test_a_404_after_an_attempt_that_never_reached_sinch_still_means_missing(
    harness: Harness, first: Reply
) -> None:
    harness.reply(first, Reply(404, json={"code": "not_found", "text": "no such group"}))
    with pytest.raises(SinchAPIError) as caught:
        call(harness, "delete_group")
    assert caught.value.status == 404


def test_only_a_group_delete_reads_a_404_after_a_lost_answer_as_done(harness: Harness) -> None:
    harness.reply(Reply(fail="read_timeout"), Reply(404, json={"code": "not_found", "text": "no such batch"}))
    with pytest.raises(SinchAPIError) as caught:
        call(harness, "get_batch")
    assert caught.value.status == 404


def test_a_connection_error_masks_numbers_in_the_query_string() -> None:
    """requests quotes the whole URL it failed on, ``?to=%2B46...`` included (real refused port)."""
    from airflow_provider_sinch.client import ServicePlanAuth, SinchClient, SinchConfig

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    config = SinchConfig(auth=ServicePlanAuth("plan", "token"), base_url=f"http://127.0.0.1:{port}",
                         retry=RetryPolicy(max_attempts=1))
    with SinchClient(config) as client, pytest.raises(SinchTransportError) as caught:
        client.list_inbounds(to=["+46701234567"])
    assert "46701234567" not in str(caught.value)
    assert "token" not in str(caught.value)
