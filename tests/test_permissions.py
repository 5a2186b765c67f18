"""Who may do what: the permission rules as a full matrix.

Secretaries, deputies and committee members write for their own branch; members read their
own branch; leaders read everything and write town-level records (and excusals); admins read
everything; unknown users are refused with a reply that reveals nothing.

1. ``core.auth.can`` over every role x every action x own / other / no branch.
2. Every chat command for every console user, through the real router: who may, who may not,
   and that a refusal changes nothing and tells nothing.
3. Chats bound to a branch: members of another branch are refused there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, col, select

from bot.messages import t
from core.auth import Action, Actor, can, require
from core.errors import Refused
from storage.models import Activity, AuditEvent, Commitment, DialogState, Excusal, Member

# ---------------------------------------------------------------------------------------------
# 1. core.auth.can: the truth table
# ---------------------------------------------------------------------------------------------

BRANCH_A, BRANCH_B = 1, 2  # the actor's own branch and another branch of the same org

ACTORS: dict[str, Actor | None] = {
    "secretary": Actor(1, "张书记", 1, BRANCH_A, "secretary", None),
    "deputy": Actor(2, "钱副书记", 1, BRANCH_A, "deputy", None),
    "committee": Actor(3, "李委员", 1, BRANCH_A, "committee", None),
    "member": Actor(4, "王党员", 1, BRANCH_A, "member", None),
    "leader": Actor(5, "赵镇长", 1, None, None, "leader"),
    "admin": Actor(6, "孙管理", 1, None, None, "admin"),
    "unknown": None,
}

# Target branch columns: the actor's own branch (A), another branch (B), no branch (None).
TARGETS: dict[str, int | None] = {"own": BRANCH_A, "other": BRANCH_B, "none": None}

Y, N = True, False
# role -> action -> (own branch, other branch, no branch)
CAN: dict[str, dict[Action, tuple[bool, bool, bool]]] = {
    "secretary": {
        Action.READ_BRANCH: (Y, N, N),
        Action.WRITE_BRANCH: (Y, N, N),
        Action.READ_ORG: (N, N, N),
        Action.WRITE_TOWN: (N, N, N),
        Action.EXCUSE: (N, N, N),
    },
    "deputy": {
        Action.READ_BRANCH: (Y, N, N),
        Action.WRITE_BRANCH: (Y, N, N),
        Action.READ_ORG: (N, N, N),
        Action.WRITE_TOWN: (N, N, N),
        Action.EXCUSE: (N, N, N),
    },
    "committee": {
        Action.READ_BRANCH: (Y, N, N),
        Action.WRITE_BRANCH: (Y, N, N),
        Action.READ_ORG: (N, N, N),
        Action.WRITE_TOWN: (N, N, N),
        Action.EXCUSE: (N, N, N),
    },
    "member": {
        Action.READ_BRANCH: (Y, N, N),
        Action.WRITE_BRANCH: (N, N, N),
        Action.READ_ORG: (N, N, N),
        Action.WRITE_TOWN: (N, N, N),
        Action.EXCUSE: (N, N, N),
    },
    "leader": {
        Action.READ_BRANCH: (Y, Y, Y),
        Action.WRITE_BRANCH: (N, N, N),
        Action.READ_ORG: (Y, Y, Y),
        Action.WRITE_TOWN: (Y, Y, Y),
        Action.EXCUSE: (Y, Y, Y),
    },
    "admin": {
        Action.READ_BRANCH: (Y, Y, Y),
        Action.WRITE_BRANCH: (N, N, N),
        Action.READ_ORG: (Y, Y, Y),
        Action.WRITE_TOWN: (N, N, N),
        Action.EXCUSE: (N, N, N),
    },
    "unknown": {
        Action.READ_BRANCH: (N, N, N),
        Action.WRITE_BRANCH: (N, N, N),
        Action.READ_ORG: (N, N, N),
        Action.WRITE_TOWN: (N, N, N),
        Action.EXCUSE: (N, N, N),
    },
}

CAN_CASES = [
    pytest.param(role, action, target, allowed[i], id=f"{role}-{action.value}-{target}")
    for role, row in CAN.items()
    for action, allowed in row.items()
    for i, target in enumerate(TARGETS)
]


def test_truth_table_covers_every_role_and_action():
    assert set(CAN) == set(ACTORS)
    for role, row in CAN.items():
        assert set(row) == set(Action), role


@pytest.mark.parametrize(("role", "action", "target", "expected"), CAN_CASES)
def test_can(role: str, action: Action, target: str, expected: bool):
    assert can(ACTORS[role], action, TARGETS[target]) is expected


@pytest.mark.parametrize(("role", "action", "target", "expected"), CAN_CASES)
def test_require_refuses_exactly_what_can_denies(
    role: str, action: Action, target: str, expected: bool
):
    actor = ACTORS[role]
    if expected:
        assert require(actor, action, TARGETS[target]) is actor
        return
    with pytest.raises(Refused) as refused:
        require(actor, action, TARGETS[target])
    if actor is None:
        assert refused.value.key == "unknown_user"
    else:  # at most who may do it, where that tells the actor nothing they do not know
        assert refused.value.key in (
            "forbidden",
            "forbidden_not_a_writer",
            "forbidden_not_a_leader",
        )
    assert refused.value.params == {}  # a refusal carries nothing to tell


# ---------------------------------------------------------------------------------------------
# Router helpers: database snapshots, seeded records, reply texts
# ---------------------------------------------------------------------------------------------

STRANGER = "stranger-42"  # a console user id bound to nobody
HOME_CHAT = {
    "sec1": "branch1",
    "com1": "branch1",
    "mem1": "branch1",
    "sec2": "branch2",
    "mem2": "branch2",
    "leader": "town",
    "admin": "town",
    STRANGER: "branch1",
}
USERS = tuple(HOME_CHAT)
HOME_BRANCH = {"sec1": "b1", "com1": "b1", "mem1": "b1", "sec2": "b2", "mem2": "b2"}

TABLES: tuple[type[SQLModel], ...] = (Activity, Commitment, Excusal, AuditEvent, DialogState)

# Words from the seeded data: a reply that must reveal nothing contains none of them.
B1_TOPIC, B2_TOPIC, TOWN_TOPIC = "一村专题学习", "二村专题学习", "镇党建调研"
B1_PROMISE, B2_PROMISE = "一村修路2公里", "二村修桥一座"
SECRETS = ("一村", "二村", "示范镇", B1_TOPIC, B2_TOPIC, TOWN_TOPIC, B1_PROMISE, B2_PROMISE)

FORBIDDEN = t("forbidden")
UNKNOWN_USER = t("unknown_user")
NOTHING_TO_UNDO = t("nothing_to_undo")

State = dict[str, tuple[dict[str, Any], ...]]


def db_state(engine) -> State:
    """Every row of the tables a command may change, read through a fresh session."""
    with Session(engine) as s:
        return {
            model.__tablename__: tuple(  # type: ignore[misc]
                row.model_dump() for row in s.exec(select(model).order_by(col(model.id)))
            )
            for model in TABLES
        }


def counts(state: State) -> dict[str, int]:
    return {table: len(rows) for table, rows in state.items()}


def delta(before: State, after: State) -> dict[str, int]:
    """How many rows each table gained (only the tables that changed in size)."""
    b, a = counts(before), counts(after)
    return {table: a[table] - b[table] for table in a if a[table] != b[table]}


def row(state: State, table: str, id_: int) -> dict[str, Any]:
    return next(r for r in state[table] if r["id"] == id_)


def new_rows(before: State, after: State, table: str) -> list[dict[str, Any]]:
    old = {r["id"] for r in before[table]}
    return [r for r in after[table] if r["id"] not in old]


def assert_refused(reply: str, expected: str, before: State, after: State) -> None:
    """The refusal text, nothing stored or changed, and nothing about anybody's data."""
    assert reply == expected
    assert counts(after) == counts(before)
    assert after == before
    for secret in SECRETS:
        assert secret not in reply


@dataclass(frozen=True)
class Seeded:
    b1: int  # 一村党支部
    b2: int  # 二村党支部
    a1: int  # 一村's 支委会, logged by sec1
    a2: int  # 二村's 支委会, logged by sec2
    t1: int  # a town-level 党建调研, logged by the leader
    c1: int  # 一村's commitment, made by sec1
    c2: int  # 二村's commitment, made by sec2

    def fill(self, template: str) -> str:
        return template.format(a1=self.a1, a2=self.a2, t1=self.t1, c1=self.c1, c2=self.c2)

    def home_branch(self, user: str) -> int:
        return getattr(self, HOME_BRANCH[user])


@pytest.fixture
def seeded(chat, engine, town) -> Seeded:
    """One record and one commitment in each branch and one town-level record, all made
    through the router by the people allowed to make them."""
    lines = [
        ("sec1", "branch1", f"/log 支委会 3月5日 出席7人 主题:{B1_TOPIC}"),
        ("sec2", "branch2", f"/log 支委会 3月6日 出席5人 主题:{B2_TOPIC}"),
        ("leader", "town", f"/log 党建调研 3月9日 出席10人 主题:{TOWN_TOPIC}"),
        ("sec1", "branch1", f"/commit {B1_PROMISE} 截止6月30日"),
        ("sec2", "branch2", f"/commit {B2_PROMISE} 截止6月30日"),
    ]
    for user, chat_id, text in lines:
        reply = chat(user, chat_id)(text, message_id=f"seed-{text}")
        assert reply.startswith(("✅ 已记录", "📌 已登记承诺")), reply
    with Session(engine) as s:
        by_topic = {a.topic: a.id for a in s.exec(select(Activity))}
        by_content = {c.content: c.id for c in s.exec(select(Commitment))}
    return Seeded(
        town.branch1,
        town.branch2,
        by_topic[B1_TOPIC],
        by_topic[B2_TOPIC],
        by_topic[TOWN_TOPIC],
        by_content[B1_PROMISE],
        by_content[B2_PROMISE],
    )


def send(chat, user: str, text: str, chat_id: str | None = None) -> str:
    return chat(user, chat_id or HOME_CHAT[user])(text)


def update_member(engine, name: str, **changes: Any) -> None:
    """What an admin would change about a person between two messages."""
    with Session(engine) as s:
        member = s.exec(select(Member).where(Member.name == name)).one()
        for key, value in changes.items():
            setattr(member, key, value)
        s.add(member)
        s.commit()


# ---------------------------------------------------------------------------------------------
# 2. Every command for every user, through the router
# ---------------------------------------------------------------------------------------------

COMMANDS: dict[str, str] = {
    "log_branch": "/log 支委会 3月12日 出席6人 主题:新的支委会",
    "log_town": "/log 党建调研 3月12日 出席9人 主题:新的调研",
    "study": "/study 集中学习 3月10日 2小时 18人 主题:党章",
    "commit": "/commit 新修水渠一条 截止6月30日",
    "done": "/done {c1} 已验收",
    "withdraw": "/withdraw {c1} 项目取消",
    "explain": "/explain {c1} 资金未到位",
    "edit": "/edit {a1} 地点:村委会",
    "edit_town": "/edit {t1} 地点:镇政府",
    "undo": "/undo",
    "list": "/list",
    "commitments": "/commitments",
    "status": "/status",
    "status_other": "/status 二村",
    "excuse": "/excuse 一村 党课 2026Q1 防汛",
}

OK = "ok"  # allowed: the reply confirms and the database shows the effect
NO = "forbidden"  # refused: 抱歉，你没有权限进行这项操作。
ROLE = "forbidden_not_a_writer"  # a member of the branch told who logs for it
LEAD = "forbidden_not_a_leader"  # told this is for the town's leaders
WHO = "unknown"  # refused: 抱歉，我还不认识你。…
MISS_C = "no_such_commitment"  # refused exactly as for a commitment that does not exist
MISS_R = "no_such_record"  # refused exactly as for a record that does not exist
NONE = "nothing_to_undo"  # the user has no record of their own to undo
TOWN = "town_only"  # a known user told that town-level work is for the town's leaders
WRITER = "not_writer"  # a reader of the item told only writers may change it
OWN = "own_branch_only"  # told they may see their own branch; nothing about the one named
BRANCH = "branch_only"  # a town leader told a branch's meeting is the branch's to log

# fmt: off
MATRIX: dict[str, tuple[str, ...]] = {
    #                sec1    com1    mem1    sec2    mem2    leader  admin   stranger
    "log_branch":   (OK,     OK,     ROLE,   OK,     ROLE,   BRANCH, NO,     WHO),
    "log_town":     (TOWN,   TOWN,   TOWN,   TOWN,   TOWN,   OK,     TOWN,   WHO),
    "study":        (OK,     OK,     ROLE,   OK,     ROLE,   BRANCH, NO,     WHO),
    "commit":       (OK,     OK,     ROLE,   OK,     ROLE,   NO,     NO,     WHO),
    "done":         (OK,     OK,     WRITER, MISS_C, MISS_C, WRITER, WRITER, WHO),
    "withdraw":     (OK,     OK,     WRITER, MISS_C, MISS_C, WRITER, WRITER, WHO),
    "explain":      (OK,     OK,     WRITER, MISS_C, MISS_C, WRITER, WRITER, WHO),
    "edit":         (OK,     OK,     WRITER, MISS_R, MISS_R, WRITER, WRITER, WHO),
    "edit_town":    (MISS_R, MISS_R, MISS_R, MISS_R, MISS_R, OK,     WRITER, WHO),
    "undo":         (OK,     NONE,   NONE,   OK,     NONE,   OK,     NONE,   WHO),
    "list":         (OK,     OK,     OK,     OK,     OK,     OK,     OK,     WHO),
    "commitments":  (OK,     OK,     OK,     OK,     OK,     OK,     OK,     WHO),
    "status":       (OK,     OK,     OK,     OK,     OK,     OK,     OK,     WHO),
    "status_other": (OWN,    OWN,    OWN,    OK,     OK,     OK,     OK,     WHO),
    "excuse":       (LEAD,   LEAD,   LEAD,   LEAD,   LEAD,   OK,     LEAD,   WHO),
}
# fmt: on

MATRIX_CASES = [
    pytest.param(command, user, outcome, id=f"{command}-{user}")
    for command, row_ in MATRIX.items()
    for user, outcome in zip(USERS, row_, strict=True)
]


def refusal_text(outcome: str, seeded: Seeded, command: str) -> str:
    if outcome == MISS_C:
        return t("no_such_commitment", id=seeded.c1)
    if outcome == MISS_R:
        return t("no_such_record", id=seeded.t1 if command == "edit_town" else seeded.a1)
    if outcome == TOWN:
        return t("town_only", name="党建调研")
    if outcome == OWN:
        return t(OWN, command="status")
    if outcome in (WRITER, ROLE, LEAD):
        return t(outcome)
    if outcome == BRANCH:
        from bot.messages import ZH
        from bot.render import worded
        from core.rules import DEFAULT_REGISTRY

        town = worded(DEFAULT_REGISTRY.of_category("town"), ZH)
        return t(BRANCH, name="支委会" if command == "log_branch" else "集中学习", town=town)
    return {NO: FORBIDDEN, WHO: UNKNOWN_USER, NONE: NOTHING_TO_UNDO}[outcome]


# What an allowed command visibly does: its reply, and what it changed in the database.
Check = Callable[[str, str, State, State, Seeded], None]


def _new_record(type_code: str, town_level: bool) -> Check:
    def check(user, reply, before, after, ids):
        assert reply.startswith("✅ 已记录"), reply
        assert delta(before, after) == {"activity": 1, "audit_event": 1}
        (new,) = new_rows(before, after, "activity")
        assert new["type_code"] == type_code
        assert new["branch_id"] == (None if town_level else ids.home_branch(user))

    return check


def _new_commitment(user, reply, before, after, ids):
    assert reply.startswith("📌 已登记承诺"), reply
    assert delta(before, after) == {"commitment": 1, "audit_event": 1}
    (new,) = new_rows(before, after, "commitment")
    assert new["branch_id"] == ids.home_branch(user)


def _commitment_status(status: str, prefix: str) -> Check:
    def check(user, reply, before, after, ids):
        assert reply.startswith(prefix) and B1_PROMISE in reply, reply
        assert delta(before, after) == {"audit_event": 1}
        assert row(after, "commitment", ids.c1)["status"] == status

    return check


def _edited(record: str, place: str) -> Check:
    def check(user, reply, before, after, ids):
        assert reply.startswith("✏️ 已修改") and place in reply, reply
        assert delta(before, after) == {"audit_event": 1}
        assert row(after, "activity", getattr(ids, record))["place"] == place

    return check


UNDO_TARGET = {"sec1": "a1", "sec2": "a2", "leader": "t1"}  # each one's own latest record


def _undone(user, reply, before, after, ids):
    target = getattr(ids, UNDO_TARGET[user])
    assert reply.startswith(f"↩️ 已撤销 #{target}"), reply
    assert delta(before, after) == {"audit_event": 1}
    deleted = [r["id"] for r in after["activity"] if r["deleted_at"] is not None]
    assert deleted == [target]


def _read_only(prefixes: tuple[str, ...]) -> Check:
    def check(user, reply, before, after, ids):
        assert reply.startswith(prefixes), reply
        assert after == before

    return check


def _excused(user, reply, before, after, ids):
    assert reply.startswith("已将一村党支部") and "防汛" in reply, reply
    assert delta(before, after) == {"excusal": 1, "audit_event": 1}
    (new,) = new_rows(before, after, "excusal")
    assert (new["branch_id"], new["type_code"], new["reason"]) == (ids.b1, "party_lecture", "防汛")


ALLOWED: dict[str, Check] = {
    "log_branch": _new_record("committee_meeting", town_level=False),
    "log_town": _new_record("town_research", town_level=True),
    "study": _new_record("study_session", town_level=False),
    "commit": _new_commitment,
    "done": _commitment_status("fulfilled", "🎉 承诺"),
    "withdraw": _commitment_status("withdrawn", "承诺"),
    "explain": _commitment_status("explained", "承诺"),
    "edit": _edited("a1", "村委会"),
    "edit_town": _edited("t1", "镇政府"),
    "undo": _undone,
    "list": _read_only((t("list_header"),)),
    "commitments": _read_only((t("commitments_header"),)),
    "status": _read_only(("📋", "📊")),
    "status_other": _read_only(("📋 二村党支部",)),
    "excuse": _excused,
}


def test_matrix_covers_every_command():
    assert set(MATRIX) == set(COMMANDS) == set(ALLOWED)


@pytest.mark.parametrize(("command", "user", "outcome"), MATRIX_CASES)
def test_command_permissions(chat, engine, seeded, command: str, user: str, outcome: str):
    before = db_state(engine)
    reply = send(chat, user, seeded.fill(COMMANDS[command]))
    after = db_state(engine)
    if outcome == OK:
        ALLOWED[command](user, reply, before, after, seeded)
    else:
        assert_refused(reply, refusal_text(outcome, seeded, command), before, after)


# What each reader is shown, and what they must not be shown.
B1_VIEW = {
    "list": ((B1_TOPIC,), (B2_TOPIC, TOWN_TOPIC)),
    "commitments": ((B1_PROMISE,), (B2_PROMISE,)),
    "status": (("一村党支部",), ("二村",)),
}
B2_VIEW = {
    "list": ((B2_TOPIC,), (B1_TOPIC, TOWN_TOPIC)),
    "commitments": ((B2_PROMISE,), (B1_PROMISE,)),
    "status": (("二村党支部",), ("一村",)),
    "status_other": (("二村党支部",), ("一村",)),
}
ORG_VIEW = {
    "list": ((B1_TOPIC, B2_TOPIC, TOWN_TOPIC), ()),
    "commitments": ((B1_PROMISE, B2_PROMISE), ()),
    "status": (("一村党支部", "二村党支部"), ()),
    "status_other": (("二村党支部",), ("一村",)),
}
VIEWS = {
    "sec1": B1_VIEW,
    "com1": B1_VIEW,
    "mem1": B1_VIEW,
    "sec2": B2_VIEW,
    "mem2": B2_VIEW,
    "leader": ORG_VIEW,
    "admin": ORG_VIEW,
}
VIEW_CASES = [
    pytest.param(user, command, shown, hidden, id=f"{command}-{user}")
    for user, view in VIEWS.items()
    for command, (shown, hidden) in view.items()
]


@pytest.mark.parametrize(("user", "command", "shown", "hidden"), VIEW_CASES)
def test_readers_see_their_scope_and_nothing_more(
    chat, seeded, user: str, command: str, shown: tuple[str, ...], hidden: tuple[str, ...]
):
    reply = send(chat, user, COMMANDS[command])
    for word in shown:
        assert word in reply
    for word in hidden:
        assert word not in reply


@pytest.mark.parametrize("user", ["sec1", "com1", "mem1"])
def test_asking_for_another_branch_status_looks_like_asking_for_none(chat, engine, seeded, user):
    before = db_state(engine)
    other = send(chat, user, "/status 二村")
    missing = send(chat, user, "/status 三村")
    other_by_full_name = send(chat, user, "/status 二村党支部")
    assert other == missing == other_by_full_name == t("own_branch_only", command="status")
    assert db_state(engine) == before


@pytest.mark.parametrize(
    ("command", "template", "key"),
    [
        ("done", "/done {id} 已验收", "no_such_commitment"),
        ("withdraw", "/withdraw {id} 项目取消", "no_such_commitment"),
        ("edit", "/edit {id} 地点:村委会", "no_such_record"),
    ],
)
def test_another_branchs_item_looks_exactly_like_a_missing_one(
    chat, engine, seeded, command, template, key
):
    """sec2 (二村) poking at 一村's commitment / record learns nothing, not even that it exists."""
    target = seeded.a1 if command == "edit" else seeded.c1
    missing = 9999
    before = db_state(engine)
    real = send(chat, "sec2", template.format(id=target))
    absent = send(chat, "sec2", template.format(id=missing))
    assert real == t(key, id=target)
    assert absent == t(key, id=missing)
    assert real.replace(str(target), "N") == absent.replace(str(missing), "N")
    assert db_state(engine) == before


# ---------------------------------------------------------------------------------------------
# Unknown users: refused everywhere, told nothing
# ---------------------------------------------------------------------------------------------

STRANGER_LINES = [
    *COMMANDS.values(),
    "/status 二村 2026Q1",
    "/status 党课",
    "记录 支委会 3月12日 出席6人",
    "进度",
    "你好，我是一村的",
]


STRANGER_CHATS = ("branch1", "branch2", "town", "unbound-dm")


@pytest.mark.parametrize("text", STRANGER_LINES)
def test_unknown_user_is_refused_and_told_nothing(chat, engine, seeded, text):
    """The same refusal in every chat (branch, town, unbound), whatever is asked."""
    for chat_id in STRANGER_CHATS:
        before = db_state(engine)
        reply = send(chat, STRANGER, seeded.fill(text), chat_id)
        assert_refused(reply, UNKNOWN_USER, before, db_state(engine))


def test_deactivated_member_is_an_unknown_user(chat, engine, seeded):
    update_member(engine, "张书记", active=False)
    before = db_state(engine)
    for text in ("/status", "/list", "/log 支委会 3月12日 出席6人", f"/done {seeded.c1}"):
        assert_refused(send(chat, "sec1", text), UNKNOWN_USER, before, db_state(engine))


# ---------------------------------------------------------------------------------------------
# 3. Chats bound to a branch
# ---------------------------------------------------------------------------------------------

FOREIGN_CASES = [
    # (user, chat bound to another branch, command)
    ("sec1", "branch2", "log_branch"),
    ("sec1", "branch2", "study"),
    ("sec1", "branch2", "commit"),
    ("sec1", "branch2", "done"),
    ("sec1", "branch2", "withdraw"),
    ("sec1", "branch2", "edit"),
    ("sec1", "branch2", "undo"),
    ("com1", "branch2", "log_branch"),
    ("com1", "branch2", "commit"),
    ("sec2", "branch1", "log_branch"),
    ("sec2", "branch1", "commit"),
    ("sec2", "branch1", "done"),
    ("mem1", "branch2", "log_branch"),
    ("mem1", "branch2", "list"),
    ("mem1", "branch2", "commitments"),
    ("mem1", "branch2", "status"),
    ("mem2", "branch1", "status"),
    ("mem2", "branch1", "status_other"),
]


@pytest.mark.parametrize(("user", "chat_id", "command"), FOREIGN_CASES)
def test_member_in_another_branchs_chat_is_refused(chat, engine, seeded, user, chat_id, command):
    before = db_state(engine)
    reply = send(chat, user, seeded.fill(COMMANDS[command]), chat_id)
    # told the group is another branch's (they are in it), never whose
    assert_refused(reply, t("forbidden_other_branch_chat"), before, db_state(engine))


@pytest.mark.parametrize("chat_id", ["branch1", "branch2"])
@pytest.mark.parametrize("user", ["leader", "admin"])
def test_leaders_and_admins_may_read_in_any_branch_chat(chat, engine, seeded, user, chat_id):
    before = db_state(engine)
    assert send(chat, user, "/list", chat_id).startswith(t("list_header"))
    assert send(chat, user, "/commitments", chat_id).startswith(t("commitments_header"))
    assert send(chat, user, "/status 二村", chat_id).startswith("📋 二村党支部")
    assert db_state(engine) == before


def test_secretary_writing_in_own_chat_after_refusal_elsewhere_still_works(chat, engine, seeded):
    """The refusal in 二村's chat is about the chat, not the person."""
    assert send(chat, "sec1", COMMANDS["log_branch"], "branch2") == t("forbidden_other_branch_chat")
    before = db_state(engine)
    reply = send(chat, "sec1", COMMANDS["log_branch"], "branch1")
    ALLOWED["log_branch"]("sec1", reply, before, db_state(engine), seeded)


# ---------------------------------------------------------------------------------------------
# Writing around the rules: guided questions, type changes, lost roles
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "record", "new_type", "stored_type"),
    [
        ("sec1", "a1", "党课", "party_lecture"),  # branch record -> another branch type
        ("leader", "t1", "专题培训", "town_training"),  # town record -> another town type
    ],
)
def test_edit_may_change_type_within_own_level(
    chat, engine, seeded, user, record, new_type, stored_type
):
    record_id = getattr(seeded, record)
    reply = send(chat, user, f"/edit {record_id} {new_type}")
    assert reply.startswith(f"✏️ 已修改 #{record_id}"), reply
    assert row(db_state(engine), "activity", record_id)["type_code"] == stored_type


@pytest.mark.parametrize(
    ("user", "record", "new_type"),
    [
        # a secretary may not turn a branch meeting into town-level work (党建调研)
        ("sec1", "a1", "党建调研"),
        ("com1", "a1", "专题培训"),
        # a leader may not turn town-level work into a branch meeting with no branch
        ("leader", "t1", "支委会"),
        ("leader", "t1", "支部党员大会"),
    ],
)
def test_edit_may_not_move_a_record_to_a_level_the_user_cannot_write(
    chat, engine, seeded, user, record, new_type
):
    record_id = getattr(seeded, record)
    before = db_state(engine)
    reply = send(chat, user, f"/edit {record_id} {new_type}")
    # refused, hidden, or (for the record's own writer) told plainly why the change is invalid
    assert reply in (FORBIDDEN, t("no_such_record", id=record_id), t("edit_changes_level")), reply
    assert db_state(engine) == before


def test_leader_logging_without_a_type_is_asked_which_town_activity(chat, engine, town):
    """Leaders write town-level records, so /log without a type asks which one."""
    leader = chat("leader", "town")
    question = leader("/log 3月12日 出席10人 主题:镇里调研")
    assert question.startswith(t("ask_type")), question
    before = db_state(engine)
    reply = leader("党建调研")
    assert reply.startswith("✅ 已记录"), reply
    (new,) = new_rows(before, db_state(engine), "activity")
    assert (new["type_code"], new["branch_id"]) == ("town_research", None)


@pytest.mark.parametrize("user", ["mem1", "admin"])
def test_non_writer_logging_without_a_type_is_refused_before_any_question(chat, engine, user):
    before = db_state(engine)
    reply = send(chat, user, "/log 3月12日 出席6人")
    refusal = t("forbidden_not_a_writer") if user == "mem1" else FORBIDDEN
    assert_refused(reply, refusal, before, db_state(engine))


def test_secretary_cannot_pick_a_town_type_in_the_guided_question(chat, engine, town):
    sec1 = chat("sec1", "branch1")
    assert sec1("/log 3月12日 出席6人").startswith(t("ask_type"))
    reply = sec1("党建调研")
    assert reply.startswith("没看懂“党建调研”") and t("ask_type") in reply, reply
    assert counts(db_state(engine))["activity"] == 0


def test_secretary_demoted_to_member_can_no_longer_undo(chat, engine, seeded):
    """Members only read: once sec1 is a plain member, their old record stays."""
    update_member(engine, "张书记", branch_role="member")
    before = db_state(engine)
    reply = send(chat, "sec1", "/undo")
    assert reply in (t("forbidden_not_a_writer"), NOTHING_TO_UNDO), reply
    assert db_state(engine) == before


def test_secretary_demoted_to_member_can_no_longer_write(chat, engine, seeded):
    update_member(engine, "张书记", branch_role="member")
    for command, refusal in [
        ("log_branch", t("forbidden_not_a_writer")),
        ("study", t("forbidden_not_a_writer")),
        ("commit", t("forbidden_not_a_writer")),
        ("done", t("not_writer")),
        ("edit", t("not_writer")),
    ]:
        before = db_state(engine)
        reply = send(chat, "sec1", seeded.fill(COMMANDS[command]))
        assert_refused(reply, refusal, before, db_state(engine))
