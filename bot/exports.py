"""The ledger as files: an Excel workbook (summary, one sheet per activity type, commitments)
and a CSV of the summary for scripts. Every number comes from core.ledger, i.e. from /status."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.messages import COMMITMENT_STATUS, STATUS_WORDS, ZH, fmt_date, t
from bot.render import type_name
from core.compliance import BranchResult
from core.ledger import Ledger, RecordRow
from core.periods import Period
from core.rules import ActivityType, Registry

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

TITLE_FONT = Font(bold=True, size=13)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
STATUS_FILLS = {"met": "E2EFDA", "pending": "FFF2CC", "missed": "F8CBAD", "excused": "EDEDED"}
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
MAX_WIDTH = 60
RECORD_COLUMNS = (
    ("编号", lambda r: r.id),
    ("支部", lambda r: r.branch or t("town_label", ZH)),
    ("党小组", lambda r: r.group),
    ("日期", lambda r: r.held_on),
    ("开始", lambda r: _time(r.start_time)),
    ("结束", lambda r: _time(r.end_time)),
    ("地点", lambda r: r.place),
    ("主持人", lambda r: r.host),
    ("记录人", lambda r: r.recorder),
    ("主题", lambda r: r.topic),
    ("应到", lambda r: r.expected),
    ("实到", lambda r: r.present),
    ("缺席", lambda r: r.absent),
    ("时长（小时）", lambda r: r.hours),
    ("备注", lambda r: r.notes),
    ("附件数", lambda r: r.attachments),
    ("登记人", lambda r: r.created_by),
)


def _time(value) -> str | None:
    return value.strftime("%H:%M") if value else None


def title(ledger: Ledger) -> str:
    as_of = fmt_date(ledger.result.today)
    return f"{ledger.name} · {ledger.period.label()} 三会一课台账（截至{as_of}）"


def heatmap_title(ledger: Ledger) -> str:
    as_of = fmt_date(ledger.result.today)
    return f"{ledger.name} · {ledger.period.label()} 月度会议完成情况（截至{as_of}）"


def write_xlsx(ledger: Ledger, registry: Registry, path: Path) -> Path:
    # write-only: each sheet's rows stream to a temporary file as they are appended, so a
    # county's year never sits in memory as a grid of cell objects
    wb = Workbook(write_only=True)
    heading = title(ledger)
    _summary_sheet(wb.create_sheet("汇总"), heading, ledger, registry)
    for code, rows in _by_type(ledger.records, registry).items():
        known = registry.get(code)
        name = type_name(known, ZH) if known else code
        _records_sheet(wb.create_sheet(_sheet_name(name)), heading, rows)
    _commitments_sheet(wb.create_sheet("承诺事项"), heading, ledger)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _summary_sheet(
    ws: WriteOnlyWorksheet, heading: str, ledger: Ledger, registry: Registry
) -> None:
    codes = [tp for tp in registry.required() if _rule_of(ledger.result.branches, tp.code)]
    windows = _windows(ledger.result.branches)
    header: list[str] = ["支部"]
    for tp in codes:
        done, due = ("已覆盖人数", "应覆盖人数") if tp.scope == "member" else ("已开", "应开")
        # a yearly rule in a quarter's ledger counts the whole year: say so in its heading
        window = windows[tp.code]
        over = f"（{window.label()}）" if window != ledger.period else ""
        header += [f"{tp.name} {done}{over}", f"{tp.name} {due}{over}"]
    header += ["完成率", "支部承诺到期", "支部承诺已兑现", "支部履诺率"]
    header += ["个人承诺到期", "个人承诺已兑现", "个人履诺率"]
    header += ["学习场次", "学习时长（小时）", "未完成事项"]
    rows = [_summary_row(ws, b, codes, registry) for b in ledger.result.branches]
    percents = [i for i, h in enumerate(header) if h.endswith("率")]
    _write(ws, heading, header, rows, dict.fromkeys(percents, PERCENT_FORMAT))


def _summary_row(
    ws: WriteOnlyWorksheet, b: BranchResult, codes: Sequence[ActivityType], registry: Registry
) -> list[Any]:
    row: list[Any] = [b.name]
    for tp in codes:
        rule = next((r for r in b.rules if r.type.code == tp.code), None)
        if rule is None:
            row += [None, None]
        else:
            fill = PatternFill("solid", fgColor=STATUS_FILLS[rule.status])
            row += [_cell(ws, rule.held, fill=fill), rule.required]
    row.append(_ratio(b.compliance_rate))
    for stats in (b.commitments_org, b.commitments_personal):
        row += [stats.due, stats.fulfilled, _ratio(stats.rate)]
    study = [c for code, c in b.counts.items() if _is_study(registry, code)]
    row += [sum(c.sessions for c in study), sum(c.hours for c in study)]
    row.append("、".join(f"{r.type.name}（{STATUS_WORDS[ZH][r.status]}）" for r in b.missing))
    return row


def _records_sheet(ws: WriteOnlyWorksheet, heading: str, records: Sequence[RecordRow]) -> None:
    rows = [[get(r) for _, get in RECORD_COLUMNS] for r in records]
    _write(ws, heading, [name for name, _ in RECORD_COLUMNS], rows, {3: DATE_FORMAT})


def _commitments_sheet(ws: WriteOnlyWorksheet, heading: str, ledger: Ledger) -> None:
    header = ["编号", "支部", "类别", "承诺人", "内容", "承诺日期", "截止日期", "状态"]
    header += ["兑现日期", "佐证/说明"]
    rows = []
    for c, branch, owner in ledger.commitments:
        kind = "个人承诺" if c.owner_member_id else "支部承诺"
        status = COMMITMENT_STATUS[ZH].get(c.status, c.status)
        made = (c.id, branch, kind, owner, c.content, c.made_on, c.due_on)
        rows.append([*made, status, c.fulfilled_on, c.evidence])
    _write(ws, heading, header, rows, dict.fromkeys((5, 6, 8), DATE_FORMAT))


# ---------------------------------------------------------------- layout


def _write(
    ws: WriteOnlyWorksheet,
    heading: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    formats: Mapping[int, str],
) -> None:
    """A title line, the column names under it (both frozen with the first column), then the
    rows, with a number format for the columns (0-based) in ``formats``. A write-only sheet
    takes its column widths and panes before its first row, hence the widths come first."""
    for column, width in _widths(chain([header], rows)).items():
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "B3"
    ws.append([_cell(ws, heading, font=TITLE_FONT)])
    style = {"font": HEADER_FONT, "fill": HEADER_FILL, "alignment": HEADER_ALIGNMENT}
    ws.append([_cell(ws, name, **style) for name in header])
    for row in rows:
        ws.append(_formatted(ws, row, formats))


def _formatted(
    ws: WriteOnlyWorksheet, row: Sequence[Any], formats: Mapping[int, str]
) -> Sequence[Any]:
    out = [_text(ws, v) if isinstance(v, str) and v.startswith("=") else v for v in row]
    for i, number_format in formats.items():
        # empty cells keep the format too, for a date or rate typed in later
        if isinstance(out[i], Cell):
            out[i].number_format = number_format
        else:
            out[i] = _cell(ws, out[i], number_format=number_format)
    return out


def _text(ws: WriteOnlyWorksheet, value: str) -> Cell:
    """What a member typed stays text: openpyxl would store "=HYPERLINK(…)" as a formula,
    which Excel runs when the leader opens the ledger."""
    cell = WriteOnlyCell(ws, value)
    cell.data_type = "s"
    return cell


def _cell(ws: WriteOnlyWorksheet, value: Any, **style: Any) -> Cell:
    cell = WriteOnlyCell(ws, value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _widths(rows: Iterable[Sequence[Any]]) -> dict[int, int]:
    """Column widths that fit Chinese text (a CJK character is two columns wide)."""
    widest: dict[int, int] = {}
    for row in rows:
        for column, value in enumerate(row, 1):
            shown = value.value if isinstance(value, Cell) else value
            if shown is not None:
                widest[column] = max(widest.get(column, 4), _shown_width(shown))
    return {column: min(width + 2, MAX_WIDTH) for column, width in widest.items()}


def _shown_width(value: Any) -> int:
    return 11 if isinstance(value, date | time) else display_width(str(value))


def display_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]


def _ratio(percent: float | None) -> float | None:
    return None if percent is None else round(percent / 100, 4)


def _windows(branches: Sequence[BranchResult]) -> dict[str, Period]:
    """The span each rule was checked over (the same for every branch)."""
    return {r.type.code: r.window for b in branches for r in b.rules}


def _rule_of(branches: Sequence[BranchResult], code: str) -> bool:
    return any(r.type.code == code for b in branches for r in b.rules)


def _is_study(registry: Registry, code: str) -> bool:
    known = registry.get(code)
    return bool(known and known.category == "study")


def _by_type(records: Sequence[RecordRow], registry: Registry) -> dict[str, list[RecordRow]]:
    """Records per type, in the registry's order (三会一课 first, then study, then town)."""
    found: dict[str, list[RecordRow]] = {}
    for r in records:
        found.setdefault(r.type_code, []).append(r)
    order = [tp.code for tp in registry] + sorted(set(found) - {tp.code for tp in registry})
    return {code: found[code] for code in order if code in found}


# ---------------------------------------------------------------- csv

CSV_HEADER = ("branch", "rule", "rule_name", "window", "required", "held", "status", "rate")


def write_csv(ledger: Ledger, path: Path) -> Path:
    """One row per branch and rule, with the branch's compliance rate: for scripts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(CSV_HEADER)
        for b in ledger.result.branches:
            for r in b.rules:
                rate = "" if b.compliance_rate is None else f"{b.compliance_rate:.1f}"
                rule = (r.type.code, r.type.name, r.window.key, r.required, r.held, r.status)
                out.writerow([b.name, *rule, rate])
    return path
