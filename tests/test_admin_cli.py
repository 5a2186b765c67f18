"""``zhibu admin`` and ``zhibu status`` as an operator meets them: what a refusal says, its
exit code, and that a refused command leaves the database as it was. The command runs in
this process (on SQLite and, when configured, PostgreSQL) on the small town of conftest:
一村 (groups 第一党小组, 第二党小组; chat branch1), 二村 (no groups; chat branch2), the
leaders' chat town."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.cli import _parser, main
from storage.db import session_scope
from storage.models import (
    AuditEvent,
    ChatBinding,
    Identity,
    Invite,
    Member,
    OutboxMessage,
    PartyGroup,
)
from tests.conftest import local


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def zhibu(engine, town, monkeypatch, capsys, tmp_path):
    """Run ``zhibu ARGS`` on the test's database; return its exit code and output."""
    for key in [k for k in os.environ if k.startswith("ZHIBU_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ZHIBU_DATABASE__URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)  # no ./config.toml of the developer's

    def run(*args: str) -> Done:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse, or a message given to SystemExit
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


def rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table, to show a refused command changed nothing."""
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(sa_select(t).order_by(*t.primary_key))]
            for t in SQLModel.metadata.sorted_tables
        }


def refused(done: Done, *gist: str) -> None:
    """One line on stderr, worded like the CLI's other errors, saying ``gist``; exit 1."""
    assert done.returncode == 1, done
    assert done.stderr.startswith("错误：") and len(done.stderr.strip().splitlines()) == 1, done
    for part in gist:
        assert part in done.stderr, (part, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""


# ------------------------------------------------------------------ bind-chat (1)


def binding(engine, chat: str) -> ChatBinding:
    with session_scope(engine) as s:
        return s.exec(select(ChatBinding).where(ChatBinding.chat_id == chat)).one()


def test_bind_chat_does_not_take_another_branchs_chat_without_force(zhibu, engine, town):
    before = rows(engine)
    taken = zhibu(
        "admin", "bind-chat", "--platform", "console", "--chat", "branch1", "--branch", "二村"
    )
    refused(taken, "console 聊天 branch1 已绑定到“一村党支部”", "改绑到“二村党支部”", "--force")
    leaders = zhibu(
        "admin", "bind-chat", "--platform", "console", "--chat", "town", "--branch", "二村"
    )
    refused(leaders, "已绑定到“示范镇党委（党委群）”", "--force")
    to_leaders = zhibu("admin", "bind-chat", "--platform", "console", "--chat", "branch1")
    refused(to_leaders, "已绑定到“一村党支部”", "改绑到“示范镇党委（党委群）”")
    assert rows(engine) == before


def test_binding_a_chat_again_to_its_branch_changes_nothing(zhibu, engine):
    before = rows(engine)
    again = zhibu(
        "admin", "bind-chat", "--platform", "console", "--chat", "branch1", "--branch", "一村"
    )
    assert again.returncode == 0 and again.stderr == ""
    assert "console 聊天 branch1 已绑定到“一村党支部”，无需改动" in again.stdout
    assert rows(engine) == before


def test_bind_chat_force_moves_the_chat_as_bindgroup_does(zhibu, engine, town):
    with session_scope(engine) as s:  # 一村's monthly list, waiting for its group
        s.add(
            OutboxMessage(
                key="monthly_reminder:console:branch1:2026-04",
                job="monthly_reminder",
                platform="console",
                chat_id="branch1",
                text="一村党支部 · 2026年4月提醒单",
                next_attempt_at=local(2026, 4, 1, 9),
                created_at=local(2026, 4, 1, 9),
            )
        )
    moved = zhibu(
        "admin",
        "bind-chat",
        "--platform",
        "console",
        "--chat",
        "branch1",
        "--branch",
        "二村",
        "--force",
    )
    assert moved.returncode == 0, moved.stderr
    assert "从“一村党支部”改绑到“二村党支部”" in moved.stdout
    assert binding(engine, "branch1").branch_id == town.branch2
    with session_scope(engine) as s:
        queued = s.exec(select(OutboxMessage)).one()
        assert (queued.status, queued.last_error) == ("skipped", "chat moved")
        audited = s.exec(select(AuditEvent).where(AuditEvent.action == "bind_chat")).one()
        assert (audited.before["branch_id"], audited.after["branch_id"]) == (
            town.branch1,
            town.branch2,
        )


# ------------------------------------------------------------------ add-branch (2)


@pytest.mark.parametrize(
    ("args", "gist"),
    [
        (("西村党支部", "--short", "一村"), "简称“一村”已是“一村党支部”的简称"),
        (("西村党支部", "--short", "一 村"), "已是“一村党支部”的简称"),  # as the matcher reads it
        (("西村党支部", "--short", "二村党支部"), "简称“二村党支部”已是“二村党支部”的全称"),
        (("一村",), "名称“一村”已是“一村党支部”的简称"),
        (("一村党支部", "--short", "新一村"), "支部“一村党支部”已存在"),
    ],
)
def test_add_branch_refuses_a_name_another_branch_answers_to(zhibu, engine, args, gist):
    before = rows(engine)
    refused(zhibu("admin", "add-branch", *args), gist)
    assert rows(engine) == before


def test_a_new_branch_with_its_own_names_is_added(zhibu):
    added = zhibu("admin", "add-branch", "西村党支部", "--short", "西村")
    assert added.returncode == 0 and "已创建支部“西村党支部”" in added.stdout
    assert "一村党支部（一村）" in zhibu("admin", "list").stdout


# ------------------------------------------------- party groups (3, 9), roles (4)


def test_add_member_refuses_an_unknown_party_group(zhibu, engine):
    before = rows(engine)
    typo = zhibu("admin", "add-member", "赵六", "--branch", "一村", "--group", "不存在")
    refused(
        typo,
        "一村党支部没有党小组“不存在”",
        "现有党小组：第一党小组、第二党小组",
        "zhibu admin add-group 一村 不存在",
    )
    none = zhibu("admin", "add-member", "赵六", "--branch", "二村", "--group", "第一党小组")
    refused(none, "二村党支部没有党小组“第一党小组”", "还没有党小组")
    assert rows(engine) == before


def test_add_member_joins_a_group_named_as_log_names_it(zhibu, engine, town):
    done = zhibu("admin", "add-member", "赵六", "--branch", "一村", "--group", "一组")
    assert done.returncode == 0, done.stderr
    with session_scope(engine) as s:
        member = s.exec(select(Member).where(Member.name == "赵六")).one()
        group = s.get(PartyGroup, member.party_group_id)
        assert group is not None and group.name == "第一党小组"


def test_import_stops_at_a_row_with_an_unknown_group_and_imports_nothing(zhibu, engine, tmp_path):
    csv = tmp_path / "members.csv"
    csv.write_text("name,branch,group\n赵六,一村,第一党小组\n钱七,一村,第三党小组\n", "utf-8")
    before = rows(engine)
    refused(
        zhibu("admin", "import-members", str(csv)),
        "第3行",
        "没有党小组“第三党小组”",
        "add-group",
    )
    assert rows(engine) == before


def test_add_group_twice_says_it_exists(zhibu, engine):
    first = zhibu("admin", "add-group", "一村", "第三党小组")
    assert first.returncode == 0 and "已在一村党支部创建党小组“第三党小组”" in first.stdout
    before = rows(engine)
    refused(zhibu("admin", "add-group", "一村", "第三党小组"), "一村党支部已有党小组“第三党小组”")
    refused(zhibu("admin", "add-group", "一村", "第一小组"), "已有党小组“第一党小组”")
    assert rows(engine) == before


def test_a_branch_role_needs_a_branch(zhibu, engine):
    before = rows(engine)
    refused(zhibu("admin", "add-member", "钱七", "--role", "书记"), "支部角色", "--branch")
    assert rows(engine) == before
    leader = zhibu("admin", "add-member", "钱七", "--org-role", "领导")
    assert leader.returncode == 0, leader.stderr


# ------------------------------------------------------------ platforms (5)


@pytest.mark.parametrize(
    "args",
    [
        ("bind-user", "--member", "王党员", "--platform", "wechat", "--user", "w1"),
        ("bind-chat", "--platform", "foo", "--chat", "c1", "--branch", "二村"),
    ],
)
def test_only_known_platforms_are_bound(zhibu, engine, args):
    before = rows(engine)
    refused(zhibu("admin", *args), "未知的平台", "console、telegram、wecom")
    assert rows(engine) == before


# ------------------------------------------------------ import-members (6, 7)


def test_import_moves_a_bound_account_only_with_force(zhibu, engine, tmp_path):
    csv = tmp_path / "members.csv"
    csv.write_text("name,branch,platform,user_id\n赵六,一村,console,mem1\n", "utf-8")
    before = rows(engine)
    refused(zhibu("admin", "import-members", str(csv)), "第2行", "已绑定到“王党员”", "请加 --force")
    assert rows(engine) == before
    forced = zhibu("admin", "import-members", str(csv), "--force")
    assert forced.returncode == 0 and "已导入 1 名成员" in forced.stdout
    with session_scope(engine) as s:
        identity = s.exec(select(Identity).where(Identity.external_id == "mem1")).one()
        assert s.get(Member, identity.member_id).name == "赵六"  # type: ignore[union-attr]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8", "utf-16"])
def test_import_reads_what_excel_saves(zhibu, engine, tmp_path, encoding):
    csv = tmp_path / "members.csv"
    csv.write_bytes("name,branch,role,group\n赵六,一村,支委,第二党小组\n".encode(encoding))
    done = zhibu("admin", "import-members", str(csv))
    assert done.returncode == 0 and "已导入 1 名成员" in done.stdout, done
    with session_scope(engine) as s:
        member = s.exec(select(Member).where(Member.name == "赵六")).one()
        assert member.branch_role == "committee"


def test_import_says_what_is_wrong_with_the_path(zhibu, engine, tmp_path):
    before = rows(engine)
    refused(zhibu("admin", "import-members", str(tmp_path)), "是一个文件夹", "CSV 文件")
    refused(zhibu("admin", "import-members", str(tmp_path / "无.csv")), "找不到文件")
    workbook = tmp_path / "名册.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    refused(zhibu("admin", "import-members", str(workbook)), "Excel 工作簿", "CSV")
    assert rows(engine) == before


# ------------------------------------------------------------ status (8)


def test_status_names_an_unknown_org_as_export_does(zhibu, tmp_path):
    status = zhibu("status", "--org", "不存在")
    refused(status, "找不到党委“不存在”")
    export = zhibu(
        "export", "--org", "不存在", "--period", "2026Q1", "--out", str(tmp_path / "x.xlsx")
    )
    assert status.stderr == export.stderr


# ------------------------------------------------------------ invite (10)


@pytest.mark.parametrize("expires", ["0d", "99999d", "366d"])
def test_invite_validity_out_of_range_says_the_range(zhibu, engine, expires):
    done = zhibu("admin", "invite", "--branch", "一村", "--role", "党员", "--expires", expires)
    refused(done, f"有效期“{expires}”超出范围", "1m", "365d")
    with session_scope(engine) as s:
        assert s.exec(select(Invite)).all() == []


# ------------------------------------------------------------ help (11)


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, (*path, name))


def test_every_argument_of_run_status_and_admin_says_what_it_is():
    checked = 0
    for path, parser in parsers(_parser()):
        if path[:1] not in (("run",), ("status",), ("admin",), ("db",), ()):
            continue
        assert parser.description, path  # shown by `zhibu run --help`
        for action in parser._actions:
            assert action.help and action.help != argparse.SUPPRESS, (path, action.dest)
            assert "show this help" not in action.help
            checked += 1
    assert checked > 50


def test_run_help_says_what_run_does(zhibu):
    done = zhibu("run", "--help")
    assert done.returncode == 0 and "启动机器人" in done.stdout
