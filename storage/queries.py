"""Aggregates computed in SQL, shaped for the compliance engine. One query per concern;
no Python loops over activity rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, and_, case, extract, func, or_, select
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


def _branch_filter(column, branch_ids: Iterable[int] | None) -> ColumnElement[bool]:
    return col(column).in_(list(branch_ids)) if branch_ids is not None else and_(True)


def activity_month_counts(
    session: Session, org_id: int, start: date, end: date, branch_ids: Iterable[int] | None = None
) -> list[MonthCount]:
    """Live (not deleted) activities per branch, party group, type and calendar month, plus the
    org's town-level records (branch None)."""
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
            Activity.org_id == org_id,
            col(Activity.held_on).between(start, end),
            col(Activity.deleted_at).is_(None),
            # town-level records (no branch) always come along: the org view counts them
            or_(_branch_filter(Activity.branch_id, branch_ids), col(Activity.branch_id).is_(None)),
        )
        .group_by(Activity.branch_id, Activity.party_group_id, Activity.type_code, year, month)
    )
    return [MonthCount(*row) for row in session.exec(stmt)]


def groups_by_branch(
    session: Session, org_id: int, branch_ids: Iterable[int] | None = None
) -> dict[int, list[tuple[int, str]]]:
    stmt = (
        select(PartyGroup.branch_id, PartyGroup.id, PartyGroup.name)
        .join(Branch, col(Branch.id) == PartyGroup.branch_id)
        .where(Branch.org_id == org_id, _branch_filter(PartyGroup.branch_id, branch_ids))
        .order_by(PartyGroup.branch_id, PartyGroup.id)
    )
    out: dict[int, list[tuple[int, str]]] = {}
    for branch_id, group_id, name in session.exec(stmt):
        out.setdefault(branch_id, []).append((group_id, name))
    return out


def member_counts(
    session: Session, org_id: int, branch_ids: Iterable[int] | None = None
) -> dict[int, int]:
    stmt = (
        select(Member.branch_id, func.count())
        .where(
            Member.org_id == org_id,
            col(Member.active).is_(True),
            col(Member.branch_id).is_not(None),
            _branch_filter(Member.branch_id, branch_ids),
        )
        .group_by(Member.branch_id)
    )
    return dict(session.exec(stmt).all())


def excused_units(
    session: Session,
    org_id: int,
    unit_keys: Iterable[str],
    branch_ids: Iterable[int] | None = None,
) -> dict[tuple[int, str, str], str]:
    """(branch, type, unit) -> the reason a leader gave for excusing it."""
    stmt = (
        select(Excusal.branch_id, Excusal.type_code, Excusal.unit_key, Excusal.reason)
        .join(Branch, col(Branch.id) == Excusal.branch_id)
        .where(
            Branch.org_id == org_id,
            col(Excusal.unit_key).in_(list(unit_keys)),
            _branch_filter(Excusal.branch_id, branch_ids),
        )
    )
    return {(b, t, u): reason for b, t, u, reason in session.exec(stmt)}


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
    # due in the period: its date has come (or it was already fulfilled), and not withdrawn
    due_in = and_(
        col(Commitment.due_on).between(start, end),
        Commitment.status != "withdrawn",
        or_(col(Commitment.due_on) <= today, Commitment.status == "fulfilled"),
    )

    def total(condition: ColumnElement[bool]):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    personal = col(Commitment.owner_member_id).is_not(None)
    stmt = (
        select(
            Commitment.branch_id,
            personal,
            total(col(Commitment.made_on).between(start, end)),
            total(due_in),
            total(and_(due_in, Commitment.status == "fulfilled")),
            total(and_(due_in, Commitment.status == "in_progress", col(Commitment.due_on) < today)),
        )
        .where(
            Commitment.org_id == org_id,
            col(Commitment.deleted_at).is_(None),
            _branch_filter(Commitment.branch_id, branch_ids),
        )
        .group_by(Commitment.branch_id, personal)
    )
    return [CommitmentCounts(*row) for row in session.exec(stmt)]


def last_activity_days(
    session: Session, org_id: int, branch_ids: Iterable[int] | None = None
) -> dict[int, date]:
    stmt = (
        select(Activity.branch_id, func.max(Activity.held_on))
        .where(
            Activity.org_id == org_id,
            col(Activity.deleted_at).is_(None),
            col(Activity.branch_id).is_not(None),
            _branch_filter(Activity.branch_id, branch_ids),
        )
        .group_by(Activity.branch_id)
    )
    return dict(session.exec(stmt).all())
