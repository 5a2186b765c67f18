"""Small builders for tests that need records without going through chat."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from core.compliance import OrgResult, evaluate
from core.periods import Period, fixed_clock
from core.rules import DEFAULT_REGISTRY, Registry
from storage.db import session_scope
from storage.models import Activity, Branch, Commitment, Member, PartyGroup
from tests.conftest import local

CLOCK = fixed_clock(local(2026, 3, 20, 10))


def secretary_id(s: Session, branch_id: int) -> int:
    m = s.exec(
        select(Member).where(Member.branch_id == branch_id, Member.branch_role == "secretary")
    ).first()
    assert m is not None and m.id is not None
    return m.id


def group_id(s: Session, branch_id: int, name: str) -> int:
    g = s.exec(
        select(PartyGroup).where(PartyGroup.branch_id == branch_id, PartyGroup.name == name)
    ).one()
    assert g.id is not None
    return g.id


def add_activity(
    engine,
    branch_id: int | None,
    code: str,
    day: date,
    present: int = 8,
    group: str | None = None,
    hours: float | None = None,
    org_id: int = 1,
    deleted: bool = False,
) -> int:
    with session_scope(engine) as s:
        creator = secretary_id(s, branch_id) if branch_id else 1
        a = Activity(
            org_id=org_id,
            branch_id=branch_id,
            type_code=code,
            held_on=day,
            present=present,
            party_group_id=group_id(s, branch_id, group) if group and branch_id else None,
            hours=hours,
            created_by=creator,
            created_at=CLOCK(),
            deleted_at=CLOCK() if deleted else None,
        )
        s.add(a)
        s.flush()
        assert a.id is not None
        return a.id


def add_commitment(
    engine,
    branch_id: int,
    due: date,
    status: str = "in_progress",
    made: date = date(2026, 1, 10),
    personal: bool = False,
) -> None:
    with session_scope(engine) as s:
        sec = secretary_id(s, branch_id)
        s.add(
            Commitment(
                org_id=1,
                branch_id=branch_id,
                owner_member_id=sec if personal else None,
                content="承诺事项",
                made_on=made,
                due_on=due,
                status=status,
                fulfilled_on=due if status == "fulfilled" else None,
                created_by=sec,
                created_at=CLOCK(),
            )
        )


def evaluate_branches(
    engine,
    branch_ids: list[int],
    period: Period,
    today: date,
    registry: Registry = DEFAULT_REGISTRY,
) -> OrgResult:
    with session_scope(engine) as s:
        pairs = [(b, s.get(Branch, b).name) for b in branch_ids]  # type: ignore[union-attr]
        return evaluate(s, registry, 1, pairs, period, today)


def rule(result: OrgResult, code: str, branch_index: int = 0):
    return next(r for r in result.branches[branch_index].rules if r.type.code == code)


def run_zhibu(cwd: Path, *args: str, stdin: str = "", env: dict | None = None):
    """The real ``zhibu`` command in a subprocess, on ``cwd/cli.db`` unless ``env`` says
    otherwise, with no ZHIBU_* setting of the calling shell leaking in."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIBU_")}
    full_env["ZHIBU_DATABASE__URL"] = f"sqlite:///{cwd / 'cli.db'}"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )


def write_lock_is_free(engine) -> bool:
    """Whether another SQLite connection could begin writing right now (BEGIN IMMEDIATE, as
    every writer's transaction does), or would have to wait for a lock someone holds."""
    import sqlite3

    other = sqlite3.connect(engine.url.database, timeout=0.1, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()
