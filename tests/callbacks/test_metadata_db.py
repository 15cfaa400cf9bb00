"""With ``SINCH_TEST_POSTGRES_URL`` the receiver's tests really run on PostgreSQL: the switch of
``tests/metadata_db.py`` reaches both this process's Airflow and the ``airflow`` CLI it runs, on a database
made for the session; each Airflow home's database is dropped after use.  Skipped on SQLite."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.metadata_db import SQL_ALCHEMY_CONN, metadata_db_env, server_url

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def databases() -> set[str]:
    """The names of the databases on the test server."""
    engine = create_engine(str(server_url()), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("select datname from pg_database")).scalars())
    finally:
        engine.dispose()


def test_the_process_and_the_airflow_cli_it_runs_use_the_sessions_postgresql_database(db: Any) -> None:
    from airflow import settings

    session_db = make_url(os.environ[SQL_ALCHEMY_CONN]).database
    assert session_db is not None
    assert session_db.startswith(f"sinch_session_{os.getpid()}_")
    assert (settings.engine.dialect.name, settings.engine.url.database) == ("postgresql", session_db)
    with db() as session:  # `airflow db migrate` (a subprocess) migrated this very database
        assert session.execute(text("select version_num from alembic_version")).scalar()
        assert session.execute(text("select current_database()")).scalar() == session_db


def test_an_airflow_home_gets_a_database_of_its_own_dropped_afterwards() -> None:
    with metadata_db_env("probe") as env:
        name = make_url(env[SQL_ALCHEMY_CONN]).database
        assert name != make_url(os.environ[SQL_ALCHEMY_CONN]).database
        assert name in databases()
    assert name not in databases()
