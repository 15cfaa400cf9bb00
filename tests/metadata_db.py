"""The Airflow metadata DB the tests use: SQLite in each ``AIRFLOW_HOME`` by default, PostgreSQL when
``SINCH_TEST_POSTGRES_URL`` is set.

That variable is the single switch: a SQLAlchemy URL of a PostgreSQL database in which the tests may create
and drop databases (``make test-postgres`` starts a server with ``.ci/postgres`` and sets it).  Every user of
a metadata DB then gets a fresh database of its own: the test process (``tests/conftest.py``), the session's
``airflow dags test`` home (``tests/e2e/conftest.py``) and each ``airflow standalone``
(``tests/e2e/test_standalone.py``), so runs and suites never see each other's rows.  Airflow processes get
it through ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` in their environment.

Tests that only make sense on PostgreSQL carry ``@pytest.mark.postgres``: without the variable they are
skipped with ``SKIP_REASON``, and the session's summary says how many were (``tests/conftest.py``).

No Airflow import here: ``tests/conftest.py`` uses this before anything imports airflow.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

ENV_VAR = "SINCH_TEST_POSTGRES_URL"
SQL_ALCHEMY_CONN = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
SKIP_REASON = f"needs PostgreSQL: {ENV_VAR} is not set (`make test-postgres` starts a server and sets it)"


def server_url() -> str | None:
    """The PostgreSQL URL the tests were given, or ``None`` (SQLite)."""
    return os.environ.get(ENV_VAR) or None


def create_database(label: str) -> str:
    """Create an empty database on the server of ``SINCH_TEST_POSTGRES_URL``.

    :param label: part of the database's name (``sinch_<label>_<pid>_<random>``), to tell them apart.
    :return: the new database's SQLAlchemy URL (the server URL with the database replaced).
    :raises RuntimeError: when ``SINCH_TEST_POSTGRES_URL`` is not set.
    """
    url = server_url()
    if url is None:
        raise RuntimeError(SKIP_REASON)
    from sqlalchemy.engine import make_url

    name = f"sinch_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    _admin(f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database of ``url`` (made by ``create_database``), ending any connection still open to it.

    :param url: the database's SQLAlchemy URL.
    """
    from sqlalchemy.engine import make_url

    _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@contextmanager
def metadata_db_env(label: str) -> Iterator[dict[str, str]]:
    """The environment that gives an Airflow home its own metadata DB for the ``with`` block.

    :param label: see ``create_database``.
    :return: ``{AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: url}`` of a fresh PostgreSQL database, dropped
        afterwards; ``{}`` without ``SINCH_TEST_POSTGRES_URL`` (Airflow's SQLite file in ``AIRFLOW_HOME``).
    """
    if server_url() is None:
        yield {}
        return
    url = create_database(label)
    try:
        yield {SQL_ALCHEMY_CONN: url}
    finally:
        drop_database(url)


def _admin(statement: str) -> None:
    """Run one statement outside a transaction on the server's own database (CREATE/DROP DATABASE)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(str(server_url()), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
