"""The /status use case: whose compliance the actor may see, for which period."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select

from core.auth import Action, Actor, require
from core.compliance import OrgResult, evaluate
from core.errors import DomainError, Refused
from core.periods import Period
from core.rules import Registry, normalise_name
from storage.models import Branch, Org


def branches_of(session: Session, org_id: int) -> list[Branch]:
    return list(
        session.exec(select(Branch).where(Branch.org_id == org_id).order_by(col(Branch.id))).all()
    )


def branch_names(session: Session, org_id: int) -> list[tuple[int, str]]:
    """(id, name) of the org's branches: the org-wide views need no more than that of a
    thousand branches."""
    rows = session.exec(
        select(Branch.id, Branch.name).where(Branch.org_id == org_id).order_by(col(Branch.id))
    )
    return [(branch_id, name) for branch_id, name in rows if branch_id is not None]


def find_branch(session: Session, org_id: int, query: str) -> Branch:
    """A branch by full name, short name or a unique fragment (``一村`` -> 一村党支部)."""
    name = query.strip()
    exact = session.exec(  # the common case, answered by the database alone
        select(Branch).where(
            Branch.org_id == org_id, or_(Branch.name == name, Branch.short_name == name)
        )
    ).all()
    if len(exact) == 1:
        return exact[0]
    wanted = normalise_name(query)
    branches = branches_of(session, org_id)
    for exact in (True, False):
        hits = [
            b
            for b in branches
            if any(
                (normalise_name(n) == wanted) if exact else (wanted in normalise_name(n))
                for n in (b.name, b.short_name or "")
                if n
            )
        ]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1 and not exact:
            raise DomainError("ambiguous_branch", text=query, choices=[b.name for b in hits])
    raise DomainError("unknown_branch", text=query)


def status(
    session: Session,
    registry: Registry,
    today: date,
    actor: Actor | None,
    period: Period,
    branch_query: str | None = None,
) -> OrgResult:
    if actor is None:
        raise Refused("unknown_user")
    if branch_query:
        if not actor.reads_org:
            # Members see only their own branch; naming another looks like naming nothing.
            own = session.get(Branch, actor.branch_id) if actor.branch_id else None
            if own is None or find_branch_or_none(session, actor.org_id, branch_query) != own:
                raise Refused("own_branch_only")
        pairs = _pairs([find_branch(session, actor.org_id, branch_query)])
    elif actor.reads_org:
        pairs = branch_names(session, actor.org_id)
    else:
        require(actor, Action.READ_BRANCH, actor.branch_id)
        pairs = _pairs([session.get(Branch, actor.branch_id)])  # type: ignore[list-item]
    for branch_id, _ in pairs:
        require(actor, Action.READ_BRANCH, branch_id)
    result = evaluate(session, registry, actor.org_id, pairs, period, today)
    return result if actor.reads_org and not branch_query else _one_branch(result)


def _one_branch(result: OrgResult) -> OrgResult:
    """One branch's numbers leave out the town's own work (镇党委's meetings and trainings),
    which a branch's report must not claim."""
    result.town_counts = {}
    return result


def _pairs(branches: list[Branch]) -> list[tuple[int, str]]:
    return [(b.id, b.name) for b in branches if b.id is not None]


def find_branch_or_none(session: Session, org_id: int, query: str) -> Branch | None:
    try:
        return find_branch(session, org_id, query)
    except DomainError:
        return None


def org_status(
    session: Session,
    registry: Registry,
    today: date,
    org_name: str | None,
    period: Period,
    branch_query: str | None = None,
) -> OrgResult:
    """The same numbers for the operator's CLI (``zhibu status``), which trusts its caller."""
    org = session.exec(
        select(Org).where(Org.name == org_name) if org_name else select(Org).order_by(col(Org.id))
    ).first()
    if org is None:
        raise DomainError("no_org")
    assert org.id is not None
    pairs = (
        _pairs([find_branch(session, org.id, branch_query)])
        if branch_query
        else branch_names(session, org.id)
    )
    result = evaluate(session, registry, org.id, pairs, period, today)
    return _one_branch(result) if branch_query else result
