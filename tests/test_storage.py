"""Storage guarantees: migrations build the schema, SQLite runs with WAL and foreign keys,
natural keys are unique, PostgreSQL must be upgraded explicitly."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.config import ConfigError, Settings
from storage import migrate
from storage.db import make_engine
from storage.models import Activity
from tests.conftest import pg_schema_url
from tests.helpers import CLOCK

TABLES = {
    "org",
    "branch",
    "party_group",
    "member",
    "identity",
    "chat_binding",
    "activity",
    "commitment",
    "excusal",
    "audit_event",
    "dialog_state",
    "alembic_version",
}


def test_migrations_create_every_table(engine):
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert migrate.is_current(engine)


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'z.db'}")
    migrate.upgrade(eng)
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "nested" / "dir" / "z.db").exists()


def _activity(**kw) -> Activity:
    base = dict(
        org_id=1,
        branch_id=1,
        type_code="committee_meeting",
        held_on=date(2026, 3, 5),
        present=5,
        created_by=1,
        created_at=CLOCK(),
    )
    return Activity(**{**base, **kw})


def test_foreign_keys_are_enforced(engine, town):
    with Session(engine) as s, pytest.raises(IntegrityError):
        s.add(_activity(branch_id=999))
        s.commit()


def test_source_key_is_unique(engine, town):
    key = dict(source_platform="telegram", source_chat="-100", source_message="7")
    with Session(engine) as s:
        s.add(_activity(**key))
        s.commit()
    with Session(engine) as s, pytest.raises(IntegrityError):
        s.add(_activity(**key))
        s.commit()


def test_datetimes_come_back_aware_utc(engine, town):
    with Session(engine) as s:
        a = _activity()
        s.add(a)
        s.commit()
        s.refresh(a)
        assert a.created_at == CLOCK() and a.created_at.utcoffset().total_seconds() == 0


@pytest.mark.postgres
def test_postgres_is_not_upgraded_behind_the_operators_back():
    from bot.app import open_engine

    with pg_schema_url() as url:
        with pytest.raises(ConfigError, match="zhibu db upgrade"):
            open_engine(Settings(database={"url": url}))
        migrate.upgrade(make_engine(url))
        assert migrate.is_current(open_engine(Settings(database={"url": url})))
