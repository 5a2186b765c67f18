"""Engine and session factory: SQLite (WAL, foreign keys) by default, PostgreSQL when configured."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

READ_ONLY = "zhibu_read_only"  # an execution option: this connection only reads


def make_engine(url: str, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_conn, _record) -> None:
    # Take transactions away from the sqlite3 module, which would otherwise begin them late
    # and break SAVEPOINTs (SQLAlchemy's documented recipe); _sqlite_begin starts them.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # IMMEDIATE: take the write lock up front, so two processes sharing the file queue on
    # busy_timeout instead of failing when a read turns into a write. A read-only scope
    # takes none: WAL readers never block writers.
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work that only reads; closing it rolls its transaction back, and what it
    loaded stays readable. On SQLite it takes no write lock, so a long read (an org-wide
    /status, a county's ledger) does not hold up everyone else's writes while it runs. Every
    query sees the same snapshot, so the numbers of one answer agree with each other."""
    options: dict = {READ_ONLY: True}
    if not is_sqlite(engine):  # one snapshot for every query, as SQLite's read transaction
        options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with Session(engine.execution_options(**options)) as session:
        yield session
