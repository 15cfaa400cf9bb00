"""Callbacks pushed by the sandbox into a real ``airflow standalone``, through the receiver its API server
mounts at ``/sinch``: signed delivery reports and an inbound SMS become asset events and start the DAGs
scheduled on them, each event consumed by exactly one run; a Sinch retry of a callback starts nothing.

The same inbound SMS is also picked up by the polling watcher of ``example_sinch_inbound_event``
(``GET /inbounds`` every 5 s), so the latency from the sandbox's POST to the start of the run is measured
for push and poll in the same run (printed; docs/howto/callbacks.md quotes it).  Bounded by
``BUDGET_SECONDS``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_sinch.client.webhooks import signed_headers
from airflow_provider_sinch.version_compat import HAS_ASSET_STATE_STORE
from tests.e2e.test_standalone import BUDGET_SECONDS, Standalone, free_port, running_standalone

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SECRET = "e2e-webhook-secret-5f2a"
OUR_NUMBER = "+12017777777"
SUBSCRIBER = "+46701234567"  # Delivered by the sandbox's default rules
UNROUTABLE = "+46700999901"  # Failed (code 11) by the sandbox's default rules


@pytest.fixture
def pushed(tmp_path: Path, sinch_sandbox: Any) -> Iterator[tuple[Standalone, str]]:
    """``airflow standalone`` whose ``sinch_default`` accepts signed callbacks and is opted in to the
    receiver (``[sinch] callback_connections``), the sandbox signing them and posting inbound messages to
    the receiver; yields it and the receiver's URL."""
    api_port = free_port()
    receiver = f"http://localhost:{api_port}/sinch/callbacks/sinch_default"
    with sandbox_api(sinch_sandbox) as api:
        group = api.post("/groups", json={"name": "marketing", "members": [SUBSCRIBER, "+46701234568"]})
        assert group.status_code == 201, group.text
    sinch_sandbox.configure(webhook_secret=SECRET, inbound_callback_url=receiver)
    conn = json.loads(sinch_sandbox.conn_uri)
    conn["extra"] = {**conn.get("extra", {}), "callback_secret": SECRET, "callback_url": receiver}
    with running_standalone(tmp_path, json.dumps(conn), api_port,
                            AIRFLOW_VAR_SINCH_MARKETING_GROUP=group.json()["id"],
                            AIRFLOW__SINCH__CALLBACK_CONNECTIONS="sinch_default") as standalone:
        yield standalone, receiver


def sandbox_api(sandbox: Any) -> httpx.Client:
    """A raw client of the sandbox's ``/xms/v1/{plan}`` API."""
    return httpx.Client(base_url=f"{sandbox.url}/xms/v1/{sandbox.settings.service_plan_id}",
                        headers={"Authorization": f"Bearer {sandbox.settings.api_token}"}, trust_env=False)


def utc(value: str) -> float:
    """Epoch seconds of a timestamp as SQLite holds Airflow's UTC datetimes."""
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def runs(standalone: Standalone, dag_id: str) -> list[tuple[Any, ...]]:
    return standalone.query("select id, state, start_date from dag_run where dag_id = ? order by id", dag_id)


def finished(standalone: Standalone, dag_id: str) -> Any:
    rows = runs(standalone, dag_id)
    return rows if rows and all(state in ("success", "failed") for _, state, _ in rows) else None


def test_pushed_callbacks_start_each_dag_once_and_faster_than_polling(
    pushed: tuple[Standalone, str], sinch_sandbox: Any
) -> None:
    standalone, receiver = pushed
    wanted = {"sinch://sinch_default/inbound", "sinch://sinch_default/delivery", "sinch://inbound/12017777777"}
    standalone.wait("the callback assets (DAGs parsed)",
         lambda: wanted <= {uri for (uri,) in standalone.query("select uri from asset_active")})
    # The watcher polls Sinch only once it knows where it starts; on 3.3 it saved that start in the asset
    # state store (3.1/3.2 have none: it keeps it in memory).
    standalone.wait("the inbound watcher in the triggerer",
         lambda: any(r.path.endswith("/inbounds") for r in sinch_sandbox.requests))
    if HAS_ASSET_STATE_STORE:
        assert standalone.query("select 1 from asset_state_store where key like 'sinch_inbound:%'")
    standalone.wait("the receiver on the API server", lambda: _answers(receiver) == 401)
    ready = time.monotonic() - standalone.started

    # 1. An inbound STOP: pushed to the receiver (and listed for the polling watcher) at the same moment.
    injected_at = time.time()
    message = sinch_sandbox.inject_inbound(SUBSCRIBER, OUR_NUMBER, "STOP")
    stop_runs = standalone.wait("the unsubscribe run",
                     lambda: finished(standalone, "example_sinch_stop_unsubscribe"))
    poll_runs = standalone.wait("the polled run",
                     lambda: finished(standalone, "example_sinch_inbound_event"))
    (push_attempt,) = [a for a in sinch_sandbox.callbacks if a.kind == "inbound"]
    assert push_attempt.acknowledged
    assert [state for _, state, _ in stop_runs] == ["success"]
    assert [state for _, state, _ in poll_runs] == ["success"]
    push_latency = utc(stop_runs[0][2]) - injected_at
    poll_latency = utc(poll_runs[0][2]) - injected_at
    (recorded_at,) = standalone.query(
        "select e.timestamp from asset_event e join asset a on a.id = e.asset_id "
        "where a.uri = 'sinch://sinch_default/inbound'")
    receive_latency = utc(recorded_at[0]) - injected_at
    group_id = standalone.env["AIRFLOW_VAR_SINCH_MARKETING_GROUP"]
    with sandbox_api(sinch_sandbox) as api:
        assert api.get(f"/groups/{group_id}/members").json() == ["46701234568"]  # the STOP sender left

    # A Sinch retry of the same callback (signed afresh) is acknowledged as a duplicate: no second run.
    body = json.dumps(message).encode()
    retry = httpx.post(receiver, content=body, headers={"Content-Type": "application/json",
                                                        **signed_headers(SECRET, body)}, trust_env=False)
    assert (retry.status_code, retry.json()["status"]) == (200, "duplicate")

    # 2. Signed per-recipient final delivery reports to the batch's callback_url.
    with sandbox_api(sinch_sandbox) as api:
        sent = api.post("/batches", json={"to": [SUBSCRIBER, UNROUTABLE], "from": "Acme", "body": "Sale!",
                                          "delivery_report": "per_recipient_final", "callback_url": receiver,
                                          "client_reference": "spring-sale"})
        assert sent.status_code == 201, sent.text
    sent_at = time.time()
    delivery_sql = ("select e.id, e.timestamp from asset_event e join asset a on a.id = e.asset_id "
                    "where a.uri = 'sinch://sinch_default/delivery' order by e.id")
    events = standalone.wait("two delivery events", lambda: (lambda rows: rows if len(rows) == 2 else None)(
        standalone.query(delivery_sql)))
    failed_runs = standalone.wait("the follow-up run(s) consuming both events", lambda: (
        finished(standalone, "example_sinch_delivery_failed")
        if len(standalone.query("select 1 from dagrun_asset_event d join dag_run r on r.id = d.dag_run_id "
                                "where r.dag_id = 'example_sinch_delivery_failed'")) >= 2 else None))
    assert all(state == "success" for _, state, _ in failed_runs)
    consumed = standalone.query(
        "select d.event_id, count(*) from dagrun_asset_event d join dag_run r on r.id = d.dag_run_id "
        "where r.dag_id = 'example_sinch_delivery_failed' group by d.event_id")
    assert sorted(consumed) == sorted((event_id, 1) for event_id, _ in events)  # each event, one run
    follow_up = standalone.query(
        "select state from task_instance where dag_id = 'example_sinch_delivery_failed' "
        "and task_id = 'follow_up'")
    assert ("success",) in follow_up  # the Failed report was followed up
    delivery_latency = min(utc(start) for _, _, start in failed_runs) - utc(events[0][1])
    signed_attempts = [a for a in sinch_sandbox.callbacks if a.kind == "recipient_delivery_report"]
    assert len(signed_attempts) == 2
    assert all(a.acknowledged for a in signed_attempts)

    time.sleep(8)  # more than a poll interval: nothing starts again
    assert len(runs(standalone, "example_sinch_stop_unsubscribe")) == 1
    assert len(runs(standalone, "example_sinch_inbound_event")) == 1
    assert len(standalone.query(delivery_sql)) == 2
    total = time.monotonic() - standalone.started
    print(
        f"\nstandalone ready {ready:.1f}s; inbound SMS -> asset event (push) {receive_latency:.2f}s; "
        f"-> run start: push {push_latency:.2f}s, poll {poll_latency:.2f}s; delivery report event -> run "
        f"start {delivery_latency:.2f}s ({len(failed_runs)} run(s), batch sent {sent_at - injected_at:.0f}s "
        f"after the SMS); total {total:.1f}s"
    )
    assert push_latency < poll_latency
    assert total < BUDGET_SECONDS


def _answers(url: str) -> int | None:
    """The receiver's status for an unauthenticated POST (``None`` while the API server is not up)."""
    try:
        return httpx.post(url, content=b"{}", trust_env=False, timeout=2).status_code
    except httpx.HTTPError:
        return None
