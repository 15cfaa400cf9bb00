"""Fixtures of the receiver's tests: a migrated metadata DB for this test process, active assets in it, and
the receiver mounted under ``/sinch`` as the API server mounts it.

The test process's metadata DB (SQLite in its ``AIRFLOW_HOME``, or a fresh PostgreSQL database with
``SINCH_TEST_POSTGRES_URL``: see ``tests/conftest.py``) is migrated once per session (``airflow db migrate``,
a few seconds), so the receiver records through Airflow's own session and asset manager, exactly as in the
API server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_sinch.callbacks.recorder import CallbackRecorder, Outcome

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
REPORT = (b'{"type": "recipient_delivery_report_sms", "batch_id": "b1", "recipient": "12015550123", '
          b'"status": "Delivered", "code": 0, "at": "2026-01-01T00:00:00Z"}')
"""A per-recipient delivery report, for tests that need no fixture file."""
CONN_ID = "sinch_push"
SECRET = "push-secret-0123456789"
USER, PASSWORD = "sinch-user", "push-password-9876"


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Migrate this process's metadata DB (once)."""
    subprocess.run([AIRFLOW, "db", "migrate"], env=dict(os.environ), check=True, capture_output=True,
                   timeout=300)


@pytest.fixture
def db(airflow_db: None) -> Iterator[Any]:
    """The metadata DB, emptied of assets, asset events and dedup rows before and after the test."""
    from airflow.models.asset import AssetActive, AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    from airflow_provider_sinch.version_compat import HAS_ASSET_STATE_STORE

    models: list[Any] = [AssetDagRunQueue, AssetEvent, AssetActive, AssetModel]
    if HAS_ASSET_STATE_STORE:
        from airflow.models.asset_state_store import AssetStateStoreModel

        models.insert(0, AssetStateStoreModel)

    def wipe() -> None:
        with create_session() as session:
            for model in models:
                session.execute(delete(model))

    wipe()
    yield create_session
    wipe()


@pytest.fixture
def active_asset(db: Any) -> Callable[[str], int]:
    """``active_asset(uri)``: an asset as a parsed DAG scheduled on it leaves it (name = URI, active)."""
    from airflow.models.asset import AssetActive, AssetModel

    def make(uri: str) -> int:
        with db() as session:
            asset = AssetModel(name=uri, uri=uri)
            session.add(asset)
            session.add(AssetActive(name=uri, uri=uri))
            session.flush()
            return int(asset.id)

    return make


@pytest.fixture
def events(db: Any) -> Callable[[str | None], list[dict[str, Any]]]:
    """``events(uri=None)``: the asset events recorded (on ``uri``), their ``extra`` as dicts."""
    from airflow.models.asset import AssetEvent, AssetModel
    from sqlalchemy import select

    def read(uri: str | None = None) -> list[dict[str, Any]]:
        with db() as session:
            query = (select(AssetEvent.extra, AssetModel.uri)
                     .join(AssetModel, AssetModel.id == AssetEvent.asset_id).order_by(AssetEvent.id))
            if uri is not None:
                query = query.where(AssetModel.uri == uri)
            return [{"uri": row_uri, **dict(extra)} for extra, row_uri in session.execute(query).all()]

    return read


@pytest.fixture
def opt_in(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``opt_in(*conn_ids)``: the receiver serves these connections (``[sinch] callback_connections``, as an
    ``AIRFLOW__SINCH__CALLBACK_CONNECTIONS`` env var), read by the next receiver built."""

    def serve(*conn_ids: str) -> None:
        monkeypatch.setenv("AIRFLOW__SINCH__CALLBACK_CONNECTIONS", ",".join(conn_ids))

    return serve


@pytest.fixture
def served(opt_in: Callable[..., None]) -> None:
    """The receiver serves :data:`CONN_ID` (explicitly opted in)."""
    opt_in(CONN_ID)


@pytest.fixture
def push_connection(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``push_connection(conn_id=CONN_ID, **extra)``: a ``sinch`` connection in ``AIRFLOW_CONN_*``; by
    default with both a signing secret and Basic credentials."""

    def define(conn_id: str = CONN_ID, conn_type: str = "sinch", **extra: Any) -> None:
        extra = extra or {"callback_secret": SECRET, "callback_username": USER, "callback_password": PASSWORD}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({
            "conn_type": conn_type, "login": "plan", "password": "token", "extra": extra}))

    define()
    return define


async def asgi_post(app: Any, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """POST to an ASGI app in-process (the path as it arrives, percent-escapes decoded by the transport)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http:
        return await http.post(path, content=body, headers=headers)


class Recorded(CallbackRecorder):
    """A recorder that records nothing and answers ``recorded`` (for tests of what comes before: no DB)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def record(self, conn_id: str, callback: Any, deadline: float | None = None) -> Outcome:
        self.calls.append(conn_id)
        return Outcome("recorded", recorded=[f"sinch://{conn_id}/delivery"])


@pytest.fixture
def write_lock(db: Any) -> Callable[[], AbstractContextManager[None]]:
    """``with write_lock():`` another connection holds the DB's write lock (SQLite: ``BEGIN IMMEDIATE``
    and a write) or the asset table (PostgreSQL: ``LOCK TABLE asset IN EXCLUSIVE MODE``, reads still
    allowed), as a long transaction of another process would."""
    from airflow import settings
    from sqlalchemy import text

    @contextmanager
    def held() -> Iterator[None]:
        assert settings.engine is not None
        with settings.engine.connect() as holder:
            if holder.dialect.name == "sqlite":
                holder.exec_driver_sql("BEGIN IMMEDIATE")
                holder.exec_driver_sql("UPDATE asset SET updated_at = updated_at")
            else:
                holder.execute(text("LOCK TABLE asset IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                holder.rollback()

    return held
