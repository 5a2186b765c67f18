"""Setting up a deployment without SQL: org, branches, party groups, members, bindings."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from core import audit
from core.activities import group_key
from core.errors import DomainError, Phrase
from core.periods import Clock
from core.rules import normalise_name
from core.status import branches_of, find_branch
from storage import queries
from storage.models import (
    BRANCH_ROLES,
    ORG_ROLES,
    Branch,
    ChatBinding,
    Identity,
    Member,
    Org,
    PartyGroup,
)

PLATFORMS = ("console", "telegram", "wecom")  # the chat platforms Zhibu has adapters for

ROLE_WORDS = {
    "书记": "secretary",
    "支部书记": "secretary",
    "副书记": "deputy",
    "支委": "committee",
    "委员": "committee",
    "党员": "member",
    "领导": "leader",
    "镇领导": "leader",
    "管理员": "admin",
}


class AdminError(DomainError):
    """A setup problem for the operator at the command line: a catalogue key and its
    parameters, worded in the configured locale by the command that shows it."""


def get_org(session: Session, name: str | None = None) -> Org:
    stmt = select(Org).where(Org.name == name) if name else select(Org).order_by(col(Org.id))
    org = session.exec(stmt).first()
    if org is None:
        raise AdminError("admin_no_such_org", name=name) if name else AdminError("admin_no_org")
    return org


def create_org(session: Session, clock: Clock, name: str) -> Org:
    if session.exec(select(Org).where(Org.name == name)).first():
        raise AdminError("admin_org_exists", name=name)
    org = Org(name=name, created_at=clock())
    session.add(org)
    session.flush()
    audit.record(session, clock, None, "create", org)
    return org


def add_branch(
    session: Session, clock: Clock, org: Org, name: str, short_name: str | None = None
) -> Branch:
    name, short_name = name.strip(), (short_name or "").strip() or None
    if not name:
        raise AdminError("admin_branch_name_empty")
    _check_branch_names(session, org, name, short_name)
    branch = Branch(org_id=org.id, name=name, short_name=short_name, created_at=clock())  # type: ignore[arg-type]
    session.add(branch)
    session.flush()
    audit.record(session, clock, None, "create", branch)
    return branch


def _check_branch_names(session: Session, org: Org, name: str, short_name: str | None) -> None:
    """A new branch's full and short names must each name no other branch of the org, as the
    branch matcher compares them (width, case and spaces aside): else 一村 would find two."""
    taken: dict[str, tuple[Branch, str]] = {}
    for b in branches_of(session, org.id):  # type: ignore[arg-type]
        for n, kind in ((b.name, "full_name"), (b.short_name, "short_name")):
            if n:
                taken.setdefault(normalise_name(n), (b, kind))
    if normalise_name(name) in taken and taken[normalise_name(name)][1] == "full_name":
        raise AdminError("admin_branch_exists", name=taken[normalise_name(name)][0].name)
    for value, what in ((name, "name"), (short_name, "short_name")):
        if value and normalise_name(value) in taken:
            holder, kind = taken[normalise_name(value)]
            raise AdminError(
                "admin_branch_name_taken",
                what=Phrase(f"word_{what}"),
                value=value,
                holder=holder.name,
                kind=Phrase(f"word_{kind}"),
            )


def add_group(session: Session, branch: Branch, name: str) -> PartyGroup:
    """A new party group of ``branch``; one of the same name (as /log matches group names:
    第一党小组 and 一组 are the same) is refused, saying it exists."""
    name = name.strip()
    if not name:
        raise AdminError("admin_group_name_empty")
    same = _group_named(session, branch, name)
    if same is not None:
        raise AdminError("admin_group_exists", branch=branch.name, name=same.name)
    group = PartyGroup(branch_id=branch.id, name=name)  # type: ignore[arg-type]
    session.add(group)
    session.flush()
    return group


def _groups_of(session: Session, branch: Branch) -> list[PartyGroup]:
    return list(
        session.exec(
            select(PartyGroup).where(PartyGroup.branch_id == branch.id).order_by(col(PartyGroup.id))
        ).all()
    )


def _group_named(session: Session, branch: Branch, name: str) -> PartyGroup | None:
    wanted = group_key(name)
    return next((g for g in _groups_of(session, branch) if group_key(g.name) == wanted), None)


def group_named(session: Session, branch: Branch, name: str) -> PartyGroup:
    """An existing party group of ``branch``: a mistyped name never creates one (a new group
    owes a 党小组会 every month), it is refused with the groups there are."""
    group = _group_named(session, branch, name)
    if group is not None:
        return group
    short = branch.short_name or branch.name
    existing = [g.name for g in _groups_of(session, branch)]
    there = (
        Phrase("admin_groups_are", {"names": existing}) if existing else Phrase("admin_no_groups")
    )
    raise AdminError("admin_no_such_group", branch=branch.name, name=name, there=there, short=short)


def _same_name(session: Session, org: Org, name: str, branch: Branch | None) -> Member | None:
    """A member of this name already in the branch (or, without a branch, at org level)."""
    return session.exec(
        select(Member).where(
            Member.org_id == org.id,
            Member.name == name.strip(),
            Member.branch_id == (branch.id if branch else None),
        )
    ).first()


def normalise_role(role: str | None, allowed: tuple[str, ...]) -> str | None:
    if not role:
        return None
    value = ROLE_WORDS.get(role.strip(), role.strip())
    if value not in allowed:
        words = [w for w, code in ROLE_WORDS.items() if code in allowed]
        raise AdminError("admin_unknown_role", role=role, words=words, codes=", ".join(allowed))
    return value


def add_member(
    session: Session,
    clock: Clock,
    org: Org,
    name: str,
    branch_name: str | None = None,
    role: str | None = None,
    org_role: str | None = None,
    group_name: str | None = None,
    allow_same_name: bool = False,
    branch_cache: dict[str, Branch] | None = None,
) -> Member:
    branch = branch_named(session, org, branch_name, branch_cache) if branch_name else None
    if not name.strip():
        raise AdminError("admin_member_name_empty")
    branch_role = normalise_role(role, BRANCH_ROLES)
    if branch_role and branch is None:
        raise AdminError("admin_role_needs_branch", role=role)
    if group_name and branch is None:
        raise AdminError("admin_group_needs_branch")
    group = group_named(session, branch, group_name) if group_name and branch else None
    if not allow_same_name and _same_name(session, org, name, branch) is not None:
        where = branch.name if branch else org.name
        raise AdminError("admin_same_name", name=name, where=where)
    member = Member(
        org_id=org.id,  # type: ignore[arg-type]
        branch_id=branch.id if branch else None,
        name=name.strip(),
        branch_role=branch_role or ("member" if branch else None),
        org_role=normalise_role(org_role, ORG_ROLES),
        party_group_id=group.id if group else None,
        created_at=clock(),
    )
    session.add(member)
    session.flush()
    audit.record(session, clock, None, "create", member)
    return member


def branch_named(
    session: Session, org: Org, name: str, cache: dict[str, Branch] | None = None
) -> Branch:
    """The branch an operator named; ``cache`` spares a lookup per row of an import."""
    if cache is not None and name in cache:
        return cache[name]
    branch = _find_branch(session, org, name)
    if cache is not None:
        cache[name] = branch
    return branch


def _find_branch(session: Session, org: Org, name: str) -> Branch:
    try:
        return find_branch(session, org.id, name)  # type: ignore[arg-type]
    except DomainError as exc:
        raise AdminError("admin_no_such_branch", name=name) from exc


def find_member(session: Session, org: Org, name: str, branch_name: str | None = None) -> Member:
    stmt = select(Member).where(Member.org_id == org.id, Member.name == name)
    if branch_name:
        stmt = stmt.where(Member.branch_id == branch_named(session, org, branch_name).id)
    found = session.exec(stmt).all()
    if not found:
        raise AdminError("admin_no_such_member", name=name)
    if len(found) > 1:
        raise AdminError("admin_members_share_name", n=len(found), name=name)
    return found[0]


def check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise AdminError("admin_unknown_platform", platform=platform, platforms=list(PLATFORMS))


def bind_identity(
    session: Session, member: Member, platform: str, external_id: str, force: bool = False
) -> Identity:
    check_platform(platform)
    identity = session.exec(
        select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    ).first()
    if identity is not None and identity.member_id != member.id and not force:
        holder = session.get(Member, identity.member_id)
        raise AdminError(
            "admin_user_taken",
            platform=platform,
            user=external_id,
            holder=holder.name if holder else "?",
        )
    if identity is None:
        identity = Identity(platform=platform, external_id=external_id, member_id=member.id)  # type: ignore[arg-type]
    identity.member_id = member.id  # type: ignore[assignment]
    session.add(identity)
    session.flush()
    return identity


def bind_chat(
    session: Session,
    org: Org,
    platform: str,
    chat_id: str,
    branch: Branch | None,
    clock: Clock | None = None,
    actor_id: int | None = None,
) -> ChatBinding:
    """Bind a chat to ``branch`` (None: the org's leaders' chat). A chat moved from another
    branch or org drops what was queued for its old owner. With a ``clock`` the binding goes
    in the audit trail, as done by ``actor_id`` (None: an admin at the console)."""
    binding = session.exec(
        select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
    ).first() or ChatBinding(platform=platform, chat_id=chat_id, org_id=org.id)  # type: ignore[arg-type]
    before = audit.snapshot(binding) if binding.id is not None else None
    moved = before is not None and (before["org_id"], before["branch_id"]) != (
        org.id,
        branch.id if branch else None,
    )
    binding.org_id = org.id  # type: ignore[assignment]
    binding.branch_id = branch.id if branch else None
    binding.unreachable_at = None  # bound again: the bot is back in the chat
    session.add(binding)
    session.flush()  # first: a job enqueueing meanwhile holds the binding until it commits
    if moved:  # then what was queued for the old owner, the job's rows included, is dropped
        queries.skip_pending_pushes(session, platform, chat_id, "chat moved")
    if clock is not None:
        audit.record(session, clock, actor_id, "bind_chat", binding, before)
    return binding


@dataclass
class ChatBound:
    """What ``zhibu admin bind-chat`` did: ``before`` names the chat's previous owner (None:
    it was unbound); ``changed`` is False when it was already bound there."""

    binding: ChatBinding
    before: str | Phrase | None
    changed: bool


def owner_name(session: Session, binding: ChatBinding) -> str | Phrase:
    """Whom a chat serves, for the operator: the branch, or the org for its leaders' chat."""
    if binding.branch_id is not None:
        branch = session.get(Branch, binding.branch_id)
        return branch.name if branch else "?"
    org = session.get(Org, binding.org_id)
    return leaders_chat(org.name if org else "?")


def leaders_chat(org: str) -> Phrase:
    return Phrase("admin_leaders_chat", {"org": org})


def bind_chat_checked(
    session: Session,
    org: Org,
    platform: str,
    chat_id: str,
    branch: Branch | None,
    clock: Clock,
    force: bool = False,
) -> ChatBound:
    """Bind a chat for the operator. A chat serving another branch, the org's leaders or
    another org is not taken silently (its secretary would lose their own group): only with
    ``force``, and then moved by ``bind_chat`` as /bindgroup moves it, its old owner's queue
    dropped and the move audited. Binding it again to its owner changes nothing."""
    check_platform(platform)
    current = session.exec(
        select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
    ).first()
    before = owner_name(session, current) if current is not None else None
    target = (org.id, branch.id if branch else None)
    same = current is not None and (current.org_id, current.branch_id) == target
    if same and current is not None and current.unreachable_at is None:
        return ChatBound(current, before, changed=False)
    if current is not None and not same and not force:
        to = branch.name if branch else leaders_chat(org.name)
        raise AdminError("admin_chat_taken", platform=platform, chat=chat_id, before=before, to=to)
    binding = bind_chat(session, org, platform, chat_id, branch, clock)
    return ChatBound(binding, before, changed=True)


def chat_bound_in(session: Session, org: Org, platform: str, chat_id: str) -> ChatBinding:
    binding = session.exec(
        select(ChatBinding).where(
            ChatBinding.platform == platform,
            ChatBinding.chat_id == chat_id,
            ChatBinding.org_id == org.id,
        )
    ).first()
    if binding is None:
        raise AdminError("admin_chat_not_bound", platform=platform, chat=chat_id, org=org.name)
    return binding


def unbind_chat(session: Session, binding: ChatBinding, clock: Clock, actor_id: int | None) -> bool:
    """Forget a chat's binding: the jobs stop pushing to it, and what is queued for it is not
    sent (a reminder meant for the branch must not reach a group that no longer serves it).
    The audit trail keeps who released which group (a leader may release a branch's). False
    if someone else released it first. The binding goes before the queue is cleared: a job
    enqueueing meanwhile holds the binding, so its rows are in the queue by then."""
    before = audit.snapshot(binding)
    gone = session.execute(delete(ChatBinding).where(col(ChatBinding.id) == binding.id))
    if gone.rowcount != 1:  # type: ignore[attr-defined]
        return False
    queries.skip_pending_pushes(session, binding.platform, binding.chat_id, "chat unbound")
    audit.record(session, clock, actor_id, "unbind_chat", binding, before)
    return True


def move_chat(session: Session, platform: str, old: str, new: str) -> None:
    """A chat got a new id (a Telegram group upgraded to a supergroup): its binding, open
    questions and record confirmations move with it, so the group stays bound."""
    from storage.models import BotMessage, DialogState

    taken = session.exec(
        select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == new)
    ).first()
    tables = [BotMessage, DialogState] + ([] if taken else [ChatBinding])
    for table in tables:
        session.execute(
            update(table)
            .where(table.platform == platform, table.chat_id == old)  # type: ignore[attr-defined]
            .values(chat_id=new)
        )


@dataclass
class ImportReport:
    created: int
    skipped: int


CSV_COLUMNS = ("name", "branch", "role", "group", "org_role", "platform", "user_id")


def import_members(
    session: Session, clock: Clock, org: Org, path: Path, force: bool = False
) -> ImportReport:
    """Members from a CSV with a header (name,branch,role,group,org_role,platform,user_id), in
    UTF-8 (with or without BOM) or GB18030 (what Excel saves on Chinese Windows). ``force``
    moves a chat account bound to someone else, as ``bind-user --force`` does.

    Either every row is imported or none: a bad row stops the import and names its line.
    """
    created = skipped = 0
    branches: dict[str, Branch] = {}
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    line = 1
    try:
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise AdminError("admin_csv_header", path=str(path), columns=", ".join(CSV_COLUMNS))
        for line, row in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            try:
                if _import_row(session, clock, org, row, branches, force):
                    created += 1
                else:
                    skipped += 1
            except AdminError as exc:
                problem = Phrase(exc.key, exc.params)
                raise AdminError(
                    "admin_csv_row", path=str(path), line=line, problem=problem
                ) from exc
    except csv.Error as exc:
        line = reader.line_num or line
        raise AdminError("admin_csv_broken", path=str(path), line=line, problem=str(exc)) from exc
    return ImportReport(created, skipped)


_SPREADSHEETS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip), .xls


def _read_text(path: Path) -> str:
    """A CSV file's text: UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AdminError("admin_file_missing", path=str(path)) from None
    except IsADirectoryError:
        raise AdminError("admin_file_is_folder", path=str(path)) from None
    except PermissionError:
        raise AdminError("admin_file_forbidden", path=str(path)) from None
    except OSError as exc:
        problem = exc.strerror or str(exc)
        raise AdminError("admin_file_unreadable", path=str(path), problem=problem) from None
    if data.startswith(_SPREADSHEETS):
        raise AdminError("admin_file_is_workbook", path=str(path))
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AdminError("admin_file_encoding", path=str(path))


def _import_row(
    session, clock, org, row: dict[str, str], branches: dict[str, Branch], force: bool
) -> bool:
    """Import one CSV row; False when that member is already there."""
    name, branch_name = row.get("name", ""), row.get("branch") or None
    if not name:
        raise AdminError("admin_csv_no_name")
    branch = branch_named(session, org, branch_name, branches) if branch_name else None
    if _same_name(session, org, name, branch) is not None:
        return False
    member = add_member(
        session,
        clock,
        org,
        name,
        branch_name,
        row.get("role") or None,
        row.get("org_role") or None,
        row.get("group") or None,
        branch_cache=branches,
    )
    if row.get("platform") and row.get("user_id"):
        bind_identity(session, member, row["platform"], row["user_id"], force)
    return True


def branch_counts(session: Session, org: Org) -> list[tuple[Branch, int]]:
    """The org's branches with their member counts, for ``zhibu admin list``."""
    from storage.queries import member_counts

    counts = member_counts(session, org.id)  # type: ignore[arg-type]
    return [(b, counts.get(b.id, 0)) for b in branches_of(session, org.id)]  # type: ignore[arg-type,misc]
