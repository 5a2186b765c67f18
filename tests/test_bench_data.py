"""The benchmark's data generator writes a town the engine can read (kept from rotting)."""

from __future__ import annotations

from datetime import date

from sqlmodel import func, select

from bench.generate import generate
from core.auth import operator
from core.periods import Period
from core.rules import DEFAULT_REGISTRY
from core.status import status
from storage import migrate
from storage.db import make_engine, session_scope
from storage.models import Activity, Branch, Commitment


def test_a_generated_town_has_history_and_mostly_keeps_its_rules(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.db'}")
    migrate.upgrade(engine)
    today = date(2026, 11, 29)
    written = generate(engine, branches=4, years=2, today=today)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Branch)).one() == 4
        assert s.exec(select(func.count()).select_from(Activity)).one() == written > 4 * 23 * 4
        assert s.exec(select(func.count()).select_from(Commitment)).one() == 4 * 2 * 4
        org_id = s.exec(select(Branch.org_id)).first()
        result = status(s, DEFAULT_REGISTRY, today, operator(org_id), Period.of_year(2025))
    assert len(result.branches) == 4
    assert result.compliance_rate is not None and 60 < result.compliance_rate < 100
    engine.dispose()
