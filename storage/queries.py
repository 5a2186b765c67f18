"""Aggregates computed in SQL, shaped for the compliance engine. One query per concern;
no Python loops over activity rows.

Each statement is built once per shape (with or without a branch filter) with bound
parameters and run on the session's connection: building an SQLAlchemy statement and going
through the ORM costs several times what SQLite spends answering it (see ``make bench``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, or_, select, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from storage.models import (
    Activity,
    Branch,
    Commitment,
    Excusal,
    Member,
    OutboxMessage,
    PartyGroup,
)

# One row of ``activity_month_counts``: (branch, party group, type, records up to the end of
# each month of the period…, people present likewise (or over the whole period), hours,
# person-hours). Plain tuples: a county has tens of thousands and the engine indexes into them.
MonthRow = tuple


def _branch_filter(column, filtered: bool) -> ColumnElement[bool]:
    return col(column).in_(bindparam("branch_ids", expanding=True)) if filtered else and_(True)


def _run(session: Session, stmt: Select, branch_ids: Iterable[int] | None, **params: Any):
    if branch_ids is not None:
        params["branch_ids"] = list(branch_ids)
    session.flush()  # a plain connection does not autoflush: count what this session added
    return session.connection().execute(stmt, params)


def _live_activity(filtered: bool) -> ColumnElement[bool]:
    """The org's live records, its town-level ones (no branch) always included: the org view
    counts them."""
    return and_(
        Activity.org_id == bindparam("org_id"),
        col(Activity.deleted_at).is_(None),
        or_(_branch_filter(Activity.branch_id, filtered), col(Activity.branch_id).is_(None)),
    )


def activity_month_counts(
    session: Session,
    org_id: int,
    start: date,
    month_ends: Sequence[date],
    branch_ids: Iterable[int] | None,
    present_by_month: bool,
) -> list[MonthRow]:
    """Per branch, party group and type, from ``start``: the records held up to each of
    ``month_ends`` (cumulative, so the last is the period's total), the people present
    likewise (``present_by_month``) or over the whole period, and the hours.

    Months are conditional sums rather than a GROUP BY on a date function, and cumulative
    so that each is one comparison: about half the database's work."""
    params: dict[str, Any] = {"org_id": org_id, "start": start, "end": month_ends[-1]}
    params.update({f"end{i}": end for i, end in enumerate(month_ends[:-1])})
    stmt = _month_counts(len(month_ends), present_by_month, branch_ids is not None)
    return [tuple(row) for row in _run(session, stmt, branch_ids, **params).all()]


@cache
def _month_counts(n_months: int, present_by_month: bool, filtered: bool) -> Select:
    def cumulative(value, total: ColumnElement) -> list[ColumnElement]:
        upto = [
            func.sum(case((Activity.held_on <= bindparam(f"end{i}"), value), else_=0))
            for i in range(n_months - 1)
        ]
        return [func.coalesce(c, 0) for c in (*upto, total)]

    present = Activity.present
    return (
        select(
            Activity.branch_id,
            Activity.party_group_id,
            Activity.type_code,
            *cumulative(1, func.count()),
            *(
                cumulative(present, func.sum(present))
                if present_by_month
                else [func.coalesce(func.sum(present), 0)]
            ),
            func.coalesce(func.sum(Activity.hours), 0.0),
            func.coalesce(func.sum(Activity.hours * Activity.present), 0.0),
        )
        .where(
            _live_activity(filtered),
            col(Activity.held_on).between(bindparam("start"), bindparam("end")),
        )
        .group_by(Activity.branch_id, Activity.party_group_id, Activity.type_code)
    )


def unit_counts(
    session: Session,
    org_id: int,
    type_codes: Iterable[str],
    start: date,
    end: date,
    branch_ids: Iterable[int] | None,
) -> list[tuple[int | None, int | None, str, int, int]]:
    """(branch, party group, type, records, people present) of ``type_codes`` from ``start``
    to ``end``: one unit of rules that reaches past the period asked about (a yearly rule seen
    from a quarter). Only these types are read, through the (org, type, day) index."""
    params = {"org_id": org_id, "types": list(type_codes), "start": start, "end": end}
    rows = _run(session, _unit_counts(branch_ids is not None), branch_ids, **params)
    return [tuple(row) for row in rows.all()]  # type: ignore[misc]


@cache
def _unit_counts(filtered: bool) -> Select:
    return (
        select(
            Activity.branch_id,
            Activity.party_group_id,
            Activity.type_code,
            func.count(),
            func.coalesce(func.sum(Activity.present), 0),
        )
        .where(
            _live_activity(filtered),
            col(Activity.type_code).in_(bindparam("types", expanding=True)),
            col(Activity.held_on).between(bindparam("start"), bindparam("end")),
        )
        .group_by(Activity.branch_id, Activity.party_group_id, Activity.type_code)
    )


def branches_set_up_at(
    session: Session, org_id: int, branch_ids: Iterable[int] | None = None
) -> dict[int, datetime]:
    """When each branch was set up (UTC): a branch owes nothing for the time before."""
    rows = _run(session, _created(branch_ids is not None), branch_ids, org_id=org_id)
    return dict(rows.all())  # type: ignore[arg-type]


@cache
def _created(filtered: bool) -> Select:
    return select(Branch.id, Branch.created_at).where(
        Branch.org_id == bindparam("org_id"), _branch_filter(Branch.id, filtered)
    )


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
    excluded, settled early included); of those fulfilled; and those open past their date
    by ``today``, due in the period or before it."""
    stmt = _commitments(branch_ids is not None)
    rows = _run(session, stmt, branch_ids, org_id=org_id, start=start, end=end, today=today)
    return [CommitmentCounts(*row) for row in rows]


@cache
def _commitments(filtered: bool) -> Select:
    start, end, today = bindparam("start"), bindparam("end"), bindparam("today")
    # due in the period: its date has come, or it was settled early (fulfilled, or explained
    # as not to be kept: 未兑现-已说明 counts against the rate from the day it is said, as an
    # early 已兑现 counts for it); never withdrawn
    due_in = and_(
        col(Commitment.due_on).between(start, end),
        Commitment.status != "withdrawn",
        or_(
            col(Commitment.due_on) <= today,
            col(Commitment.status).in_(("fulfilled", "explained")),
        ),
    )

    # overdue now: still open past its date, whenever that was, up to the period's end (in
    # January, /status 本月 still shows December's unkept promises)
    overdue = and_(
        Commitment.status == "in_progress",
        col(Commitment.due_on) < today,
        col(Commitment.due_on) <= end,
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
            total(overdue),
        )
        .where(
            Commitment.org_id == bindparam("org_id"),
            col(Commitment.deleted_at).is_(None),
            _branch_filter(Commitment.branch_id, filtered),
            # every count is of commitments made or due in the period, or overdue now
            or_(
                col(Commitment.made_on).between(start, end),
                col(Commitment.due_on).between(start, end),
                overdue,
            ),
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
    return {branch_id: day for branch_id, day in rows.all() if day is not None}


@cache
def _last_days(filtered: bool) -> Select:
    # One index probe per branch (branch, day) walking back from ``until``, instead of a
    # scan of the org's whole history grouped by branch.
    latest = (
        select(Activity.held_on)
        .where(
            Activity.branch_id == Branch.id,
            col(Activity.deleted_at).is_(None),
            Activity.held_on <= bindparam("until"),
        )
        .order_by(col(Activity.held_on).desc())
        .limit(1)
        .correlate(Branch)
        .scalar_subquery()
    )
    return select(Branch.id, latest).where(
        Branch.org_id == bindparam("org_id"), _branch_filter(Branch.id, filtered)
    )


def skip_pending_pushes(session: Session, platform: str, chat_id: str, reason: str) -> None:
    """Pushes still waiting for a chat that no longer takes them (released, moved to another
    branch, blocked the bot) are skipped, one being sent right now too: if it arrives its
    deliverer records it as sent, and if it fails it is not retried."""
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.platform) == platform,
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.status) == "pending",
        )
        .values(status="skipped", last_error=reason)
    )
