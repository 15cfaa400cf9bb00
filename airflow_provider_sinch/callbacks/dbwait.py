"""Bounded waits on the metadata DB: each of the receiver's transactions gives up on a lock within seconds.

Airflow's own sessions wait as long as the database lets them (SQLite's busy timeout is 5 s a statement,
PostgreSQL and MySQL wait for a row lock for as long as it is held, or 50 s).  A callback waiting that long
holds an API-server thread and a pooled connection, and Sinch retries a 5xx anyway, so the receiver gives
each transaction only what is left of the callback's budget (see :mod:`.recorder`) and answers 503 after.

Each transaction gets a connection of Airflow's engine to itself, with the lock wait capped:

==========  ====================================================  ==========================================
database    how                                                   scope
==========  ====================================================  ==========================================
PostgreSQL  ``set_config('lock_timeout', ..., true)`` (``SET      the transaction; nothing to restore
            LOCAL``), the transaction's first statement
SQLite      ``PRAGMA busy_timeout`` on the DBAPI connection       set before, restored after the transaction,
                                                                  before the connection goes back to the pool
MySQL       ``innodb_lock_wait_timeout`` (a session variable,     set before, restored after, as for SQLite
            whole seconds, at least 1)
==========  ====================================================  ==========================================

A connection whose setting could not be restored is invalidated (closed, not pooled), so Airflow's own
sessions never inherit a short timeout.  MySQL is not run by the test suite (it has no MySQL server).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

LOCK_WORDS = ("locked", "lock timeout", "lock wait timeout", "deadlock", "could not serialize", "busy")
"""Driver messages of a lock the DB may release soon: SQLite's ``database is locked``, PostgreSQL's
``canceling statement due to lock timeout`` / deadlocks / serialization failures, MySQL's ``Lock wait
timeout exceeded``."""


def is_lock_error(exc: OperationalError) -> bool:
    """Whether ``exc`` is a lock that may be released soon (rather than a database that is down).

    :param exc: the error SQLAlchemy raised.
    """
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return any(word in text for word in LOCK_WORDS)


@contextmanager
def bounded_session(seconds: float) -> Iterator[Session]:
    """A session of Airflow's metadata DB whose lock waits end after ``seconds``; commits on a clean exit,
    rolls back otherwise (see the module docs).

    :param seconds: the longest any statement of the transaction may wait for a lock (rounded up to 1 ms,
        and on MySQL to whole seconds).
    """
    from airflow import settings

    if settings.engine is None or settings.NonScopedSession is None:
        raise RuntimeError("Airflow's ORM is not configured (settings.configure_orm was not called)")
    with settings.engine.connect() as connection:
        dialect = connection.dialect.name
        restore = cap_connection(connection.connection.dbapi_connection, dialect, seconds)
        try:
            session = settings.NonScopedSession(bind=connection)
            try:
                if dialect == "postgresql":
                    session.execute(select(func.set_config("lock_timeout", f"{_millis(seconds)}ms", True)))
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
        finally:
            try:
                restore()
            except Exception:  # the pool must not hand Airflow a connection with our short timeout
                connection.invalidate()


def cap_connection(dbapi_connection: Any, dialect: str, seconds: float) -> Callable[[], None]:
    """Cap the lock wait of a DBAPI connection where the setting outlives a transaction (SQLite, MySQL);
    returns what puts the previous value back (a no-op elsewhere).

    :param dbapi_connection: the driver's connection (``sqlite3.Connection``, ``MySQLdb`` ...).
    :param dialect: SQLAlchemy's dialect name.
    :param seconds: the longest wait for a lock.
    """
    if dialect == "sqlite":
        get, put, value = "PRAGMA busy_timeout", "PRAGMA busy_timeout = {}", _millis(seconds)
    elif dialect == "mysql":
        get, put = "SELECT @@SESSION.innodb_lock_wait_timeout", "SET SESSION innodb_lock_wait_timeout = {}"
        value = max(1, math.ceil(seconds))
    else:
        return lambda: None
    previous = int(_fetch_one(dbapi_connection, get))
    _run(dbapi_connection, put.format(value))
    return lambda: _run(dbapi_connection, put.format(previous))


def _millis(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def _fetch_one(dbapi_connection: Any, statement: str) -> Any:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(statement)
        return cursor.fetchone()[0]
    finally:
        cursor.close()


def _run(dbapi_connection: Any, statement: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()
