"""End to end: people talk to Zhibu through python-telegram-bot and a fake Bot API server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlmodel import Session, create_engine, select

from bot.app import build_app
from bot.telegram.adapter import TelegramAdapter
from storage.models import Activity, Attachment, BotMessage, ChatBinding
from tests.conftest import FOUNDED
from tests.e2e.conftest import CLOCK, GROUP_CHAT, invite_code, quick_invite, settings_for
from tests.e2e.fakebot import WAIT_SECONDS, FakeTelegram, run_polling

SECRETARY, LEADER, STRANGER = 1001, 9001, 7777


async def say(fake: FakeTelegram, text: str | None, user: int, chat: int | None = None, **kw):
    """Send as ``user`` (in their private chat unless ``chat``) and return the bot's answer."""
    chat_id = chat or user
    before = len(fake.messages(chat_id))
    kind = "supergroup" if chat_id < 0 else "private"
    fake.user_message(text, user_id=user, chat_id=chat_id, chat_type=kind, **kw)
    return (await fake.wait_for_messages_async(chat_id, before + 1))[before]


async def press(fake: FakeTelegram, message: dict, label: str, user: int) -> dict:
    """Press the button labelled ``label`` under ``message``; return the next bot message."""
    chat_id = message["chat"]["id"]
    before = len(fake.messages(chat_id))
    data = button_data(message, label)
    fake.press(message["message_id"], data, user_id=user, chat_id=chat_id)
    return (await fake.wait_for_messages_async(chat_id, before + 1))[before]


def button_data(message: dict, label: str) -> str:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    found = [b["callback_data"] for row in rows for b in row if b["text"] == label]
    assert found, f"no button {label!r} in {rows}"
    return found[0]


def records(db_url: str) -> list[Activity]:
    engine = create_engine(db_url)
    with Session(engine) as s:
        rows = list(s.exec(select(Activity)).all())
    engine.dispose()
    return rows


async def join(fake, db_url, user=SECRETARY, branch="一村", role="secretary") -> None:
    answer = await say(fake, f"/start {quick_invite(db_url, branch, role)}", user)
    assert "绑定成功" in answer["text"]


# ---------------------------------------------------------------- onboarding


async def test_an_invited_secretary_binds_with_the_deep_link_code(fake, bot, db_url):
    code = invite_code(db_url, "--branch", "一村", "--role", "书记", "--name", "周书记")
    answer = await say(fake, f"/start {code}", SECRETARY)
    assert "绑定成功" in answer["text"] and "周书记（一村党支部 · 支部书记）" in answer["text"]
    assert "周书记" in (await say(fake, "/whoami", SECRETARY))["text"]
    again = await say(fake, f"/start {code}", STRANGER)
    assert "已经用过" in again["text"]


async def test_the_secretary_binds_the_group_and_logs_a_meeting_there(fake, bot, db_url):
    await join(fake, db_url)
    bound = await say(fake, "/bindgroup@ZhibuTestBot", SECRETARY, GROUP_CHAT)
    assert "本群已绑定到一村党支部" in bound["text"]
    line = "/log@ZhibuTestBot 支委会 昨天 应到7 实到6 主题:研究<秋收>工作"
    answer = await say(fake, line, SECRETARY, GROUP_CHAT)
    assert "已记录 #1" in answer["text"]
    sent = fake.calls_of("sendMessage")[-1]  # user text is escaped for HTML parse mode
    assert sent["parse_mode"] == "HTML" and "主题：研究&lt;秋收&gt;工作" in sent["text"]
    assert sent["reply_parameters"]["message_id"]  # answers the secretary's message
    (a,) = records(db_url)
    assert (a.type_code, a.present, a.topic) == ("committee_meeting", 6, "研究<秋收>工作")


async def test_the_secretary_unbinds_a_group_bound_by_mistake(fake, bot, db_url):
    await join(fake, db_url)
    await say(fake, "/bindgroup", SECRETARY, GROUP_CHAT)
    answer = await say(fake, "/unbindgroup@ZhibuTestBot", SECRETARY, GROUP_CHAT)
    assert "本群已与一村党支部解除绑定" in answer["text"]
    assert bound_chat(db_url) is None
    assert "本群尚未绑定" in (await say(fake, "/whoami", SECRETARY, GROUP_CHAT))["text"]


async def test_commands_for_another_bot_and_chatter_are_ignored(fake, bot, db_url):
    await join(fake, db_url)
    await say(fake, "/bindgroup", SECRETARY, GROUP_CHAT)
    fake.user_message(
        "/log@OtherBot 支委会 昨天 7人",
        user_id=SECRETARY,
        chat_id=GROUP_CHAT,
        chat_type="supergroup",
    )
    fake.user_message(
        "撤销 刚才那个通知", user_id=SECRETARY, chat_id=GROUP_CHAT, chat_type="supergroup"
    )
    answer = await say(fake, "/whoami", SECRETARY, GROUP_CHAT)  # the first answer since
    assert "本群已绑定" in answer["text"] and records(db_url) == []


async def test_an_anonymous_admins_command_is_answered_but_not_carried_out(fake, bot, db_url):
    await join(fake, db_url)
    await say(fake, "/bindgroup", SECRETARY, GROUP_CHAT)
    fake.anonymous_message("明天下午三点开支委会", chat_id=GROUP_CHAT)  # chatter
    fake.anonymous_message("/log@OtherBot 支委会 昨天 7人", chat_id=GROUP_CHAT)
    in_group = {"chat_id": GROUP_CHAT, "chat_type": "supergroup"}
    fake.user_message("/log 支委会 昨天 7人", user_id=4242, is_bot=True, **in_group)
    channel = {"id": -1009999, "type": "channel", "title": "示范镇党委"}
    fake.push_raw({"message": channel_post_copied_into(GROUP_CHAT, channel, "/log 党课 昨天")})
    update = fake.anonymous_message("/log 支委会 昨天 出席7人", chat_id=GROUP_CHAT)
    (_, answer) = await fake.wait_for_messages_async(GROUP_CHAT, 2)  # the first since /bindgroup
    assert "无法知道是谁发的" in answer["text"] and "保持匿名" in answer["text"]
    assert answer["reply_to_message"]["message_id"] == update["message"]["message_id"]
    fake.anonymous_message("/status", chat_id=GROUP_CHAT, channel=channel)
    (*_, answer) = await fake.wait_for_messages_async(GROUP_CHAT, 3)
    assert "无法知道是谁发的" in answer["text"] and "一村" not in answer["text"]
    assert records(db_url) == []


def channel_post_copied_into(chat_id: int, channel: dict, text: str) -> dict:
    """What Telegram puts in a channel's discussion group for each new post of the channel."""
    chat = {"id": chat_id, "type": "supergroup", "title": "测试支部群"}
    telegram = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
    return {
        "message_id": 500,
        "date": int(time.time()),
        "chat": chat,
        "from": telegram,
        "sender_chat": channel,
        "is_automatic_forward": True,
        "text": text,
    }


# ---------------------------------------------------------------- guided dialog


async def test_a_guided_log_by_pressing_buttons(fake, bot, db_url):
    await join(fake, db_url)
    question = await say(fake, "/log", SECRETARY)
    date_q = await press(fake, question, "支委会", SECRETARY)
    pressed = fake.messages(SECRETARY)[-2]
    assert pressed["text"].endswith("→ 支委会") and "reply_markup" not in pressed
    assert fake.callback_answers[-1].get("show_alert") in (None, False)
    attendance_q = await press(fake, date_q, "昨天", SECRETARY)
    assert "出席多少人" in attendance_q["text"]
    topic_q = await say(fake, "应到8 实到7", SECRETARY)
    confirm = await say(fake, "学习贯彻全会精神", SECRETARY)
    assert "请核对" in confirm["text"] and "主题：学习贯彻全会精神" in confirm["text"]
    assert topic_q["message_id"] < confirm["message_id"]
    saved = await press(fake, confirm, "✅ 保存", SECRETARY)
    assert "已记录 #1" in saved["text"]
    (a,) = records(db_url)
    assert (str(a.held_on), a.expected, a.present) == ("2026-03-19", 8, 7)


async def test_a_typed_answer_in_a_group_is_asked_for_as_a_reply(fake, bot, db_url):
    await join(fake, db_url)
    await say(fake, "/bindgroup", SECRETARY, GROUP_CHAT)
    question = await say(fake, "/log 支委会 昨天", SECRETARY, GROUP_CHAT)
    assert "出席多少人" in question["text"]
    sent = fake.calls_of("sendMessage")[-1]
    assert sent["reply_markup"]["force_reply"] is True and sent["reply_markup"]["selective"]
    answer = await say(fake, "7", SECRETARY, GROUP_CHAT, reply_to_message_id=question["message_id"])
    assert "已记录" in answer["text"]


async def test_forged_and_foreign_buttons_do_nothing(fake, bot, db_url):
    await join(fake, db_url)
    question = await say(fake, "/log", SECRETARY)
    fake.press(question["message_id"], "q:forged:0", user_id=SECRETARY, chat_id=SECRETARY)
    fake.press(
        question["message_id"], button_data(question, "党课"), user_id=STRANGER, chat_id=SECRETARY
    )
    answers = await fake.wait_for_call_async("answerCallbackQuery", 2)
    assert all(a["show_alert"] and "已失效" in a["text"] for a in answers)
    assert len(fake.messages(SECRETARY)) == 2 and records(db_url) == []
    # the real question is still open for its owner
    assert "哪天" in (await press(fake, question, "党课", SECRETARY))["text"]


# ---------------------------------------------------------------- files


async def test_a_photo_in_reply_to_the_confirmation_is_attached_and_saved(
    fake, bot, db_url, tmp_path
):
    await join(fake, db_url)
    confirmation = await say(fake, "/log 支委会 昨天 出席7人", SECRETARY)
    assert "回复本条消息" in confirmation["text"]
    await remembered(db_url, confirmation["message_id"])  # a person reads it before replying
    file_id = fake.add_file(b"\xff\xd8 sign-in sheet", file_name="sheet.jpg")
    answer = await say(
        fake,
        None,
        SECRETARY,
        photo_file_id=file_id,
        reply_to_message_id=confirmation["message_id"],
    )
    assert "已为记录 #1 添加附件：照片" in answer["text"]
    row = await stored_attachment(db_url)  # once the download is reported back
    path = Path(row.path or "")
    assert path.parent == tmp_path / "files" / "1"
    assert path.read_bytes() == b"\xff\xd8 sign-in sheet"
    assert (row.activity_id, row.kind, row.size) == (1, "photo", path.stat().st_size)


async def remembered(db_url: str, message_id: int, timeout: float = WAIT_SECONDS) -> None:
    """Wait until the bot has noted which record its message confirmed (just after sending)."""
    engine = create_engine(db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with Session(engine) as s:
                found = s.exec(
                    select(BotMessage).where(BotMessage.message_id == str(message_id))
                ).first()
            if found is not None:
                return
            await asyncio.sleep(0.02)
    finally:
        engine.dispose()
    raise AssertionError(f"message {message_id} was never noted as a confirmation")


async def stored_attachment(db_url: str, timeout: float = WAIT_SECONDS) -> Attachment:
    """The one attachment row, once its file is on disk."""
    engine = create_engine(db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with Session(engine) as s:
                rows = s.exec(select(Attachment)).all()
                if rows and rows[0].path and Path(rows[0].path).exists():
                    return rows[0]
            await asyncio.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError("the attachment was not downloaded and reported in time")


async def test_a_document_with_an_attach_caption(fake, bot, db_url, tmp_path):
    await join(fake, db_url)
    await say(fake, "/log 党课 3月18日 出席12人", SECRETARY)
    file_id = fake.add_file(b"%PDF minutes", file_name="会议记录.pdf", mime="application/pdf")
    answer = await say(fake, None, SECRETARY, document_file_id=file_id, caption="/attach 1")
    assert "会议记录.pdf" in answer["text"]


# ---------------------------------------------------------------- reading and refusing


async def test_status_for_the_secretary_and_for_the_leader(fake, bot, db_url):
    await join(fake, db_url)
    await join(fake, db_url, LEADER, None, "leader")
    await say(fake, "/log 支委会 昨天 出席7人", SECRETARY)
    mine = (await say(fake, "/status", SECRETARY))["text"]
    assert "一村党支部" in mine and "二村" not in mine and "支委会" in mine
    town = (await say(fake, "/status", LEADER))["text"]
    assert "示范镇党委" in town and "一村" in town and "二村" in town


async def test_a_stranger_learns_nothing_and_changes_nothing(fake, bot, db_url):
    await join(fake, db_url)
    await say(fake, "/bindgroup", SECRETARY, GROUP_CHAT)
    for text in ("/status", "/log 支委会 昨天 出席7人", "/list", "/whoami"):
        answer = (await say(fake, text, STRANGER))["text"]
        assert "一村" not in answer and "示范镇" not in answer and "支委会" not in answer
    in_group = (await say(fake, "/status", STRANGER, GROUP_CHAT))["text"]
    assert "不认识你" in in_group and "一村" not in in_group
    assert records(db_url) == []


async def test_the_same_message_delivered_twice_makes_one_record(fake, bot, db_url):
    await join(fake, db_url)
    update = fake.user_message("/log 支委会 昨天 出席7人", user_id=SECRETARY)
    await fake.wait_for_messages_async(SECRETARY, 2)
    fake.redeliver(update)
    answers = await fake.wait_for_messages_async(SECRETARY, 3)
    assert "已经记录过了（#1）" in answers[-1]["text"]
    assert len(records(db_url)) == 1


# ---------------------------------------------------------------- platform behaviour


async def test_command_menus_in_chinese_and_english_for_private_chats_and_groups(fake, bot):
    private = [c["command"] for c in fake.commands[("all_private_chats", "")]]
    group = [c["command"] for c in fake.commands[("all_group_chats", "")]]
    assert "log" in private and "bindgroup" not in private and "start" not in private
    assert "bindgroup" in group and "unbindgroup" in group and "log" in group
    assert "unbindgroup" not in private
    english = fake.commands[("all_private_chats", "en")]
    assert next(c for c in english if c["command"] == "log")["description"] == "Log a meeting"
    chinese = fake.commands[("all_private_chats", "")]
    assert next(c for c in chinese if c["command"] == "log")["description"] == "记录一次会议或活动"


async def test_rate_limits_and_network_errors_are_retried(fake, bot, db_url):
    await join(fake, db_url)
    fake.fail_next("sendMessage", 429, retry_after=1)
    assert "一村" in (await say(fake, "/whoami", SECRETARY))["text"]
    fake.fail_next("sendMessage", 500, times=2)
    assert "已记录" in (await say(fake, "/log 支委会 昨天 出席7人", SECRETARY))["text"]
    assert len(records(db_url)) == 1


async def test_a_reply_that_cannot_be_sent_leaves_the_record_and_apologises(fake, bot, db_url):
    await join(fake, db_url)
    fake.fail_next("sendMessage", 500, times=4)  # every retry of the confirmation fails
    fake.user_message("/log 支委会 昨天 出席7人", user_id=SECRETARY)
    messages = await fake.wait_for_messages_async(SECRETARY, 2)
    assert "错误编号" in messages[-1]["text"]
    assert len(records(db_url)) == 1


async def test_a_blocked_chat_does_not_stop_the_bot(fake, bot, db_url):
    await join(fake, db_url)
    await join(fake, db_url, LEADER, None, "leader")
    fake.block_chat(SECRETARY)
    fake.user_message("/log 支委会 昨天 出席7人", user_id=SECRETARY)
    await fake.wait_for_call_async("sendMessage", 4)
    assert "示范镇党委" in (await say(fake, "/status", LEADER))["text"]
    assert len(records(db_url)) == 1


async def test_a_group_upgraded_to_a_supergroup_stays_bound(fake, bot, db_url):
    await join(fake, db_url)
    old, new = -4001, -1004001
    fake.user_message("/bindgroup", user_id=SECRETARY, chat_id=old, chat_type="group")
    await fake.wait_for_messages_async(old, 1)
    service = {"message_id": 99, "date": 0, "chat": {"id": old, "type": "group", "title": "支部群"}}
    service["migrate_to_chat_id"] = new
    fake.push_raw({"message": service})
    await fake.wait_for_async(lambda f: bound_chat(db_url) == str(new), what="binding moved")
    answer = await say(fake, "/whoami", SECRETARY, new)
    assert "本群已绑定到一村党支部" in answer["text"]


def bound_chat(db_url: str) -> str | None:
    engine = create_engine(db_url)
    with Session(engine) as s:
        binding = s.exec(select(ChatBinding)).first()
    engine.dispose()
    return binding.chat_id if binding else None


async def test_a_guided_log_survives_a_restart_of_the_bot(fake, db_url, tmp_path):
    async def started():
        app = build_app(settings_for(fake, db_url, tmp_path / "files"), CLOCK)
        adapter = TelegramAdapter(app, pushes=False)  # pushes have tests of their own
        return app, adapter

    app, adapter = await started()
    async with run_polling(adapter.application) as application:
        await adapter.post_init(application)
        await join(fake, db_url)
        question = await say(fake, "/log", SECRETARY)
        date_q = await press(fake, question, "主题党日", SECRETARY)
    app.engine.dispose()
    app, adapter = await started()  # a new process would see the same database
    async with run_polling(adapter.application) as application:
        await adapter.post_init(application)
        attendance_q = await press(fake, date_q, "今天", SECRETARY)
        assert "出席多少人" in attendance_q["text"]
    app.engine.dispose()


async def test_report_sends_the_ledger_as_an_excel_document(fake, bot, db_url):
    import io

    import openpyxl

    await join(fake, db_url)
    await say(fake, "/log 支委会 昨天 出席7人", SECRETARY)
    answer = await say(fake, "/report", SECRETARY)
    assert "一村党支部 · 2026年3月 台账：1 条活动记录" in answer["text"]
    documents = await fake.wait_for_call_async("sendDocument", 3)
    names = sorted(d["document"].filename.rsplit(".", 1)[1] for d in documents)
    assert names == ["docx", "png", "xlsx"]
    (upload,) = [d["document"] for d in documents if d["document"].filename.endswith(".xlsx")]
    assert upload.filename.endswith(".xlsx") and "台账-一村党支部-2026-03" in upload.filename
    workbook = openpyxl.load_workbook(io.BytesIO(upload.content))
    assert workbook.sheetnames[:2] == ["汇总", "支委会"]


async def test_the_next_page_of_a_long_overview_replaces_the_message(fake, bot, db_url):
    from core import admin as admin_service
    from storage.db import make_engine, session_scope

    engine = make_engine(db_url)
    with session_scope(engine) as s:
        org = admin_service.get_org(s)
        for n in range(45):
            admin_service.add_branch(s, FOUNDED, org, f"第{n + 1:02d}村党支部")
    engine.dispose()
    await join(fake, db_url, LEADER, None, "leader")
    overview = await say(fake, "/status 2026Q1", LEADER)
    assert "第1/2页" in overview["text"]
    fake.press(
        overview["message_id"], button_data(overview, "下一页 ➡️"), user_id=LEADER, chat_id=LEADER
    )
    await fake.wait_for_async(
        lambda f: "第2/2页" in (f.messages(LEADER)[-1].get("text") or ""), what="page 2"
    )
    page = fake.messages(LEADER)[-1]
    assert page["message_id"] == overview["message_id"]  # edited in place, not a new message
    assert [b["text"] for row in page["reply_markup"]["inline_keyboard"] for b in row] == [
        "⬅️ 上一页"
    ]
