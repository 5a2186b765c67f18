"""Invitations, /whoami, /bindgroup, buttons of guided dialogs and attachments, through the
platform-free router (the Telegram adapter only translates to and from these)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli_common import error_text
from bot.messages import ZH
from bot.router import Router
from bot.turn import FileRef, Incoming, Reply
from core import admin, invites
from core.periods import fixed_clock
from core.rules import DEFAULT_REGISTRY
from storage.db import session_scope
from storage.models import (
    Activity,
    Attachment,
    AuditEvent,
    ChatBinding,
    Identity,
    Invite,
    Member,
)
from tests.conftest import FOUNDED, TZ, local

TG = "telegram"


class Person:
    """One Telegram user talking to the router, in private or in a group."""

    def __init__(self, router: Router, user: str, chat: str | None = None, name: str = "张三"):
        self.router, self.user, self.name = router, user, name
        self.chat = chat or user
        self.n = 0

    def send(self, text: str = "", **extra) -> list[Reply]:
        self.n += 1
        extra.setdefault("message_id", f"{self.user}-{self.n}")
        msg = Incoming(
            TG,
            self.chat,
            self.user,
            text,
            is_group=self.chat != self.user,
            user_name=self.name,
            can_attach=True,
            **extra,
        )
        return self.router.handle(msg)

    def __call__(self, text: str, **extra) -> str:
        return "\n".join(r.text for r in self.send(text, **extra))

    def press(self, reply: Reply, label: str) -> list[Reply]:
        choice = next(c for c in reply.choices if c.label == label)
        return self.send(button=choice.data, message_id=None)


def make_invite(engine, clock, role="secretary", branch="一村", name=None, days=7) -> str:
    with session_scope(engine) as s:
        org = admin.get_org(s)
        b = admin.branch_named(s, org, branch) if branch else None
        return invites.create_invite(s, clock, org, b, role, timedelta(days=days), name).code


@pytest.fixture
def files_dir(tmp_path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def tg_router(engine, clock, files_dir) -> Router:
    return Router(engine, DEFAULT_REGISTRY, TZ, clock, files_dir=files_dir)


@pytest.fixture
def bound_secretary(tg_router, engine, clock, town) -> Person:
    """A Telegram user who redeemed a secretary invitation for 一村."""
    person = Person(tg_router, "1001", name="周书记")
    assert "绑定成功" in person(f"/start {make_invite(engine, clock)}")
    return person


# ---------------------------------------------------------------- invitations


def test_an_invitation_binds_a_new_member_with_its_role(tg_router, engine, clock, town):
    person = Person(tg_router, "1001", name="周书记")
    reply = person(f"/start {make_invite(engine, clock, 'committee')}")
    assert "绑定成功" in reply and "周书记" in reply and "一村党支部" in reply
    assert "支委委员" in reply
    assert "周书记（一村党支部 · 支委委员）" in person("/whoami")
    with session_scope(engine) as s:
        member = s.exec(select(Member).where(Member.name == "周书记")).one()
        assert (member.branch_id, member.branch_role) == (town.branch1, "committee")


def test_an_invitation_naming_a_listed_member_binds_that_member(tg_router, engine, clock, town):
    code = make_invite(engine, clock, "secretary", name="王党员")
    assert "王党员" in Person(tg_router, "1002", name="小王")(f"/start {code}")
    with session_scope(engine) as s:
        members = s.exec(select(Member).where(Member.name == "王党员")).all()
        assert len(members) == 1 and members[0].branch_role == "secretary"  # promoted, not copied
        assert s.exec(select(Identity).where(Identity.external_id == "1002")).one()


def test_a_leader_invitation_has_no_branch(tg_router, engine, clock, town):
    person = Person(tg_router, "1003", name="镇书记")
    person(f"/start {make_invite(engine, clock, 'leader', branch=None)}")
    assert "镇党委领导" in person("/whoami")
    assert "示范镇党委" in person("/status")


def test_a_code_works_once(tg_router, engine, clock, town):
    code = make_invite(engine, clock)
    assert "绑定成功" in Person(tg_router, "1001")(f"/start {code}")
    second = Person(tg_router, "1002")
    assert "已经用过" in second(f"/start {code}")
    assert "不认识你" in second("/status")


def test_an_expired_code_is_refused(tg_router, engine, town):
    code = make_invite(engine, fixed_clock(local(2026, 3, 1, 9)), days=7)
    person = Person(tg_router, "1001")
    assert "已过期" in person(f"/start {code}")
    assert "不认识你" in person("/whoami") or "还不认识你" in person("/whoami")


@pytest.mark.parametrize("code", ["nonsense-code-123", "x", "' OR 1=1 --"])
def test_an_unknown_code_is_refused_and_binds_nothing(tg_router, engine, town, code):
    assert "邀请码无效" in Person(tg_router, "1001")(f"/start {code}")
    with session_scope(engine) as s:
        assert s.exec(select(Identity).where(Identity.platform == TG)).all() == []


def test_a_bound_user_cannot_take_a_second_identity(bound_secretary, engine, clock):
    code = make_invite(engine, clock, "member", branch="二村")
    assert "已绑定为“周书记”" in bound_secretary(f"/start {code}")
    with session_scope(engine) as s:
        assert s.exec(select(Invite).where(Invite.used_at.is_(None))).all()  # not consumed


def test_start_without_code_greets_without_revealing_anything(tg_router, town):
    reply = Person(tg_router, "1009")("/start")
    assert "邀请链接" in reply and "一村" not in reply and "示范镇" not in reply
    assert "还不认识你" in Person(tg_router, "1009")("/whoami")


def test_only_a_hash_of_the_code_is_stored(engine, clock, town):
    code = make_invite(engine, clock)
    with session_scope(engine) as s:
        (row,) = s.exec(select(Invite)).all()
        assert code not in row.code_hash and row.code_hash == invites.hash_code(code)


@pytest.mark.parametrize("text", ["7", "7 weeks", "-1d", ""])
def test_bad_durations_are_explained(text):
    with pytest.raises(invites.DomainError) as exc:
        invites.parse_duration(text)
    assert exc.value.key == "bad_duration"


@pytest.mark.parametrize("text", ["0d", "0m", "366d", "99999d", "999999999d"])
def test_durations_out_of_range_name_the_range(text):
    with pytest.raises(invites.AdminError) as exc:
        invites.parse_duration(text)
    said = error_text(exc.value, ZH)
    assert "超出范围" in said and "1m" in said and "365d" in said


# ---------------------------------------------------------------- /bindgroup


def test_a_secretary_binds_a_group_to_their_branch(bound_secretary, tg_router, engine):
    group = Person(tg_router, "1001", chat="-100500", name="周书记")
    assert "本群尚未绑定" in group("/whoami")
    assert "本群已绑定到一村党支部" in group("/bindgroup@ZhibuTestBot")
    assert "本群已绑定到一村党支部" in group("/whoami")
    with session_scope(engine) as s:
        binding = s.exec(select(ChatBinding).where(ChatBinding.chat_id == "-100500")).one()
        assert binding.branch_id is not None


def test_bindgroup_needs_a_group_and_a_writer(bound_secretary, tg_router, engine, clock):
    assert "群聊里发送" in bound_secretary("/bindgroup")
    member = Person(tg_router, "2001", chat="-100600")
    member.chat = "2001"
    member(f"/start {make_invite(engine, clock, 'member')}")
    member.chat = "-100600"
    assert "没有权限" in member("/bindgroup")
    assert "不认识你" in Person(tg_router, "3001", chat="-100600")("/bindgroup")


def test_a_secretary_cannot_take_over_another_branchs_group(
    bound_secretary, tg_router, engine, clock
):
    other = Person(tg_router, "2002", name="吴书记")
    other(f"/start {make_invite(engine, clock, 'secretary', branch='二村')}")
    Person(tg_router, "2002", chat="-100700")("/bindgroup")
    reply = Person(tg_router, "1001", chat="-100700")("/bindgroup")
    assert "这个群属于其他支部" in reply and "二村" not in reply
    with session_scope(engine) as s:
        binding = s.exec(select(ChatBinding).where(ChatBinding.chat_id == "-100700")).one()
        assert binding.branch_id == town_branch(s, "二村党支部")


def town_branch(s, name: str) -> int:
    from storage.models import Branch

    return s.exec(select(Branch).where(Branch.name == name)).one().id


def test_a_leader_binds_the_leaders_group_or_a_named_branch(tg_router, engine, clock, town):
    Person(tg_router, "9001")(f"/start {make_invite(engine, clock, 'leader', branch=None)}")
    assert "示范镇党委" in Person(tg_router, "9001", chat="-1")("/bindgroup")
    assert "二村党支部" in Person(tg_router, "9001", chat="-2")("/bindgroup 二村")


# ---------------------------------------------------------------- /unbindgroup


def bound_group(engine, chat: str) -> ChatBinding | None:
    with session_scope(engine) as s:
        return s.exec(select(ChatBinding).where(ChatBinding.chat_id == chat)).first()


def test_a_secretary_unbinds_the_wrong_group(bound_secretary, tg_router, engine):
    group = Person(tg_router, "1001", chat="-100500", name="周书记")
    group("/bindgroup")
    reply = group("/unbindgroup@ZhibuTestBot")
    assert "本群已与一村党支部解除绑定" in reply and "/bindgroup" in reply
    assert bound_group(engine, "-100500") is None
    assert "本群尚未绑定" in group("/whoami")
    assert "尚未绑定，无需解绑" in group("/unbindgroup")
    assert "本群已绑定到一村党支部" in group("/bindgroup")  # and it can be bound again


def test_unbindgroup_outside_a_bound_group_says_what_to_do(bound_secretary, tg_router):
    assert "请在要解绑的群聊里发送 /unbindgroup" in bound_secretary("/unbindgroup")
    unbound = Person(tg_router, "1001", chat="-100800")
    assert "尚未绑定，无需解绑" in unbound("/unbindgroup")


def test_only_the_branchs_writers_and_leaders_may_unbind(bound_secretary, tg_router, engine, clock):
    Person(tg_router, "1001", chat="-100500")("/bindgroup")
    member = Person(tg_router, "2001")
    member(f"/start {make_invite(engine, clock, 'member')}")
    other = Person(tg_router, "2002")
    other(f"/start {make_invite(engine, clock, 'secretary', branch='二村')}")
    for user, refusal in (("2001", "没有权限"), ("2002", "这个群属于其他支部")):
        reply = Person(tg_router, user, chat="-100500")("/unbindgroup")
        assert refusal in reply and "一村" not in reply
    assert "不认识你" in Person(tg_router, "3001", chat="-100500")("/unbindgroup")
    assert bound_group(engine, "-100500") is not None
    committee = Person(tg_router, "2003")
    committee(f"/start {make_invite(engine, clock, 'committee')}")
    assert "解除绑定" in Person(tg_router, "2003", chat="-100500")("/unbindgroup")
    assert bound_group(engine, "-100500") is None


def test_a_leader_unbinds_any_group_of_the_town_and_only_leaders_the_leaders_group(
    bound_secretary, tg_router, engine, clock
):
    Person(tg_router, "9001")(f"/start {make_invite(engine, clock, 'leader', branch=None)}")
    Person(tg_router, "9001", chat="-1")("/bindgroup")
    Person(tg_router, "1001", chat="-100500")("/bindgroup")
    assert "没有权限" in Person(tg_router, "1001", chat="-1")("/unbindgroup")
    assert bound_group(engine, "-1") is not None
    leader_in_branch_group = Person(tg_router, "9001", chat="-100500")
    assert "本群已与一村党支部解除绑定" in leader_in_branch_group("/unbindgroup")
    assert "本群已与示范镇党委解除绑定" in Person(tg_router, "9001", chat="-1")("/unbindgroup")
    assert bound_group(engine, "-1") is None and bound_group(engine, "-100500") is None
    with session_scope(engine) as s:  # the trail says who released the secretary's group
        trail = s.exec(
            select(AuditEvent.action, Member.name, AuditEvent.after)
            .join(Member, Member.id == AuditEvent.actor_member_id)
            .where(AuditEvent.entity == "chat_binding")
            .order_by(AuditEvent.id)
        ).all()
    assert [(action, who, after["chat_id"]) for action, who, after in trail] == [
        ("bind_chat", "张三", "-1"),
        ("bind_chat", "周书记", "-100500"),
        ("unbind_chat", "张三", "-100500"),
        ("unbind_chat", "张三", "-1"),
    ]


def test_a_leader_of_another_town_cannot_unbind_a_group(bound_secretary, tg_router, engine, clock):
    Person(tg_router, "1001", chat="-100500")("/bindgroup")
    with session_scope(engine) as s:
        other = admin.create_org(s, clock, "别镇党委")
        code = invites.create_invite(s, clock, other, None, "leader", timedelta(days=1)).code
    Person(tg_router, "8001")(f"/start {code}")
    reply = Person(tg_router, "8001", chat="-100500")("/unbindgroup")
    assert "没有权限" in reply and "一村" not in reply
    assert bound_group(engine, "-100500") is not None


def test_a_redelivered_unbind_does_not_undo_a_binding_made_since(
    bound_secretary, tg_router, engine
):
    group = Person(tg_router, "1001", chat="-100500")
    group("/bindgroup")
    group.send("/unbindgroup", message_id="77")
    group("/bindgroup")
    assert "已经处理过了" in "".join(r.text for r in group.send("/unbindgroup", message_id="77"))
    assert bound_group(engine, "-100500") is not None


# ---------------------------------------------------------------- buttons


def test_a_guided_log_by_buttons(bound_secretary, engine):
    (q1,) = bound_secretary.send("/log")
    assert q1.asks and "支委会" in [c.label for c in q1.choices]
    (q2,) = bound_secretary.press(q1, "支委会")
    assert [c.label for c in q2.choices] == ["今天", "昨天", "其他日期"]
    (q3,) = bound_secretary.press(q2, "昨天")
    assert "出席多少人" in q3.text and not q3.choices
    (q4,) = bound_secretary.send("应到7 实到6")
    (skip,) = [c for c in q4.choices if c.label == "跳过"]
    assert skip
    (confirm,) = bound_secretary.press(q4, "跳过")
    assert "请核对" in confirm.text and "2026年3月19日" in confirm.text
    (again,) = bound_secretary.press(confirm, "改日期")
    (other,) = bound_secretary.press(again, "其他日期")
    assert "直接输入日期" in other.text and not other.choices
    (confirm2,) = bound_secretary.send("3月18日")
    assert "2026年3月18日" in confirm2.text
    (saved,) = bound_secretary.press(confirm2, "✅ 保存")
    assert "已记录" in saved.text and saved.record is not None
    with session_scope(engine) as s:
        (a,) = s.exec(select(Activity)).all()
        assert (a.type_code, str(a.held_on), a.present, a.expected) == (
            "committee_meeting",
            "2026-03-18",
            6,
            7,
        )


def test_old_forged_and_foreign_buttons_change_nothing(bound_secretary, tg_router, engine):
    (q1,) = bound_secretary.send("/log")
    (q2,) = bound_secretary.press(q1, "支委会")
    stale = bound_secretary.press(q1, "党课")  # the type question was already answered
    assert stale[0].alert and "已失效" in stale[0].text
    for forged in ("q:zz:0", "q:" + q2.choices[0].data.split(":")[1] + ":99", "x", ""):
        (reply,) = bound_secretary.send(button=forged, message_id=None)
        assert reply.alert
    stranger = Person(tg_router, "7777")
    (reply,) = stranger.send(button=q2.choices[0].data, message_id=None)
    assert reply.alert and "支委会" not in reply.text
    (q3,) = bound_secretary.press(q2, "今天")  # the real question is still open
    assert "出席多少人" in q3.text
    with session_scope(engine) as s:
        assert s.exec(select(Activity)).all() == []


# ---------------------------------------------------------------- attachments


def photo(n: int = 1, size: int = 1000) -> tuple[FileRef, ...]:
    return (FileRef(f"file-{n}", f"uniq-{n}", "photo", None, "image/jpeg", size),)


def logged(person: Person) -> Reply:
    (reply,) = person.send("/log 支委会 昨天 出席7人")
    assert reply.record is not None
    return reply


def test_a_photo_in_reply_to_the_confirmation_is_attached(bound_secretary, tg_router, engine):
    confirmation = logged(bound_secretary)
    assert "回复本条消息" in confirmation.text
    tg_router.message_sent(TG, "1001", "555", confirmation)
    tg_router.message_sent(TG, "1001", "555", confirmation)  # told twice: still one note
    (reply,) = bound_secretary.send("", reply_to="555", files=photo())
    assert f"已为记录 #{confirmation.record} 添加附件" in reply.text
    (download,) = reply.downloads
    assert download.path.parent.name == str(confirmation.record)
    download.path.parent.mkdir(parents=True)
    download.path.write_bytes(b"jpeg")
    tg_router.file_saved(download, 4)
    with session_scope(engine) as s:
        (row,) = s.exec(select(Attachment)).all()
        assert (row.activity_id, row.kind, row.size, row.path) == (
            confirmation.record,
            "photo",
            4,
            str(download.path),
        )


def test_a_caption_names_the_record_and_a_second_copy_is_not_stored(bound_secretary, engine):
    record = logged(bound_secretary).record
    doc = (FileRef("f9", "u9", "document", "../../签到表 3月.xlsx", "application/x", 2048),)
    (first,) = bound_secretary.send(f"/attach {record}", files=doc)
    assert "签到表 3月.xlsx" in first.text
    assert first.downloads[0].path.name.endswith("签到表_3月.xlsx")  # no path tricks
    (again,) = bound_secretary.send(f"/attach {record}", files=doc)
    assert "已经是记录" in again.text and not again.downloads
    with session_scope(engine) as s:
        assert len(s.exec(select(Attachment)).all()) == 1


def test_others_cannot_attach_to_a_record(bound_secretary, tg_router, engine, clock):
    record = logged(bound_secretary).record
    other = Person(tg_router, "2002")
    other(f"/start {make_invite(engine, clock, 'secretary', branch='二村')}")
    assert f"找不到编号为 {record}" in other(f"/attach {record}", files=photo()) or "找不到" in (
        other(f"/attach {record}", files=photo())
    )
    assert "不认识你" in Person(tg_router, "7777")(f"/attach {record}", files=photo())
    with session_scope(engine) as s:
        assert s.exec(select(Attachment)).all() == []


def test_a_photo_that_is_not_addressed_to_the_bot(bound_secretary, tg_router):
    assert "回复该记录的确认消息" in bound_secretary("", files=photo())
    assert "不认识你" in Person(tg_router, "7777")("", files=photo())
    group = Person(tg_router, "1001", chat="-100500")
    assert group.send("看看今天的照片", files=photo()) == []  # group chatter


def test_a_file_too_big_to_download_is_noted_but_not_fetched(bound_secretary):
    record = logged(bound_secretary).record
    (reply,) = bound_secretary.send(f"/attach {record}", files=photo(size=30 * 1024 * 1024))
    assert "超过 20MB" in reply.text and not reply.downloads


# ---------------------------------------------------------------- senders we cannot name

ANONYMOUS = "无法知道是谁发的"


def test_an_anonymous_command_is_explained_and_done_for_nobody(bound_secretary, tg_router, engine):
    group = Person(tg_router, "1001", chat="-100500")
    group("/bindgroup")
    # the account named beside an anonymous message is a stand-in, whatever it says
    for text in ("/log 支委会 昨天 出席7人", "/unbindgroup@ZhibuTestBot", "/status", "/help"):
        reply = group(text, anonymous=True)
        assert ANONYMOUS in reply and "保持匿名" in reply and "一村" not in reply
    with session_scope(engine) as s:
        assert s.exec(select(Activity)).all() == []
    assert bound_group(engine, "-100500") is not None


def test_anonymous_chatter_and_other_bots_commands_get_no_answer(bound_secretary, tg_router):
    group = Person(tg_router, "", chat="-100500")
    assert group.send("明天下午三点开支委会", anonymous=True) == []
    assert group.send("记录 支委会 昨天", anonymous=True) == []  # words need a slash in groups
    assert group.send("/ban 广告号", anonymous=True) == []  # not ours: another bot's


def test_an_anonymous_file_in_reply_to_a_confirmation_is_not_attached(
    bound_secretary, tg_router, engine
):
    confirmation = logged(bound_secretary)
    tg_router.message_sent(TG, "-100500", "555", confirmation)
    group = Person(tg_router, "", chat="-100500")
    assert ANONYMOUS in group("", reply_to="555", files=photo(), anonymous=True)
    assert group.send("", files=photo(), anonymous=True) == []  # a photo shared in the group
    with session_scope(engine) as s:
        assert s.exec(select(Attachment)).all() == []


# ---------------------------------------------------------------- found in review


def test_a_leader_of_another_town_neither_learns_nor_takes_a_group(tg_router, engine, clock, town):
    Person(tg_router, "1001")(f"/start {make_invite(engine, clock)}")
    Person(tg_router, "1001", chat="-100500")("/bindgroup")
    with session_scope(engine) as s:
        other = admin.create_org(s, clock, "别镇党委")
        admin.add_branch(s, clock, other, "别村党支部", "别村")
        code = invites.create_invite(s, clock, other, None, "leader", timedelta(days=1)).code
    Person(tg_router, "8001")(f"/start {code}")
    stranger_leader = Person(tg_router, "8001", chat="-100500")
    assert "一村" not in stranger_leader("/whoami")
    assert "一村" not in stranger_leader("/bindgroup 别村")
    with session_scope(engine) as s:
        binding = s.exec(select(ChatBinding).where(ChatBinding.chat_id == "-100500")).one()
        assert (binding.org_id, binding.branch_id) == (town.org_id, town.branch1)


def test_an_invitation_never_hands_over_a_namesakes_account(tg_router, engine, clock, town):
    Person(tg_router, "1001")(f"/start {make_invite(engine, clock, 'secretary', name='王党员')}")
    Person(tg_router, "1002")(f"/start {make_invite(engine, clock, 'member', name='王党员')}")
    with session_scope(engine) as s:
        owners = {
            i.external_id: i.member_id
            for i in s.exec(select(Identity).where(Identity.platform == TG)).all()
        }
        assert owners["1001"] != owners["1002"]
        first = s.get(Member, owners["1001"])
        assert first is not None and first.branch_role == "secretary"  # not demoted


def test_typed_labels_answer_like_buttons(bound_secretary, engine):
    bound_secretary("/log 支委会 昨天 出席7人 ")  # complete: saved at once
    bound_secretary("/log")
    bound_secretary("党课")
    bound_secretary("今天")
    bound_secretary("12")
    assert "请核对" in bound_secretary("跳过")
    assert "哪天" in bound_secretary("改日期")
    assert "直接输入日期" in bound_secretary("其他日期")
    bound_secretary("3月18日")
    assert "已记录" in bound_secretary("保存")
    with session_scope(engine) as s:
        lecture = s.exec(select(Activity).where(Activity.type_code == "party_lecture")).one()
        assert lecture.topic is None and str(lecture.held_on) == "2026-03-18"


def test_quick_answer_words_mean_nothing_in_other_questions(bound_secretary, engine):
    assert "承诺的内容" in bound_secretary("/commit")
    reply = bound_secretary("skip")
    assert "承诺的内容" in reply and "截止" not in reply  # it skips nothing: asked again


def test_a_webhook_without_a_secret_is_refused():
    from core.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as exc:
        load_settings(None, telegram={"webhook_url": "https://example.org/tg"})
    assert "webhook_secret" in str(exc.value)


def test_binding_a_group_again_brings_back_a_chat_that_blocked_the_bot(
    bound_secretary, tg_router, engine, clock
):
    from jobs.outbox import mark_unreachable

    group = Person(tg_router, "1001", chat="-100500")
    group("/bindgroup")
    with session_scope(engine) as s:
        mark_unreachable(s, TG, "-100500", clock())
    assert "已绑定到一村党支部" in group("/bindgroup")
    with session_scope(engine) as s:
        binding = s.exec(select(ChatBinding).where(ChatBinding.chat_id == "-100500")).one()
        assert binding.unreachable_at is None


# ---------------------------------------------------------------- /status pages


@pytest.fixture
def big_town(engine, clock, town):
    """Ninety more branches, none of which has held anything: all are behind."""
    with session_scope(engine) as s:
        org = admin.get_org(s)
        for n in range(90):
            admin.add_branch(s, FOUNDED, org, f"第{n + 1:02d}村党支部")
    return town


def leader_of(router: Router, engine, clock) -> Person:
    person = Person(router, "9001", name="镇书记")
    person(f"/start {make_invite(engine, clock, 'leader', branch=None)}")
    return person


def test_a_long_overview_is_paged_with_buttons(tg_router, engine, clock, big_town):
    leader = leader_of(tg_router, engine, clock)
    (first,) = leader.send("/status 2026Q1")
    assert "第1/3页" in first.text and len(first.text) <= 4096
    assert [c.label for c in first.choices] == ["下一页 ➡️"]
    (second,) = leader.press(first, "下一页 ➡️")
    assert second.edit and "第2/3页" in second.text and "2026年第一季度" in second.text
    assert [c.label for c in second.choices] == ["⬅️ 上一页", "下一页 ➡️"]
    first_names = {line.split()[1] for line in first.text.splitlines() if line.startswith("❌")}
    second_names = {line.split()[1] for line in second.text.splitlines() if line.startswith("❌")}
    assert len(first_names) == 40 and not first_names & second_names
    (third,) = leader.send("/status 2026Q1 第3页")
    assert "第3/3页" in third.text and [c.label for c in third.choices] == ["⬅️ 上一页"]


def test_a_page_past_the_last_shows_the_last_with_its_own_buttons(
    tg_router, engine, clock, big_town
):
    leader = leader_of(tg_router, engine, clock)
    (last,) = leader.send("/status 2026Q1 第9页")
    assert "第3/3页" in last.text and [c.label for c in last.choices] == ["⬅️ 上一页"]
    (only,) = leader.send("/status 2026年3月 第2页")  # every branch behind: still 3 pages
    assert "第2/3页" in only.text


def test_a_page_button_answers_with_the_pressers_own_rights(bound_secretary, tg_router, big_town):
    (reply,) = bound_secretary.send(button="s:1:2026Q1", message_id=None)
    assert "一村党支部" in reply.text and "第05村" not in reply.text and "页" not in reply.text
    (stranger,) = Person(tg_router, "7777").send(button="s:1:2026Q1", message_id=None)
    assert stranger.alert and "村" not in stranger.text
