"""The receiver against a real migrated metadata DB (SQLite or PostgreSQL), mounted under ``/sinch`` as in the
API server.

Accepted: a valid signature, valid Basic credentials (each one asset event with the payload as Sinch sent
it).  Refused, with no asset event: a wrong secret, a stale timestamp, a replayed nonce, missing headers,
a 10 MB body, invalid JSON, an unknown callback type.  Exactly once: 100 deliveries of one callback, 50 of
them concurrent through a real uvicorn server, give one asset event.

The same tests run against PostgreSQL (row locks instead of SQLite's database lock) with
``SINCH_TEST_POSTGRES_URL`` set: ``make test-postgres`` does that (``tests/metadata_db.py``).  Two receiver
*processes* racing on PostgreSQL are in ``test_two_receivers.py``.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from airflow_provider_sinch.callbacks.app import create_app
from airflow_provider_sinch.callbacks.plugin import LazyReceiverApp
from airflow_provider_sinch.callbacks.recorder import (
    DEDUP_PREFIX,
    CallbackRecorder,
    DatabaseBusy,
    NotRecorded,
)
from airflow_provider_sinch.client.webhooks import signed_headers
from airflow_provider_sinch.testing.sandbox.server import bind
from airflow_provider_sinch.version_compat import HAS_ASSET_STATE_STORE
from tests.callbacks.conftest import CONN_ID, PASSWORD, SECRET, USER

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "sinch_api" / "fixtures" / "callbacks"
INBOUND = f"sinch://{CONN_ID}/inbound"
DELIVERY = f"sinch://{CONN_ID}/delivery"
URL = f"/sinch/callbacks/{CONN_ID}"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def signed(body: bytes, secret: str = SECRET, **kwargs: Any) -> dict[str, str]:
    return {"Content-Type": "application/json", **signed_headers(secret, body, **kwargs)}


def basic(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Content-Type": "application/json", "Authorization": f"Basic {token}"}


def mounted(receiver: FastAPI) -> FastAPI:
    """The receiver behind a parent app at ``/sinch``, through the plugin's lazy ASGI app."""
    parent = FastAPI()
    parent.mount("/sinch", LazyReceiverApp(lambda: receiver))
    return parent


@pytest.fixture
def client(push_connection: Any, served: None, db: Any) -> Iterator[httpx.Client]:
    """A client of the receiver serving :data:`CONN_ID`, synchronous over a real uvicorn server on a
    background thread."""
    with Served(mounted(create_app())) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


class Served:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def __enter__(self) -> str:
        sock = bind("127.0.0.1", 0)
        port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False,
                                                    lifespan="off", timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        assert self.thread is not None
        self.server.should_exit = True
        self.thread.join(10)


def test_valid_signature_records_one_event_with_the_payload(
    client: httpx.Client, active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]]
) -> None:
    active_asset(DELIVERY)
    body = fixture("recipient_delivery_report_sms.aborted_412.json")
    answer = client.post(URL, content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "recorded"
    (event,) = events(DELIVERY)
    assert event["payload"] == json.loads(body)  # numbers as Sinch sent them
    assert event["type"] == "recipient_delivery_report_sms"
    assert (event["source"], event["conn_id"]) == ("sinch-callback", CONN_ID)


def test_valid_basic_records_an_inbound_message_on_both_inbound_assets(
    client: httpx.Client, active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]]
) -> None:
    active_asset(INBOUND)
    active_asset(f"{INBOUND}/12017777777")
    active_asset(f"{INBOUND}/19999999999")
    body = fixture("mo_text.json")  # to 12017777777
    answer = client.post(URL, content=body, headers=basic())
    assert answer.status_code == 200, answer.text
    assert [e["uri"] for e in events()] == [INBOUND, f"{INBOUND}/12017777777"]
    assert events()[0]["payload"]["body"] == "Hello John! \U0001f44b"


REFUSALS: list[tuple[str, Callable[[bytes], dict[str, str]], int, str]] = [
    ("wrong secret", lambda b: signed(b, secret="not-the-secret"), 401, "invalid signature"),
    ("stale timestamp", lambda b: signed(b, timestamp=str(int(time.time()) - 600)), 401,
     "signature timestamp outside the accepted window"),
    ("future timestamp", lambda b: signed(b, timestamp=str(int(time.time()) + 600)), 401,
     "signature timestamp outside the accepted window"),
    ("missing headers", lambda b: {"Content-Type": "application/json"}, 401,
     "no credentials this connection accepts"),
    ("signature without nonce", lambda b: {k: v for k, v in signed(b).items()
                                           if k != "x-sinch-webhook-signature-nonce"}, 401,
     "signature without its nonce or timestamp header"),
    ("wrong basic password", lambda b: basic(password="guess"), 401, "wrong credentials"),
]


@pytest.mark.parametrize(("case", "headers", "status", "reason"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_unauthenticated_callbacks_are_refused_without_an_event(
    client: httpx.Client, active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]],
    case: str, headers: Callable[[bytes], dict[str, str]], status: int, reason: str,
) -> None:
    active_asset(DELIVERY)
    body = fixture("recipient_delivery_report_sms.delivered.json")
    answer = client.post(URL, content=body, headers=headers(body))
    assert (answer.status_code, answer.json()) == (status, {"detail": reason})
    assert events() == []


def test_a_replayed_nonce_is_refused(
    client: httpx.Client, active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]]
) -> None:
    active_asset(DELIVERY)
    body = fixture("recipient_delivery_report_sms.delivered.json")
    headers = signed(body)
    assert client.post(URL, content=body, headers=headers).status_code == 200
    replay = client.post(URL, content=body, headers=headers)
    assert (replay.status_code, replay.json()["detail"]) == (401, "nonce already used (replayed request)")
    assert len(events()) == 1


def test_a_rotated_secret_is_used_at_once_and_the_old_one_refused(
    client: httpx.Client, push_connection: Callable[..., None], active_asset: Callable[[str], int],
    events: Callable[..., list[dict[str, Any]]],
) -> None:
    """The old secret is revoked at the rotation: the next callback, signed with the new one, is accepted
    although the receiver remembered the old settings (10 s); one signed with the old one is refused."""
    active_asset(DELIVERY)
    delivered = fixture("recipient_delivery_report_sms.delivered.json")
    failed = fixture("recipient_delivery_report_sms.aborted_412.json")
    assert client.post(URL, content=delivered, headers=signed(delivered)).status_code == 200  # remembered
    push_connection(callback_secret="rotated-secret-4242")  # AIRFLOW_CONN_SINCH_PUSH changes
    answer = client.post(URL, content=failed, headers=signed(failed, secret="rotated-secret-4242"))
    assert (answer.status_code, answer.json()["status"]) == (200, "recorded")
    stale = fixture("delivery_report_sms.full.json")
    old = client.post(URL, content=stale, headers=signed(stale))
    assert (old.status_code, old.json()["detail"]) == (401, "invalid signature")
    assert len(events(DELIVERY)) == 2


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_a_10_mb_body_is_refused_413(
    client: httpx.Client, active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]],
    declared: bool,
) -> None:
    active_asset(DELIVERY)
    big = b'{"type": "mo_text", "id": "x", "body": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    headers = signed(big)
    if declared:
        answer = client.post(URL, content=big, headers=headers)
    else:  # chunked, no Content-Length: counted while streaming
        answer = client.post(URL, content=(big[i:i + 65536] for i in range(0, len(big), 65536)),
                             headers=headers)
    assert answer.status_code == 413
    assert events() == []


@pytest.mark.parametrize(("body", "status", "reason"), [
    (b'{"type": "recipient_delivery_report_sms", ', 400, "body is not valid JSON"),
    (b'["not", "an", "object"]', 400, "body is not a JSON object"),
    (b'{"type": "mo_voice", "id": "01X"}', 422, "unknown callback type"),
    (b'{"type": "mo_text", "from": "12015555555"}', 422, "mo_text callback without 'id'"),
], ids=["invalid JSON", "not an object", "unknown type", "no id"])
def test_malformed_callbacks_are_refused_without_an_event(
    client: httpx.Client, active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]],
    body: bytes, status: int, reason: str,
) -> None:
    active_asset(INBOUND)
    active_asset(DELIVERY)
    answer = client.post(URL, content=body, headers=signed(body))
    assert (answer.status_code, answer.json()) == (status, {"detail": reason})
    assert events() == []


def test_served_connections_that_do_not_accept_callbacks_are_403_others_404(
    push_connection: Callable[..., None], opt_in: Callable[..., None], active_asset: Callable[[str], int],
    events: Callable[..., list[dict[str, Any]]],
) -> None:
    push_connection("sinch_plain", region="eu")
    push_connection("not_sinch", conn_type="http", callback_secret=SECRET)
    push_connection("sinch_other")  # accepts callbacks, but not opted in
    opt_in(CONN_ID, "sinch_plain", "not_sinch", "no_such_connection")
    active_asset(DELIVERY)
    body = fixture("recipient_delivery_report_sms.delivered.json")
    with Served(mounted(create_app())) as url, httpx.Client(base_url=url) as http:
        for conn_id in ("sinch_plain", "not_sinch", "no_such_connection"):
            answer = http.post(f"/sinch/callbacks/{conn_id}", content=body, headers=signed(body))
            assert (answer.status_code, answer.json()) == (403, {
                "detail": "callbacks are not enabled for this connection"}), conn_id
        for conn_id in ("sinch_other", "bad%20id", "x" * 300, "%2E%2E"):
            answer = http.post(f"/sinch/callbacks/{conn_id}", content=body, headers=signed(body))
            assert (answer.status_code, answer.json()) == (404, {"detail": "Not Found"}), conn_id
    assert events() == []


def test_a_callback_no_dag_uses_is_acknowledged_and_ignored(
    client: httpx.Client, events: Callable[..., list[dict[str, Any]]], caplog: pytest.LogCaptureFixture
) -> None:
    body = fixture("mo_text.json")
    with caplog.at_level(logging.WARNING, logger="airflow_provider_sinch"):
        answer = client.post(URL, content=body, headers=signed(body))
    assert (answer.status_code, answer.json()["status"]) == (200, "ignored")  # 2xx: Sinch stops retrying
    assert events() == []
    assert "no DAG uses its asset" in caplog.text


def test_100_deliveries_of_one_callback_some_concurrent_give_one_event(
    client: httpx.Client, active_asset: Callable[[str], int], events: Callable[..., list[dict[str, Any]]],
    db: Any,
) -> None:
    """Two receivers (as two API-server workers: each its own nonce cache) share the DB; half the
    deliveries race each other on 16 threads, the rest follow one by one."""
    active_asset(DELIVERY)
    body = fixture("recipient_delivery_report_sms.aborted_412.json")
    with Served(mounted(create_app())) as url, httpx.Client(base_url=url, timeout=30) as other:
        clients = [client, other]

        def deliver(i: int) -> tuple[int, str]:  # each attempt signed afresh, as Sinch signs each retry
            headers = signed(body) if i % 3 else basic()
            answer = clients[i % 2].post(URL, content=body, headers=headers)
            return answer.status_code, answer.json().get("status", answer.text)

        with ThreadPoolExecutor(16) as pool:
            concurrent = list(pool.map(deliver, range(50)))
        sequential = [deliver(i) for i in range(50, 100)]
    answers = concurrent + sequential
    assert {code for code, _ in answers} == {200}
    assert sorted(status for _, status in answers) == ["duplicate"] * 99 + ["recorded"]
    assert [status for _, status in sequential] == ["duplicate"] * 50
    (event,) = events(DELIVERY)
    assert event["sinch_dedup"] == parse(body).dedup_digest
    if HAS_ASSET_STATE_STORE:
        from airflow.models.asset_state_store import AssetStateStoreModel
        from sqlalchemy import func, select

        with db() as session:
            rows = session.scalar(select(func.count()).select_from(AssetStateStoreModel)
                                  .where(AssetStateStoreModel.key.startswith(DEDUP_PREFIX)))
        assert rows == 1


def test_a_busy_db_answers_503_and_the_retry_with_the_same_nonce_is_recorded(
    push_connection: Any, served: None, active_asset: Callable[[str], int],
    events: Callable[..., list[dict[str, Any]]],
) -> None:
    from sqlalchemy.exc import OperationalError

    class FlakyRecorder(CallbackRecorder):
        failures = 1

        def record(self, conn_id: str, callback: Any, deadline: float | None = None) -> Any:
            if self.failures:
                self.failures -= 1
                raise OperationalError("INSERT", {}, Exception("database is locked"))
            return super().record(conn_id, callback, deadline)

    active_asset(DELIVERY)
    body = fixture("recipient_delivery_report_sms.delivered.json")
    headers = signed(body)
    app = mounted(create_app(recorder=FlakyRecorder()))
    with Served(app) as url, httpx.Client(base_url=url) as http:
        first = http.post(URL, content=body, headers=headers)
        assert (first.status_code, first.headers["Retry-After"]) == (503, "5")
        assert events() == []
        again = http.post(URL, content=body, headers=headers)  # the nonce was released
        assert again.status_code == 200
    assert len(events()) == 1


def test_logs_carry_no_body_secret_or_full_number(
    client: httpx.Client, active_asset: Callable[[str], int], caplog: pytest.LogCaptureFixture
) -> None:
    """Every line logged while an inbound SMS is recorded on both inbound assets (one named after the
    receiving number) and while bad requests are refused: numbers masked, asset URIs included."""
    active_asset(INBOUND)
    active_asset(f"{INBOUND}/12017777777")
    body = fixture("mo_text.json")  # from 12015555555 to 12017777777
    with caplog.at_level(logging.DEBUG):
        recorded = client.post(URL, content=body, headers=signed(body))
        client.post(URL, content=body, headers=signed(body, secret="wrong-secret"))
        client.post(URL, content=b'{"type": "mo_text", "from": "12015555555"}', headers=basic())
    assert recorded.json()["status"] == "recorded"
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records) + caplog.text
    assert "recorded" in text
    assert "refused" in text
    for secret in (SECRET, PASSWORD, "wrong-secret", "12015555555", "12017777777", "Hello John"):
        assert secret not in text
    assert "+1201****555" in text  # masked
    assert f"{INBOUND}/1201****777" in text  # the narrowed asset's URI, masked


@pytest.mark.skipif(not HAS_ASSET_STATE_STORE, reason="asset_state_store is Airflow 3.3+; before, the "
                    "receiver dedups on Airflow's own asset events and prunes nothing")
def test_old_dedup_rows_are_pruned(
    db: Any, active_asset: Callable[[str], int]
) -> None:
    from datetime import UTC, datetime, timedelta

    from airflow.models.asset_state_store import AssetStateStoreModel

    asset_id = active_asset(DELIVERY)
    now = datetime.now(UTC)
    with db() as session:
        session.add(AssetStateStoreModel(asset_id=asset_id, key=DEDUP_PREFIX + "old", value="{}",
                                         updated_at=now - timedelta(hours=49)))
        session.add(AssetStateStoreModel(asset_id=asset_id, key=DEDUP_PREFIX + "new", value="{}",
                                         updated_at=now - timedelta(hours=47)))
        session.add(AssetStateStoreModel(asset_id=asset_id, key="someone_else:old", value="{}",
                                         updated_at=now - timedelta(hours=100)))
    recorder = CallbackRecorder(prune_interval=3600)
    assert recorder.prune_if_due() == 1
    assert recorder.prune_if_due() == 0  # not due again within the interval
    with db() as session:
        keys = sorted(r.key for r in session.query(AssetStateStoreModel).all())
    assert keys == [DEDUP_PREFIX + "new", "someone_else:old"]


def test_a_burst_of_callbacks_is_consumed_by_the_run_already_queued(
    db: Any, active_asset: Callable[[str], int]
) -> None:
    """Airflow 3.3 creates a queued asset-triggered run with the events up to its queue row's
    ``created_at``; the receiver moves that forward to each new event, so the second report of a burst is
    in the run instead of stranded until the next event."""
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, DagScheduleAssetReference
    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    asset_id = active_asset(DELIVERY)
    with create_session() as session:
        if session.get(DagBundleModel, "test-bundle") is None:
            session.add(DagBundleModel(name="test-bundle"))
            session.flush()
        session.add(DagModel(dag_id="follow_up", bundle_name="test-bundle", is_paused=False,
                             max_active_tasks=16, max_consecutive_failed_dag_runs=0,
                             has_task_concurrency_limits=False))
        session.flush()
        session.add(DagScheduleAssetReference(dag_id="follow_up", asset_id=asset_id))
    try:
        recorder = CallbackRecorder()
        delivered = parse(fixture("recipient_delivery_report_sms.delivered.json"))
        failed = parse(fixture("recipient_delivery_report_sms.aborted_412.json"))
        assert recorder.record(CONN_ID, delivered).status == "recorded"
        time.sleep(0.05)
        assert recorder.record(CONN_ID, failed).status == "recorded"
        with create_session() as session:
            (queued,) = session.scalars(select(AssetDagRunQueue)).all()
            stamps = session.scalars(select(AssetEvent.timestamp).order_by(AssetEvent.id)).all()
            assert len(stamps) == 2
            # the scheduler takes events with timestamp <= created_at: both
            assert queued.target_dag_id == "follow_up"
            assert queued.created_at >= max(stamps)
    finally:
        with create_session() as session:
            session.execute(delete_all(DagScheduleAssetReference))
            session.execute(delete_all(AssetDagRunQueue))
            session.execute(delete_all(DagModel))


def parse(body: bytes) -> Any:
    from airflow_provider_sinch.client.webhooks import parse_callback

    return parse_callback(body)


def delete_all(model: Any) -> Any:
    from sqlalchemy import delete

    return delete(model)


@pytest.mark.parametrize(("error", "status"), [
    (lambda: __import__("sqlalchemy.exc").exc.OperationalError(
        "INSERT INTO asset_event (extra) VALUES (?)", ('{"from": "12015555555"}',),
        Exception("database is locked")), 503),
    (lambda: NotRecorded("asset 7 was deleted before the event was written"), 503),
    (lambda: DatabaseBusy("the metadata DB stayed locked for the whole 3 s budget (attempts: 1)"), 503),
    (lambda: RuntimeError("payload 12015555555 Hello John"), 500),
], ids=["db error with parameters", "nothing recorded", "budget spent", "unexpected error quoting the body"])
def test_failures_answer_5xx_and_log_no_values(
    push_connection: Any, served: None, caplog: pytest.LogCaptureFixture, error: Callable[[], Exception],
    status: int,
) -> None:
    class Failing(CallbackRecorder):
        def record(self, conn_id: str, callback: Any, deadline: float | None = None) -> Any:
            raise error()

    body = fixture("mo_text.json")
    app = mounted(create_app(recorder=Failing()))
    with caplog.at_level(logging.DEBUG), Served(app) as url, httpx.Client(base_url=url) as http:
        answer = http.post(URL, content=body, headers=signed(body))
    assert answer.status_code == status
    if status == 503:  # Sinch retries
        assert answer.headers["Retry-After"] == "5"
    assert "Sinch callback on sinch_push not recorded" in caplog.text
    assert "12015555555" not in caplog.text
    assert "Hello John" not in caplog.text
