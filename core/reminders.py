"""What each branch still owes, as of a day: the facts behind the 月提醒单 and the nudges
before a month closes. Computed by the same engine as /status; worded in bot/notices.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import NamedTuple

from sqlmodel import Session, col, select

from core.compliance import BranchResult, RuleResult, evaluate
from core.periods import KIND_OF_MONTHS, Period
from core.rules import ActivityType, Registry
from storage.models import Branch, ChatBinding, Commitment, Identity, Member

BRANCH_HEADS = ("secretary", "deputy")  # who hears a branch's pushes without a bound group
YEAR_ITEMS_FROM_MONTH = 10  # 组织生活会, 民主评议 … are "usually in Q4": mention them from October


@dataclass(frozen=True)
class Owed:
    """A rule not yet met in one unit: which type, in which unit, for which party groups."""

    type: ActivityType
    unit: Period
    groups: tuple[str, ...] = ()  # the party groups that still owe it (group rules)
    held: int = 0
    need: int = 1


@dataclass(frozen=True)
class BranchDue:
    branch_id: int
    name: str
    this_month: tuple[Owed, ...]
    this_quarter: tuple[Owed, ...]  # quarter- and half-year rules not met yet
    this_year: tuple[Owed, ...]  # year rules not met yet (from October on)
    overdue: tuple[Owed, ...]  # missed in the unit that has just closed
    commitments_due: tuple[Commitment, ...]  # open, due by the end of this month
    commitments_overdue: tuple[Commitment, ...]
    last_activity: date | None
    silent: bool
    owners: dict[int, str] = field(default_factory=dict)  # a personal commitment's maker

    @property
    def owes_now(self) -> tuple[Owed, ...]:
        return self.this_month + self.this_quarter + self.this_year

    def closing_by(self, day: date) -> tuple[Owed, ...]:
        """What is still owed in units that end by ``day`` (a quarter's 党课 is no month-end
        worry in its first month)."""
        return tuple(o for o in self.owes_now if o.unit.end <= day)

    @property
    def anything(self) -> bool:
        return bool(
            self.owes_now or self.overdue or self.commitments_due or self.commitments_overdue
        )


@dataclass(frozen=True)
class BranchTarget:
    """A branch and the chats its pushes go to."""

    branch_id: int
    name: str
    chats: tuple[tuple[str, str], ...]  # (platform, chat id)
    lost_chats: int = 0  # bound chats that blocked the bot or are gone
    # no bound group reachable: ``chats`` are the secretary's and deputy's private chats
    private: bool = False


class LeaderChats(NamedTuple):
    """Where the leaders' pushes go: the leaders' group, or, while none is bound and
    reachable, each leader's private chat (a town that never set up a leaders' group still
    gets its quarterly 通报)."""

    chats: list[tuple[str, str]]  # (platform, chat id)
    private: bool = False


def push_targets(session: Session, org_id: int) -> tuple[list[BranchTarget], LeaderChats]:
    """(every branch with its reachable bound chats, where the leaders' pushes go)."""
    bindings = session.exec(select(ChatBinding).where(ChatBinding.org_id == org_id)).all()
    by_branch: dict[int, list[tuple[str, str]]] = {}
    lost: dict[int, int] = {}
    leaders = []
    for b in bindings:
        if b.unreachable_at is not None:
            if b.branch_id is not None:
                lost[b.branch_id] = lost.get(b.branch_id, 0) + 1
        elif b.branch_id is None:
            leaders.append((b.platform, b.chat_id))
        else:
            by_branch.setdefault(b.branch_id, []).append((b.platform, b.chat_id))
    branches = session.exec(
        select(Branch).where(Branch.org_id == org_id).order_by(col(Branch.id))
    ).all()
    without_group = [b.id for b in branches if b.id not in by_branch]
    heads = col(Member.branch_role).in_(BRANCH_HEADS)
    privately = _private_chats(session, org_id, heads, without_group)
    targets = [
        BranchTarget(
            b.id,  # type: ignore[arg-type]
            b.name,
            tuple(sorted(by_branch.get(b.id) or privately.get(b.id, []))),  # type: ignore[arg-type]
            lost.get(b.id, 0),  # type: ignore[arg-type]
            private=b.id not in by_branch,
        )
        for b in branches
    ]
    if leaders:
        return targets, LeaderChats(sorted(leaders))
    town = _private_chats(session, org_id, Member.org_role == "leader")
    return targets, LeaderChats(sorted(c for chats in town.values() for c in chats), private=True)


Audiences = dict[tuple[str, str], frozenset[int | None]]


def push_audiences(session: Session, org_id: int, lock: bool = False) -> Audiences:
    """For each chat the org's pushes go to, whose pushes they are (branch ids; None: the
    leaders'). A job that computed its messages earlier enqueues one only if its chat still
    serves the same audience, so a group released or moved meanwhile gets nothing.
    ``lock``: hold the org's bindings (FOR SHARE on PostgreSQL; SQLite's write transaction
    holds the whole file) until the enqueueing commits, so a release waits for it."""
    if lock:
        session.exec(
            select(ChatBinding.id).where(ChatBinding.org_id == org_id).with_for_update(read=True)
        ).all()
    branches, leaders = push_targets(session, org_id)
    out: dict[tuple[str, str], set[int | None]] = {}
    for target in branches:
        for chat in target.chats:
            out.setdefault(chat, set()).add(target.branch_id)
    for chat in leaders.chats:
        out.setdefault(chat, set()).add(None)
    return {chat: frozenset(owners) for chat, owners in out.items()}


def _private_chats(
    session: Session, org_id: int, who, branch_ids: list[int | None] | None = None
) -> dict[int | None, list[tuple[str, str]]]:
    """The private chats with the bot (a private chat's id is the user's id, on Telegram as in
    WeCom's app messages) of the org's active members matching ``who``, by branch."""
    query = (
        select(Member.branch_id, Identity.platform, Identity.external_id)
        .join(Member, col(Member.id) == Identity.member_id)
        .where(Member.org_id == org_id, col(Member.active), who)
    )
    if branch_ids is not None:
        if not branch_ids:
            return {}
        query = query.where(col(Member.branch_id).in_(branch_ids))
    out: dict[int | None, list[tuple[str, str]]] = {}
    for branch_id, platform, external_id in session.exec(query):
        out.setdefault(branch_id, []).append((platform, external_id))
    return out


def branch_dues(
    session: Session,
    registry: Registry,
    org_id: int,
    branches: list[tuple[int, str]],
    today: date,
) -> list[BranchDue]:
    """What each branch owes as of ``today``; one evaluation of the year for all branches."""
    this_year = evaluate(session, registry, org_id, branches, Period.of_year(today.year), today)
    last_year = None
    if (
        today.month == 1
    ):  # the units that have just closed (December, Q4, the year) were last year's
        last_year = evaluate(
            session, registry, org_id, branches, Period.of_year(today.year - 1), today
        )
    month_end = Period.containing("month", today).end
    ids = [b for b, _ in branches]
    open_commitments = _open_commitments(session, ids, month_end)
    owners = owner_names(session, [c for rows in open_commitments.values() for c in rows])
    out = []
    for i, result in enumerate(this_year.branches):
        previous = last_year.branches[i] if last_year else result
        mine = open_commitments.get(result.branch_id, [])
        out.append(replace(_due(result, previous, mine, today), owners=owners))
    return out


def _due(
    result: BranchResult,
    previous: BranchResult,
    commitments: list[Commitment],
    today: date,
) -> BranchDue:
    """What one branch owes, as /status counts it: the evaluation already leaves out the units
    that closed before the branch was set up (one under way that day is owed)."""
    month, quarter, year, overdue = [], [], [], []
    for rule in result.rules:
        kind = KIND_OF_MONTHS[rule.type.every_months]
        current = Period.containing(kind, today)
        if (owed := _owed(rule, current, ("pending",))) is not None:
            if rule.type.every_months == 1:
                month.append(owed)
            elif rule.type.every_months < 12:
                quarter.append(owed)
            elif today.month >= YEAR_ITEMS_FROM_MONTH:
                year.append(owed)
    for rule in previous.rules:
        kind = KIND_OF_MONTHS[rule.type.every_months]
        just_closed = Period.containing(kind, today).shift(-1)
        if (missed := _owed(rule, just_closed, ("missed",))) is not None:
            overdue.append(missed)
    return BranchDue(
        result.branch_id,
        result.name,
        tuple(month),
        tuple(quarter),
        tuple(year),
        tuple(overdue),
        tuple(c for c in commitments if c.due_on >= today),
        tuple(c for c in commitments if c.due_on < today),
        result.last_activity,
        result.is_silent(today),
    )


def _owed(rule: RuleResult, unit: Period, statuses: tuple[str, ...]) -> Owed | None:
    slots = [s for s in rule.slots if s.unit == unit and s.status in statuses]
    if not slots:
        return None
    groups = tuple(s.group for s in slots if s.group)
    return Owed(rule.type, unit, groups, sum(s.held for s in slots), sum(s.need for s in slots))


def _open_commitments(
    session: Session, branch_ids: list[int], by: date
) -> dict[int, list[Commitment]]:
    rows = session.exec(_open(branch_ids).where(Commitment.due_on <= by)).all()
    out: dict[int, list[Commitment]] = {}
    for c in rows:
        out.setdefault(c.branch_id, []).append(c)
    return out


@dataclass(frozen=True)
class Deadlines:
    """One branch's open commitments that need a word today."""

    branch_id: int
    soon: tuple[Commitment, ...]  # due in ``warn_days``
    today: tuple[Commitment, ...]
    newly_overdue: tuple[Commitment, ...]  # fell due yesterday, still open
    owners: dict[int, str] = field(default_factory=dict)  # a personal one's maker, by id

    @property
    def anything(self) -> bool:
        return bool(self.soon or self.today or self.newly_overdue)


def deadlines(
    session: Session, branch_ids: list[int], today: date, warn_days: int
) -> dict[int, Deadlines]:
    soon_day, yesterday = today + timedelta(days=warn_days), today - timedelta(days=1)
    rows = session.exec(
        _open(branch_ids).where(col(Commitment.due_on).in_([soon_day, today, yesterday]))
    ).all()
    owners = owner_names(session, rows)
    out = {}
    for branch_id in branch_ids:
        mine = [c for c in rows if c.branch_id == branch_id]
        out[branch_id] = Deadlines(
            branch_id,
            tuple(c for c in mine if c.due_on == soon_day),
            tuple(c for c in mine if c.due_on == today),
            tuple(c for c in mine if c.due_on == yesterday),
            owners,
        )
    return out


def owner_names(session: Session, rows: Sequence[Commitment]) -> dict[int, str]:
    """The names of those who made the personal commitments among ``rows``, by member id."""
    ids = {c.owner_member_id for c in rows if c.owner_member_id is not None}
    if not ids:
        return {}
    found = session.exec(select(Member.id, Member.name).where(col(Member.id).in_(ids))).all()
    return {member_id: name for member_id, name in found if member_id is not None}


def overdue_commitments(session: Session, branch_ids: list[int], today: date) -> list[Commitment]:
    """Every open commitment past its due date, oldest first (for the leaders' weekly list)."""
    return list(session.exec(_open(branch_ids).where(Commitment.due_on < today)).all())


def _open(branch_ids: list[int]):
    return (
        select(Commitment)
        .where(
            col(Commitment.branch_id).in_(branch_ids),
            Commitment.status == "in_progress",
            col(Commitment.deleted_at).is_(None),
        )
        .order_by(col(Commitment.due_on), col(Commitment.id))
    )
