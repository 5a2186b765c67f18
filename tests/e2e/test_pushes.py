"""Scheduled pushes delivered through the real Telegram adapter: the bot was down at 09:00 on
the first working day, so on start it catches up, once, and skips a chat that blocked it."""

from __future__ import annotations

from sqlmodel import Session, create_engine, select

from bot.app import build_app
from bot.telegram.adapter import TelegramAdapter
from core import admin
from core.periods import fixed_clock
from storage.db import session_scope
from storage.models import ChatBinding, OutboxMessage
from tests.conftest import local
from tests.e2e.conftest import settings_for
from tests.e2e.fakebot import FakeTelegram, run_polling
from tests.helpers import run_zhibu

BRANCH_CHAT, BLOCKED_CHAT, LEADERS_CHAT = -1001, -1002, -1009
AFTER_FIRST_WORKDAY = fixed_clock(local(2026, 4, 1, 11))  # the 09:00 push time has passed


def bind_chats(db_url: str) -> None:
    app = build_app(settings_for_url(db_url), AFTER_FIRST_WORKDAY)
    with session_scope(app.engine) as s:
        org = admin.get_org(s)
        for chat, branch in ((BRANCH_CHAT, "一村"), (BLOCKED_CHAT, "二村"), (LEADERS_CHAT, None)):
            b = admin.branch_named(s, org, branch) if branch else None
            admin.bind_chat(s, org, "telegram", str(chat), b)
    app.engine.dispose()


def settings_for_url(db_url: str):
    from core.config import Settings

    return Settings(database={"url": db_url})


async def start_bot(fake: FakeTelegram, db_url: str, tmp_path):
    app = build_app(settings_for(fake, db_url, tmp_path / "files"), AFTER_FIRST_WORKDAY)
    return app, TelegramAdapter(app)


def rows(db_url: str, model):
    engine = create_engine(db_url)
    with Session(engine) as s:
        found = list(s.exec(select(model)).all())
    engine.dispose()
    return found


async def test_missed_reminders_are_caught_up_once_and_blocked_chats_skipped(
    fake: FakeTelegram, db_url, tmp_path
):
    bind_chats(db_url)
    fake.block_chat(BLOCKED_CHAT)
    for restart in range(2):  # the second start must not send anything again
        app, adapter = await start_bot(fake, db_url, tmp_path)
        async with run_polling(adapter.application) as application:
            await adapter.post_init(application)
            await adapter.post_shutdown(application)
        app.engine.dispose()
        if restart == 0:
            (reminder,) = fake.messages(BRANCH_CHAT)
            assert reminder["text"].startswith("📋 一村党支部 · 2026年4月提醒单")
            assert "本月须开：支委会" in reminder["text"]
            to_leaders = fake.messages(LEADERS_CHAT)
            texts = sorted(m["text"].split("\n")[0] for m in to_leaders if "text" in m)
            # April 1 is also the first working day after the first quarter: the 通报 comes
            # with the quarter's ledger and heatmap
            assert texts == [
                "📊 示范镇党委 · 2026年第一季度三会一课通报",
                "📋 示范镇党委 · 2026年4月提醒单（汇总）",
            ]
            documents = sorted(m["document"]["file_name"] for m in to_leaders if "document" in m)
            assert documents == ["台账-示范镇党委-2026Q1.png", "台账-示范镇党委-2026Q1.xlsx"]
    assert len(fake.messages(BRANCH_CHAT)) == 1 and len(fake.messages(LEADERS_CHAT)) == 4
    assert (
        len(fake.calls_of("sendMessage")) == 4
    )  # three delivered, one refused by the blocked chat
    statuses = sorted((r.job, r.chat_id, r.status) for r in rows(db_url, OutboxMessage))
    assert statuses == [
        ("monthly_reminder", str(BRANCH_CHAT), "sent"),
        ("monthly_reminder", str(BLOCKED_CHAT), "skipped"),
        ("monthly_reminder", str(LEADERS_CHAT), "sent"),
        ("quarterly_summary", str(LEADERS_CHAT), "sent"),
    ]
    blocked = next(b for b in rows(db_url, ChatBinding) if b.chat_id == str(BLOCKED_CHAT))
    assert blocked.unreachable_at is not None


async def test_a_long_push_goes_out_in_parts_within_telegrams_limit(fake: FakeTelegram):
    from telegram import Bot

    from bot.telegram.send import TelegramNotifier

    text = "\n".join(f"· 第{n}项：某某村党支部某某事项尚未完成，请及时处理" for n in range(300))
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        await TelegramNotifier(bot).send(str(BRANCH_CHAT), text)
    parts = [m["text"] for m in fake.messages(BRANCH_CHAT)]
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text


def test_jobs_run_with_telegram_offline_keeps_its_pushes_queued(db_url, tmp_path):
    bind_chats(db_url)
    env = {
        "ZHIBU_DATABASE__URL": db_url,
        "ZHIBU_TELEGRAM__TOKEN": "123:offline",
        "ZHIBU_TELEGRAM__BASE_URL": "http://127.0.0.1:9/bot",  # nothing listens there
    }
    run = run_zhibu(
        tmp_path, "jobs", "run", "monthly_reminder", "--now", "2026-04-01T09:00", env=env
    )
    assert run.returncode == 1, run.stderr
    assert "Telegram 连接不上" in run.stderr and "Traceback" not in run.stderr
    assert {r.status for r in rows(db_url, OutboxMessage)} == {"pending"}
