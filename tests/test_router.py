"""Talking to the bot: one-line commands, guided dialogs, corrections, idempotency."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from sqlmodel import Session, func, select

from bot.commands import BY_NAME
from bot.router import Incoming, Router
from core.periods import fixed_clock
from core.rules import DEFAULT_REGISTRY
from storage.models import Activity, AuditEvent, Branch, Commitment, DialogState, PartyGroup
from tests.conftest import TZ, Chat, local


def activities(engine, **where) -> list[Activity]:
    with Session(engine) as s:
        stmt = select(Activity).where(Activity.deleted_at == None)  # noqa: E711
        for key, value in where.items():
            stmt = stmt.where(getattr(Activity, key) == value)
        return list(s.exec(stmt.order_by(Activity.id)).all())


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def commitment_id(reply: str) -> str:
    """The number in '📌 已登记承诺 #12（支部承诺）：…'."""
    return reply.split("#")[1].split("（")[0]


def commitment(engine, cid: str) -> Commitment:
    with Session(engine) as s:
        row = s.get(Commitment, int(cid))
        assert row is not None
        return row


def test_one_line_log_with_every_field(chat, engine):
    reply = chat()("/log 党员大会 2026-03-18 应到25 实到22 主持:张三 记录:李四 地点:村委会")
    assert reply.startswith("✅ 已记录 #")
    (a,) = activities(engine)
    assert (a.type_code, a.held_on, a.expected, a.present, a.absent) == (
        "general_meeting",
        date(2026, 3, 18),
        25,
        22,
        3,
    )
    assert (a.host, a.recorder, a.place) == ("张三", "李四", "村委会")
    assert "✅ 支部党员大会 1/1（2026年第一季度）" in reply


def test_log_with_topic_and_absent(chat, engine):
    chat()("/log 支委会 3月5日 出席7人 缺席1人 主题:学习贯彻全会精神")
    (a,) = activities(engine)
    assert (a.held_on, a.present, a.absent, a.expected, a.topic) == (
        date(2026, 3, 5),
        7,
        1,
        8,
        "学习贯彻全会精神",
    )


def test_full_width_and_chinese_punctuation_are_understood(chat, engine):
    reply = chat()("／ｌｏｇ　支委会，３月５日，出席７人，主题：学习党章")
    assert "已记录" in reply
    (a,) = activities(engine)
    assert (a.held_on, a.present, a.topic) == (date(2026, 3, 5), 7, "学习党章")


def test_command_addressed_to_the_bot_by_name(chat, engine):
    assert "已记录" in chat()("/log@ZhibuBot 支委会 昨天 7人")
    assert activities(engine)[0].held_on == date(2026, 3, 19)


def test_chinese_command_word_and_group_question(chat, engine):
    sec = chat()
    reply = sec("记录 党小组会 昨天 8人参加")
    assert "哪个党小组" in reply and not activities(engine)
    done = sec("2")
    assert "已记录" in done and "党小组会 · 第二党小组" in done
    (a,) = activities(engine)
    with Session(engine) as s:
        assert s.get(PartyGroup, a.party_group_id).name == "第二党小组"  # type: ignore[union-attr]
    assert (a.held_on, a.present) == (date(2026, 3, 19), 8)


def test_group_named_in_the_line(chat, engine):
    assert "已记录" in chat()("/log 党小组会 第一党小组 3月3日 6人")
    assert activities(engine)[0].party_group_id is not None


def test_study_session_needs_hours(chat, engine):
    sec = chat()
    assert "多长时间" in sec("/study 集中学习 3月10日 18人 主题:党章")
    assert "已记录" in sec("2小时")
    (a,) = activities(engine)
    assert (a.type_code, a.hours, a.present, a.topic) == ("study_session", 2.0, 18, "党章")


def test_study_refuses_a_meeting_type(chat, engine):
    assert "不是学习活动" in chat()("/study 支委会 3月10日 2小时 7人")
    assert not activities(engine)


def test_bad_input_gets_a_hint_and_writes_nothing(chat, engine):
    sec = chat()
    audit_before = count(engine, AuditEvent)
    cases = {
        "/log 支委会 3月25日 7人": "还没到",
        "/log 支为会 昨天 8人": "没认出活动类型“支为会”",
        "/log 党员大会 昨天 应到10 实到12": "实到 12 人多于应到 10 人",
        "/log 支委会 2月30日 7人": "不存在",
        "/log 支委会 昨天 7人 16:00-14:00": "结束时间要晚于开始时间",
        "/study 集中学习 昨天 30小时 7人": "时长",
        "/log 支委会 2024-03-01 7人": "超过一年",
    }
    for line, expected in cases.items():
        reply = sec(line)
        assert expected in reply, (line, reply)
        assert "例如" in reply or "请" in reply
    assert count(engine, Activity) == 0
    assert count(engine, AuditEvent) == audit_before


def test_guided_dialog_from_nothing(chat, engine):
    sec = chat()
    assert "什么活动" in sec("/log")
    assert "哪天" in sec("支委会")
    assert "还没到" in sec("明天")  # a wrong answer is explained and asked again
    assert "出席多少人" in sec("3月18日")
    assert "没看懂" in sec("很多")
    assert "主题是什么" in sec("应到9 实到8")
    confirm = sec("研究春耕备耕")
    assert "请核对" in confirm and "主题：研究春耕备耕" in confirm
    assert activities(engine) == []  # nothing is saved before the secretary confirms
    assert "已记录" in sec("保存")
    (a,) = activities(engine)
    assert (a.type_code, a.held_on, a.expected, a.present, a.topic) == (
        "committee_meeting",
        date(2026, 3, 18),
        9,
        8,
        "研究春耕备耕",
    )
    assert count(engine, DialogState) == 0


def test_dialog_survives_a_restart(engine, town, clock):
    first = Router(engine, DEFAULT_REGISTRY, TZ, clock)
    assert "哪天" in _say(first, "/log 主题党日 6人", "1")
    restarted = Router(engine, DEFAULT_REGISTRY, TZ, clock)
    assert "已记录" in _say(restarted, "3月10日", "2")
    assert activities(engine)[0].held_on == date(2026, 3, 10)


def test_dialog_expires(engine, town, clock):
    _say(Router(engine, DEFAULT_REGISTRY, TZ, clock), "/log 主题党日 6人", "1")
    later = fixed_clock(clock() + timedelta(minutes=31))
    reply = _say(Router(engine, DEFAULT_REGISTRY, TZ, later), "3月10日", "2")
    assert "已超时" in reply and "重新发送" in reply
    assert not activities(engine)
    # said once: the next plain message is ordinary again
    assert "请用命令告诉我" in _say(Router(engine, DEFAULT_REGISTRY, TZ, later), "3月10日", "3")


def test_cancel_drops_the_dialog(chat, engine):
    sec = chat()
    sec("/log 支委会 7人")
    assert "已取消" in sec("/cancel")
    assert "请用命令告诉我" in sec("3月10日")
    assert not activities(engine)
    assert "没有进行中的操作" in sec("/cancel")


def test_a_new_command_abandons_the_dialog(chat, engine):
    sec = chat()
    sec("/log 支委会 7人")
    sec("/list")
    assert "请用命令告诉我" in sec("3月10日")


def test_same_message_twice_makes_one_record(chat, engine):
    sec = chat()
    assert "已记录" in sec("/log 支委会 昨天 7人", message_id="42")
    assert "已经记录过了" in sec("/log 支委会 昨天 7人", message_id="42")
    assert len(activities(engine)) == 1
    assert "已经登记过了" in sec("/commit 修路 截止6月30日", "43") + sec(
        "/commit 修路 截止6月30日", "43"
    )
    assert count(engine, Commitment) == 1


def test_quorum_warning_for_a_thin_meeting(chat):
    reply = chat()("/log 党员大会 昨天 应到20 实到10")
    assert "已记录" in reply and "半数" in reply


def test_undo_removes_only_my_last_record(chat, engine):
    sec, com = chat("sec1"), chat("com1")
    sec("/log 支委会 3月5日 7人")
    com("/log 主题党日 3月10日 12人")
    reply = sec("/undo")
    assert "已撤销" in reply and "支委会" in reply
    assert [a.type_code for a in activities(engine)] == ["theme_day"]
    assert "没有可撤销" in sec("/undo")
    with Session(engine) as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity == "activity")).all()
    assert sorted(actions) == ["create", "create", "delete"]


def test_edit_changes_a_field_and_keeps_the_record_valid(chat, engine):
    sec = chat()
    sec("/log 党员大会 3月5日 应到20 实到15")
    record_id = activities(engine)[0].id
    reply = sec(f"/edit {record_id} 地点:村委会 14:00-16:00")
    assert "已修改" in reply and "村委会" in reply
    a = activities(engine)[0]
    assert (a.place, a.start_time, a.end_time) == ("村委会", time(14), time(16))
    assert "多于应到" in sec(f"/edit {record_id} 实到30人")
    assert activities(engine)[0].present == 15
    assert "用法" in sec(f"/edit {record_id} 随便写点")
    assert "找不到编号为 999" in sec("/edit 999 地点:村委会")


def test_commitment_lifecycle(chat, engine):
    sec = chat()
    reply = sec("/commit 完成村道硬化2公里 截止6月30日")
    assert "已登记承诺" in reply and "2026年6月30日" in reply
    cid = _only(engine, Commitment).id
    assert "完成村道硬化2公里" in sec("/commitments")
    assert "已兑现" in sec(f"/done {cid} 已验收")
    c = _only(engine, Commitment)
    assert (c.status, c.fulfilled_on, c.evidence) == ("fulfilled", date(2026, 3, 20), "已验收")
    assert "已是“已兑现”，无需再次操作" in sec(f"/done {cid}")
    assert "没有进行中的承诺" in sec("/commitments")


def test_commitment_questions_and_errors(chat, engine):
    sec = chat()
    assert "什么时候之前完成" in sec("/commit 走访困难群众")
    assert "已登记承诺" in sec("4月30日")
    assert "截止日期" in sec("/commit 修路 截止2026-01-01")
    cid = _only(engine, Commitment).id
    assert "原因" in sec(f"/withdraw {cid}")
    assert "已撤销" in sec(f"/withdraw {cid} 上级调整")
    assert _only(engine, Commitment).status == "withdrawn"
    assert "个人承诺" in sec("/commit 个人 每月走访5户 截止12月31日")


def test_status_for_a_secretary_and_for_a_leader(chat):
    sec, leader = chat(), chat("leader", "town")
    sec("/log 支委会 3月5日 7人")
    mine = sec("/status")
    assert "一村党支部 · 2026年3月" in mine and "✅ 支委会 1/1" in mine
    assert "二村" not in mine
    quarter = sec("/status 本季度")
    assert "2026年第一季度" in quarter and "支委会 1/3" in quarter
    assert "2026年第一季度" in sec("/status 2026Q1")
    town = leader("/status")
    assert "示范镇党委" in town and "一村党支部" in town and "二村党支部" in town
    detail = leader("/status 一村 2026-03")
    assert "一村党支部 · 2026年3月" in detail and "✅ 支委会 1/1" in detail
    owed = leader("/status 党课")
    assert "一村党支部" in owed and "二村党支部" in owed and "党课 0/1" in owed
    assert "没看懂" in leader("/status 一村 二村 三村")


def test_leader_logs_town_level_work(chat, engine):
    reply = chat("leader", "town")("/log 党建调研 3月3日 12人 主题:人居环境")
    assert "已记录" in reply
    (a,) = activities(engine)
    assert (a.branch_id, a.type_code) == (None, "town_research")


def test_help_lists_every_command_with_an_example(chat):
    from bot.commands import COMMANDS

    text = chat()("/help")
    for c in COMMANDS:
        if c.audience not in ("leader", "hidden"):
            assert f"/{c.name}" in text and c.example in text
    assert "/excuse" not in text and "/start" not in text
    assert "/excuse" in chat("leader", "town")("/help")
    member = chat("mem1")("/help")
    assert "/status" in member and "/log" not in member and "/undo" not in member
    leader = chat("leader", "town")("/help")  # no branch: logs the town's work only
    assert "/log" in leader and "/report" in leader
    assert not any(f"/{name} " in leader for name in ("study", "commit", "done", "explain"))


def test_a_hint_shows_the_command_that_was_sent(chat):
    sec = chat()
    assert sec("/explain 3") == "还缺少原因。例如：/explain 3 资金未到位，明年续建"
    unknown = sec("/study 外出 昨天 2小时 18人")
    assert unknown.endswith("例如：/study 集中学习 3月10日 2小时 18人 主题:党章")
    assert sec("/log 大会 昨天 8人").endswith(
        "例如：/log 支委会 3月5日 出席7人 缺席1人 主题:学习贯彻全会精神"
    )


def test_study_takes_the_short_names_secretaries_use(chat):
    sec = chat()
    assert "集中学习 · 2026年3月19日" in sec("/study 集中 昨天 2小时 18人")
    assert "辅导报告 · 2026年3月19日" in sec("/study 辅导 昨天 2小时 18人")


def test_unknown_command_and_plain_text(chat):
    sec = chat()
    assert "没有“/foo”这个命令" in sec("/foo")
    assert "/help" in sec("你好")


def test_group_chatter_is_ignored(router, town):
    msg = Incoming("console", "branch1", "sec1", "大家好", "1", is_group=True)
    assert router.handle(msg) == []


@pytest.fixture
def english(engine, town, clock, tmp_path):
    """english('sec1', 'branch1') -> a callable that talks to an English-locale router."""
    router = Router(
        engine, DEFAULT_REGISTRY, TZ, clock, locale="en", exports_dir=tmp_path / "exports"
    )

    def make(user: str = "sec1", chat_id: str = "branch1") -> Chat:
        return Chat(router, user, chat_id)

    return make


def test_english_locale(engine, town, clock):
    en = Router(engine, DEFAULT_REGISTRY, TZ, clock, locale="en")
    reply = en.handle(Incoming("console", "branch1", "sec1", "/log 支委会 3月25日 7人", "1"))
    assert "in the future" in reply[0].text


def _say(router: Router, text: str, message_id: str) -> str:
    return router.handle(Incoming("console", "branch1", "sec1", text, message_id))[0].text


def _only(engine, model):
    with Session(engine) as s:
        (row,) = s.exec(select(model)).all()
        return row


def test_clock_fixture_is_what_the_tests_assume(clock):
    assert clock() == local(2026, 3, 20, 10)


def test_status_parts_may_be_separated_by_commas_and_a_village_is_a_branch(chat):
    leader = chat("leader", "town")
    assert leader("/status 一村，上季度").startswith("📋 一村党支部 · 2025年第四季度")
    assert leader("/status 一村、2026Q1 党课").startswith("党课 · 2026年第一季度\n一村党支部：")
    assert leader("/status 1村").startswith("没有找到名为“1村”的支部")


def test_leader_status_in_a_branch_chat_shows_that_branch_only(chat):
    in_branch_chat = chat("leader", "branch1")
    reply = in_branch_chat("/status")
    assert "一村党支部 · 2026年3月" in reply and "二村" not in reply
    owed = in_branch_chat("/status 党课 本季度")  # nor the town's gaps rule by rule
    assert owed.startswith("党课 · 2026年第一季度") and "一村党支部" in owed and "二村" not in owed
    ledger = in_branch_chat("/report 本季度")  # nor the town's ledger
    assert "一村党支部 · 2026年第一季度 台账" in ledger and "示范镇党委" not in ledger


def test_plain_words_in_a_group_are_conversation_not_commands(router, town, engine):
    def group(text: str, mid: str) -> list:
        return router.handle(Incoming("console", "branch1", "sec1", text, mid, is_group=True))

    assert "已记录" in group("/log 支委会 3月5日 7人", "g1")[0].text
    assert group("撤销 刚才那个通知", "g2") == []
    assert group("学习 一下这个文件", "g3") == []
    assert len(activities(engine)) == 1
    assert "已撤销" in group("/undo", "g4")[0].text


def test_chinese_command_words_work_in_a_private_chat(chat, engine):
    sec = chat()
    assert "已记录" in sec("记录：支委会 3月5日 7人")
    assert "已记录" in sec("/log主题党日 3月6日 12人")
    assert len(activities(engine)) == 2


def test_cancel_words_during_a_question_drop_it_and_delete_nothing(chat, engine):
    sec = chat()
    sec("/log 支委会 3月5日 7人")
    assert "哪天" in sec("/log 党课 20人")
    assert "已取消" in sec("撤销")
    assert [a.type_code for a in activities(engine)] == ["committee_meeting"]


def test_answers_that_look_like_command_words_answer_the_question(chat, engine):
    sec = chat()
    assert "承诺的内容" in sec("/commit 截止6月30日")
    assert "已登记承诺" in sec("学习 党章 每月一次")
    assert _only(engine, Commitment).content == "学习 党章 每月一次"


def test_undo_only_within_24_hours(engine, town, clock):
    _say(Router(engine, DEFAULT_REGISTRY, TZ, clock), "/log 支委会 3月5日 7人", "1")
    day_later = fixed_clock(clock() + timedelta(hours=25))
    reply = _say(Router(engine, DEFAULT_REGISTRY, TZ, day_later), "/undo", "2")
    assert "超过24小时" in reply and "/edit" in reply
    assert len(activities(engine)) == 1


def test_edit_keeps_attendance_consistent_and_groups_assigned(chat, engine):
    sec = chat()
    sec("/log 党员大会 3月5日 应到16 实到12")
    a = activities(engine)[0]
    assert a.absent == 4
    sec(f"/edit {a.id} 实到14人")
    assert (activities(engine)[0].present, activities(engine)[0].absent) == (14, 2)
    assert "至少为 1 人" in sec(f"/edit {a.id} 实到0人")
    assert "可选：第一党小组、第二党小组" in sec(f"/edit {a.id} 党小组会")
    assert "已修改" in sec(f"/edit {a.id} 党小组会 小组:第二小组")
    edited = activities(engine)[0]
    with Session(engine) as s:
        group = s.get(PartyGroup, edited.party_group_id)
    assert (edited.type_code, group.name) == ("group_meeting", "第二党小组")  # type: ignore[union-attr]
    assert "不分党小组" in sec(f"/edit {a.id} 支委会 小组:第一党小组")
    sec(f"/edit {a.id} 支委会")
    assert activities(engine)[0].party_group_id is None


def test_over_long_fields_are_refused_on_every_backend(chat, engine):
    reply = chat()("/log 支委会 3月5日 7人 主题:" + "学" * 501)
    assert "主题太长了（最多 500 字）" in reply
    assert not activities(engine)


def test_zero_attendance_is_refused(chat, engine):
    assert "至少为 1 人" in chat()("/log 支委会 3月5日 应到0 实到0")
    assert not activities(engine)


def test_status_text_names_groups_reasons_and_what_is_open(chat, engine, town):
    from tests.helpers import add_activity

    add_activity(engine, town.branch1, "group_meeting", date(2026, 3, 3), group="第一党小组")
    chat("leader", "town")("/excuse 一村 支委会 2026-02 春节")
    text = chat()("/status 本季度")
    assert "党小组会（2026年第一季度）：第一党小组 1/3❌、第二党小组 0/3❌" in text
    assert "❌ 支委会 0/2（2026年第一季度） 未完成：1月；待完成：3月；免开：2月（春节）" in text
    assert "已谈 0 人 / 共 3 人" in text
    assert "支部承诺到期0件" in text and "个人承诺到期0件" in text
    march = chat()("/status 本月")  # the month and the group are in the line already
    assert "⏳ 党小组会（2026年3月）：第一党小组 1/1✅、第二党小组 0/1⏳ 待完成\n" in march
    assert "➖ 支委会 0/0（2026年2月） 免开：春节\n" in chat()("/status 2026-02")


def test_leader_overview_ranks_missed_before_open_and_names_silent_branches(chat, engine, town):
    from tests.helpers import add_activity

    add_activity(engine, town.branch1, "committee_meeting", date(2026, 3, 3))
    add_activity(engine, None, "town_research", date(2026, 3, 4), org_id=town.org_id)
    text = chat("leader", "town")("/status 本季度")
    lines = text.splitlines()
    assert lines[1].startswith("总体完成率")
    first, second = (
        next(i for i, x in enumerate(lines) if name in x) for name in ("一村党支部", "二村党支部")
    )
    assert lines[first].startswith("❌") and lines[second].startswith("❌")
    assert "30天以上没有活动记录：二村党支部" in text
    assert "镇党委：党建调研1次" in text


def test_overview_ties_keep_the_towns_own_branch_order(chat, engine, clock):
    from core import admin
    from storage.db import session_scope
    from tests.conftest import FOUNDED

    with session_scope(engine) as s:
        org = admin.get_org(s)
        for name in ("三村党支部", "七村党支部"):
            admin.add_branch(s, FOUNDED, org, name)
    lines = chat("leader", "town")("/status 2026Q1").splitlines()
    ranked = [line.split()[1] for line in lines if line.startswith(("❌", "⏳"))]
    assert ranked == ["一村党支部", "二村党支部", "三村党支部", "七村党支部"]  # not 一七三二


def test_a_future_period_is_not_reported_as_done(chat):
    town = chat("leader", "town")("/status 2027")
    assert "该时间段尚未开始" in town and "全部完成" not in town and "完成率" not in town
    assert "该时间段尚未开始" in chat("leader", "town")("/status 党课 2027Q1")
    assert "该时间段尚未开始" in chat()("/status 2027Q1")


def test_a_period_before_a_branch_was_set_up_owes_nothing(chat, engine, clock):
    from core import admin
    from storage.db import session_scope

    with session_scope(engine) as s:
        admin.add_branch(s, clock, admin.get_org(s), "新村党支部")  # set up today, 2026-03-20
    leader = chat("leader", "town")
    assert "本支部尚未成立，不作要求" in leader("/status 新村 2025")
    town = leader("/status 2025Q4")
    assert "该时间段尚未成立的支部（不作要求）：新村党支部" in town
    assert "尚未成立的支部（不作要求）：新村党支部" in leader("/status 党课 2025Q4")
    assert "新村" not in town.split("尚未成立")[0]  # neither behind nor 全部完成
    assert "新村党支部" in leader("/status 本季度")  # owes this quarter's meetings


def test_a_record_from_before_the_branch_was_set_up_says_it_counts_for_nothing(chat, engine, clock):
    from core import admin
    from storage.db import session_scope

    with session_scope(engine) as s:
        org = admin.get_org(s)
        admin.add_branch(s, clock, org, "新村党支部")  # set up today, 2026-03-20
        m = admin.add_member(s, clock, org, "吴书记", "新村党支部", "secretary")
        admin.bind_identity(s, m, "console", "sec9")
        admin.bind_chat(s, org, "console", "branch9", s.exec(select(Branch)).all()[-1])
    new = chat("sec9", "branch9")
    old = new("/log 支委会 2月5日 5人")
    assert "已记录" in old and "本支部自2026年3月20日起计入三会一课考核" in old
    fresh = new("/log 支委会 3月20日 5人")
    assert "计入三会一课考核" not in fresh and "✅ 支委会 1/1（2026年3月）" in fresh


def test_a_rule_report_lists_who_still_owes_it_first(chat, engine, town):
    from tests.helpers import add_activity

    add_activity(engine, town.branch1, "party_lecture", date(2026, 3, 3))
    lines = chat("leader", "town")("/status 党课 本季度").splitlines()
    assert lines[0] == "党课 · 2026年第一季度"
    assert lines[1].startswith("二村党支部：⏳ 党课 0/1")
    assert lines[-1] == "✅ 已完成：一村党支部"


def test_attendance_is_completed_from_the_other_two_numbers(chat, engine):
    assert "已记录" in chat()("/log 支委会 昨天 应到5 缺席2")
    a = activities(engine)[0]
    assert (a.expected, a.present, a.absent) == (5, 3, 2)


def test_same_meeting_twice_on_one_day_is_flagged(chat, engine):
    sec = chat()
    sec("/log 支委会 3月5日 7人")
    second = sec("/log 支委会 3月5日 7人")
    first_id = activities(engine)[0].id
    assert f"同一天已有一条同样的记录（#{first_id}）" in second and "/undo" in second


def test_chinese_numeral_answers_in_a_dialog(chat, engine):
    sec = chat()
    sec("/study 集中学习 昨天")
    assert "多长时间" in sec("十二人")
    assert "已记录" in sec("两个小时")
    a = activities(engine)[0]
    assert (a.present, a.hours) == (12, 2.0)


def test_status_arguments_that_are_not_understood_say_so(chat):
    sec, leader = chat(), chat("leader", "town")
    assert "时间段“2026Q5”不对" in leader("/status 2026Q5")
    assert "时间段“13月”不对" in sec("/status 13月")
    assert "没看懂“集中学习”" in leader("/status 集中学习")
    assert "可以查看本支部的情况" in sec("/status 怎么样了")


def test_a_branch_whose_name_looks_like_a_date_can_be_named(chat, engine, clock):
    from core import admin
    from storage.db import session_scope

    with session_scope(engine) as s:
        org = admin.get_org(s)
        admin.add_branch(s, clock, org, "第3党支部")
        admin.add_branch(s, clock, org, "青年党支部")
    leader = chat("leader", "town")
    assert leader("/status 第3党支部 2026Q1").startswith("📋 第3党支部 · 2026年第一季度")
    assert leader("/status 青年党支部").startswith("📋 青年党支部 · 2026年3月")
    assert leader("/status 第4党支部").startswith("没有找到名为“第4党支部”的支部")


def test_english_replies_carry_no_chinese_scaffolding(engine, town, clock):
    en = Router(engine, DEFAULT_REGISTRY, TZ, clock, locale="en")

    def say(text: str, user: str = "sec1", chat_id: str = "branch1") -> str:
        msg = Incoming("console", chat_id, user, text, f"en-{text}")
        return "\n".join(r.text for r in en.handle(msg))

    logged = say("/log 支委会 yesterday 7人")
    assert "Logged" in logged and "Committee meeting 1/1 (Mar 2026)" in logged
    assert "例如" not in say("/withdraw 1")
    overview = say("/status", "leader", "town")
    assert "：" not in overview and "、" not in overview
    choices = en.handle(Incoming("console", "branch1", "sec1", "/log", "en-q"))[0].choices
    assert choices[0].label == "General meeting"


def test_explained_commitment_counts_as_due_but_not_kept(chat, engine, town):
    from core.periods import Period
    from tests.helpers import evaluate_branches

    sec = chat()
    sec("/commit 新建文化广场 截止3月20日")
    cid = _only(engine, Commitment).id
    assert "原因" in sec(f"/explain {cid}")
    assert "未兑现-已说明" in sec(f"/explain {cid} 资金未到位，明年续建")
    assert _only(engine, Commitment).status == "explained"
    assert "没有进行中的承诺" in sec("/commitments")
    assert "未兑现-已说明" in sec("/commitments 全部")
    c = evaluate_branches(engine, [town.branch1], Period.quarter(2026, 1), date(2026, 3, 20))
    stats = c.branches[0].commitments
    assert (stats.due, stats.fulfilled, stats.rate) == (1, 0, 0.0)


def test_excusing_a_held_unit_is_refused_and_a_second_reason_says_what_it_replaced(chat, engine):
    from storage.models import Excusal

    chat()("/log 党课 3月5日 9人")
    leader = chat("leader", "town")
    held = leader("/excuse 一村 党课 2026Q1 防汛")
    assert held == "一村党支部2026年第一季度的党课已经开过，无需登记免开。"
    assert "已将二村党支部" in leader("/excuse 二村 党课 2025Q4 防汛")
    same = leader("/excuse 二村 党课 2025Q4 防汛")
    assert same == "二村党支部2025年第四季度的党课已登记为免开（原因：防汛），无需重复登记。"
    again = leader("/excuse 二村 党课 2025Q4 疫情防控")
    assert again == (
        "二村党支部2025年第四季度的党课原已登记为免开（原因：防汛），现将原因改为：疫情防控。"
    )
    with Session(engine) as s:
        assert [(e.unit_key, e.reason) for e in s.exec(select(Excusal))] == [("2025Q4", "疫情防控")]


def test_excuse_cannot_be_given_in_advance(chat, engine):
    from storage.models import Excusal

    assert "还没有开始" in chat("leader", "town")("/excuse 一村 党课 2026Q3 防汛")
    assert count(engine, Excusal) == 0


def test_a_personal_commitment_is_closed_by_its_maker_or_the_secretary(chat, engine):
    committee = chat("com1")
    made = committee("/commit 个人 每月走访5户 截止6月30日")
    own = commitment_id(made)
    secretarys = commitment_id(chat()("/commit 个人 带头讲党课 截止6月30日"))
    refused = committee(f"/done {secretarys} 已完成")
    assert refused == f"#{secretarys} 是张书记的个人承诺，只有本人或支部书记、副书记可以办结。"
    assert "已兑现" in committee(f"/done {own} 已走访")
    assert commitment(engine, secretarys).status == "in_progress"
    another = commitment_id(committee("/commit 个人 学习强国每日打卡 截止6月30日"))
    assert "撤" in chat()(f"/withdraw {another} 调整计划")  # the secretary may close it


def test_the_same_open_commitment_is_not_made_twice(chat, engine):
    sec = chat()
    first = sec("/commit 修缮村活动室 截止6月30日")
    assert first.startswith("📌 已登记承诺")
    again = sec("/commit 修缮村活动室 截止7月31日")
    assert again.startswith("已有一项内容相同的进行中承诺 #") and "截止2026年6月30日" in again
    assert sec("/commit 个人 修缮村活动室 截止6月30日").startswith(
        "📌 已登记承诺"
    )  # personal: another
    assert count(engine, Commitment) == 2
    sec(f"/done {commitment_id(first)} 已完工")
    assert sec("/commit 修缮村活动室 截止9月30日").startswith(
        "📌 已登记承诺"
    )  # kept: may promise anew


@pytest.mark.parametrize("topic", ["纪念建党 7.1", "走访慰问困难党员 5人", "传达 3号", "研究 昨天"])
def test_an_edit_of_the_topic_changes_the_topic_only(chat, engine, topic):
    chat()("/log 支委会 3月5日 应到7 实到6")
    record = activities(engine)[0]
    assert "已修改" in chat()(f"/edit {record.id} 主题:{topic}")
    (after,) = activities(engine)
    assert (after.topic, after.held_on, after.present) == (topic, record.held_on, 6)


def test_an_edit_that_leaves_no_quorum_warns_as_logging_does(chat, engine):
    sec = chat()
    sec("/log 支委会 3月5日 应到7 实到6")
    record = activities(engine)[0].id
    edited = sec(f"/edit {record} 实到2人")
    assert "应到7人、实到2人、缺席5人" in edited
    assert "⚠️ 实到 2 人未超过应到 7 人的半数" in edited
    assert "半数" not in sec(f"/edit {record} 实到5人")


def test_edit_the_date_with_a_key(chat, engine):
    sec = chat()
    sec("/log 支委会 3月5日 7人")
    a = activities(engine)[0]
    assert "已修改" in sec(f"/edit {a.id} 日期:3月6日")
    assert activities(engine)[0].held_on == date(2026, 3, 6)


def test_long_replies_are_cut_at_line_ends_for_chat_platforms():
    from bot.router import Choice, Reply, split_long

    text = "\n".join(f"第{i}行 " + "字" * 50 for i in range(200))
    parts = split_long(Reply(text, (Choice("是", "y"),)), limit=1000)
    assert len(parts) > 1 and all(len(p.text) <= 1000 for p in parts)
    assert "\n".join(p.text for p in parts) == text
    assert parts[-1].choices and not parts[0].choices
    assert [p.text for p in split_long(Reply("x" * 2500), limit=1000)] == [
        "x" * 1000,
        "x" * 1000,
        "x" * 500,
    ]


def test_leave_and_absence_reasons_show_in_the_confirmation_and_the_list(chat):
    sec = chat()
    logged = sec("/log 党员大会 3月5日 应到8 实到6 请假1 缺席1人（外出务工）")
    assert "应到8人、实到6人、缺席2人 · 备注：" in logged and "请假1人" in logged
    assert "外出务工" in logged and "外出务工" in sec("/list")


def test_answers_and_reasons_keep_their_chinese_punctuation(chat, engine):
    sec = chat()
    made = commitment_id(sec("/commit 修缮村活动室 截止6月30日"))
    assert "资金未到位，明年续建" in sec(f"/explain {made} 资金未到位，明年续建")
    assert commitment(engine, made).evidence == "资金未到位，明年续建"


def test_a_commitment_asked_for_cannot_be_skipped_and_takes_its_deadline(chat, engine):
    sec = chat()
    assert "承诺" in sec("/commit")
    again = sec("跳过")
    assert again.startswith("没看懂“跳过”") and count(engine, Commitment) == 0
    made = sec("修缮村活动室 截止12月20日")
    assert made.startswith("📌 已登记承诺") and "修缮村活动室，截止 2026年12月20日" in made


def test_a_deadline_said_as_people_say_it_is_kept_as_its_day(chat, engine):
    sec = chat()  # the clock stands on 2026-03-20
    made = sec("/commit 年内完成村道硬化2公里")
    assert "村道硬化2公里，截止 2026年12月31日" in made
    assert commitment(engine, commitment_id(made)).due_on == date(2026, 12, 31)
    assert "什么时候之前完成" in sec("/commit 修缮村活动室")
    answered = sec("七一前")  # the answer to 'by when?' reads the same phrases
    assert "修缮村活动室，截止 2026年6月30日" in answered
    assert commitment(engine, commitment_id(answered)).due_on == date(2026, 6, 30)


def test_a_commitment_number_may_be_written_with_hao(chat, engine):
    sec = chat()
    made = commitment_id(sec("/commit 修缮村活动室 截止6月30日"))
    assert "调整计划" in sec(f"/withdraw {made}号 调整计划")
    assert commitment(engine, made).evidence == "调整计划"


def test_a_personal_commitment_answered_in_the_dialog_stays_personal(chat, engine):
    sec = chat()
    sec("/commit")
    past = sec("个人 走访10户 截止2026年3月1日")  # a deadline gone by: asked again, with why
    assert "承诺的内容" in past and count(engine, Commitment) == 0
    made = sec("个人 走访10户 截止6月30日")
    assert "（个人承诺·张书记）" in made
    assert commitment(engine, commitment_id(made)).owner_member_id is not None


def test_a_topic_answer_may_repeat_its_key(chat, engine):
    sec = chat()
    sec("/log")
    sec("支委会")
    sec("昨天")
    sec("7")
    sec("主题:研究秋收")
    sec("保存")
    (a,) = activities(engine)
    assert a.topic == "研究秋收"


def test_leave_given_in_answer_to_how_many_came_is_kept(chat, engine):
    sec = chat()
    assert "出席多少人" in sec("/log 支委会 3月5日")
    assert "已记录" in sec("应到8人，实到7人，请假1人(生病)")
    (a,) = activities(engine)
    assert (a.expected, a.present, a.notes) == (8, 7, "请假1人（生病）")


def test_changing_the_attendance_answer_replaces_its_leave_note(chat, engine):
    sec = chat()
    sec("/log")
    sec("支委会")
    sec("3月5日")
    sec("实到7 请假1人(生病)")
    sec("研究春耕")
    assert "出席多少人" in sec("改人数")
    sec("实到6 请假2人")
    assert "已记录" in sec("保存")
    (a,) = activities(engine)
    assert (a.present, a.notes) == (6, "请假2人")


def test_seven_of_eight_answers_how_many_came(chat, engine):
    sec = chat()
    assert "出席多少人" in sec("/log 支委会 3月5日")
    assert "已记录" in sec("7/8")
    (a,) = activities(engine)
    assert (a.held_on.isoformat(), a.present, a.expected) == ("2026-03-05", 7, 8)


def test_list_clips_long_topics(chat):
    sec = chat()
    sec("/log 支委会 3月5日 7人 主题:" + "学" * 300)
    listing = sec("/list")
    assert "学" * 39 + "…" in listing and "学" * 41 not in listing


@pytest.mark.parametrize("group", ["党小组:2", "第2党小组", "小组:2组", "group: 2"])
def test_a_party_group_may_be_named_by_its_number(chat, group):
    assert "党小组会 · 第二党小组 · 2026年3月5日" in chat()(f"/log 党小组会 3月5日 4人 {group}")


def test_list_names_the_party_group_of_each_group_meeting(chat):
    sec = chat()
    sec("/log 党小组会 第一党小组 3月5日 4人")
    sec("/log 党小组会 第二党小组 3月5日 3人")
    listing = sec("/list").splitlines()
    assert "党小组会 · 第二党小组 · 2026年3月5日" in listing[1]
    assert "党小组会 · 第一党小组 · 2026年3月5日" in listing[2]
    assert "第一党小组" in chat("leader", "town")("/list")


def test_a_leader_in_a_branchs_group_lists_that_branchs_commitments_only(chat):
    chat()("/commit 一村修路 截止6月30日")
    chat("sec2", "branch2")("/commit 二村修桥 截止6月30日")
    in_town = chat("leader", "town")("/commitments")
    assert "一村修路" in in_town and "二村修桥" in in_town
    in_branch = chat("leader", "branch1")("/commitments")
    assert "一村修路" in in_branch and "二村" not in in_branch


def test_another_towns_leader_reads_nothing_in_this_towns_groups(chat, engine, clock):
    from core import admin
    from storage.db import session_scope

    with session_scope(engine) as s:
        other = admin.create_org(s, clock, "邻镇党委")
        m = admin.add_member(s, clock, other, "邻镇领导", None, None, "leader")
        admin.bind_identity(s, m, "console", "neighbour")
    stranger = chat("neighbour", "branch1")
    for command in ("/status", "/list", "/commitments", "/report"):
        assert stranger(command) == "抱歉，你没有权限进行这项操作。", command


def test_a_leader_in_a_branchs_group_lists_that_branchs_records_only(chat):
    chat()("/log 支委会 3月5日 7人 主题:一村的会")
    chat("sec2", "branch2")("/log 支委会 3月6日 5人 主题:二村的会")
    in_town = chat("leader", "town")("/list")
    assert "一村的会" in in_town and "二村的会" in in_town
    in_branch = chat("leader", "branch1")("/list")
    assert "一村的会" in in_branch and "二村" not in in_branch


def test_undo_right_after_a_commitment_keeps_the_meeting_and_points_to_withdraw(engine, town):
    from datetime import timedelta

    from tests.conftest import Chat, local

    now = [local(2026, 3, 20, 10)]

    def ticking():  # a minute per message, so that what came last is known
        now[0] += timedelta(minutes=1)
        return now[0]

    sec = Chat(Router(engine, DEFAULT_REGISTRY, TZ, ticking), "sec1", "branch1")
    sec("/log 支委会 3月19日 7人 主题:研究春耕")
    made = commitment_id(sec("/commit 修缮村活动室 截止6月30日"))
    reply = sec("/undo")
    assert reply.startswith(f"你最近登记的是承诺 #{made}") and f"/withdraw {made} 原因" in reply
    assert [a.topic for a in activities(engine)] == ["研究春耕"]
    sec(f"/withdraw {made} 计划调整")
    assert "已撤销" in sec("/undo") and activities(engine) == []  # withdrawn: dealt with
    sec("/log 主题党日 3月19日 12人")
    sec("/commit 修缮村道 截止6月30日")
    sec("/log 支委会 3月19日 7人")
    assert "已撤销" in sec("/undo") and len(activities(engine)) == 1  # the newer record


def test_undo_while_a_question_is_open_drops_the_question_not_the_saved_record(chat, engine):
    sec = chat()
    sec("/log 支委会 3月5日 7人 主题:研究春耕")
    assert "哪天" in sec("/log 党员大会 应到16 实到14")
    reply = sec("/undo")
    assert reply.startswith("已取消刚才未完成的登记，没有撤销任何已保存的记录")
    assert [a.topic for a in activities(engine)] == ["研究春耕"]
    assert sec("/cancel") == "当前没有进行中的操作。"
    assert "已撤销" in sec("/undo")  # sent again, it takes back the record
    assert activities(engine) == []


def test_a_command_that_interrupts_a_question_says_the_question_was_dropped(chat):
    sec = chat()
    assert "哪天" in sec("/log 党员大会 应到16 实到14")
    status = sec("/status")
    assert status.startswith("（刚才未完成的登记已取消，没有保存。）\n📋 一村党支部")
    assert not sec("/status").startswith("（")  # said once
    assert "3月5日" not in sec("3月5日")  # no question is waiting for it any more


def test_redelivered_undo_and_answers_act_once(chat, engine):
    sec = chat()
    sec("/log 支委会 3月5日 7人")
    sec("/log 主题党日 3月6日 12人")
    assert "已撤销" in sec("/undo", message_id="u1")
    assert "已经处理过了" in sec("/undo", message_id="u1")
    assert len(activities(engine)) == 1
    sec("/study 集中学习 昨天", message_id="q1")
    assert "多长时间" in sec("12人", message_id="a1")
    assert sec("12人", message_id="a1") == ""  # the same answer again answers nothing
    assert "已记录" in sec("2小时", message_id="a2")


def test_exact_party_group_name_wins_over_a_longer_one(engine, town, clock, chat):
    from core import admin
    from storage.db import session_scope
    from storage.models import Branch

    with session_scope(engine) as s:
        admin.add_group(s, s.get(Branch, town.branch1), "第十一党小组")  # type: ignore[arg-type]
    sec = chat()
    assert "已记录" in sec("/log 党小组会 第一党小组 3月3日 6人")
    with Session(engine) as s:
        group = s.get(PartyGroup, activities(engine)[0].party_group_id)
    assert group.name == "第一党小组"  # type: ignore[union-attr]


def test_over_long_excuse_reason_is_refused_on_every_backend(chat, engine):
    from storage.models import Excusal

    reply = chat("leader", "town")("/excuse 一村 党课 2025Q4 " + "汛" * 501)
    assert "太长" in reply
    assert count(engine, Excusal) == 0


def test_a_racing_duplicate_keeps_the_first_record(chat, engine, monkeypatch):
    """Two deliveries of one message racing: the loser's lookup saw nothing, its insert hits
    the unique key, and it reports the winner's record instead of failing."""
    from core import commitments

    sec = chat()
    sec("/commit 修路 截止6月30日", message_id="c1")
    real = commitments.find_by_source
    calls = {"n": 0}

    def blind_first(*args):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args)

    monkeypatch.setattr(commitments, "find_by_source", blind_first)
    monkeypatch.setattr(commitments, "_open_twin", lambda *args: None)  # saw nothing either
    assert "已经登记过了" in sec("/commit 修路 截止6月30日", message_id="c1")
    assert count(engine, Commitment) == 1


def test_redelivered_last_answer_of_a_finished_dialog_says_nothing(chat, engine):
    sec = chat()
    sec("/log 支委会 昨天", message_id="d1")
    assert "已记录" in sec("8", message_id="d2")
    assert sec("8", message_id="d2") == ""
    assert len(activities(engine)) == 1


def test_english_names_of_meetings_in_one_line_commands(english, engine):
    sec = english()
    reply = sec("/log Committee meeting yesterday 7人")
    assert "Logged" in reply and "Committee meeting 1/1 (Mar 2026)" in reply
    assert sec("/log lecture 3月5日 20人").startswith("✅ Logged")
    assert [a.type_code for a in activities(engine)] == ["committee_meeting", "party_lecture"]
    leader = english("leader", "town")
    assert leader("/status party lecture").startswith("Party lecture · Mar 2026")
    excused = leader("/excuse 一村 party group meeting 2026-02 spring festival")
    assert excused == "Party group meeting for 一村党支部 in Feb 2026 excused (spring festival)."


def test_english_attendance_hours_and_fields(english, engine):
    sec = english()
    logged = sec("/log committee meeting yesterday expected 8 present 7 host: Li Ming")
    assert "8 expected, 7 present, 1 absent · host: Li Ming" in logged
    assert "How many attended?" in sec("/log general meeting 3/18 place: village hall")
    assert "25 expected, 22 present, 3 absent" in sec("25 expected 22 present")
    assert "2 h" in sec("/study group study 3/10 2 hours 18 present topic: the constitution")
    rows = [(a.type_code, a.present, a.place, a.hours, a.topic) for a in activities(engine)]
    assert rows == [
        ("committee_meeting", 7, None, None, None),
        ("general_meeting", 22, "village hall", None, None),
        ("study_session", 18, None, 2.0, "the constitution"),
    ]


def test_english_dates_periods_and_commitments(english, engine):
    sec = english()
    assert "2026-03-05" in sec("/log committee March 5 present 7")
    assert sec("/status this quarter").startswith("📋 一村党支部 · Q1 2026")
    assert sec("/status Q4 2025").startswith("📋 一村党支部 · Q4 2025")
    committed = sec("/commit personal Visit 5 households a month by end of June")
    assert committed.endswith("(personal · 张书记): Visit 5 households a month, due 2026-06-30")
    excused = english("leader", "town")("/excuse 一村 lecture last quarter flood relief")
    assert excused == "Party lecture for 一村党支部 in Q4 2025 excused (flood relief)."


def test_errors_name_types_and_list_choices_in_the_readers_language(english, chat):
    sec = english()
    assert sec("/study committee yesterday 7 present") == (
        "“Committee meeting” is not a study session; use /log. "
        "Study types: Group study, Seminar, Tutorial report, Field study."
    )
    unknown = sec("/log board meeting yesterday")
    assert unknown.startswith("Unknown activity type “board”. Known types: General meeting, ")
    assert sec("/log group meeting yesterday 8 present group: 第三党小组") == (
        "There is no party group “第三党小组” in this branch. Groups: 第一党小组, 第二党小组."
    )
    assert sec("/log training yesterday 8 present").startswith("“Training” is town-level work")
    zh = chat()  # Chinese as before
    assert "学习类型：集中学习、交流研讨、辅导报告、外出观摩学习" in zh("/study 支委会 昨天 7人")
    assert "现有党小组：第一党小组、第二党小组" in zh("/log 党小组会 昨天 8人 小组:第三党小组")


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # Chinese and its punctuation


def test_english_help_gives_english_examples_that_work(english, engine):
    leader = english("leader", "town")
    help_text = leader("/help")
    assert "e.g. /log committee March 5 7 present 1 absent topic: studying the plenum" in help_text
    assert CJK.findall(help_text.replace("一村", "")) == []  # a branch's name is data
    sec = english()
    for command in ("log", "study", "commit", "status", "report"):
        reply = sec(BY_NAME[command].example_in("en"))
        assert reply.startswith(("✅ Logged", "📌 Commitment", "📋 一村党支部", "📎 Ledger")), reply
    (meeting, study) = activities(engine)
    assert (meeting.type_code, meeting.absent, meeting.topic) == (
        "committee_meeting",
        1,
        "studying the plenum",
    )
    assert (study.type_code, study.hours, study.present) == ("study_session", 2.0, 18)
    edit = BY_NAME["edit"].example_in("en").replace("12", str(meeting.id))
    assert sec(edit).startswith(f"✏️ Updated #{meeting.id}")
    cid = _only(engine, Commitment).id
    assert sec(BY_NAME["done"].example_in("en").replace("3", str(cid))).startswith("🎉")
    assert "has not begun" in leader(BY_NAME["excuse"].example_in("en"))  # read, but Q3 is ahead


def test_english_hints_give_english_examples(english):
    sec = english()
    for text in (
        sec("/log board yesterday"),
        sec("/done"),
        sec("/edit x"),
        sec("/status this that"),
        sec("/log committee Feb 30 7 present"),
        sec("hello"),
        sec("/study group study yesterday 30 hours 8 present"),
    ):
        assert CJK.findall(text) == [], text
    assert "How many attended? e.g. 8 or expected 10 present 8" in sec("/log committee yesterday")
    assert "Logged" in sec("expected 10 present 8")


def test_english_quick_answers_may_be_typed_in_any_case(english, engine):
    sec = english()
    sec("/log")
    assert sec("committee meeting").startswith("When was it held?")
    assert sec("another day").startswith("All right, type the date.")
    assert sec("yesterday").startswith("How many attended?")
    assert sec("7 present").startswith("What was the topic?")
    assert sec("SKIP").startswith("Please check:")
    assert "When was it held?" in sec("change date")
    sec("2026-03-18")
    assert sec("save").startswith("✅ Logged")
    assert [(a.held_on, a.topic) for a in activities(engine)] == [(date(2026, 3, 18), None)]


def test_english_overview_and_lists_read_as_english(english, chat, engine):
    overview = english("leader", "town")("/status")
    assert "Overall —. Branches with missed items: 0; with items to do: 2; all done: 0" in overview
    sec = english()
    assert sec("/commitments all").startswith("No commitments yet.")
    assert chat()("/commitments 全部").startswith("还没有登记过承诺事项。")
    sec("/commit Pave the road by June 30")
    assert sec(f"/done {_only(engine, Commitment).id}").startswith("🎉")
    assert sec("/commitments").startswith("No open commitments.")
    assert sec("/commitments ALL").startswith("All commitments:\n#")
    assert chat()("/commitments 全部").startswith("全部承诺事项：\n#")


def test_english_lists_in_whoami_attachments_and_lateness(engine, town, clock, tmp_path):
    from bot.turn import FileRef
    from core import admin
    from storage.db import session_scope

    with session_scope(engine) as s:
        m = admin.add_member(s, clock, admin.get_org(s), "钱书记", "二村党支部", "deputy", "leader")
        admin.bind_identity(s, m, "console", "both")
    en = Router(engine, DEFAULT_REGISTRY, TZ, clock, locale="en", files_dir=tmp_path / "files")

    def say(text: str, user: str = "sec1", files: tuple = ()) -> str:
        msg = Incoming("console", "branch1", user, text, f"m{len(text)}{user}", files=files)
        return "\n".join(r.text for r in en.handle(msg))

    assert say("/whoami", "both") == "You are 钱书记 (二村党支部 · town leader, deputy secretary)."
    logged = say("/log committee March 5 7 present")
    assert "due within 3 working days; this one is late by 8 working days." in logged
    record = activities(engine)[0].id
    files = tuple(
        FileRef(f"f{n}", f"u{n}", "document", f"{n}.pdf", "application/pdf", 9) for n in (1, 2)
    )
    assert say(f"/attach {record}", files=files) == f"Attached to record #{record}: 1.pdf, 2.pdf."


@pytest.mark.parametrize(
    "line",
    ["/log 党员大会 昨天 到会人数7/8", "/log 党员大会 19号 实到7/8", "/log 党员大会 昨天 7/8人"],
)
def test_attendance_written_as_a_ratio_is_saved_as_attendance(chat, engine, line):
    assert "已记录" in chat()(line)
    (a,) = activities(engine)
    assert (a.held_on, a.present, a.expected, a.absent, a.topic) == (
        date(2026, 3, 19),
        7,
        8,
        1,
        None,
    )


def test_a_bare_ratio_after_a_date_word_asks_for_the_count(chat, engine):
    sec = chat()
    assert "已记录" not in sec("/log 党员大会 昨天 7/8")
    assert not activities(engine)
    assert "已记录" in sec("实到7人 应到8人")
    (a,) = activities(engine)
    assert (a.held_on, a.present, a.expected, a.topic) == (date(2026, 3, 19), 7, 8, None)


def test_date_and_count_after_the_topic_are_not_asked_again(chat, engine):
    assert "已记录" in chat()("/log 支委会 主题:研究春耕 昨天 6人")
    (a,) = activities(engine)
    assert (a.held_on, a.present, a.topic) == (date(2026, 3, 19), 6, "研究春耕")


@pytest.mark.parametrize(
    ("line", "held_on"),
    [
        ("/log 支委会 3号 6人", date(2026, 3, 3)),
        ("/log 支委会 上个月15号 6人", date(2026, 2, 15)),
        ("/log 支委会 三月三日 6人", date(2026, 3, 3)),
        ("/log 支委会 3-3 6人", date(2026, 3, 3)),
        ("/log 支委会 20260303 6人", date(2026, 3, 3)),
    ],
)
def test_more_date_forms_are_saved_as_the_date(chat, engine, line, held_on):
    assert "已记录" in chat()(line)
    (a,) = activities(engine)
    assert (a.held_on, a.present, a.topic) == (held_on, 6, None)


def test_leave_and_absence_reasons_are_kept_and_reconcile(chat, engine):
    reply = chat()("/log 支委会 昨天 应到8 实到6 请假1 缺席1人（外出务工） 题目:党史学习")
    assert "已记录" in reply
    (a,) = activities(engine)
    assert (a.expected, a.present, a.absent, a.topic) == (8, 6, 2, "党史学习")
    assert a.notes == "缺席1人（外出务工） 请假1人"


def test_the_word_before_a_deadline_is_not_left_in_the_commitment(chat, engine):
    assert "已登记承诺" in chat()("/commit 测试承诺 于12月20日前完成")
    c = _only(engine, Commitment)
    assert (c.content, c.due_on) == ("测试承诺", date(2026, 12, 20))


def test_a_negative_count_or_a_range_of_hours_is_refused_and_nothing_is_saved(chat, engine):
    sec = chat()
    ranged = sec("/study 集中学习 3月10日 1-2小时 10人 主题:党章")
    assert ranged.startswith("“1-2小时”是一个范围") and count(engine, Activity) == 0
    negative = sec("/log 支委会 昨天 出席-3人 主题:研究秋收")
    assert negative.startswith("“出席-3”是负数") and count(engine, Activity) == 0
    assert "多长时间" in sec("/study 集中学习 3月10日 18人 主题:党章")
    assert "是一个范围" in sec("1-2小时")  # the answer is refused the same way, and asked again
    assert "已记录" in sec("1.5小时")
    assert activities(engine)[0].hours == 1.5


def test_done_takes_the_day_the_note_says_the_commitment_was_kept(chat, engine):
    sec = chat()  # the clock stands on 2026-03-20
    made = commitment_id(sec("/commit 修缮村活动室 截止3月31日"))
    assert sec(f"/done {made} 3月25日已验收").startswith("兑现日期 2026年3月25日 还没到")
    assert "早于承诺登记的日期" in sec(f"/done {made} 3月1日验收")
    assert commitment(engine, made).status == "in_progress"  # nothing changed by either
    with Session(engine) as s:  # made at the start of the month, reported kept later
        row = s.get(Commitment, int(made))
        assert row is not None
        row.made_on = date(2026, 3, 2)
        s.add(row)
        s.commit()
    done = sec(f"/done {made} 已于3月10日验收")
    assert done.startswith(f"🎉 承诺 #{made} 已兑现（兑现日期 2026年3月10日）")
    row = commitment(engine, made)
    assert (row.status, row.fulfilled_on, row.evidence) == (
        "fulfilled",
        date(2026, 3, 10),
        "已于3月10日验收",
    )
    other = commitment_id(sec("/commit 修缮村部 截止6月30日"))
    sec(f"/done {other} 已验收，资料见3月5日台账")  # a date later in the note is not the day
    assert commitment(engine, other).fulfilled_on == date(2026, 3, 20)


def test_more_people_than_the_branch_has_members_is_questioned_but_kept(chat, engine):
    sec = chat()
    logged = sec("/log 党员大会 3月5日 出席200人 主题:学习党章")
    assert "已记录" in logged and "记录的200人多于本支部名册上的" in logged
    (a,) = activities(engine)
    assert a.present == 200  # guests may have come: kept, and the secretary asked to check
    assert "名册" not in sec(f"/edit {a.id} 实到3人")  # the test town's 一村 has 3 members
    assert "记录的99人多于本支部名册上的3名党员" in sec(f"/edit {a.id} 实到99人")
    assert "名册" not in sec("/log 支委会 3月6日 出席2人")


def test_refusals_say_what_is_wrong_with_this_command(chat, engine):
    sec = chat()
    made = commitment_id(sec("/commit 修缮村活动室 截止6月30日"))
    sec(f"/withdraw {made} 上级调整")
    assert sec(f"/done {made}") == (
        f"承诺事项 #{made} 已是“已撤销”，不能再改为“已兑现”。如确需重新承诺，请用 /commit 重新登记。"
    )
    assert sec(f"/withdraw {made} 再次").endswith("无需再次操作。")
    assert sec("/commit 修路 截止2月30日").startswith("截止日期“2月30日”不存在")
    assert "例如：截止6月30日" in sec("/commit 修路 截止2月30日")
    assert sec("/study 集中学习 3月10日 100小时 18人").startswith("时长 100 小时不合理")
    sec("/log 支委会 3月5日 7人")
    record = activities(engine)[0].id
    assert "例如：/edit" in sec(f"/edit {record} 日期:明天")
    assert activities(engine)[0].held_on == date(2026, 3, 5)


def test_an_excusal_with_an_impossible_period_names_the_period(chat, engine):
    reply = chat("leader", "town")("/excuse 一村 党课 2026Q5 防汛")
    assert reply.startswith("时间段“2026Q5”不对")


def test_a_party_group_named_otherwise_than_by_number_is_found_by_its_name(chat, engine, town):
    from core import admin
    from storage.db import session_scope

    with session_scope(engine) as s:
        branch = s.get(Branch, town.branch1)
        assert branch is not None
        admin.add_group(s, branch, "老年党小组")
    sec = chat()
    assert "已记录" in sec("/log 党小组会 老年党小组 3月3日 6人 主题:学习党章")
    (a,) = activities(engine)
    with Session(engine) as s:
        group = s.get(PartyGroup, a.party_group_id)
        assert group is not None and group.name == "老年党小组"
    refused = sec("/log 党小组会 青年党小组 3月4日 6人")
    assert refused.startswith("本支部没有“青年党小组”这个党小组") and len(activities(engine)) == 1


def test_an_edited_start_keeps_an_end_after_it_and_drops_one_before(chat, engine):
    sec = chat()
    sec("/log 支委会 3月5日 14:00-16:00 2人 主题:研究秋收")
    record = activities(engine)[0].id
    assert "15:00-16:00 · 实到2人 · 1小时" in sec(f"/edit {record} 下午3点")
    assert "17:00开始" in sec(f"/edit {record} 下午5点")
    a = activities(engine)[0]
    assert (a.start_time, a.end_time) == (time(17), None)


def test_the_roll_warning_waits_for_a_roll_and_is_said_once(chat, engine, town):
    sec = chat()
    sec("/log 党员大会 3月5日 出席200人 主题:学习党章")
    record = activities(engine)[0].id
    assert "名册" not in sec(f"/edit {record} 主题:学习新党章")  # the count was not touched


def test_groups_excused_together_name_the_reason_once(chat):
    chat("leader", "town")("/excuse 一村 党小组会 2026-02 春节")
    line = next(x for x in chat()("/status 2026-02").splitlines() if "党小组会" in x)
    assert line.endswith("免开：春节"), line


def test_editing_a_deadline_says_commitments_are_withdrawn_and_made_again(chat, engine):
    sec = chat()
    made = commitment_id(sec("/commit 修缮村活动室 截止6月30日"))
    reply = sec(f"/edit {made} 截止:7月31日")
    assert reply.startswith("/edit 修改的是会议和活动记录。承诺事项不能修改")
    assert commitment(engine, made).due_on == date(2026, 6, 30)
