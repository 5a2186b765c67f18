"""Shared fixtures: a fresh, migrated database per test (SQLite always; PostgreSQL too when
ZHIBU_TEST_POSTGRES_URL is set), a small town, a fixed clock and a router to talk to."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from bot.router import Incoming, Router
from core import admin
from core.periods import fixed_clock
from core.rules import DEFAULT_REGISTRY
from storage import migrate
from storage.db import make_engine, session_scope

TZ = ZoneInfo("Asia/Shanghai")
PG_URL = os.environ.get("ZHIBU_TEST_POSTGRES_URL")
NO_PG = "PostgreSQL tests need ZHIBU_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); .ci/run sets it"


def local(*args: int) -> datetime:
    """An aware datetime in Asia/Shanghai, e.g. local(2026, 3, 20, 10)."""
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file per run; each test gets a copy (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "zhibu.db"
    eng = make_engine(f"sqlite:///{path}")
    migrate.upgrade(eng)
    eng.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def pg_engine():
    """One migrated PostgreSQL schema per run; tests empty its tables before use."""
    with pg_schema_url() as url:
        eng = make_engine(url)
        migrate.upgrade(eng)
        yield eng
        eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "zhibu.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    eng = request.getfixturevalue("pg_engine")
    tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield eng


@contextmanager
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, empty schema, dropped afterwards."""
    if not PG_URL:
        pytest.skip(NO_PG)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin_engine = make_engine(PG_URL)
    with admin_engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin_engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin_engine.dispose()


PACKAGE_LAST_YEAR = 2026  # the last year chinesecalendar 1.11.0 knows


@pytest.fixture
def package_stops_at_2026(monkeypatch):
    """chinesecalendar as 1.11.0 ships it, knowing 2004-2026, whichever release is installed.
    Tests of what Zhibu does in a year the package does not know (the law's holidays, the
    warning, the December digest) use 2027; pyproject.toml does not pin the package, so a
    fresh CI install picks up the release that adds 2027 as soon as the State Council's
    notice is out, and those tests would then be testing the official schedule instead."""
    import chinese_calendar

    real = chinese_calendar.is_workday

    def is_workday(day):
        if day.year > PACKAGE_LAST_YEAR:
            raise NotImplementedError(f"no available data for year {day.year}")
        return real(day)

    known = {d: v for d, v in chinese_calendar.holidays.items() if d.year <= PACKAGE_LAST_YEAR}
    monkeypatch.setattr(chinese_calendar, "is_workday", is_workday)
    monkeypatch.setattr(chinese_calendar, "holidays", known)


@pytest.fixture
def clock():
    return fixed_clock(local(2026, 3, 20, 10))


# The demo town was set up well before the months the tests look at: a branch is not
# required to have met before it existed.
FOUNDED = fixed_clock(local(2025, 1, 1, 9))


@dataclass
class Town:
    org_id: int
    branch1: int  # 一村党支部: two party groups
    branch2: int  # 二村党支部: no party groups


@pytest.fixture
def town(engine, clock) -> Town:
    """示范镇党委 with 一村 (secretary sec1, committee com1, member mem1, two party groups)
    and 二村 (secretary sec2, member mem2), a leader and an admin; console users bound."""
    with session_scope(engine) as s:
        org = admin.create_org(s, clock, "示范镇党委")
        b1 = admin.add_branch(s, FOUNDED, org, "一村党支部", "一村")
        b2 = admin.add_branch(s, FOUNDED, org, "二村党支部", "二村")
        for group in ("第一党小组", "第二党小组"):
            admin.add_group(s, b1, group)
        people = [
            ("sec1", "张书记", b1.name, "secretary", None, "第一党小组"),
            ("com1", "李委员", b1.name, "committee", None, "第一党小组"),
            ("mem1", "王党员", b1.name, "member", None, "第二党小组"),
            ("sec2", "刘书记", b2.name, "secretary", None, None),
            ("mem2", "陈党员", b2.name, "member", None, None),
            ("leader", "赵镇长", None, None, "leader", None),
            ("admin", "孙管理", None, None, "admin", None),
        ]
        for user, name, branch, role, org_role, group in people:
            m = admin.add_member(s, clock, org, name, branch, role, org_role, group)
            admin.bind_identity(s, m, "console", user)
        admin.bind_chat(s, org, "console", "branch1", b1)
        admin.bind_chat(s, org, "console", "branch2", b2)
        admin.bind_chat(s, org, "console", "town", None)
        return Town(org.id, b1.id, b2.id)  # type: ignore[arg-type]


@pytest.fixture
def router(engine, clock, tmp_path) -> Router:
    return Router(engine, DEFAULT_REGISTRY, TZ, clock, exports_dir=tmp_path / "exports")


class Chat:
    """Talk to the router as one console user in one chat; returns the reply text."""

    def __init__(self, router: Router, user: str, chat: str):
        self.router, self.user, self.chat, self.n = router, user, chat, 0

    def __call__(self, text: str, message_id: str | None = None) -> str:
        self.n += 1
        msg = Incoming("console", self.chat, self.user, text, message_id or f"{self.user}-{self.n}")
        return "\n".join(r.text for r in self.router.handle(msg))


@pytest.fixture
def chat(router, town):
    """chat('sec1', 'branch1') -> a callable that sends lines as that user."""

    def make(user: str = "sec1", chat_id: str = "branch1") -> Chat:
        return Chat(router, user, chat_id)

    return make


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s
