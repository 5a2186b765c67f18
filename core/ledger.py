"""The ledger (台账) of a period: the /status numbers plus every record and commitment behind
them, for the branches the reader may see. Files are written from it in bot/exports.py."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time
from typing import NamedTuple

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.auth import Actor
from core.compliance import OrgResult, evaluate
from core.periods import Period
from core.rules import Registry
from core.status import status
from storage.models import Activity, Attachment, Commitment, Member, Org, PartyGroup


class RecordRow(NamedTuple):
    """One live record's fields as plain values: a county's year holds tens of thousands, and
    a tuple weighs a fraction of an ORM object tracked by the session."""

    id: int
    type_code: str
    branch: str | None  # None: a town-level record
    group: str | None
    held_on: date
    start_time: time | None
    end_time: time | None
    place: str | None
    host: str | None
    recorder: str | None
    topic: str | None
    expected: int | None
    present: int | None
    absent: int | None
    hours: float | None
    notes: str | None
    attachments: int
    created_by: str


CHUNK = 2000  # rows fetched from the driver at a time


@dataclass(frozen=True)
class Ledger:
    org: str
    result: OrgResult  # the same numbers as /status for this period and these branches
    records: list[RecordRow]
    commitments: list[tuple[Commitment, str, str | None]]  # (commitment, branch, owner name)
    whole_org: bool = True  # False: one branch's ledger, titled with the branch's name

    @property
    def period(self) -> Period:
        return self.result.period

    @property
    def name(self) -> str:
        """Whose ledger this is: the org's, or the one branch's it was asked for."""
        if self.whole_org or not self.result.branches:
            return self.org
        return self.result.branches[0].name


def ledger(
    session: Session,
    registry: Registry,
    today: date,
    actor: Actor | None,
    period: Period,
    branch_query: str | None = None,
) -> Ledger:
    """The ledger the actor may read: their branch, or (leaders) the org or one branch."""
    result = status(session, registry, today, actor, period, branch_query)
    assert actor is not None  # status() refuses strangers
    if branch_query is None:  # a period's ledger lists the branches there were in it
        result = replace(
            result, branches=[b for b in result.branches if not b.set_up_after(period)]
        )
    names = {b.branch_id: b.name for b in result.branches}
    org = session.get(Org, actor.org_id)
    town = actor.reads_org and branch_query is None  # the town's own records come along
    return Ledger(
        org.name if org else "",
        result,
        _records(session, actor.org_id, names, period, town),
        _commitments(session, names, period),
        whole_org=town,
    )


def _records(
    session: Session, org_id: int, names: dict[int, str], period: Period, town: bool
) -> list[RecordRow]:
    branch_filter = col(Activity.branch_id).in_(list(names))
    if town:
        branch_filter = branch_filter | col(Activity.branch_id).is_(None)
    attached = (
        select(Attachment.activity_id, func.count().label("n"))
        .group_by(Attachment.activity_id)
        .subquery()
    )
    query = (
        select(  # in RecordRow's order, the branch as its id
            Activity.id,
            Activity.type_code,
            Activity.branch_id,
            PartyGroup.name,
            Activity.held_on,
            Activity.start_time,
            Activity.end_time,
            Activity.place,
            Activity.host,
            Activity.recorder,
            Activity.topic,
            Activity.expected,
            Activity.present,
            Activity.absent,
            Activity.hours,
            Activity.notes,
            func.coalesce(attached.c.n, 0),
            Member.name,
        )
        .outerjoin(PartyGroup, col(PartyGroup.id) == Activity.party_group_id)
        .join(Member, col(Member.id) == Activity.created_by)
        .outerjoin(attached, attached.c.activity_id == Activity.id)
        .where(
            Activity.org_id == org_id,
            branch_filter,
            col(Activity.deleted_at).is_(None),
            col(Activity.held_on).between(period.start, period.end),
        )
        .order_by(col(Activity.held_on), col(Activity.id))
        .execution_options(yield_per=CHUNK)  # never all the driver's rows at once
    )
    return [
        RecordRow(i, code, names.get(b) if b else None, *rest)
        for i, code, b, *rest in session.exec(query)
    ]


def _commitments(
    session: Session, names: dict[int, str], period: Period
) -> list[tuple[Commitment, str, str | None]]:
    """Commitments made in the period or falling due in it."""
    rows = session.exec(
        select(Commitment, Member.name)
        .outerjoin(Member, col(Member.id) == Commitment.owner_member_id)
        .where(
            col(Commitment.branch_id).in_(list(names)),
            col(Commitment.deleted_at).is_(None),
            col(Commitment.made_on).between(period.start, period.end)
            | col(Commitment.due_on).between(period.start, period.end),
        )
        .order_by(col(Commitment.branch_id), col(Commitment.due_on), col(Commitment.id))
    ).all()
    return [(c, names[c.branch_id], owner) for c, owner in rows]


@dataclass(frozen=True)
class Grid:
    """Branches × months of a period: each cell the share of the month's meetings held (the
    monthly rules: 支委会, 党小组会 per group, 主题党日), None for a month not begun."""

    months: list[Period]
    rows: list[tuple[str, list[float | None]]]


def monthly_grid(session: Session, registry: Registry, found: Ledger, org_id: int) -> Grid:
    today = found.result.today
    pairs = [(b.branch_id, b.name) for b in found.result.branches]
    months = [m for m in found.period.units("month") if m.start <= today]
    cells: dict[int, list[float | None]] = {b: [] for b, _ in pairs}
    for month in months:
        result = evaluate(session, registry, org_id, pairs, month, today, rules_only=True)
        for b in result.branches:
            monthly = [r for r in b.rules if r.type.every_months == 1]
            slots = [s for r in monthly for s in r.slots if s.status != "excused"]
            met = sum(s.status == "met" for s in slots)  # the month under way: so far
            cells[b.branch_id].append(met / len(slots) if slots else None)
    return Grid(months, [(name, cells[b]) for b, name in pairs])
