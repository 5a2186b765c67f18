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
from core.errors import DomainError
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
    name, short_name = name.strip(), (short_name or "").strip() or None
    if not name:
        raise AdminError("支部名称不能为空")
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
        for n, kind in ((b.name, "全称"), (b.short_name, "简称")):
            if n:
                taken.setdefault(normalise_name(n), (b, kind))
    if normalise_name(name) in taken and taken[normalise_name(name)][1] == "全称":
        raise AdminError(f"支部“{taken[normalise_name(name)][0].name}”已存在")
    for value, what in ((name, "名称"), (short_name, "简称")):
        if value and normalise_name(value) in taken:
            holder, kind = taken[normalise_name(value)]
            raise AdminError(
                f"{what}“{value}”已是“{holder.name}”的{kind}；"
                f"同一党委的支部全称和简称不能重复，请换一个{what}"
            )


def add_group(session: Session, branch: Branch, name: str) -> PartyGroup:
    """A new party group of ``branch``; one of the same name (as /log matches group names:
    第一党小组 and 一组 are the same) is refused, saying it exists."""
    name = name.strip()
    if not name:
        raise AdminError("党小组名称不能为空")
    same = _group_named(session, branch, name)
    if same is not None:
        raise AdminError(f"{branch.name}已有党小组“{same.name}”，未重复创建")
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
    existing = "、".join(g.name for g in _groups_of(session, branch))
    there = f"现有党小组：{existing}" if existing else "该支部还没有党小组"
    raise AdminError(
        f"{branch.name}没有党小组“{name}”（{there}）；"
        f"如需新建，请先运行 zhibu admin add-group {short} {name}"
    )


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
    if not name.strip():
        raise AdminError("成员姓名不能为空")
    branch_role = normalise_role(role, BRANCH_ROLES)
    if branch_role and branch is None:
        raise AdminError(
            f"“{role}”是支部角色，须指定所在支部（--branch 支部名称；导入时填 branch 列）"
        )
    if group_name and branch is None:
        raise AdminError("指定党小组时必须同时指定支部")
    group = group_named(session, branch, group_name) if group_name and branch else None
    if not allow_same_name and _same_name(session, org, name, branch) is not None:
        where = branch.name if branch else org.name
        raise AdminError(f"“{name}”已是{where}的成员；如确是同名的另一人，请加 --allow-same-name")
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


def check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise AdminError(f"未知的平台“{platform}”，可写：{'、'.join(PLATFORMS)}")


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


@dataclass
class ChatBound:
    """What ``zhibu admin bind-chat`` did: ``before`` names the chat's previous owner (None:
    it was unbound); ``changed`` is False when it was already bound there."""

    binding: ChatBinding
    before: str | None
    changed: bool


def owner_name(session: Session, binding: ChatBinding) -> str:
    """Whom a chat serves, for the operator: the branch, or the org for its leaders' chat."""
    if binding.branch_id is not None:
        branch = session.get(Branch, binding.branch_id)
        return branch.name if branch else "?"
    org = session.get(Org, binding.org_id)
    return f"{org.name if org else '?'}（党委群）"


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
        to = branch.name if branch else f"{org.name}（党委群）"
        raise AdminError(
            f"{platform} 聊天 {chat_id} 已绑定到“{before}”；如确要改绑到“{to}”，请加 --force"
            f"（此后{before}的提醒不再发到这个聊天）"
        )
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
            raise AdminError(
                f"{path}: 第1行须是表头，至少包含 name 列（可用列：{', '.join(CSV_COLUMNS)}）"
            )
        for line, row in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            try:
                if _import_row(session, clock, org, row, branches, force):
                    created += 1
                else:
                    skipped += 1
            except AdminError as exc:
                raise AdminError(f"{path} 第{line}行：{exc.message}") from exc
    except csv.Error as exc:
        raise AdminError(f"{path} 第{reader.line_num or line}行不是有效的 CSV：{exc}") from exc
    return ImportReport(created, skipped)


_SPREADSHEETS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip), .xls


def _read_text(path: Path) -> str:
    """A CSV file's text: UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AdminError(f"找不到文件 {path}，请检查路径") from None
    except IsADirectoryError:
        raise AdminError(f"{path} 是一个文件夹，请给出 CSV 文件的路径") from None
    except PermissionError:
        raise AdminError(f"没有权限读取 {path}，请检查文件权限") from None
    except OSError as exc:
        raise AdminError(f"无法读取 {path}（{exc.strerror or exc}），请检查路径") from None
    if data.startswith(_SPREADSHEETS):
        raise AdminError(f"{path} 是 Excel 工作簿，不是 CSV：请在 Excel 里“另存为”CSV 文件")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AdminError(
        f"{path} 不是 UTF-8 或 GB18030 编码的文本：请在 Excel 里“另存为”CSV UTF-8 文件"
    )


def _import_row(
    session, clock, org, row: dict[str, str], branches: dict[str, Branch], force: bool
) -> bool:
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
        bind_identity(session, member, row["platform"], row["user_id"], force)
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
