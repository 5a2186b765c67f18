"""Who is speaking, and what they may do.

Roles: a member's role in their branch (secretary / deputy / committee / member) and in the org
(leader / admin). Secretaries, deputies and committee members write for their own branch;
members read their own branch; leaders read everything and write town-level records and
excusals; admins read everything. Anybody else may do nothing, and is told nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam
from sqlmodel import Session, select

from core.errors import DomainError, Refused
from storage.models import ChatBinding, Identity, Member

WRITER_ROLES = frozenset({"secretary", "deputy", "committee"})


class Action(StrEnum):
    READ_BRANCH = "read_branch"
    WRITE_BRANCH = "write_branch"
    READ_ORG = "read_org"
    WRITE_TOWN = "write_town"
    EXCUSE = "excuse"


@dataclass(frozen=True)
class Actor:
    member_id: int
    name: str
    org_id: int
    branch_id: int | None
    branch_role: str | None
    org_role: str | None

    @property
    def is_leader(self) -> bool:
        return self.org_role == "leader"

    @property
    def reads_org(self) -> bool:
        return self.org_role in ("leader", "admin")


def operator(org_id: int) -> Actor:
    """Who the command line and the scheduled jobs act as: reading the whole org."""
    return Actor(0, "operator", org_id, None, None, "admin")


def can(actor: Actor | None, action: Action, branch_id: int | None = None) -> bool:
    if actor is None:
        return False
    own = branch_id is not None and branch_id == actor.branch_id
    match action:
        case Action.READ_BRANCH:
            return actor.reads_org or (own and actor.branch_role is not None)
        case Action.WRITE_BRANCH:
            return own and actor.branch_role in WRITER_ROLES
        case Action.READ_ORG:
            return actor.reads_org
        case Action.WRITE_TOWN | Action.EXCUSE:
            return actor.is_leader
    return False


def require(actor: Actor | None, action: Action, branch_id: int | None = None) -> Actor:
    if actor is None:
        raise Refused("unknown_user")
    if not can(actor, action, branch_id):
        raise Refused(_refusal(actor, action, branch_id))
    return actor


def _refusal(actor: Actor, action: Action, branch_id: int | None) -> str:
    """Who may do it, when that tells the actor nothing new: their own branch's writers, or
    the town's leaders. Anything else stays the bare refusal."""
    if action is Action.WRITE_BRANCH and branch_id is not None and branch_id == actor.branch_id:
        return "forbidden_not_a_writer"
    if action in (Action.WRITE_TOWN, Action.EXCUSE):
        return "forbidden_not_a_leader"
    return "forbidden"


def actor_from_member(member: Member) -> Actor:
    assert member.id is not None
    return Actor(
        member.id, member.name, member.org_id, member.branch_id, member.branch_role, member.org_role
    )


# Built once: these run on every message, and building a statement costs more than running it.
_ACTOR = (
    select(Member)
    .join(Identity, Identity.member_id == Member.id)
    .where(
        Identity.platform == bindparam("platform"),
        Identity.external_id == bindparam("external_id"),
        Member.active == True,  # noqa: E712  (SQL comparison)
    )
)
_BINDING = select(ChatBinding).where(
    ChatBinding.platform == bindparam("platform"), ChatBinding.chat_id == bindparam("chat_id")
)


def resolve_actor(session: Session, platform: str, external_id: str) -> Actor | None:
    """The active member bound to this platform user, or None for strangers."""
    params = {"platform": platform, "external_id": external_id}
    member = session.execute(_ACTOR, params).scalars().first()
    return actor_from_member(member) if member else None


def chat_binding(session: Session, platform: str, chat_id: str) -> ChatBinding | None:
    params = {"platform": platform, "chat_id": chat_id}
    return session.execute(_BINDING, params).scalars().first()


def _write_action(branch_id: int | None) -> Action:
    """Town-level items (no branch) are written by leaders, branch items by branch writers."""
    return Action.WRITE_TOWN if branch_id is None else Action.WRITE_BRANCH


def require_write(actor: Actor | None, branch_id: int | None) -> Actor:
    return require(actor, _write_action(branch_id), branch_id)


def require_write_or_hide(
    actor: Actor | None, org_id: int, branch_id: int | None, missing: DomainError
) -> None:
    """Let a writer of the item through. Someone who can read it is told they may not change
    it; anyone else gets ``missing``, as if it did not exist: all they may learn."""
    if can(actor, _write_action(branch_id), branch_id):
        return
    read = Action.READ_ORG if branch_id is None else Action.READ_BRANCH
    if actor is not None and actor.org_id == org_id and can(actor, read, branch_id):
        raise Refused("not_writer")
    raise missing


def check_chat(actor: Actor | None, binding: ChatBinding | None) -> None:
    """In a chat bound to a branch, only that branch's members (and org readers) act; in a
    chat of another org, nobody of this one (what they read would be shown to its people)."""
    if actor is None or binding is None:
        return
    if binding.org_id != actor.org_id:
        raise Refused("forbidden")
    if binding.branch_id is None or actor.reads_org:
        return
    if actor.branch_id != binding.branch_id:  # they are in the group: no secret that it is
        raise Refused("forbidden_other_branch_chat")  # another branch's, never whose


def may_unbind(actor: Actor, binding: ChatBinding) -> bool:
    """A bound chat is released by the org's leaders, or by a writer of the branch it serves
    (the leaders' own chat has no branch: only leaders release it)."""
    if binding.org_id != actor.org_id:
        return False
    return actor.is_leader or can(actor, Action.WRITE_BRANCH, binding.branch_id)
