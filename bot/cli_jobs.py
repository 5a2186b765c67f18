"""``zhibu jobs list|run`` and ``zhibu outbox``: the scheduled pushes from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.app import App, jobs_of, system_clock
from bot.delivery import CONSOLE, ConsoleNotifier
from bot.messages import t
from bot.render import worded
from core.notify import Notifier
from jobs import outbox
from storage.db import session_scope
from storage.models import OutboxMessage


def add_parsers(sub) -> None:
    j = sub.add_parser("jobs", help="定时推送（月提醒单、月末提醒…）").add_subparsers(
        dest="jobs_command", required=True
    )
    x = j.add_parser("list", help="列出每个任务、触发规则和接下来三次运行时间")
    x.add_argument("--now", help="假定的当前时间，ISO 格式")
    x = j.add_parser("run", help="立即运行一个任务：计算、写入待发送队列并发送")
    x.add_argument("name", help="任务名，如 monthly_reminder")
    x.add_argument("--now", help="按此时间计算（ISO 格式，如 2026-04-01T09:00）")
    x.add_argument("--dry-run", action="store_true", help="只显示将发送的内容，不写入、不发送")
    o = sub.add_parser("outbox", help="查看待发送或发送失败的推送")
    o.add_argument("--failed", action="store_true", help="只看发送失败的")


def run(app: App, args) -> int:
    if args.command == "outbox":
        return _outbox(app, args.failed)
    platforms = frozenset({CONSOLE} | ({"telegram"} if app.settings.telegram.token else set()))
    # --now moves the "as of" of the job, not the outbox: what is written is due right away
    jobs = jobs_of(app, platforms, clock=system_clock)
    if args.jobs_command == "list":
        return _list(app, jobs)
    locale = app.settings.locale
    if args.name not in jobs.jobs:
        print(t("jobs_unknown", locale, name=args.name, names=worded(list(jobs.jobs), locale)))
        return 2
    at = app.clock().astimezone(app.settings.tz)
    if args.dry_run:
        for m in jobs.messages(args.name, at):
            print(f"→ [{m.chat_id}] ({m.platform}) {m.text}\n")
        return 0
    added = jobs.run(args.name, at)
    print(t("jobs_ran", locale, name=args.name, at=f"{at:%Y-%m-%d %H:%M}", added=added) + "\n")
    sent, complete = asyncio.run(_deliver(app))
    print(t("jobs_sent", locale, sent=sent))
    return 0 if complete else 1


def _list(app: App, jobs) -> int:
    now, locale = app.clock(), app.settings.locale
    for name, job in jobs.jobs.items():
        fires = worded([f"{f:%Y-%m-%d %H:%M}" for f in jobs.next_fires(name, now)], locale)
        print(f"{name}\n  {job.description}\n  {t('jobs_next', locale, fires=fires)}")
    return 0


async def _deliver(app: App) -> tuple[int, bool]:
    """(rows sent, whether every platform with pushes could be reached)."""
    notifiers: dict[str, Notifier] = {CONSOLE: ConsoleNotifier(locale=app.settings.locale)}
    async with contextlib.AsyncExitStack() as stack:
        complete = await _add_telegram(app, notifiers, stack)
        deliverer = outbox.Deliverer(
            app.engine,
            system_clock,
            notifiers,
            app.settings.jobs.max_attempts,
            max_age=timedelta(days=max(1, app.settings.jobs.catch_up_days)),
        )
        return await deliverer.deliver_due(), complete


async def _add_telegram(
    app: App, notifiers: dict[str, Notifier], stack: contextlib.AsyncExitStack
) -> bool:
    """Deliver to Telegram too when a token is set; offline, its pushes wait in the outbox."""
    tg = app.settings.telegram
    if tg.token is None:
        return True
    from telegram import Bot
    from telegram.error import TelegramError

    from bot.telegram.send import TelegramNotifier

    bot = Bot(tg.token.get_secret_value(), base_url=tg.base_url, base_file_url=tg.base_file_url)
    try:
        await stack.enter_async_context(bot)
    except TelegramError as exc:
        print(t("jobs_telegram_down", app.settings.locale, problem=exc), file=sys.stderr)
        return False
    notifiers["telegram"] = TelegramNotifier(bot)
    return True


def _outbox(app: App, failed: bool) -> int:
    locale = app.settings.locale
    with session_scope(app.engine) as session:
        rows = outbox.pending(session, failed)
        if not rows:
            print(t("outbox_none_failed" if failed else "outbox_none", locale))
        for r in rows:
            first = r.text.split("\n", 1)[0]
            print(f"{_outbox_row(r, failed, app.settings.tz, locale)}\n    {first}")
    return 0


def _outbox_row(r: OutboxMessage, failed: bool, tz: ZoneInfo, locale: str) -> str:
    """One queued push: its job, target, attempts, next try (if pending) and last error."""
    next_at = r.next_attempt_at.astimezone(tz)
    when = "" if failed else t("outbox_next", locale, at=f"{next_at:%Y-%m-%d %H:%M}")
    error = t("outbox_error", locale, problem=r.last_error) if r.last_error else ""
    target = f"{r.platform}:{r.chat_id}"
    return t(
        "outbox_row",
        locale,
        id=r.id,
        job=r.job,
        target=target,
        attempts=r.attempts,
        when=when,
        error=error,
    )
