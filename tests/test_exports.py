"""The ledger files (/report, zhibu export): what they hold agrees with /status, and only
what the reader may see is written."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.exports import display_width
from bot.router import Router
from bot.turn import Incoming, Reply
from core.compliance import as_dict
from core.ledger import CHUNK
from core.periods import Period, parse_period_key
from core.rules import DEFAULT_REGISTRY
from core.status import org_status
from storage.db import session_scope
from storage.models import Activity, Attachment
from tests.conftest import TZ
from tests.helpers import (
    CLOCK,
    add_activity,
    add_commitment,
    group_id,
    secretary_id,
    write_lock_is_free,
)

Q1 = Period.quarter(2026, 1)


@pytest.fixture
def reporter(engine, clock, town, tmp_path) -> Router:
    return Router(engine, DEFAULT_REGISTRY, TZ, clock, exports_dir=tmp_path / "exports")


@pytest.fixture
def history(engine, town):
    """A quarter with some meetings held and some missed in both branches."""
    for day in (date(2026, 1, 8), date(2026, 2, 10), date(2026, 3, 5)):
        add_activity(engine, town.branch1, "committee_meeting", day, present=7)
        add_activity(engine, town.branch1, "theme_day", day, present=12)
    add_activity(engine, town.branch1, "party_lecture", date(2026, 2, 20), present=14)
    add_activity(engine, town.branch1, "group_meeting", date(2026, 1, 9), group="第一党小组")
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 1, 12), present=5)
    add_activity(engine, town.branch2, "study_session", date(2026, 3, 2), present=9, hours=2)
    add_activity(engine, town.branch2, "theme_day", date(2026, 3, 3), deleted=True)


def report(router: Router, user: str, chat: str, args: str = "2026Q1") -> Reply:
    (reply,) = router.handle(Incoming("console", chat, user, f"/report {args}", message_id=user))
    return reply


def workbook_of(reply: Reply) -> Path:
    (path,) = [p for p in reply.files if p.suffix == ".xlsx"]
    return path


def summary_rows(path: Path) -> dict[str, dict[str, object]]:
    ws = openpyxl.load_workbook(path)["汇总"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def window_label(key: str) -> str:
    period = parse_period_key(key)
    assert period is not None
    return period.label()


def status_json(engine, clock) -> dict:
    with session_scope(engine) as s:
        result = org_status(s, DEFAULT_REGISTRY, clock().astimezone(TZ).date(), None, Q1)
        return as_dict(result, DEFAULT_REGISTRY)


def test_the_leaders_ledger_agrees_with_status(reporter, engine, clock, history):
    reply = report(reporter, "leader", "town")
    path = workbook_of(reply)
    assert "示范镇党委 · 2026年第一季度 台账" in reply.text and path.exists()
    rows = summary_rows(path)
    # the yearly rule is counted over the year even in a quarter's ledger, and says so
    assert "谈心谈话 已覆盖人数（2026年）" in next(iter(rows.values()))
    for branch in status_json(engine, clock)["branches"]:
        row = rows[branch["name"]]
        for rule in branch["rules"]:
            done = "已覆盖人数" if rule["code"] == "heart_talk" else "已开"
            due = "应覆盖人数" if rule["code"] == "heart_talk" else "应开"
            over = "" if rule["window"] == Q1.key else f"（{window_label(rule['window'])}）"
            assert row[f"{rule['name']} {done}{over}"] == rule["held"], (branch["name"], rule)
            assert row[f"{rule['name']} {due}{over}"] == rule["required"], (branch["name"], rule)
        if branch["compliance_rate"] is not None:
            assert row["完成率"] == pytest.approx(branch["compliance_rate"] / 100, abs=1e-4)


def test_every_live_record_of_the_period_is_listed_once_with_real_dates(reporter, history):
    wb = openpyxl.load_workbook(workbook_of(report(reporter, "leader", "town")))
    committee = list(wb["支委会"].iter_rows(min_row=3, values_only=True))
    assert len(committee) == 4  # three in 一村, one in 二村
    assert [r[1] for r in committee].count("一村党支部") == 3
    assert isinstance(committee[0][3], datetime) and committee[0][3].date() == date(2026, 1, 8)
    assert "主题党日" in wb.sheetnames
    theme = list(wb["主题党日"].iter_rows(min_row=3, values_only=True))
    assert {r[1] for r in theme} == {"一村党支部"}  # 二村's record was deleted
    study = list(wb["集中学习"].iter_rows(min_row=3, values_only=True))
    assert study[0][13] == 2  # hours
    assert wb["支委会"].freeze_panes == "B3"
    assert wb["汇总"].column_dimensions["A"].width >= 12  # 一村党支部 fits


def test_a_record_lists_every_field_it_holds(reporter, engine, town):
    with session_scope(engine) as s:
        sec = secretary_id(s, town.branch1)
        record = Activity(
            org_id=town.org_id,
            branch_id=town.branch1,
            party_group_id=group_id(s, town.branch1, "第一党小组"),
            type_code="group_meeting",
            held_on=date(2026, 2, 3),
            start_time=time(19, 30),
            end_time=time(21, 0),
            place="村委会会议室",
            host="张书记",
            recorder="李委员",
            topic="学习全会精神",
            expected=10,
            present=9,
            absent=1,
            hours=1.5,
            notes="王党员外出务工请假",
            created_by=sec,
            created_at=CLOCK(),
        )
        s.add(record)
        s.flush()
        for n in range(2):
            s.add(
                Attachment(
                    activity_id=record.id,  # type: ignore[arg-type]
                    platform="console",
                    file_id=f"file{n}",
                    file_unique_id=f"unique{n}",
                    kind="photo",
                    created_by=sec,
                    created_at=CLOCK(),
                )
            )
        record_id = record.id
    ws = openpyxl.load_workbook(workbook_of(report(reporter, "leader", "town")))["党小组会"]
    header = [c.value for c in ws[2]]
    (row,) = ws.iter_rows(min_row=3, values_only=True)
    assert dict(zip(header, row, strict=True)) == {
        "编号": record_id,
        "支部": "一村党支部",
        "党小组": "第一党小组",
        "日期": datetime(2026, 2, 3),
        "开始": "19:30",
        "结束": "21:00",
        "地点": "村委会会议室",
        "主持人": "张书记",
        "记录人": "李委员",
        "主题": "学习全会精神",
        "应到": 10,
        "实到": 9,
        "缺席": 1,
        "时长（小时）": 1.5,
        "备注": "王党员外出务工请假",
        "附件数": 2,
        "登记人": "张书记",
    }


def test_a_ledger_of_many_records_keeps_its_layout(reporter, engine, town):
    """More records than the database hands over at once: all are listed, and every sheet
    keeps its frozen header, its fitted widths and its real dates and rates."""
    many = CHUNK + 1
    wide = "深入学习贯彻新时代中国特色社会主义思想专题会"  # the last record's, the widest topic
    with session_scope(engine) as s:
        sec = secretary_id(s, town.branch1)
        s.add_all(
            Activity(
                org_id=town.org_id,
                branch_id=town.branch1,
                type_code="theme_day",
                held_on=date(2026, 1, 1) + timedelta(days=n % 90),
                topic=wide if n == many - 1 else f"第{n}次",
                created_by=sec,
                created_at=CLOCK(),
            )
            for n in range(many)
        )
    add_commitment(engine, town.branch1, date(2026, 3, 10), status="fulfilled")
    wb = openpyxl.load_workbook(workbook_of(report(reporter, "leader", "town")))
    theme = wb["主题党日"]
    assert len({r[0] for r in theme.iter_rows(min_row=3, values_only=True)}) == many
    assert [ws.freeze_panes for ws in wb.worksheets] == ["B3"] * len(wb.worksheets)
    assert theme["A1"].font.b and theme["J2"].font.b  # the title and the column names
    assert theme.column_dimensions["J"].width == display_width(wide) + 2
    last_day = theme.cell(theme.max_row, 4)
    assert last_day.is_date and last_day.number_format == "yyyy-mm-dd"
    (commitment,) = wb["承诺事项"].iter_rows(min_row=3)
    assert commitment[8].is_date and commitment[8].value == datetime(2026, 3, 10)
    summary = wb["汇总"]
    rate = [c.value for c in summary[2]].index("完成率")
    assert all(row[rate].number_format == "0.0%" for row in summary.iter_rows(min_row=3))


def test_a_secretary_gets_their_own_branch_only(reporter, history, tmp_path):
    reply = report(reporter, "sec1", "branch1")
    path = workbook_of(reply)
    assert list(summary_rows(path)) == ["一村党支部"]
    wb = openpyxl.load_workbook(path)
    listed = {r[1] for ws in wb.worksheets[1:-1] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert listed == {"一村党支部"}
    refused = report(reporter, "sec1", "branch1", "二村 2026Q1")
    assert not refused.files and "二村" not in refused.text
    assert "例如：/report 本季度" in refused.text  # /report's own forms, not /status's
    stranger = report(reporter, "nobody", "branch1")
    assert not stranger.files and "不认识你" in stranger.text
    assert len(list((tmp_path / "exports").iterdir())) == 3  # nothing written for the refusals


def test_the_cli_csv_agrees_with_the_json(engine, clock, history, tmp_path):
    db = engine.url.render_as_string(hide_password=False)
    if not db.startswith("sqlite"):
        pytest.skip("the CLI reads the SQLite file; the PostgreSQL numbers are checked above")
    out = tmp_path / "q1.csv"
    args = ["export", "--period", "2026Q1", "--format", "csv", "--out", str(out)]
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--now", "2026-03-20T10:00"],
        env={"ZHIBU_DATABASE__URL": db, "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    with out.open(encoding="utf-8") as f:
        rows = {(r["branch"], r["rule"]): r for r in csv.DictReader(f)}
    expected = json.loads(json.dumps(status_json(engine, clock)))
    for branch in expected["branches"]:
        for rule in branch["rules"]:
            row = rows[(branch["name"], rule["code"])]
            assert (int(row["held"]), int(row["required"]), row["status"]) == (
                rule["held"],
                rule["required"],
                rule["status"],
            )


def test_report_sends_workbook_word_report_and_heatmap(reporter, history):
    files = report(reporter, "leader", "town").files
    assert sorted(p.suffix for p in files) == [".docx", ".png", ".xlsx"]
    png = next(p for p in files if p.suffix == ".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_word_report_states_the_numbers_of_status(reporter, engine, clock, history):
    import docx

    (path,) = [p for p in report(reporter, "leader", "town").files if p.suffix == ".docx"]
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    numbers = status_json(engine, clock)
    held = {
        rule["name"]: sum(
            r["held"] for b in numbers["branches"] for r in b["rules"] if r["code"] == rule["code"]
        )
        for rule in numbers["branches"][0]["rules"]
        if rule["code"] == "committee_meeting"
    }
    assert f"支委会{held['支委会']}次" in text  # 4 held in the quarter
    assert f"2026年第一季度三会一课完成率 {numbers['compliance_rate']:.1f}%" in text
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["支部", "完成率", "履诺率", "未完成"]
    assert {row.cells[0].text for row in table.rows[1:]} == {"一村党支部", "二村党支部"}
    assert "二村党支部：支委会，2026年2月未完成" in text  # a missed month is listed


def test_a_secretarys_word_report_is_the_branchs_own(reporter, engine, town, history):
    """Titled with the branch, worded for one branch, without the town's own work; a
    period not begun writes no empty files."""
    import docx

    leader = Incoming("console", "town", "leader", "/log 党建工作专题会议 3月2日 10人", "t1")
    assert "已记录" in reporter.handle(leader)[0].text
    town_text = "\n".join(
        p.text for p in docx.Document(str(_docx(report(reporter, "leader", "town")))).paragraphs
    )
    reply = report(reporter, "sec1", "branch1")
    assert reply.text.startswith("📎 一村党支部 · 2026年第一季度 台账")
    text = [p.text for p in docx.Document(str(_docx(reply))).paragraphs]
    assert text[0] == "一村党支部2026年第一季度党建工作情况"
    assert "二、本支部三会一课完成情况" in text
    assert "镇党委：" in town_text and not any("镇党委" in line for line in text)
    assert any(line.startswith("本支部和支部书记本期到期的承诺事项分别为") for line in text)

    before = len(list((reporter.exports_dir).iterdir()))
    future = report(reporter, "leader", "town", "2026Q3")
    assert not future.files and "2026年第三季度尚未开始" in future.text
    assert len(list((reporter.exports_dir).iterdir())) == before


def test_text_typed_like_a_formula_stays_text_in_the_ledger(reporter, history):
    """A topic or commitment starting with = must not become a live formula (or link) that
    Excel runs when the leader opens the ledger."""
    sec = Incoming(
        "console",
        "branch1",
        "sec1",
        '/log 党课 3月6日 9人 主题:=HYPERLINK("http://x.example","点此")',
        "f1",
    )
    assert "已记录" in reporter.handle(sec)[0].text
    commit = Incoming("console", "branch1", "sec1", "/commit =1+1 修路 截止3月31日", "f2")
    assert "#" in reporter.handle(commit)[0].text
    book = openpyxl.load_workbook(workbook_of(report(reporter, "sec1", "branch1")))
    cells = [
        c
        for ws in book
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert {c.value for c in cells} == {'=HYPERLINK("http://x.example","点此")', "=1+1 修路"}
    assert {c.data_type for c in cells} == {"s"}


def test_a_rule_given_to_report_is_answered_with_reports_own_examples(reporter, history):
    reply = report(reporter, "leader", "town", "一村 党课")
    assert not reply.files
    assert (
        reply.text
        == "没看懂“党课”。/report 可以写支部和时间段，例如：/report 一村 2026Q1、/report 本季度。"
    )


def _docx(reply: Reply) -> Path:
    (path,) = [p for p in reply.files if p.suffix == ".docx"]
    return path


def test_the_heatmap_has_every_chinese_glyph(engine, clock, town, history, tmp_path):
    import warnings

    from bot import exports, report_files
    from core.auth import Actor
    from core.ledger import ledger, monthly_grid

    with session_scope(engine) as s:
        leader = Actor(0, "leader", town.org_id, None, None, "leader")
        found = ledger(s, DEFAULT_REGISTRY, date(2026, 3, 20), leader, Q1)
        grid = monthly_grid(s, DEFAULT_REGISTRY, found, town.org_id)
    assert [name for name, _ in grid.rows] == ["一村党支部", "二村党支部"]
    assert grid.rows[0][1][0] is not None and len(grid.months) == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report_files.write_png(grid, exports.heatmap_title(found), tmp_path / "h.png")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == [] and report_files.cjk_font_path().exists()


@pytest.mark.parametrize("command", ["/report 2026Q1", "/status 2026Q1"])
def test_others_can_write_while_a_leader_reads_the_whole_town(
    reporter, engine, history, monkeypatch, command
):
    """An org-wide overview or ledger takes seconds at county scale: the SQLite write lock
    must be free meanwhile, or every secretary's /log waits (or fails) behind it."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock to hold")
    from core.compliance import evaluate

    free: list[bool] = []

    def evaluate_and_try_a_write(*args, **kwargs):
        free.append(write_lock_is_free(engine))
        return evaluate(*args, **kwargs)

    monkeypatch.setattr("core.status.evaluate", evaluate_and_try_a_write)
    (reply,) = reporter.handle(Incoming("console", "town", "leader", command, message_id="r"))
    assert "示范镇党委" in reply.text
    assert free and all(free), free


def test_a_branch_set_up_after_the_period_is_not_in_its_ledger(reporter, engine, history):
    """Set up in April: the first quarter's workbook, report and heatmap are of the two
    branches there were, not a blank third row (nor 3个 in the report's counts)."""
    import docx

    from core import admin
    from core.periods import fixed_clock
    from tests.conftest import local

    with session_scope(engine) as s:
        admin.add_branch(s, fixed_clock(local(2026, 4, 20, 9)), admin.get_org(s), "三村党支部")
    reply = report(reporter, "leader", "town")
    assert set(summary_rows(workbook_of(reply))) == {"一村党支部", "二村党支部"}
    document = docx.Document(str(_docx(reply)))
    assert {row.cells[0].text for row in document.tables[0].rows[1:]} == {
        "一村党支部",
        "二村党支部",
    }
    assert "三村" not in "\n".join(p.text for p in document.paragraphs)
