"""The ``zhibu`` command: run the bot, the console, the demo, status, database and admin."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from bot import cli_export, cli_jobs, console
from bot.app import App, build_app, open_engine, settle_heap, shifted_clock, system_clock
from bot.cli_common import EXIT_USAGE, period_arg
from bot.delivery import background_pushes
from bot.messages import ZH, role_name, t
from bot.render import branch_status, org_status, worded
from core import admin, demo, invites
from core.compliance import as_dict
from core.config import ConfigError, Settings, load_settings
from core.errors import DomainError
from core.periods import Clock, Period, fixed_clock, local_today
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
        raise SystemExit(
            f"--now 的格式不对：{value!r}，应为 2026-03-15 或 2026-03-15T10:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


def _since(value: str, settings: Settings) -> Clock:
    """--since as the moment the branch counts from: noon of that day, local time, which is
    the same day in UTC too (the compliance engine reads the UTC day)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"--since 的格式不对：{value!r}，应为 2026-01-01") from None
    return fixed_clock(datetime.combine(day, time(12), settings.tz))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        try:
            settings = load_settings(args.config)
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
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except admin.AdminError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    except DomainError as exc:
        params = {key: worded(value, ZH) for key, value in exc.params.items()}
        print(f"错误：{t(exc.key, ZH, **params)}", file=sys.stderr)
        return 1


class DatabaseUnavailable(Exception):
    """database.url names no database Zhibu can open; worded for whoever set it."""


def _open_database(url: str, opening: Callable[[], T]) -> T:
    """``opening()`` (make the engine, migrate or check it), with what can go wrong with the
    URL itself said in one line naming it (password hidden) and what to check."""
    try:
        return opening()
    except (SQLAlchemyError, OSError, ImportError) as exc:
        raise DatabaseUnavailable(
            f"无法打开数据库 {_shown_url(url)}：{_database_problem(exc)}"
            "（配置项 database.url，环境变量 ZHIBU_DATABASE__URL）"
        ) from exc


def _shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: hide what could be a password all the same
        return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)


def _database_problem(exc: BaseException) -> str:
    if isinstance(exc, NoSuchModuleError):
        return "不认识这种数据库，地址应以 sqlite:/// 或 postgresql+psycopg:// 开头"
    if isinstance(exc, ArgumentError):
        return (
            "地址的格式不对，应形如 sqlite:///./data/zhibu.db "
            "或 postgresql+psycopg://用户:密码@主机:5432/库名"
        )
    if isinstance(exc, ImportError):
        return f"缺少数据库驱动 {exc.name or exc}，PostgreSQL 请用 postgresql+psycopg://"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"无法创建或打开{where}（{exc.strerror or exc}），请确认其所在文件夹存在且可写"
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        lines = str(exc.orig).strip().splitlines()
        if lines and "file is not a database" in lines[0]:
            return "这个文件不是 SQLite 数据库，请确认路径指向 Zhibu 的数据库文件"
        reason = lines[0] if lines else type(exc.orig).__name__
        return f"连接失败（{reason}），请确认数据库在运行、路径或主机、账号无误"
    return f"{type(exc).__name__}，请确认地址无误"


def _run(args, settings: Settings) -> int:
    if args.command == "db":
        return _db(args, settings)
    now = parse_now(getattr(args, "now", None), settings)
    clock = shifted_clock(now) if now else system_clock
    engine = _open_database(settings.database.url, lambda: open_engine(settings))
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
                return _admin(app, args)
            case "jobs" | "outbox":
                return cli_jobs.run(app, args)
            case "export":
                return cli_export.run(app, args)
        return EXIT_USAGE
    finally:
        app.engine.dispose()


def _db(args, settings: Settings) -> int:
    url = settings.database.url
    engine = _open_database(url, lambda: make_engine(url))
    try:
        if args.db_command == "upgrade":
            _open_database(url, lambda: migrate.upgrade(engine))
            print("数据库结构已是最新版本。")
        else:
            current = _open_database(url, lambda: migrate.is_current(engine))
            print("最新" if current else "需要升级：运行 zhibu db upgrade")
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
    print(
        "已写入演示数据：示范镇党委，8个村党支部。"
        if created
        else "演示数据已存在，未做改动（如需重建请加 --reset）。"
    )
    return 0


def _status(app: App, args) -> int:
    today = local_today(app.clock, app.settings.tz)
    period = period_arg(args.period, today) if args.period else Period.containing("month", today)
    if period is None:
        return EXIT_USAGE
    with session_scope(app.engine) as session:
        org = admin.get_org(session, args.org)  # the lookup `export` makes, and its wording
        result = org_status_result(session, app.registry, today, org.name, period, args.branch)
    if args.json:
        data = {"org": org.name, "period_label": period.label(), **as_dict(result, app.registry)}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.branch:
        print(branch_status(result.branches[0], result, app.registry, app.settings.locale))
    else:
        print(org_status(result, org.name, app.registry, app.settings.locale))
    return 0


def _admin(app: App, args) -> int:
    if args.admin_command == "invite":
        return _invite(app, args)
    with session_scope(app.engine) as session:
        message = _admin_action(session, app, args)
    print(message)
    return 0


def _invite(app: App, args) -> int:
    valid_for = invites.parse_duration(args.expires)
    role = admin.normalise_role(args.role, invites.INVITE_ROLES) or ""
    with session_scope(app.engine) as session:
        org = admin.get_org(session, args.org)
        branch = admin.branch_named(session, org, args.branch) if args.branch else None
        new = invites.create_invite(session, app.clock, org, branch, role, valid_for, args.name)
        where = branch.name if branch else org.name
        expires = new.invite.expires_at.astimezone(app.settings.tz)
    print(f"邀请码（{where} · {role_name(role)}，{expires:%Y-%m-%d %H:%M} 前有效，只能使用一次）：")
    print(new.code)
    username = _username(app)
    if username:
        print(f"邀请链接：https://t.me/{username}?start={new.code}")
    else:
        print("未配置 telegram.bot_username，也无法向 Telegram 查询；被邀请人可私聊机器人发送：")
    print(f"/start {new.code}")
    return 0


def _username(app: App) -> str | None:
    if app.settings.telegram.token is None:
        return app.settings.telegram.bot_username
    import asyncio

    from bot.telegram.adapter import bot_username

    try:
        return asyncio.run(bot_username(app))
    except Exception as exc:  # offline: the code still works with /start
        print(f"（无法向 Telegram 查询机器人用户名：{exc}）", file=sys.stderr)
        return None


def _admin_action(session, app: App, args) -> str:
    clock, cmd = app.clock, args.admin_command
    if cmd == "create-org":
        org = admin.create_org(session, clock, args.name)
        return f"已创建党委“{org.name}”。"
    org = admin.get_org(session, args.org)
    if cmd == "add-branch":
        since = _since(args.since, app.settings) if args.since else clock
        b = admin.add_branch(session, since, org, args.name, args.short)
        return f"已创建支部“{b.name}”。"
    if cmd == "add-group":
        branch = admin.branch_named(session, org, args.branch)
        g = admin.add_group(session, branch, args.name)
        return f"已在{branch.name}创建党小组“{g.name}”。"
    if cmd == "add-member":
        m = admin.add_member(
            session,
            clock,
            org,
            args.name,
            args.branch,
            args.role,
            args.org_role,
            args.group,
            args.allow_same_name,
        )
        return f"已添加成员“{m.name}”（编号 {m.id}）。"
    if cmd == "import-members":
        r = admin.import_members(session, clock, org, args.file, args.force)
        return f"已导入 {r.created} 名成员，跳过已存在的 {r.skipped} 名。"
    if cmd == "bind-user":
        m = admin.find_member(session, org, args.member, args.branch)
        admin.bind_identity(session, m, args.platform, args.user, args.force)
        return f"已将 {args.platform} 用户 {args.user} 绑定到“{m.name}”。"
    if cmd == "bind-chat":
        branch = admin.branch_named(session, org, args.branch) if args.branch else None
        done = admin.bind_chat_checked(
            session, org, args.platform, args.chat, branch, clock, args.force
        )
        chat, now = f"{args.platform} 聊天 {args.chat}", admin.owner_name(session, done.binding)
        if not done.changed:
            return f"{chat} 已绑定到“{now}”，无需改动。"
        if done.before and done.before != now:
            return f"已将 {chat} 从“{done.before}”改绑到“{now}”，原来排队给它的推送不再发出。"
        return f"已将 {chat} 绑定到“{now}”。"
    if cmd == "unbind-chat":
        binding = admin.chat_bound_in(session, org, args.platform, args.chat)
        if not admin.unbind_chat(session, binding, clock, None):
            raise admin.AdminError(f"{args.platform} 聊天 {args.chat} 刚被解除绑定，无需再解。")
        return f"已解除 {args.platform} 聊天 {args.chat} 的绑定，此后不再向它推送。"
    return admin.describe(session, org)


if __name__ == "__main__":
    sys.exit(main())
