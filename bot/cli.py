"""The ``zhibu`` command: run the bot, the console, the demo, status, database and admin."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from bot import cli_admin, cli_export, cli_jobs, console
from bot.app import App, build_app, open_engine, settle_heap, shifted_clock, system_clock
from bot.cli_common import EXIT_USAGE, error_text, period_arg, say_error
from bot.delivery import background_pushes
from bot.messages import ZH, t
from bot.render import branch_status, org_status
from core import admin, demo
from core.compliance import as_dict
from core.config import ConfigError, Settings, load_settings
from core.errors import DomainError
from core.periods import Period, local_today
from core.status import org_status as org_status_result
from storage import migrate
from storage.db import make_engine, session_scope

T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zhibu", description="支部助手 Zhibu")
    p.add_argument("--config", help="配置文件路径（默认 ZHIBU_CONFIG 或 ./config.toml）")
    p.add_argument("--verbose", "-v", action="store_true", help="输出调试日志")
    sub = p.add_subparsers(dest="command", required=True, metavar="命令", help="子命令，见下")

    _command(sub, "run", "启动机器人（未配置聊天平台时写入演示数据，以 sec1 身份进入控制台）")

    c = _command(sub, "console", "在终端里以某个用户身份对话")
    c.add_argument("--user", required=True, help="控制台用户 ID，如 sec1")
    c.add_argument("--chat", required=True, help="控制台聊天 ID，如 branch1")
    c.add_argument("--now", help="假定的当前时间，ISO 格式，如 2026-03-15T10:00")

    d = _command(sub, "demo", "写入示范镇演示数据")
    d.add_argument("--reset", action="store_true", help="清空演示数据后重建")
    d.add_argument("--now", help="以此时间为“今天”生成数据")

    s = _command(sub, "status", "查看完成情况（与 /status 相同的数字）")
    s.add_argument("--branch", help="支部名称或简称")
    s.add_argument("--period", help="时间段：2026-03、2026Q1、2026、本季度…（默认本月）")
    s.add_argument("--now", help="假定的当前时间，ISO 格式")
    s.add_argument("--org", help=ORG_HELP)
    s.add_argument("--json", action="store_true", help="输出 JSON")

    db = _command(sub, "db", "数据库迁移").add_subparsers(
        dest="db_command", required=True, metavar="操作", help="子命令，见下"
    )
    _command(db, "upgrade", "升级数据库结构到最新版本")
    _command(db, "current", "显示数据库结构版本是否最新")

    cli_export.add_parser(sub)

    _admin_parser(sub)
    cli_jobs.add_parsers(sub)
    _help_in_chinese(p)
    return p


ORG_HELP = "党委名称（有多个党委时；默认第一个）"
PLATFORM_HELP = f"聊天平台：{' / '.join(admin.PLATFORMS)}"


def _command(sub, name: str, text: str) -> argparse.ArgumentParser:
    """A sub-command whose own --help says what it does, not only its parent's list."""
    return sub.add_parser(name, help=text, description=text)


def _help_in_chinese(parser: argparse.ArgumentParser) -> None:
    """-h says what it does in Chinese too, in every sub-command's help."""
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = "显示本帮助并退出"
        elif isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _help_in_chinese(child)


def _admin_parser(sub) -> None:
    a = _command(sub, "admin", "设置党委、支部、成员与绑定").add_subparsers(
        dest="admin_command", required=True, metavar="操作", help="子命令，见下"
    )
    x = _command(a, "create-org", "新建党委")
    x.add_argument("name", help="党委名称，如 青山镇党委")
    x = _command(a, "add-branch", "新建支部")
    x.add_argument("name", help="支部全称，如 东村党支部")
    x.add_argument("--short", help="简称，如 东村（全称、简称在本党委内不能重复）")
    x.add_argument(
        "--since", help="从哪天起计入三会一课要求，如 2026-01-01（默认今天；此前的月份不算未完成）"
    )
    x.add_argument("--org", help=ORG_HELP)
    x = _command(a, "add-group", "新建党小组")
    x.add_argument("branch", help="支部名称或简称")
    x.add_argument("name", help="党小组名称，如 第一党小组")
    x.add_argument("--org", help=ORG_HELP)
    x = _command(a, "add-member", "新增成员")
    x.add_argument("name", help="成员姓名")
    x.add_argument("--branch", help="所在支部的名称或简称（支部角色必填）")
    x.add_argument("--role", help="secretary/deputy/committee/member 或 书记/副书记/支委/党员")
    x.add_argument("--org-role", help="leader/admin 或 领导/管理员")
    x.add_argument("--group", help="已有的党小组名称（新党小组先用 add-group 建立）")
    x.add_argument("--allow-same-name", action="store_true", help="同一支部确有同名的另一人")
    x.add_argument("--org", help=ORG_HELP)
    x = _command(a, "import-members", "从 CSV 导入成员（全部导入或全部不导入）")
    x.add_argument(
        "file",
        type=Path,
        help=f"CSV 文件（UTF-8 或 GB18030），列：{','.join(admin.CSV_COLUMNS)}",
    )
    x.add_argument("--force", action="store_true", help="行中的账号已绑定他人时改绑")
    x.add_argument("--org", help=ORG_HELP)
    x = _command(a, "bind-user", "把聊天平台用户绑定到成员")
    x.add_argument("--member", required=True, help="成员姓名")
    x.add_argument("--branch", help="成员所在支部（有同名成员时）")
    x.add_argument("--platform", required=True, help=PLATFORM_HELP)
    x.add_argument("--user", required=True, help="平台上的用户 ID")
    x.add_argument("--force", action="store_true", help="该账号已绑定他人时改绑")
    x.add_argument("--org", help=ORG_HELP)
    x = _command(a, "bind-chat", "把聊天绑定到支部或党委")
    x.add_argument("--platform", required=True, help=PLATFORM_HELP)
    x.add_argument("--chat", required=True, help="平台上的聊天 ID，如 Telegram 群的 -100123")
    x.add_argument("--branch", help="支部名称或简称；不写则绑定为党委群")
    x.add_argument(
        "--force", action="store_true", help="该聊天已绑定到别的支部或党委群时改绑到这里"
    )
    x.add_argument("--org", help=ORG_HELP)
    x = _command(a, "unbind-chat", "解除聊天的绑定（此后不再向它推送）")
    x.add_argument("--platform", required=True, help=PLATFORM_HELP)
    x.add_argument("--chat", required=True, help="平台上的聊天 ID")
    x.add_argument("--org", help=ORG_HELP)
    x = _command(a, "invite", "生成一次性邀请码和 Telegram 邀请链接")
    x.add_argument("--branch", help="支部名称或简称（镇党委领导、管理员不写）")
    x.add_argument(
        "--role", required=True, help="secretary/deputy/committee/member/leader/admin 或 书记/支委…"
    )
    x.add_argument("--name", help="被邀请人的姓名（已在名册中时绑定到该成员）")
    x.add_argument("--expires", default="7d", help="有效期，如 7d、12h、30m（默认 7d，1m 到 365d）")
    x.add_argument("--org", help=ORG_HELP)
    x = _command(a, "list", "列出党委、支部与成员数")
    x.add_argument("--org", help=ORG_HELP)


def parse_now(value: str | None, settings: Settings) -> datetime | None:
    """--now as an aware datetime; a naive value is local time in the configured zone."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SystemExit(t("cli_bad_now", settings.locale, value=repr(value))) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    locale = ZH  # until the settings say otherwise
    try:
        try:
            settings = load_settings(args.config)
            locale = settings.locale
            return _run(args, settings)
        finally:
            sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
    except BrokenPipeError:  # `zhibu status --json | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except DatabaseUnavailable as exc:
        say_error(locale, str(exc))
        return EXIT_USAGE
    except DomainError as exc:  # AdminError too: a catalogue key and its values
        say_error(locale, error_text(exc, locale))
        return 1


class DatabaseUnavailable(Exception):
    """database.url names no database Zhibu can open; worded for whoever set it."""


def _open_database(url: str, opening: Callable[[], T], locale: str) -> T:
    """``opening()`` (make the engine, migrate or check it), with what can go wrong with the
    URL itself said in one line naming it (password hidden) and what to check."""
    try:
        return opening()
    except (SQLAlchemyError, OSError, ImportError) as exc:
        problem = _database_problem(exc, locale)
        raise DatabaseUnavailable(
            t("db_unavailable", locale, url=_shown_url(url), problem=problem)
        ) from exc


def _shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: hide what could be a password all the same
        return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)


def _database_problem(exc: BaseException, locale: str) -> str:
    if isinstance(exc, NoSuchModuleError):
        return t("db_unknown_dialect", locale)
    if isinstance(exc, ArgumentError):
        return t("db_bad_url", locale)
    if isinstance(exc, ImportError):
        return t("db_no_driver", locale, name=exc.name or exc)
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return t("db_cannot_create", locale, where=where, reason=exc.strerror or exc)
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        lines = str(exc.orig).strip().splitlines()
        if lines and "file is not a database" in lines[0]:
            return t("db_not_sqlite", locale)
        reason = lines[0] if lines else type(exc.orig).__name__
        return t("db_connect_failed", locale, reason=reason)
    return t("db_other", locale, name=type(exc).__name__)


def _run(args, settings: Settings) -> int:
    if args.command == "db":
        return _db(args, settings)
    now = parse_now(getattr(args, "now", None), settings)
    clock = shifted_clock(now) if now else system_clock
    engine = _open_database(settings.database.url, lambda: open_engine(settings), settings.locale)
    app = build_app(settings, clock, engine)
    try:
        match args.command:
            case "run":
                return _run_bot(app)
            case "console":
                return console.run(app.router(), args.user, args.chat)
            case "demo":
                return _demo(app, args.reset)
            case "status":
                return _status(app, args)
            case "admin":
                return cli_admin.run(app, args)
            case "jobs" | "outbox":
                return cli_jobs.run(app, args)
            case "export":
                return cli_export.run(app, args)
        return EXIT_USAGE
    finally:
        app.engine.dispose()


def _db(args, settings: Settings) -> int:
    url, locale = settings.database.url, settings.locale
    engine = _open_database(url, lambda: make_engine(url), locale)
    try:
        if args.db_command == "upgrade":
            _open_database(url, lambda: migrate.upgrade(engine), locale)
            print(t("db_upgraded", locale))
        else:
            current = _open_database(url, lambda: migrate.is_current(engine), locale)
            print(t("db_current" if current else "db_needs_upgrade", locale))
        return 0
    finally:
        engine.dispose()


def _run_bot(app: App) -> int:
    if app.settings.telegram.token is not None:
        from bot.telegram.adapter import TelegramAdapter  # PTB loads only when it is used

        logging.getLogger().setLevel(logging.INFO)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll otherwise
        settle_heap()
        return TelegramAdapter(app).run()
    with session_scope(app.engine) as session:
        if not demo.has_any_org(session):
            demo.seed(session, app.clock, local_today(app.clock, app.settings.tz))
    print(t("console_banner", app.settings.locale, user="sec1", chat="branch1"), flush=True)
    stop = background_pushes(app) if app.settings.jobs.enabled else None
    settle_heap()
    try:
        return console.run(app.router(), "sec1", "branch1")
    finally:
        if stop:
            stop()


def _demo(app: App, reset: bool) -> int:
    with session_scope(app.engine) as session:
        created = demo.seed(session, app.clock, local_today(app.clock, app.settings.tz), reset)
    print(t("demo_written" if created else "demo_exists", app.settings.locale))
    return 0


def _status(app: App, args) -> int:
    today, locale = local_today(app.clock, app.settings.tz), app.settings.locale
    period = (
        period_arg(args.period, today, locale) if args.period else Period.containing("month", today)
    )
    if period is None:
        return EXIT_USAGE
    with session_scope(app.engine) as session:
        org = admin.get_org(session, args.org)  # the lookup `export` makes, and its wording
        result = org_status_result(session, app.registry, today, org.name, period, args.branch)
    if args.json:
        label = period.label(locale)
        data = {"org": org.name, "period_label": label, **as_dict(result, app.registry)}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.branch:
        print(branch_status(result.branches[0], result, app.registry, locale))
    else:
        print(org_status(result, org.name, app.registry, locale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
