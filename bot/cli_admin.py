"""``zhibu admin``: set up orgs, branches, groups, members, bindings and invitations, each
confirmed or refused in one line in the configured locale."""

from __future__ import annotations

import sys
from datetime import date, datetime, time

from bot.app import App
from bot.messages import role_name, t
from bot.render import worded
from core import admin, invites
from core.config import Settings
from core.periods import Clock, fixed_clock
from storage.db import session_scope


def run(app: App, args) -> int:
    if args.admin_command == "invite":
        return _invite(app, args)
    with session_scope(app.engine) as session:
        message = _action(session, app, args)
    print(message)
    return 0


def _since(value: str, settings: Settings) -> Clock:
    """--since as the moment the branch counts from: noon of that day, local time, which is
    the same day in UTC too (the compliance engine reads the UTC day)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise SystemExit(t("cli_bad_since", settings.locale, value=repr(value))) from None
    return fixed_clock(datetime.combine(day, time(12), settings.tz))


def _invite(app: App, args) -> int:
    locale = app.settings.locale
    valid_for = invites.parse_duration(args.expires)
    role = admin.normalise_role(args.role, invites.INVITE_ROLES) or ""
    with session_scope(app.engine) as session:
        org = admin.get_org(session, args.org)
        branch = admin.branch_named(session, org, args.branch) if args.branch else None
        new = invites.create_invite(session, app.clock, org, branch, role, valid_for, args.name)
        where = branch.name if branch else org.name
        expires = f"{new.invite.expires_at.astimezone(app.settings.tz):%Y-%m-%d %H:%M}"
    who = role_name(role, locale)
    print(t("cli_invite_code", locale, where=where, role=who, expires=expires))
    print(new.code)
    username = _username(app)
    if username:
        print(t("cli_invite_link", locale, url=f"https://t.me/{username}?start={new.code}"))
    else:
        print(t("cli_invite_no_username", locale))
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
        problem = t("cli_invite_username_failed", app.settings.locale, problem=exc)
        print(problem, file=sys.stderr)
        return None


def _action(session, app: App, args) -> str:
    locale = app.settings.locale
    if args.admin_command == "create-org":
        org = admin.create_org(session, app.clock, args.name)
        return t("admin_created_org", locale, name=org.name)
    org = admin.get_org(session, args.org)
    return ACTIONS[args.admin_command](session, app, org, args, locale)


def _add_branch(session, app: App, org, args, locale: str) -> str:
    since = _since(args.since, app.settings) if args.since else app.clock
    b = admin.add_branch(session, since, org, args.name, args.short)
    return t("admin_created_branch", locale, name=b.name)


def _add_group(session, app: App, org, args, locale: str) -> str:
    branch = admin.branch_named(session, org, args.branch)
    g = admin.add_group(session, branch, args.name)
    return t("admin_created_group", locale, branch=branch.name, name=g.name)


def _add_member(session, app: App, org, args, locale: str) -> str:
    m = admin.add_member(
        session,
        app.clock,
        org,
        args.name,
        args.branch,
        args.role,
        args.org_role,
        args.group,
        args.allow_same_name,
    )
    return t("admin_added_member", locale, name=m.name, id=m.id)


def _import_members(session, app: App, org, args, locale: str) -> str:
    r = admin.import_members(session, app.clock, org, args.file, args.force)
    return t("admin_imported", locale, created=r.created, skipped=r.skipped)


def _bind_user(session, app: App, org, args, locale: str) -> str:
    m = admin.find_member(session, org, args.member, args.branch)
    admin.bind_identity(session, m, args.platform, args.user, args.force)
    return t("admin_bound_user", locale, platform=args.platform, user=args.user, name=m.name)


def _bind_chat(session, app: App, org, args, locale: str) -> str:
    branch = admin.branch_named(session, org, args.branch) if args.branch else None
    done = admin.bind_chat_checked(
        session, org, args.platform, args.chat, branch, app.clock, args.force
    )
    owner = admin.owner_name(session, done.binding)
    said = {"platform": args.platform, "chat": args.chat, "owner": worded(owner, locale)}
    if not done.changed:
        return t("admin_chat_unchanged", locale, **said)
    if done.before and done.before != owner:
        return t("admin_chat_moved", locale, before=worded(done.before, locale), **said)
    return t("admin_chat_bound", locale, **said)


def _unbind_chat(session, app: App, org, args, locale: str) -> str:
    binding = admin.chat_bound_in(session, org, args.platform, args.chat)
    if not admin.unbind_chat(session, binding, app.clock, None):
        raise admin.AdminError("admin_chat_just_unbound", platform=args.platform, chat=args.chat)
    return t("admin_chat_unbound", locale, platform=args.platform, chat=args.chat)


def _list(session, app: App, org, args, locale: str) -> str:
    lines = [org.name]
    for b, n in admin.branch_counts(session, org):
        short = t("admin_list_short", locale, short=b.short_name) if b.short_name else ""
        lines.append(t("admin_list_branch", locale, name=b.name, short=short, n=n))
    return "\n".join(lines)


ACTIONS = {
    "add-branch": _add_branch,
    "add-group": _add_group,
    "add-member": _add_member,
    "import-members": _import_members,
    "bind-user": _bind_user,
    "bind-chat": _bind_chat,
    "unbind-chat": _unbind_chat,
    "list": _list,
}
