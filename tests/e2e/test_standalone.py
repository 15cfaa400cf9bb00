"""A real ``airflow standalone`` (scheduler, dag-processor, triggerer, api-server) against the sandbox.

Shows what ``dags test`` cannot: a deferred sensor handed to a separate triggerer process and resumed on a
worker, an inbound SMS turned into an asset event by the watcher in the triggerer, starting
``example_sinch_inbound_event`` exactly once, and ``SinchSendBatchOperator(wait_for_delivery=True)``
resuming from the triggerer with its send result (the defer kwargs) and the delivery summary.  Bounded: the
whole test must finish within ``BUDGET_SECONDS``; standalone runs in its own session and the whole process
group is stopped afterwards.  Its metadata DB is SQLite in its home, or a PostgreSQL database of its own with
``SINCH_TEST_POSTGRES_URL`` (``tests/metadata_db.py``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_sinch.version_compat import HAS_ASSET_STATE_STORE
from tests.metadata_db import SQL_ALCHEMY_CONN, metadata_db_env

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
BUDGET_SECONDS = 600  # a bound against hangs, not a timing: about 60-120 s alone, 160-230 s with .ci/run's
# three suites side by side on 2 cores (a timing that matters belongs in bench/)
OUR_NUMBER = "+12017777777"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Standalone:
    """A running ``airflow standalone`` and helpers to look into its metadata DB."""

    home: Path
    env: dict[str, str]
    log: Path
    started: float

    engine: Any = field(default=None, repr=False)  # a SQLAlchemy engine on PostgreSQL (see query)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Read the metadata DB (``?`` placeholders), rows as SQLite gives them whatever the DB; ``[]``
        while standalone has not created the tables yet."""
        if SQL_ALCHEMY_CONN in self.env:
            return self._query_postgres(sql, args)
        path = self.home / "airflow.db"
        for _ in range(50):
            if not path.exists():
                return []  # standalone has not migrated yet
            try:
                with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
                    return db.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return []
                if "locked" not in str(exc):
                    raise
                time.sleep(0.2)
        raise AssertionError(f"metadata DB not readable: {sql}")

    def _query_postgres(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """``query`` on PostgreSQL: JSON columns come back as text and timestamps as naive UTC text, as
        SQLite holds them, so the tests read both alike."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import ProgrammingError

        if self.engine is None:  # one kept connection: a new one per poll forks a server process each time
            self.engine = create_engine(self.env[SQL_ALCHEMY_CONN], pool_size=1, max_overflow=0)
        parts = sql.split("?")
        statement = "".join(part + (f":p{i}" if i < len(args) else "") for i, part in enumerate(parts))
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(text(statement), {f"p{i}": arg for i, arg in enumerate(args)}).all()
        except ProgrammingError as exc:
            if "does not exist" in str(exc):  # not migrated (that far) yet
                return []
            raise
        return [tuple(_as_sqlite(value) for value in row) for row in rows]

    def wait(self, what: str, check: Callable[[], Any], interval: float = 0.1) -> Any:
        """Poll ``check`` until truthy, within what is left of the test's time budget."""
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() - self.started > BUDGET_SECONDS:
                tail = self.log.read_text(errors="replace")[-6000:]
                raise AssertionError(f"timed out waiting for {what}; standalone log tail:\n{tail}")
            time.sleep(interval)

    def airflow(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=60, check=True
        )


@contextmanager
def running_standalone(tmp_path: Path, conn: str, api_port: int | None = None,
                       **env_overrides: str) -> Iterator[Standalone]:
    """``airflow standalone`` with ``sinch_default`` = ``conn`` (the example DAGs folder, 4 parallel tasks,
    DAGs unpaused) and its API server on ``api_port`` (default: a free one); other ports free ones.  The
    whole process group is stopped afterwards."""
    home = tmp_path / "airflow-home"
    home.mkdir()
    api_port = api_port or free_port()
    with metadata_db_env("standalone") as db_env:
        yield from _standalone(home, api_port, conn, {**db_env, **env_overrides}, tmp_path / "standalone.log")


def _standalone(home: Path, api_port: int, conn: str, env_overrides: dict[str, str],
                log: Path) -> Iterator[Standalone]:
    """``running_standalone`` in ``home``, with ``env_overrides`` on top of its environment."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{api_port}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW_CONN_SINCH_DEFAULT": conn,
        **env_overrides,
    }
    env.pop("AIRFLOW__CORE__LAZY_DISCOVER_PROVIDERS", None)  # plugins must load with the defaults
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [AIRFLOW, "standalone"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    running = Standalone(home, env, log, time.monotonic())
    try:
        yield running
    finally:
        if running.engine is not None:
            running.engine.dispose()
        # SIGTERM to the parent alone leaves the scheduler, triggerer, ... running: stop the whole group.
        with_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with_group(proc, signal.SIGKILL)
            proc.wait(timeout=10)
        time.sleep(1)
        with_group(proc, signal.SIGKILL)  # stragglers of the group, if any


@pytest.fixture
def standalone(tmp_path: Path, sinch_sandbox: Any) -> Iterator[Standalone]:
    with running_standalone(tmp_path, sinch_sandbox.conn_uri) as running:
        yield running


def _as_sqlite(value: Any) -> Any:
    """A PostgreSQL value as SQLite gives it for Airflow's tables: datetimes as naive UTC text, JSON as
    text."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def with_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def test_deferral_to_the_triggerer_and_inbound_asset_event(
    standalone: Standalone, sinch_sandbox: Any
) -> None:
    # Ready: the three DAGs are stored and the inbound watcher runs in the triggerer: it polls Sinch (only
    # once it knows where it starts) and, on 3.3, saved that start in the asset's state store (3.1/3.2 have
    # none: it keeps it in memory).
    standalone.wait(
        "the example DAGs",
        lambda: len(standalone.query("select dag_id from dag where dag_id like 'example_sinch_%'")) >= 3,
    )
    standalone.wait(
        "the inbound watcher in the triggerer",
        lambda: any(r.path.endswith("/inbounds") for r in sinch_sandbox.requests),
    )
    if HAS_ASSET_STATE_STORE:
        assert standalone.query("select 1 from asset_state_store where key like 'sinch_inbound:%'")
    ready = time.monotonic() - standalone.started

    # 1. A deferrable sensor: handed to the triggerer, resumed on a worker.  It pokes once before deferring,
    # so the delivery must still be pending then: 25 s from Dispatched to final (at time scale 10).
    normal_delivery = sinch_sandbox.settings.delivery_delay
    sinch_sandbox.configure(delivery_delay=250)
    standalone.airflow("dags", "trigger", "example_sinch_send_and_wait")
    ti_sql = (
        "select ti.state, ti.try_number, t.triggerer_id, t.classpath from task_instance ti "
        "left join trigger t on t.id = ti.trigger_id "
        "where ti.dag_id = 'example_sinch_send_and_wait' and ti.task_id = 'wait_for_delivery'"
    )

    def handed_over() -> Any:
        rows = standalone.query(ti_sql)
        if rows and rows[0][0] == "success":
            raise AssertionError("the sensor finished before the triggerer was seen running its trigger")
        return rows and rows[0][0] == "deferred" and rows[0][2] is not None and rows[0]

    _, _, _, classpath = standalone.wait(
        "the sensor deferred to the triggerer", handed_over, interval=0.05
    )
    deferred_at = time.monotonic()
    assert classpath == "airflow_provider_sinch.triggers.delivery.SinchBatchDeliveryTrigger"
    standalone.wait(
        "the sensor resumed", lambda: standalone.query(ti_sql)[0][0] in ("success", "failed"), interval=0.1
    )
    resumed_after = time.monotonic() - deferred_at
    state, try_number, _, _ = standalone.query(ti_sql)[0]
    assert (state, try_number) == ("success", 1)  # resumed in the same try, not retried
    run_state = standalone.wait(
        "the run to finish",
        lambda: [
            s
            for (s,) in standalone.query(
                "select state from dag_run where dag_id = 'example_sinch_send_and_wait'"
            )
            if s in ("success", "failed")
        ],
    )
    assert run_state == ["success"]
    sinch_sandbox.configure(delivery_delay=normal_delivery)

    # 2. An inbound SMS starts example_sinch_inbound_event exactly once.
    message = sinch_sandbox.inject_inbound("+46701234567", OUR_NUMBER, "STATUS")
    injected_at = time.monotonic()
    runs_sql = "select run_id, state from dag_run where dag_id = 'example_sinch_inbound_event'"
    standalone.wait(
        "the asset-triggered run", lambda: any(s == "success" for _, s in standalone.query(runs_sql))
    )
    started_after = time.monotonic() - injected_at

    # 3. (meanwhile) An operator that sends, defers to the triggerer and resumes with what it sent: the
    # triggerer keeps the defer kwargs (the send result) next to the event.
    standalone.airflow("dags", "trigger", "example_sinch_otp")
    time.sleep(12)  # more than two poll intervals of the watcher: nothing may fire again
    assert len(standalone.query(runs_sql)) == 1
    # The inbound asset's events (example_sinch_hitl_replies watches the same number for reply codes, and
    # "STATUS" has the shape of one: its own asset gets the message too).
    events = standalone.query("select e.extra from asset_event e join asset a on a.id = e.asset_id "
                              "where a.name = 'sinch_inbound_sms'")
    assert len(events) == 1
    assert message["id"] in events[0][0]

    otp_sql = "select state from dag_run where dag_id = 'example_sinch_otp'"
    assert standalone.wait("the OTP run", lambda: [s for (s,) in standalone.query(otp_sql)
                                                   if s in ("success", "failed")]) == ["success"]
    (sent,) = standalone.query(
        "select value from xcom where dag_id = 'example_sinch_otp' and task_id = 'send_code' "
        "and key = 'return_value'"
    )
    otp_batch = [b for b in sinch_sandbox.batches() if b["from"] == "Acme"]
    assert len(otp_batch) == 1  # sent once
    value = json.loads(sent[0])
    value = json.loads(value) if isinstance(value, str) else value
    assert value["batch_ids"] == [otp_batch[0]["id"]]
    assert value["delivery"]["counts"] == {"Delivered": 1}
    # The OTP went out minutes after the sandbox's reset, at time_scale 10: its now is still the wall clock,
    # so the 10-minute expire_at was 10 minutes away (issue 10: the clock ran ahead and expired the OTP).
    assert abs(sinch_sandbox.clock.time() - time.time()) < 1

    total = time.monotonic() - standalone.started
    print(
        f"\nstandalone ready {ready:.1f}s; deferred->resumed {resumed_after:.1f}s; "
        f"inbound SMS->run success {started_after:.1f}s; total {total:.1f}s"
    )
    assert total < BUDGET_SECONDS
