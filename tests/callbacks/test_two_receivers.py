"""Exactly once across two API servers: two receiver processes (each its own Airflow engine and pool, as two
API servers have) race on one metadata DB.

The DBs raced on:

* ``process-db``: this test process's migrated metadata DB, a SQLite file unless
  ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` names another;
* ``postgresql``: a fresh database on the PostgreSQL server of ``SINCH_TEST_POSTGRES_URL``
  (``tests/metadata_db.py``; ``make test-postgres`` starts a server and sets it), migrated by the test
  session and dropped after it.  Skipped, saying so, when the variable is unset.

Which dedup runs depends on the Airflow version: ``asset_state_store`` rows on 3.3, the asset-row lock and
the events' ``sinch_dedup`` on 3.1 and 3.2 (:mod:`airflow_provider_sinch.callbacks.dedup`).
"""

from __future__ import annotations

import json
import os
import random
import select
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_sinch.client.webhooks import parse_callback
from airflow_provider_sinch.version_compat import HAS_ASSET_STATE_STORE
from tests.callbacks.conftest import AIRFLOW
from tests.callbacks.test_receiver import DELIVERY, URL, basic, fixture, signed
from tests.metadata_db import SKIP_REASON, SQL_ALCHEMY_CONN, metadata_db_env, server_url

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of its own; the test is skipped without ``SINCH_TEST_POSTGRES_URL``."""
    if server_url() is None:
        pytest.skip(SKIP_REASON)
    with metadata_db_env("race") as db_env:
        env = {**os.environ, **db_env}
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
        yield db_env[SQL_ALCHEMY_CONN]


@pytest.fixture(scope="session")
def process_db_url(airflow_db: None) -> str:
    """This test process's metadata DB (migrated by ``airflow_db``)."""
    from airflow import settings

    assert settings.engine is not None
    return settings.engine.url.render_as_string(hide_password=False)


class TargetDB:
    """The raced-on DB, reached through an engine of the test's own.

    :param url: its SQLAlchemy URL.
    """

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.url = url
        self.engine = create_engine(url)

    def session(self) -> Any:
        from sqlalchemy.orm import Session

        return Session(self.engine, expire_on_commit=False)

    def wipe(self) -> None:
        from airflow.models.asset import AssetActive, AssetDagRunQueue, AssetEvent, AssetModel
        from sqlalchemy import delete

        models: list[Any] = [AssetDagRunQueue, AssetEvent, AssetActive, AssetModel]
        if HAS_ASSET_STATE_STORE:
            from airflow.models.asset_state_store import AssetStateStoreModel

            models.insert(0, AssetStateStoreModel)
        with self.session() as session, session.begin():
            for model in models:
                session.execute(delete(model))

    def activate(self, uri: str) -> None:
        from airflow.models.asset import AssetActive, AssetModel

        with self.session() as session, session.begin():
            session.add(AssetModel(name=uri, uri=uri))
            session.add(AssetActive(name=uri, uri=uri))

    def digests(self, uri: str) -> list[str]:
        """The ``sinch_dedup`` of each event on ``uri``."""
        from airflow.models.asset import AssetEvent, AssetModel
        from sqlalchemy import select

        with self.session() as session:
            extras = session.scalars(
                select(AssetEvent.extra).join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                .where(AssetModel.uri == uri)).all()
        return [(json.loads(extra) if isinstance(extra, str) else extra)["sinch_dedup"] for extra in extras]

    def dedup_rows(self) -> int:
        from airflow.models.asset_state_store import AssetStateStoreModel
        from sqlalchemy import func, select

        with self.session() as session:
            return int(session.scalar(select(func.count()).select_from(AssetStateStoreModel)) or 0)


@pytest.fixture(params=["process-db", "postgresql"])
def target(request: pytest.FixtureRequest) -> Iterator[TargetDB]:
    """The DB to race on, emptied of assets and events before and after."""
    url = request.getfixturevalue("process_db_url" if request.param == "process-db" else "postgres_url")
    db = TargetDB(url)
    db.wipe()
    yield db
    db.wipe()
    db.engine.dispose()


@pytest.fixture
def receivers(target: TargetDB, push_connection: Any, served: None,
              tmp_path: Path) -> Iterator[list[httpx.Client]]:
    """Two receiver processes on ``target``'s DB, warmed up; a client of each."""
    env = {**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": target.url,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    processes: list[subprocess.Popen[str]] = []
    clients: list[httpx.Client] = []
    try:
        for n in range(2):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "tests.callbacks.receiver_process"], env=env, cwd=ROOT, text=True,
                stdout=subprocess.PIPE, stderr=(tmp_path / f"receiver-{n}.log").open("w")))
        for process in processes:
            ready, _, _ = select.select([process.stdout], [], [], 120)
            assert ready, "a receiver process did not start within 120 s"
            assert process.stdout is not None
            port = int(process.stdout.readline())
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, trust_env=False)
            clients.append(client)
            assert client.post(URL, content=b"{}").status_code == 401  # the receiver is built and answers
        yield clients
    finally:
        for client in clients:
            client.close()
        for process in processes:
            process.terminate()
            process.wait(30)


def delivery(recipient: str) -> bytes:
    """A delivery report body; each recipient a different callback."""
    return json.dumps({**json.loads(fixture("recipient_delivery_report_sms.aborted_412.json")),
                       "recipient": recipient}).encode()


def deliver(clients: list[httpx.Client], i: int, body: bytes) -> tuple[int, str]:
    """Delivery ``i`` of ``body`` to receiver ``i % 2``, signed afresh (or Basic), as Sinch retries."""
    answer = clients[i % 2].post(URL, content=body, headers=signed(body) if i % 3 else basic())
    return answer.status_code, answer.json().get("status", answer.text)


def test_100_deliveries_to_two_receiver_processes_give_one_event(
    target: TargetDB, receivers: list[httpx.Client]
) -> None:
    """Half the deliveries race each other on 16 threads across both processes, the rest follow."""
    target.activate(DELIVERY)
    body = delivery("12010000000")
    with ThreadPoolExecutor(16) as pool:
        concurrent = list(pool.map(lambda i: deliver(receivers, i, body), range(50)))
    sequential = [deliver(receivers, i, body) for i in range(50, 100)]
    answers = concurrent + sequential
    assert Counter(answers) == {(200, "duplicate"): 99, (200, "recorded"): 1}
    assert target.digests(DELIVERY) == [parse_callback(body).dedup_digest]
    if HAS_ASSET_STATE_STORE:
        assert target.dedup_rows() == 1


def test_ten_callbacks_each_raced_ten_times_give_ten_events(
    target: TargetDB, receivers: list[httpx.Client]
) -> None:
    """Ten races at once on one asset: every callback is recorded by exactly one of its ten deliveries."""
    target.activate(DELIVERY)
    bodies = [delivery(f"1201000{n:04d}") for n in range(10)]
    jobs = [(i, body) for body in bodies for i in range(10)]
    random.Random(7).shuffle(jobs)
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda job: (job[1], deliver(receivers, *job)), jobs))
    recorded: Callable[[bytes], int] = lambda body: sum(  # noqa: E731
        1 for b, answer in answers if b == body and answer == (200, "recorded"))
    assert {code for _, (code, _) in answers} == {200}
    assert [recorded(body) for body in bodies] == [1] * 10
    assert sorted(target.digests(DELIVERY)) == sorted(parse_callback(b).dedup_digest for b in bodies)
