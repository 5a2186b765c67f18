"""One-time invitation codes: an admin creates one for a branch and role, the invited person
redeems it in a private chat (``/start CODE``) and is bound to a member with that role."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from core import audit
from core.admin import AdminError
from core.errors import DomainError
from core.periods import Clock
from storage.models import BRANCH_ROLES, ORG_ROLES, Branch, Identity, Invite, Member, Org

INVITE_ROLES = (*BRANCH_ROLES, *ORG_ROLES)
CODE_BYTES = 12  # 96 bits: not guessable, and short enough for a deep link (max 64 characters)
_CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,64}")
_DURATION = re.compile(r"(\d{1,9})\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
SHORTEST, LONGEST = timedelta(minutes=1), timedelta(days=365)  # how long a code may stay valid


@dataclass(frozen=True)
class NewInvite:
    invite: Invite
    code: str  # shown once; only its hash is stored


def parse_duration(text: str) -> timedelta:
    """'7d', '12h', '30m' -> timedelta; anything else is an error naming the accepted forms,
    and one outside SHORTEST..LONGEST (0d, 99999d) an error naming that range."""
    m = _DURATION.fullmatch(text.strip().lower())
    if not m:
        raise DomainError("bad_duration", text=text)
    valid_for = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    if not SHORTEST <= valid_for <= LONGEST:
        raise AdminError("admin_validity_range", text=text)
    return valid_for


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def create_invite(
    session: Session,
    clock: Clock,
    org: Org,
    branch: Branch | None,
    role: str,
    valid_for: timedelta,
    member_name: str | None = None,
) -> NewInvite:
    if role not in INVITE_ROLES:
        raise DomainError("bad_invite_role", role=role, roles=list(INVITE_ROLES))
    if role in BRANCH_ROLES and branch is None:
        raise DomainError("invite_needs_branch")
    if role in ORG_ROLES and branch is not None:
        raise DomainError("invite_org_role_branch", role=role)
    code = secrets.token_urlsafe(CODE_BYTES)
    now = clock()
    invite = Invite(
        code_hash=hash_code(code),
        org_id=org.id,  # type: ignore[arg-type]
        branch_id=branch.id if branch else None,
        role=role,
        member_name=(member_name or "").strip() or None,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(invite)
    session.flush()
    return NewInvite(invite, code)


def redeem(
    session: Session, clock: Clock, platform: str, user_id: str, display_name: str, code: str
) -> Member:
    """Bind ``user_id`` to the invited member; the code works once, before it expires."""
    bound = session.exec(
        select(Identity).where(Identity.platform == platform, Identity.external_id == user_id)
    ).first()
    if bound is not None:
        member = session.get(Member, bound.member_id)
        raise DomainError("already_bound", name=member.name if member else "?")
    invite = _find(session, code)
    now = clock()
    if invite.used_at is not None:
        raise DomainError("invite_used")
    if invite.expires_at <= now:
        raise DomainError("invite_expired")
    # claim the code atomically: of two people redeeming it at once, only one gets it
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError("invite_used")
    member = _member_for(session, clock, invite, display_name, platform)
    session.add(Identity(platform=platform, external_id=user_id, member_id=member.id))  # type: ignore[arg-type]
    invite.used_by = member.id
    session.add(invite)
    session.flush()
    audit.record(session, clock, member.id, "redeem_invite", invite)
    return member


def _find(session: Session, code: str) -> Invite:
    code = code.strip()
    if not _CODE_SHAPE.fullmatch(code):
        raise DomainError("invite_unknown")
    invite = session.exec(select(Invite).where(Invite.code_hash == hash_code(code))).first()
    if invite is None:
        raise DomainError("invite_unknown")
    session.refresh(invite)  # another process may have used it since this session began
    return invite


def _member_for(
    session: Session, clock: Clock, invite: Invite, display_name: str, platform: str
) -> Member:
    """The member named in the invite (if they exist and have no account on this platform yet:
    a namesake's account is never handed over), else a new member under the invited name or,
    failing that, the name the person uses in the chat."""
    name = invite.member_name or display_name.strip()[:100] or "新成员"
    member = _existing(session, invite, name, platform) if invite.member_name else None
    if member is None:
        member = Member(
            org_id=invite.org_id, branch_id=invite.branch_id, name=name, created_at=clock()
        )
    if invite.role in ORG_ROLES:
        member.org_role = invite.role
    else:
        member.branch_role = invite.role
    member.active = True
    session.add(member)
    session.flush()
    return member


def _existing(session: Session, invite: Invite, name: str, platform: str) -> Member | None:
    has_account = select(Identity.member_id).where(Identity.platform == platform)
    return session.exec(
        select(Member).where(
            Member.org_id == invite.org_id,
            Member.branch_id == invite.branch_id,
            Member.name == name,
            Member.id.not_in(has_account),  # type: ignore[union-attr]
        )
    ).first()
