"""``zhibu export`` as an operator runs it: the file's kind follows its name, a wrong path or
a period not begun is one clear line (never a traceback), and a branch's files are the
branch's own (its name in the title, without the town's work)."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.helpers import run_zhibu

NOW = "2026-03-20T10:00"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("export")
    done = run_zhibu(where, "demo", "--now", NOW)
    assert done.returncode == 0, done.stderr
    return where


def export(where: Path, *args: str):
    return run_zhibu(where, "export", "--period", "2026Q1", "--now", NOW, *args)


def test_the_format_follows_the_file_name(demo):
    for name in ("q1.xlsx", "q1.docx", "q1.png", "q1.csv"):
        done = export(demo, "--out", str(demo / name))
        assert done.returncode == 0, done.stderr
    assert (demo / "q1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Document(str(demo / "q1.docx")).paragraphs[0].text.startswith("示范镇党委")
    assert load_workbook(demo / "q1.xlsx", read_only=True).sheetnames[0] == "汇总"
    header = (demo / "q1.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("branch,")
    done = export(demo, "--out", str(demo / "q1.xlsx"))
    assert "已导出 示范镇党委 2026年第一季度 台账" in done.stdout
    assert "热力图" in export(demo, "--out", str(demo / "q1.png")).stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--format", "png", "--out", "x.xlsx"), "扩展名 .xlsx 与 --format png 不符"),
        (("--out", "x.txt"), "请用 --format 指定"),
        (("--out", "."), "--out 指向的是文件夹"),
        (("--out", "/proc/zhibu/x.xlsx"), "无法写入 /proc/zhibu/x.xlsx：文件夹不存在，也无法创建"),
        (("--out", "/etc/hostname/x.xlsx"), "路径中有一段不是文件夹"),
    ],
)
def test_a_wrong_path_or_format_is_one_line_that_says_how_to_fix_it(demo, args, says):
    done = export(demo, *args)
    assert done.returncode != 0 and says in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (demo / "x.xlsx").exists()


def test_a_bad_period_says_how_to_write_one(demo):
    done = run_zhibu(demo, "export", "--period", "2026Q5", "--out", "x.xlsx")
    assert done.returncode == 2
    assert done.stderr == "错误：看不懂时间段“2026Q5”，可写 2026-03、2026Q1、2026 或 本季度\n"


def test_an_unknown_branch_leaves_no_folder_behind(demo):
    done = export(demo, "--branch", "九村", "--out", str(demo / "new" / "x.xlsx"))
    assert done.returncode == 1 and "九村" in done.stderr
    assert not (demo / "new").exists()


def test_a_period_not_begun_writes_nothing(demo):
    done = run_zhibu(demo, "export", "--period", "2026Q3", "--now", NOW, "--out", "q3.xlsx")
    assert done.returncode == 1 and "2026年第三季度尚未开始" in done.stderr
    assert not (demo / "q3.xlsx").exists()


def test_a_branch_export_is_titled_with_the_branch_and_leaves_out_the_town(demo):
    town = demo / "town.docx"
    assert export(demo, "--out", str(town)).returncode == 0
    assert "镇党委：" in "\n".join(p.text for p in Document(str(town)).paragraphs)

    for name in ("one.docx", "one.xlsx"):
        done = export(demo, "--branch", "一村", "--out", str(demo / name))
        assert done.returncode == 0, done.stderr
        assert "已导出 一村党支部 2026年第一季度" in done.stdout
    text = [p.text for p in Document(str(demo / "one.docx")).paragraphs]
    assert text[0] == "一村党支部2026年第一季度党建工作情况"
    assert any(line.startswith("2026年第一季度本支部共召开") for line in text)
    assert any(line.startswith("本支部和支部书记本期到期的承诺事项") for line in text)
    assert not any("镇党委" in line or "各支部" in line for line in text)
    sheet = load_workbook(demo / "one.xlsx", read_only=True)["汇总"]
    assert str(next(sheet.iter_rows(values_only=True))[0]).startswith("一村党支部 · ")
