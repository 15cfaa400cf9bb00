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
from pathlib import Path
from typing import Any

import pytest

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
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
    from airflow.models.asset_state_store import AssetStateStoreModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    def wipe() -> None:
        with create_session() as session:
            for model in (AssetDagRunQueue, AssetStateStoreModel, AssetEvent, AssetActive, AssetModel):
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
def push_connection(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``push_connection(conn_id=CONN_ID, **extra)``: a ``sinch`` connection in ``AIRFLOW_CONN_*``; by
    default with both a signing secret and Basic credentials."""

    def define(conn_id: str = CONN_ID, conn_type: str = "sinch", **extra: Any) -> None:
        extra = extra or {"callback_secret": SECRET, "callback_username": USER, "callback_password": PASSWORD}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({
            "conn_type": conn_type, "login": "plan", "password": "token", "extra": extra}))

    define()
    return define
