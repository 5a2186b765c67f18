"""The benchmark's data generator writes a town the engine can read (kept from rotting), with
everything a real town logs, in plausible proportions: meetings, 谈心谈话, branch and personal
commitments, excused units, the town's own records, and records undone (soft-deleted), which
the engine must not count."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import Engine, text

from bench.generate import EXCUSE_REASONS, KEEP, MEMBERS, generate
from core.auth import operator
from core.compliance import OrgResult
from core.periods import Period
from core.rules import DEFAULT_REGISTRY
from core.status import status
from storage import migrate
from storage.db import make_engine, session_scope

TODAY = date(2026, 11, 29)
BRANCHES, YEARS = 40, 3
CLOSED_YEARS = (2024, 2025)


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> tuple[Engine, int]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('bench') / 'bench.db'}")
    migrate.upgrade(engine)
    written = generate(engine, BRANCHES, YEARS, TODAY)
    yield engine, written
    engine.dispose()


def rows(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as c:
        return c.execute(text(sql), params).all()


def year_status(engine: Engine, year: int) -> OrgResult:
    with session_scope(engine) as s:
        org_id = s.execute(text("SELECT id FROM org")).scalar_one()
        return status(s, DEFAULT_REGISTRY, TODAY, operator(org_id), Period.of_year(year))


def test_a_generated_town_has_history_and_mostly_keeps_its_rules(town):
    engine, written = town
    [(branches, activities, branch_promises)] = rows(
        engine,
        "SELECT (SELECT count(*) FROM branch), (SELECT count(*) FROM activity),"
        " (SELECT count(*) FROM commitment WHERE owner_member_id IS NULL)",
    )
    assert branches == BRANCHES
    assert activities == written > BRANCHES * 35 * 5
    assert branch_promises == BRANCHES * YEARS * 4
    result = year_status(engine, 2025)
    assert len(result.branches) == BRANCHES
    assert result.compliance_rate is not None and 75 < result.compliance_rate < 95


def test_members_have_heart_talks_a_few_times_a_year(town):
    """Per branch and closed year: a few rounds of talks, most branches reaching every
    member two or three times over, some leaving members out (the rule missed)."""
    engine, _ = town
    found = rows(
        engine,
        "SELECT branch_id, count(*), sum(present) FROM activity WHERE type_code = 'heart_talk'"
        " AND deleted_at IS NULL AND held_on BETWEEN :a AND :b GROUP BY branch_id",
        a=date(2024, 1, 1),
        b=date(2025, 12, 31),
    )
    assert len(found) == BRANCHES
    rounds = sum(n for _, n, _ in found) / (BRANCHES * 2)
    talks_per_member = sum(p for *_, p in found) / (BRANCHES * 2 * MEMBERS)
    assert 2.5 < rounds < 5.5 and 1.5 < talks_per_member < 4
    reached = [year_status(engine, y).branches for y in CLOSED_YEARS]
    kept = [
        r.status == "met" for bs in reached for b in bs for r in b.rules if r.type.scope == "member"
    ]
    assert len(kept) == BRANCHES * 2 and KEEP - 0.15 < sum(kept) / len(kept) < 1


def test_secretaries_and_some_committee_members_make_personal_commitments(town):
    """A couple a year per secretary, fewer per other committee member, no ordinary member
    (only branch writers may /commit); closed as people close them."""
    engine, _ = town
    found = rows(
        engine,
        "SELECT m.branch_role, c.status, c.due_on <= :today, c.made_on FROM commitment c"
        " JOIN member m ON m.id = c.owner_member_id AND m.branch_id = c.branch_id",
        today=TODAY,
    )
    assert (
        len(found)
        == rows(engine, "SELECT count(*) FROM commitment WHERE owner_member_id IS NOT NULL")[0][0]
    )
    roles = Counter(role for role, *_ in found)
    assert set(roles) == {"secretary", "deputy", "committee"}
    per_year = roles["secretary"] / (BRANCHES * YEARS)
    assert 1.5 < per_year < 2.5 and roles["deputy"] < roles["secretary"]
    closed = Counter(st for _, st, due, _ in found if due)
    assert set(closed) == {"fulfilled", "explained", "withdrawn", "in_progress"}
    assert 0.75 < closed["fulfilled"] / sum(closed.values()) < 0.95
    assert any(not due and st == "in_progress" for _, st, due, _ in found)  # not due yet


def test_a_few_units_are_excused_with_a_reason_where_the_branch_held_nothing(town):
    engine, _ = town
    slots = [
        s
        for y in CLOSED_YEARS
        for b in year_status(engine, y).branches
        for r in b.rules
        for s in r.slots
    ]
    excused = [s for s in slots if s.status == "excused"]
    assert 0.007 < len(excused) / len(slots) < 0.03
    assert {s.reason for s in excused} <= set(EXCUSE_REASONS)
    held_anyway = rows(
        engine,
        "SELECT count(*) FROM excusal e JOIN activity a ON a.branch_id = e.branch_id"
        " AND a.type_code = e.type_code AND a.deleted_at IS NULL AND e.type_code IN"
        " ('committee_meeting', 'theme_day') AND e.unit_key = substr(a.held_on, 1, 7)",
    )
    assert held_anyway == [(0,)]
    by = rows(
        engine, "SELECT DISTINCT m.org_role FROM excusal e JOIN member m ON m.id = e.created_by"
    )
    assert by == [("leader",)]


def test_the_town_logs_its_own_work_and_study_every_quarter(town):
    """Records of the org itself (no branch), by its leaders, every quarter; the engine's
    town counts are exactly the live ones."""
    engine, _ = town
    found = rows(
        engine,
        "SELECT a.held_on, a.type_code, m.org_role FROM activity a JOIN member m"
        " ON m.id = a.created_by WHERE a.branch_id IS NULL AND a.deleted_at IS NULL",
    )
    quarters = Counter(Period.containing("quarter", date.fromisoformat(d)).key for d, *_ in found)
    assert len(quarters) == YEARS * 4 and all(7 <= n <= 21 for n in quarters.values())
    assert {role for *_, role in found} == {"leader"}
    assert "study_session" in {code for _, code, _ in found}
    in_2025 = Counter(code for d, code, _ in found if d.startswith("2025"))
    counted = year_status(engine, 2025).town_counts
    assert {code: c.sessions for code, c in counted.items()} == in_2025


def test_about_one_record_in_a_hundred_was_undone_and_none_of_them_counts(town):
    """Soft-deleted records: mistakes taken back by whoever logged them. The engine's held
    counts and per-type totals for 2025 equal the live records', and would not if it
    counted the deleted ones (there are some in 2025 among the types compared)."""
    engine, _ = town
    [(deleted, total, by_other)] = rows(
        engine,
        "SELECT count(deleted_at), count(*), sum(deleted_by != created_by) FROM activity",
    )
    assert 0.005 < deleted / total < 0.015 and by_other == 0
    per_type = rows(
        engine,
        "SELECT b.name, a.type_code, count(*) - count(a.deleted_at), count(*) FROM activity a"
        " JOIN branch b ON b.id = a.branch_id WHERE a.held_on BETWEEN :a AND :b"
        " GROUP BY b.name, a.type_code",
        a=date(2025, 1, 1),
        b=date(2025, 12, 31),
    )
    live = {(name, code): n for name, code, n, _ in per_type if n}
    counted = {
        (b.name, code): c.sessions
        for b in year_status(engine, 2025).branches
        for code, c in b.counts.items()
    }
    assert counted == live
    assert sum(every - n for *_, n, every in per_type) > 5
