"""Use cases for commitments (承诺事项): make, fulfil, withdraw, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from core import audit
from core.activities import SourceKey
from core.auth import Action, Actor, require, require_write_or_hide
from core.errors import DomainError
from core.periods import Clock
from storage.models import Commitment, Member
from storage.once import find_by_source, insert_once

MAX_CONTENT = 500
MAX_NOTE = 1000  # evidence or reason; the column's own limit


@dataclass(frozen=True)
class CommitmentView:
    commitment: Commitment
    overdue: bool


def check_due(due_on: date, today: date) -> None:
    if due_on < today:
        raise DomainError("due_in_past", day=due_on)


def check_can_add(actor: Actor | None) -> Actor:
    return require(actor, Action.WRITE_BRANCH, actor.branch_id if actor else None)


def add(
    session: Session,
    clock: Clock,
    today: date,
    actor: Actor | None,
    content: str,
    due_on: date | None,
    personal: bool = False,
    source: SourceKey | None = None,
) -> tuple[Commitment, bool]:
    """Make a commitment for the actor's branch (or, ``personal``, for the actor)."""
    actor = check_can_add(actor)
    assert actor.branch_id is not None
    if (found := find_by_source(session, Commitment, source)) is not None:
        return found, False
    content = content.strip()
    if not content:
        raise DomainError("missing_field", field="content")
    if len(content) > MAX_CONTENT:
        raise DomainError("too_long", field="content", limit=MAX_CONTENT)
    if due_on is None:
        raise DomainError("missing_field", field="due")
    check_due(due_on, today)
    owner = actor.member_id if personal else None
    if (twin := _open_twin(session, actor.branch_id, owner, content)) is not None:
        if source is not None and _source_of(twin) == source:
            return twin, False  # this very message, delivered again
        raise DomainError("commitment_twin", id=twin.id, day=twin.due_on)
    row = Commitment(
        org_id=actor.org_id,
        branch_id=actor.branch_id,
        owner_member_id=owner,
        content=content,
        made_on=today,
        due_on=due_on,
        created_by=actor.member_id,
        created_at=clock(),
        source_platform=source.platform if source else None,
        source_chat=source.chat if source else None,
        source_message=source.message if source else None,
    )
    row, created = insert_once(session, row, lambda: find_by_source(session, Commitment, source))
    if created:
        audit.record(session, clock, actor.member_id, "create", row)
    return row, created


def _open_twin(
    session: Session, branch_id: int, owner: int | None, content: str
) -> Commitment | None:
    """An open commitment of the same branch and owner with the same words: sent twice by
    mistake far more often than promised twice."""
    return session.exec(
        select(Commitment).where(
            Commitment.branch_id == branch_id,
            col(Commitment.owner_member_id).is_(None)
            if owner is None
            else Commitment.owner_member_id == owner,
            Commitment.content == content,
            Commitment.status == "in_progress",
            col(Commitment.deleted_at).is_(None),
        )
    ).first()


def _source_of(row: Commitment) -> SourceKey:
    return SourceKey(row.source_platform, row.source_chat, row.source_message)  # type: ignore[arg-type]


def _writable(session: Session, actor: Actor | None, commitment_id: int) -> Commitment:
    missing = DomainError("no_such_commitment", id=commitment_id)
    row = session.get(Commitment, commitment_id)
    if row is None or row.deleted_at is not None:
        raise missing
    require_write_or_hide(actor, row.org_id, row.branch_id, missing)
    return row


def _change_status(
    session: Session,
    clock: Clock,
    actor: Actor | None,
    commitment_id: int,
    status: str,
    note: str,
    fulfilled_on: date | None,
) -> Commitment:
    row = _writable(session, actor, commitment_id)
    assert actor is not None
    _check_owner(session, actor, row)
    if row.status == status:
        raise DomainError("commitment_closed", id=commitment_id, status=row.status)
    if row.status != "in_progress":  # /done on a withdrawn one: not 'nothing to do'
        raise DomainError(
            "commitment_closed_as", id=commitment_id, status=row.status, wanted=status
        )
    if len(note.strip()) > MAX_NOTE:
        field = "evidence" if status == "fulfilled" else "reason"
        raise DomainError("too_long", field=field, limit=MAX_NOTE)
    before = audit.snapshot(row)
    row.status, row.fulfilled_on = status, fulfilled_on
    row.evidence = note.strip() or None
    session.add(row)
    audit.record(session, clock, actor.member_id, status, row, before)
    return row


CLOSES_ANY_PERSONAL = ("secretary", "deputy")


def _check_owner(session: Session, actor: Actor, row: Commitment) -> None:
    """A personal commitment is closed by the one who made it, or by the branch's
    secretary or deputy; another committee member may not close it for them."""
    owner = row.owner_member_id
    if owner is None or owner == actor.member_id or actor.branch_role in CLOSES_ANY_PERSONAL:
        return
    person = session.get(Member, owner)
    raise DomainError("personal_commitment", id=row.id, owner=person.name if person else "")


def fulfil(
    session, clock, today, actor, commitment_id: int, evidence: str = "", on: date | None = None
) -> Commitment:
    """Kept, today or on the day ``on`` said it was (12月28日已验收, filed in January)."""
    day = on or today
    if day > today:
        raise DomainError("fulfilled_in_future", day=day)
    made_on = _writable(session, actor, commitment_id).made_on  # hidden unless writable
    if day < made_on:
        raise DomainError("fulfilled_before_made", day=day, made=made_on)
    return _change_status(session, clock, actor, commitment_id, "fulfilled", evidence, day)


def withdraw(session, clock, actor, commitment_id: int, reason: str = "") -> Commitment:
    if not reason.strip():
        raise DomainError("missing_field", field="reason")
    return _change_status(session, clock, actor, commitment_id, "withdrawn", reason, None)


def explain(session, clock, actor, commitment_id: int, note: str = "") -> Commitment:
    """未兑现-已说明: not kept, with the reason on record; it still counts as due."""
    if not note.strip():
        raise DomainError("missing_field", field="reason")
    return _change_status(session, clock, actor, commitment_id, "explained", note, None)


def listing(
    session: Session,
    today: date,
    actor: Actor | None,
    include_closed: bool = False,
    only_branch: int | None = None,
) -> list[CommitmentView]:
    """The branch's commitments (the org's for leaders, or the one branch ``only_branch``),
    open ones first by due date."""
    require(actor, Action.READ_BRANCH, actor.branch_id if actor else None)
    assert actor is not None
    stmt = select(Commitment).where(
        Commitment.org_id == actor.org_id, col(Commitment.deleted_at).is_(None)
    )
    if not actor.reads_org:
        stmt = stmt.where(Commitment.branch_id == actor.branch_id)
    elif only_branch is not None:
        stmt = stmt.where(Commitment.branch_id == only_branch)
    if not include_closed:
        stmt = stmt.where(Commitment.status == "in_progress")
    rows = session.exec(stmt.order_by(col(Commitment.due_on), col(Commitment.id)).limit(50)).all()
    return [CommitmentView(r, r.status == "in_progress" and r.due_on < today) for r in rows]
