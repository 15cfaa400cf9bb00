"""Bounded lock waits of the receiver's transactions: the per-dialect cap, its restoration, and a real
SQLite (or PostgreSQL) lock giving up within the cap instead of Airflow's 5 s busy timeout."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from airflow_provider_sinch.callbacks import dbwait
from airflow_provider_sinch.callbacks.dbwait import bounded_session, cap_connection, is_lock_error


class FakeMySQL:
    """A DBAPI connection that records statements and answers ``SELECT @@...`` with 50."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def cursor(self) -> Any:
        connection = self

        class Cursor:
            def execute(self, statement: str) -> None:
                connection.statements.append(statement)

            def fetchone(self) -> tuple[int]:
                return (50,)

            def close(self) -> None:
                pass

        return Cursor()


def busy_timeout(connection: Any) -> int:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout")
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


def test_sqlite_busy_timeout_is_capped_then_restored() -> None:
    connection = sqlite3.connect(":memory:", timeout=5.0)
    restore = cap_connection(connection, "sqlite", 0.25)
    assert busy_timeout(connection) == 250
    restore()
    assert busy_timeout(connection) == 5000


def test_mysql_lock_wait_is_capped_in_whole_seconds_then_restored() -> None:
    connection = FakeMySQL()
    restore = cap_connection(connection, "mysql", 0.25)
    restore()
    assert connection.statements == ["SELECT @@SESSION.innodb_lock_wait_timeout",
                                     "SET SESSION innodb_lock_wait_timeout = 1",  # at least 1 s
                                     "SET SESSION innodb_lock_wait_timeout = 50"]


def test_postgresql_needs_no_connection_setting() -> None:
    connection = FakeMySQL()
    cap_connection(connection, "postgresql", 2)()
    assert connection.statements == []  # SET LOCAL in the transaction instead (see the DB test below)


@pytest.mark.parametrize(("message", "lock"), [
    ("database is locked", True),
    ("canceling statement due to lock timeout", True),
    ("Lock wait timeout exceeded; try restarting transaction", True),
    ("deadlock detected", True),
    ("could not serialize access due to concurrent update", True),
    ("connection refused", False),
    ("no such table: asset", False),
])
def test_lock_errors_are_told_from_a_database_that_is_down(message: str, lock: bool) -> None:
    assert is_lock_error(OperationalError("UPDATE asset", {}, Exception(message))) is lock


def test_a_session_has_the_cap_and_the_pooled_connection_gets_its_timeout_back(airflow_db: None) -> None:
    from sqlalchemy import text

    with bounded_session(0.25) as session:
        connection = session.connection()
        dialect = connection.dialect.name
        dbapi_connection = connection.connection.dbapi_connection
        if dialect == "sqlite":
            assert busy_timeout(dbapi_connection) == 250
        elif dialect == "postgresql":
            assert session.scalar(text("SHOW lock_timeout")) == "250ms"
    if dialect == "sqlite":
        assert busy_timeout(dbapi_connection) == 5000  # Airflow's (pysqlite's default)
    elif dialect == "postgresql":
        with bounded_session(3) as session:
            assert session.scalar(text("SHOW lock_timeout")) == "3s"  # SET LOCAL: this transaction's own


def test_a_connection_whose_timeout_cannot_be_restored_is_not_pooled(
    airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_restore(*args: Any) -> Any:
        def fail() -> None:
            raise RuntimeError("restore failed")

        return fail

    monkeypatch.setattr(dbwait, "cap_connection", broken_restore)
    with bounded_session(1) as session:
        proxied = session.connection().connection
    assert proxied.dbapi_connection is None  # invalidated: closed, never handed to Airflow again


def test_a_held_lock_ends_the_transaction_after_the_cap(
    active_asset: Callable[[str], int], write_lock: Callable[[], AbstractContextManager[None]]
) -> None:
    """Another connection holds the write lock (SQLite) or the asset table (PostgreSQL): the receiver's
    session gives up with a lock error after 0.2 s instead of Airflow's 5 s (or forever)."""
    from sqlalchemy import text

    asset_id = active_asset("sinch://sinch_push/delivery")
    with write_lock(), pytest.raises(OperationalError) as caught, bounded_session(0.2) as session:
        session.execute(text("UPDATE asset SET updated_at = updated_at WHERE id = :id"), {"id": asset_id})
    assert is_lock_error(caught.value)
