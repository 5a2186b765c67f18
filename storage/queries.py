"""Aggregates computed in SQL, shaped for the compliance engine. One query per concern;
no Python loops over activity rows.

Each statement is built once per shape (with or without a branch filter) with bound
parameters and run on the session's connection: building an SQLAlchemy statement and going
through the ORM costs several times what SQLite spends answering it (see ``make bench``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, case, extract, func, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from storage.models import Activity, Branch, Commitment, Excusal, Member, PartyGroup


@dataclass(frozen=True)
class MonthCount:
    branch_id: int | None
    group_id: int | None
    type_code: str
    year: int
    month: int
    count: int
    present: int
    hours: float
    person_hours: float


def _branch_filter(column, filtered: bool) -> ColumnElement[bool]:
    return col(column).in_(bindparam("branch_ids", expanding=True)) if filtered else and_(True)


def _run(session: Session, stmt: Select, branch_ids: Iterable[int] | None, **params: Any):
    if branch_ids is not None:
        params["branch_ids"] = list(branch_ids)
    session.flush()  # a plain connection does not autoflush: count what this session added
    return session.connection().execute(stmt, params)


def activity_month_counts(
    session: Session, org_id: int, start: date, end: date, branch_ids: Iterable[int] | None = None
) -> list[MonthCount]:
    """Live (not deleted) activities per branch, party group, type and calendar month, plus the
    org's town-level records (branch None)."""
    stmt = _month_counts(branch_ids is not None)
    rows = _run(session, stmt, branch_ids, org_id=org_id, start=start, end=end)
    return [MonthCount(*row) for row in rows]


@cache
def _month_counts(filtered: bool) -> Select:
    year = extract("year", Activity.held_on).cast(Integer)
    month = extract("month", Activity.held_on).cast(Integer)
    stmt = (
        select(
            Activity.branch_id,
            Activity.party_group_id,
            Activity.type_code,
            year,
            month,
            func.count(),
            func.coalesce(func.sum(Activity.present), 0),
            func.coalesce(func.sum(Activity.hours), 0.0),
            func.coalesce(func.sum(Activity.hours * Activity.present), 0.0),
        )
        .where(
            Activity.org_id == bindparam("org_id"),
            col(Activity.held_on).between(bindparam("start"), bindparam("end")),
            col(Activity.deleted_at).is_(None),
            # town-level records (no branch) always come along: the org view counts them
            or_(_branch_filter(Activity.branch_id, filtered), col(Activity.branch_id).is_(None)),
        )
        .group_by(Activity.branch_id, Activity.party_group_id, Activity.type_code, year, month)
    )
    return stmt


def groups_by_branch(
    session: Session, org_id: int, branch_ids: Iterable[int] | None = None
) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = {}
    rows = _run(session, _groups(branch_ids is not None), branch_ids, org_id=org_id)
    for branch_id, group_id, name in rows:
        out.setdefault(branch_id, []).append((group_id, name))
    return out


@cache
def _groups(filtered: bool) -> Select:
    return (
        select(PartyGroup.branch_id, PartyGroup.id, PartyGroup.name)
        .join(Branch, col(Branch.id) == PartyGroup.branch_id)
        .where(Branch.org_id == bindparam("org_id"), _branch_filter(PartyGroup.branch_id, filtered))
        .order_by(PartyGroup.branch_id, PartyGroup.id)
    )


def member_counts(
    session: Session, org_id: int, branch_ids: Iterable[int] | None = None
) -> dict[int, int]:
    rows = _run(session, _members(branch_ids is not None), branch_ids, org_id=org_id)
    return {branch_id: n for branch_id, n in rows}


@cache
def _members(filtered: bool) -> Select:
    return (
        select(Member.branch_id, func.count())
        .where(
            Member.org_id == bindparam("org_id"),
            col(Member.active).is_(True),
            col(Member.branch_id).is_not(None),
            _branch_filter(Member.branch_id, filtered),
        )
        .group_by(Member.branch_id)
    )


def excused_units(
    session: Session,
    org_id: int,
    unit_keys: Iterable[str],
    branch_ids: Iterable[int] | None = None,
) -> dict[tuple[int, str, str], str]:
    """(branch, type, unit) -> the reason a leader gave for excusing it."""
    stmt = _excused(branch_ids is not None)
    rows = _run(session, stmt, branch_ids, org_id=org_id, unit_keys=list(unit_keys))
    return {(b, t, u): reason for b, t, u, reason in rows}


@cache
def _excused(filtered: bool) -> Select:
    return (
        select(Excusal.branch_id, Excusal.type_code, Excusal.unit_key, Excusal.reason)
        .join(Branch, col(Branch.id) == Excusal.branch_id)
        .where(
            Branch.org_id == bindparam("org_id"),
            col(Excusal.unit_key).in_(bindparam("unit_keys", expanding=True)),
            _branch_filter(Excusal.branch_id, filtered),
        )
    )


@dataclass(frozen=True)
class CommitmentCounts:
    branch_id: int
    personal: bool
    made: int
    due: int
    fulfilled: int
    overdue: int


def commitment_counts(
    session: Session,
    org_id: int,
    start: date,
    end: date,
    today: date,
    branch_ids: Iterable[int] | None = None,
) -> list[CommitmentCounts]:
    """Per branch and owner kind: made in the period; due in it by ``today`` (withdrawn
    excluded, fulfilled early included); of those fulfilled; and those open past their date."""
    stmt = _commitments(branch_ids is not None)
    rows = _run(session, stmt, branch_ids, org_id=org_id, start=start, end=end, today=today)
    return [CommitmentCounts(*row) for row in rows]


@cache
def _commitments(filtered: bool) -> Select:
    start, end, today = bindparam("start"), bindparam("end"), bindparam("today")
    # due in the period: its date has come (or it was already fulfilled), and not withdrawn
    due_in = and_(
        col(Commitment.due_on).between(start, end),
        Commitment.status != "withdrawn",
        or_(col(Commitment.due_on) <= today, Commitment.status == "fulfilled"),
    )

    def total(condition: ColumnElement[bool]):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    personal = col(Commitment.owner_member_id).is_not(None)
    return (
        select(
            Commitment.branch_id,
            personal,
            total(col(Commitment.made_on).between(start, end)),
            total(due_in),
            total(and_(due_in, Commitment.status == "fulfilled")),
            total(and_(due_in, Commitment.status == "in_progress", col(Commitment.due_on) < today)),
        )
        .where(
            Commitment.org_id == bindparam("org_id"),
            col(Commitment.deleted_at).is_(None),
            _branch_filter(Commitment.branch_id, filtered),
        )
        .group_by(Commitment.branch_id, personal)
    )


def last_activity_days(
    session: Session, org_id: int, until: date, branch_ids: Iterable[int] | None = None
) -> dict[int, date]:
    """Each branch's latest record on or before ``until`` (a later one cannot vouch for a
    branch as of ``until``)."""
    stmt = _last_days(branch_ids is not None)
    rows = _run(session, stmt, branch_ids, org_id=org_id, until=until)
    return {branch_id: day for branch_id, day in rows}


@cache
def _last_days(filtered: bool) -> Select:
    return (
        select(Activity.branch_id, func.max(Activity.held_on))
        .where(
            Activity.org_id == bindparam("org_id"),
            col(Activity.deleted_at).is_(None),
            col(Activity.branch_id).is_not(None),
            Activity.held_on <= bindparam("until"),
            _branch_filter(Activity.branch_id, filtered),
        )
        .group_by(Activity.branch_id)
    )
