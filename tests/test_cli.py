"""The zhibu command as a user runs it: console, demo, status --json, admin, config errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_zhibu

NOW = "2026-03-20T10:00"


zhibu = run_zhibu


def console(tmp_path: Path, user: str, chat: str, script: str, config: Path | None = None) -> str:
    """Pipe ``script`` through ``zhibu console`` as ``user`` in ``chat``; return stdout."""
    pre = ("--config", str(config)) if config else ()
    done = zhibu(
        tmp_path, *pre, "console", "--user", user, "--chat", chat, "--now", NOW, stdin=script
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def demo_db(tmp_path):
    done = zhibu(tmp_path, "demo", "--now", NOW)
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_console_session_logs_a_meeting_and_status_shows_it(demo_db):
    script = "/log 支委会 3月19日 出席7人 缺席1人 主题:学习贯彻全会精神\n/status\n"
    out = console(demo_db, "sec3", "branch3", script)
    assert "✅ 已记录 #" in out
    assert "三村党支部 · 2026年3月" in out
    status = json.loads(zhibu(demo_db, "status", "--branch", "三村", "--now", NOW, "--json").stdout)
    (branch,) = status["branches"]
    committee = next(r for r in branch["rules"] if r["code"] == "committee_meeting")
    assert committee["held"] >= 1 and committee["status"] == "met"


def test_undo_in_a_fresh_demo_does_not_delete_old_history(demo_db):
    """The demo's records were entered the day after each meeting, not when the demo was
    written: /undo may take back yesterday's entry at most, never last month's meeting."""
    import re

    for user, chat in (("sec1", "branch1"), ("sec5", "branch5"), ("leader", "town")):
        out = console(demo_db, user, chat, "/undo\n")
        undone = re.search(r"已撤销 #\d+：.*?(\d{4})年(\d+)月(\d+)日", out)
        if undone is None:
            assert "已超过24小时，不能再撤销" in out, out
        else:
            assert tuple(map(int, undone.groups())) >= (2026, 3, 19), out


def test_console_dialog_over_several_lines(demo_db):
    out = console(demo_db, "sec1", "branch1", "/log\n2\n2\n7\n研究秋收工作\n1\n")
    assert "[1] 支部党员大会" in out and "[2] 昨天" in out
    assert "请核对：\n支委会" in out and "主题：研究秋收工作" in out
    assert "已记录" in out


def test_status_json_has_the_documented_shape_and_agrees_with_text(demo_db):
    raw = zhibu(demo_db, "status", "--period", "2026Q1", "--now", NOW, "--json")
    assert raw.returncode == 0, raw.stderr
    data = json.loads(raw.stdout)
    assert data["period"] == "2026Q1" and len(data["branches"]) == 8
    first = data["branches"][0]
    assert first["name"] == "一村党支部"
    assert {"code", "name", "required", "held", "status"} <= set(first["rules"][0])
    assert {"made", "fulfilled", "overdue", "rate"} <= set(first["commitments"])
    assert {"sessions", "hours"} <= set(first["study"])
    text = zhibu(demo_db, "status", "--period", "2026Q1", "--now", NOW, "--branch", "一村").stdout
    for rule in first["rules"]:
        if "groups" in rule:  # per party group
            for g in rule["groups"]:
                assert f"{g['group']} {g['held']}/{g['required']}" in text
        elif rule["code"] == "heart_talk":  # coverage of members
            assert f"已谈 {rule['held']} 人 / 共 {rule['required']} 人" in text
        else:
            assert f"{rule['name']} {rule['held']}/{rule['required']}" in text
    rate = first["compliance_rate"]
    assert f"完成率 {rate:.1f}%" in text


def test_status_json_equals_chat_status_numbers(demo_db):
    data = json.loads(zhibu(demo_db, "status", "--now", NOW, "--json").stdout)
    chat = console(demo_db, "leader", "town", "/status\n")
    assert f"总体完成率 {data['compliance_rate']:.1f}%" in chat


def test_demo_is_idempotent_and_reset_rebuilds(demo_db):
    again = zhibu(demo_db, "demo", "--now", NOW)
    assert "已存在" in again.stdout
    before = zhibu(demo_db, "status", "--now", NOW, "--json").stdout
    assert zhibu(demo_db, "demo", "--reset", "--now", NOW).returncode == 0
    assert zhibu(demo_db, "status", "--now", NOW, "--json").stdout == before


def test_admin_builds_a_deployment_without_sql(tmp_path):
    steps = [
        ("create-org", "青山镇党委"),
        ("add-branch", "东村党支部", "--short", "东村"),
        ("add-group", "东村", "第一党小组"),
        ("add-member", "周书记", "--branch", "东村", "--role", "书记"),
        ("bind-user", "--member", "周书记", "--platform", "console", "--user", "zhou"),
        ("bind-chat", "--platform", "console", "--chat", "east", "--branch", "东村"),
    ]
    for step in steps:
        done = zhibu(tmp_path, "admin", *step)
        assert done.returncode == 0, (step, done.stderr)
    csv = tmp_path / "members.csv"
    csv.write_text(
        "name,branch,role,group,platform,user_id\n吴委员,东村,支委,第一党小组,console,wu\n"
        "郑党员,东村,党员,,,\n",
        encoding="utf-8",
    )
    imported = zhibu(tmp_path, "admin", "import-members", str(csv))
    assert "已导入 2 名成员" in imported.stdout
    assert (
        "已导入 0 名成员，跳过已存在的 2 名"
        in zhibu(tmp_path, "admin", "import-members", str(csv)).stdout
    )
    listing = zhibu(tmp_path, "admin", "list").stdout
    assert "东村党支部（东村）：3 名成员" in listing
    assert "已记录" in console(tmp_path, "wu", "east", "/log 支委会 昨天 3人\n")
    released = zhibu(tmp_path, "admin", "unbind-chat", "--platform", "console", "--chat", "east")
    assert "已解除 console 聊天 east 的绑定" in released.stdout
    again = zhibu(tmp_path, "admin", "unbind-chat", "--platform", "console", "--chat", "east")
    assert again.returncode == 1 and "没有绑定到“青山镇党委”，无需解绑" in again.stderr


def test_admin_errors_are_clear(tmp_path):
    zhibu(tmp_path, "admin", "create-org", "青山镇党委")
    dup = zhibu(tmp_path, "admin", "create-org", "青山镇党委")
    assert dup.returncode == 1 and "已存在" in dup.stderr
    bad = zhibu(tmp_path, "admin", "add-member", "某人", "--branch", "不存在的村")
    assert bad.returncode == 1 and "找不到支部" in bad.stderr
    zhibu(tmp_path, "admin", "add-branch", "东村党支部", "--short", "东村")
    zhibu(tmp_path, "admin", "add-member", "周书记", "--branch", "东村", "--role", "书记")
    twin = zhibu(tmp_path, "admin", "add-member", "周书记", "--branch", "东村")
    assert twin.returncode == 1 and "--allow-same-name" in twin.stderr
    zhibu(tmp_path, "admin", "add-member", "吴委员", "--branch", "东村", "--role", "支委")
    zhibu(
        tmp_path,
        "admin",
        "bind-user",
        "--member",
        "周书记",
        "--platform",
        "console",
        "--user",
        "u1",
    )
    steal = zhibu(
        tmp_path,
        "admin",
        "bind-user",
        "--member",
        "吴委员",
        "--platform",
        "console",
        "--user",
        "u1",
    )
    assert (
        steal.returncode == 1 and "已绑定到“周书记”" in steal.stderr and "--force" in steal.stderr
    )
    role = zhibu(tmp_path, "admin", "add-member", "某人", "--branch", "东村", "--role", "村长")
    assert role.returncode == 1 and "书记" in role.stderr
    csv = tmp_path / "bad.csv"
    csv.write_text("name,branch,role\n甲,,\n乙,,校长\n", encoding="utf-8")
    bad_csv = zhibu(tmp_path, "admin", "import-members", str(csv))
    assert bad_csv.returncode == 1 and "第3行" in bad_csv.stderr and "校长" in bad_csv.stderr
    assert "0 名成员" in zhibu(tmp_path, "admin", "list").stdout or "甲" not in bad_csv.stdout


@pytest.mark.parametrize(
    ("content", "key", "problem"),
    [
        ("timezone = \n", "(语法)", "TOML"),
        ('[database]\necho = "maybe"\n', "database.echo", "boolean"),
        ("[activities.foo]\nmin_count = 2\n", "activities.foo", "未知的活动类型代码"),
        (
            "[activities.party_lecture]\nevery_months = 5\n",
            "activities.party_lecture.every_months",
            "",
        ),
        ('timezone = "Mars/Base"\n', "timezone", "未知的时区"),
        ('tiemzone = "Asia/Shanghai"\n', "tiemzone", "未知的配置项"),
    ],
)
def test_bad_config_names_file_key_and_problem(tmp_path, content, key, problem):
    cfg = tmp_path / "config.toml"
    cfg.write_text(content, encoding="utf-8")
    done = zhibu(tmp_path, "--config", str(cfg), "status")
    assert done.returncode == 2
    assert str(cfg) in done.stderr and key in done.stderr and problem in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_environment_overrides_the_config_file(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('locale = "en"\n[database]\nurl = "sqlite:///nowhere/x.db"\n', encoding="utf-8")
    done = zhibu(tmp_path, "--config", str(cfg), "demo", "--now", NOW)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cli.db").exists() and not (tmp_path / "nowhere").exists()
    assert "in the future" in console(tmp_path, "sec1", "branch1", "/log 支委会 3月25日 7人\n", cfg)


def test_custom_activity_type_from_config(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[activities.volunteer]\nname = "志愿服务"\ncategory = "study"\n', encoding="utf-8"
    )
    zhibu(tmp_path, "--config", str(cfg), "demo", "--now", NOW)
    out = console(tmp_path, "sec1", "branch1", "/study 志愿服务 昨天 2小时 10人\n", cfg)
    assert "已记录" in out and "志愿服务" in out


def test_default_database_is_created_under_data(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIBU_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--now", NOW],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "zhibu.db").exists()


def test_run_without_token_seeds_demo_and_opens_console_as_sec1(tmp_path):
    out = zhibu(tmp_path, "run", stdin="/status\n")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "ZHIBU_TELEGRAM__TOKEN" in lines[0]
    assert "一村党支部" in out.stdout


def test_english_console_speaks_english_around_the_replies(tmp_path):
    # without the scheduled pushes: `zhibu run` catches up on the real clock, and in the
    # first working days of a quarter its 通报 would print its own file lines among these
    quiet = {"ZHIBU_LOCALE": "en", "ZHIBU_JOBS__ENABLED": "false"}
    out = zhibu(tmp_path, "run", stdin="/report\n", env=quiet)
    assert out.returncode == 0, out.stderr
    banner, *replies = out.stdout.splitlines()
    assert banner.startswith("Zhibu console (as sec1 in chat branch1).")
    assert [line[:7] for line in replies if line.startswith("[")] == ["[file] "] * 3


def test_db_upgrade_is_repeatable(tmp_path):
    assert zhibu(tmp_path, "db", "upgrade").returncode == 0
    again = zhibu(tmp_path, "db", "upgrade")
    assert again.returncode == 0 and "最新" in again.stdout
    assert "最新" in zhibu(tmp_path, "db", "current").stdout


def test_a_branch_counts_from_the_day_given_to_add_branch(tmp_path):
    assert zhibu(tmp_path, "admin", "create-org", "青山镇党委").returncode == 0
    added = zhibu(tmp_path, "admin", "add-branch", "西村党支部", "--since", "2026-02-01")
    assert added.returncode == 0, added.stderr
    raw = zhibu(tmp_path, "status", "--period", "2026Q1", "--now", NOW, "--json").stdout
    (branch,) = json.loads(raw)["branches"]
    committee = next(r for r in branch["rules"] if r["code"] == "committee_meeting")
    # January is before 西村 was set up; February closed unmet; March is still open
    assert [(g["unit"], g["status"]) for g in committee["gaps"]] == [
        ("2026-02", "missed"),
        ("2026-03", "pending"),
    ]
    bad = zhibu(tmp_path, "admin", "add-branch", "北村党支部", "--since", "2月1日")
    assert bad.returncode != 0 and "--since 的格式不对" in bad.stderr


def _not_a_database(tmp_path: Path) -> str:
    (tmp_path / "notes.db").write_text("会议记录\n", encoding="utf-8")
    return f"sqlite:///{tmp_path / 'notes.db'}"


def _under_a_file(tmp_path: Path) -> str:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    return f"sqlite:///{tmp_path / 'a-file' / 'zhibu.db'}"


@pytest.mark.parametrize(
    ("url", "gist"),
    [
        (lambda _: "bogus://x", "不认识这种数据库"),
        (lambda _: "not a url", "地址的格式不对"),
        (_under_a_file, "请确认其所在文件夹存在且可写"),
        (_not_a_database, "不是 SQLite 数据库"),
        (lambda _: "postgresql+psycopg://zhibu:s3cret@127.0.0.1:1/zhibu", "连接失败"),
    ],
)
def test_a_wrong_database_url_is_one_line_naming_it(tmp_path, url, gist):
    wrong = url(tmp_path)
    for args in (("status",), ("db", "current")):
        done = zhibu(tmp_path, *args, env={"ZHIBU_DATABASE__URL": wrong})
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith("错误：无法打开数据库 ") and gist in line
        assert "ZHIBU_DATABASE__URL" in line and "s3cret" not in line
        assert wrong.replace("s3cret", "***") in line


def test_status_into_a_closed_pipe_exits_quietly(tmp_path):
    assert zhibu(tmp_path, "admin", "create-org", "青山镇党委").returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIBU_")}
    env["ZHIBU_DATABASE__URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `zhibu status --json | true`: nobody reads
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "status", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")
