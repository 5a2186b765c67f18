"""Setting up a deployment without SQL: org, branches, party groups, members, bindings."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from core import audit
from core.errors import DomainError
from core.periods import Clock
from core.status import find_branch
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
    """A setup problem, worded for the operator at the command line."""

    def __init__(self, message: str):
        super().__init__("admin_error", message=message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def get_org(session: Session, name: str | None = None) -> Org:
    stmt = select(Org).where(Org.name == name) if name else select(Org).order_by(col(Org.id))
    org = session.exec(stmt).first()
    if org is None:
        raise AdminError(
            f"找不到党委“{name}”" if name else "还没有党委，请先运行 zhibu admin create-org 名称"
        )
    return org


def create_org(session: Session, clock: Clock, name: str) -> Org:
    if session.exec(select(Org).where(Org.name == name)).first():
        raise AdminError(f"党委“{name}”已存在")
    org = Org(name=name, created_at=clock())
    session.add(org)
    session.flush()
    audit.record(session, clock, None, "create", org)
    return org


def add_branch(
    session: Session, clock: Clock, org: Org, name: str, short_name: str | None = None
) -> Branch:
    exists = session.exec(select(Branch).where(Branch.org_id == org.id, Branch.name == name))
    if exists.first():
        raise AdminError(f"支部“{name}”已存在")
    branch = Branch(org_id=org.id, name=name, short_name=short_name, created_at=clock())  # type: ignore[arg-type]
    session.add(branch)
    session.flush()
    audit.record(session, clock, None, "create", branch)
    return branch


def add_group(session: Session, branch: Branch, name: str) -> PartyGroup:
    group = session.exec(
        select(PartyGroup).where(PartyGroup.branch_id == branch.id, PartyGroup.name == name)
    ).first()
    if group is None:
        group = PartyGroup(branch_id=branch.id, name=name)  # type: ignore[arg-type]
        session.add(group)
        session.flush()
    return group


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
        words = "、".join(w for w, code in ROLE_WORDS.items() if code in allowed)
        raise AdminError(f"未知的角色“{role}”，可写：{words}（或 {', '.join(allowed)}）")
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
    if not allow_same_name and _same_name(session, org, name, branch) is not None:
        where = branch.name if branch else org.name
        raise AdminError(f"“{name}”已是{where}的成员；如确是同名的另一人，请加 --allow-same-name")
    branch_role = normalise_role(role, BRANCH_ROLES) or ("member" if branch else None)
    member = Member(
        org_id=org.id,  # type: ignore[arg-type]
        branch_id=branch.id if branch else None,
        name=name.strip(),
        branch_role=branch_role,
        org_role=normalise_role(org_role, ORG_ROLES),
        created_at=clock(),
    )
    if group_name:
        if branch is None:
            raise AdminError("指定党小组时必须同时指定支部")
        member.party_group_id = add_group(session, branch, group_name).id
    if not member.name:
        raise AdminError("成员姓名不能为空")
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
        raise AdminError(f"找不到支部“{name}”") from exc


def find_member(session: Session, org: Org, name: str, branch_name: str | None = None) -> Member:
    stmt = select(Member).where(Member.org_id == org.id, Member.name == name)
    if branch_name:
        stmt = stmt.where(Member.branch_id == branch_named(session, org, branch_name).id)
    found = session.exec(stmt).all()
    if not found:
        raise AdminError(f"找不到成员“{name}”")
    if len(found) > 1:
        raise AdminError(f"有{len(found)}位成员叫“{name}”，请用 --branch 指明支部")
    return found[0]


def bind_identity(
    session: Session, member: Member, platform: str, external_id: str, force: bool = False
) -> Identity:
    identity = session.exec(
        select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    ).first()
    if identity is not None and identity.member_id != member.id and not force:
        holder = session.get(Member, identity.member_id)
        raise AdminError(
            f"{platform} 用户 {external_id} 已绑定到“{holder.name if holder else '?'}”；"
            "如确要改绑，请加 --force"
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


def chat_bound_in(session: Session, org: Org, platform: str, chat_id: str) -> ChatBinding:
    binding = session.exec(
        select(ChatBinding).where(
            ChatBinding.platform == platform,
            ChatBinding.chat_id == chat_id,
            ChatBinding.org_id == org.id,
        )
    ).first()
    if binding is None:
        raise AdminError(f"{platform} 聊天 {chat_id} 没有绑定到“{org.name}”，无需解绑。")
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


def import_members(session: Session, clock: Clock, org: Org, path: Path) -> ImportReport:
    """Members from a UTF-8 CSV with a header (name,branch,role,group,org_role,platform,user_id).

    Either every row is imported or none: a bad row stops the import and names its line.
    """
    created = skipped = 0
    branches: dict[str, Branch] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise AdminError(
                f"{path}: 第1行须是表头，至少包含 name 列（可用列：{', '.join(CSV_COLUMNS)}）"
            )
        for line, row in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            try:
                if _import_row(session, clock, org, row, branches):
                    created += 1
                else:
                    skipped += 1
            except AdminError as exc:
                raise AdminError(f"{path} 第{line}行：{exc.message}") from exc
    return ImportReport(created, skipped)


def _import_row(session, clock, org, row: dict[str, str], branches: dict[str, Branch]) -> bool:
    """Import one CSV row; False when that member is already there."""
    name, branch_name = row.get("name", ""), row.get("branch") or None
    if not name:
        raise AdminError("姓名为空")
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
        bind_identity(session, member, row["platform"], row["user_id"])
    return True


def describe(session: Session, org: Org) -> str:
    """A plain listing of the org for ``zhibu admin list``."""
    from core.status import branches_of
    from storage.queries import member_counts

    counts = member_counts(session, org.id)  # type: ignore[arg-type]
    lines = [f"{org.name}"]
    for b in branches_of(session, org.id):  # type: ignore[arg-type]
        short = f"（{b.short_name}）" if b.short_name else ""
        lines.append(f"  {b.name}{short}：{counts.get(b.id, 0)} 名成员")  # type: ignore[arg-type]
    return "\n".join(lines)
