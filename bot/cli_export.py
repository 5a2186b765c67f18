"""``zhibu export``: the ledger, the report, the heatmap or the CSV of a period as one file,
with the same numbers as /status. A wrong path or format is told in one line, not a trace."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from bot import exports, report_files
from bot.app import App
from bot.cli_common import EXIT_USAGE, period_arg
from core import admin
from core.auth import operator
from core.ledger import Ledger, ledger, monthly_grid
from core.periods import local_today
from core.status import find_branch
from storage.db import session_scope

REASONS = {  # the operating system's words for why a file cannot be written, in Chinese
    errno.ENOENT: "文件夹不存在，也无法创建",
    errno.EACCES: "没有写权限",
    errno.EPERM: "没有写权限",
    errno.EROFS: "这是只读的文件系统",
    errno.ENOSPC: "磁盘空间不足",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EEXIST: "路径中有一段不是文件夹",
}
FORMATS = {"xlsx": "台账", "docx": "报告", "png": "热力图", "csv": "数据"}


def add_parser(sub) -> None:
    e = sub.add_parser(
        "export", help="导出台账 Excel、Word 报告、PNG 热力图或 CSV（与 /status 相同的数字）"
    )
    e.add_argument("--period", required=True, help="时间段：2026-03、2026Q1、2026、本季度…")
    e.add_argument("--branch", help="只导出一个支部")
    e.add_argument(
        "--format",
        choices=tuple(FORMATS),
        help="xlsx 台账、docx 报告、png 热力图、csv 数据；不写时按 --out 的扩展名判断",
    )
    e.add_argument("--out", required=True, type=Path, help="输出文件路径，如 台账.xlsx")
    e.add_argument("--now", help="假定的当前时间，ISO 格式")
    e.add_argument("--org", help="党委名称（有多个党委时）")


def run(app: App, args) -> int:
    kind = file_format(args.format, args.out)
    today = local_today(app.clock, app.settings.tz)
    period = period_arg(args.period, today)
    if kind is None or period is None:
        return EXIT_USAGE
    if period.start > today:
        return _refuse(f"{period.label()}尚未开始，还没有可导出的内容。请换一个已经开始的时间段。")
    with session_scope(app.engine) as session:
        org = admin.get_org(session, args.org)
        if args.branch:
            find_branch(session, org.id, args.branch)  # type: ignore[arg-type]
        # the folder is made once what to export is known, before the work of computing it
        if (problem := _unwritable(args.out)) is not None:
            return _refuse(problem)
        found = ledger(session, app.registry, today, operator(org.id), period, args.branch)  # type: ignore[arg-type]
        grid = monthly_grid(session, app.registry, found, org.id) if kind == "png" else None  # type: ignore[arg-type]
    try:
        _write(kind, found, grid, app, args.out)
    except OSError as exc:
        return _refuse(_cannot_write(args.out, exc))
    print(f"已导出 {found.name} {found.period.label()} {FORMATS[kind]}：{args.out}")
    return 0


def file_format(given: str | None, out: Path) -> str | None:
    """The format asked for, or read from the file's extension; None after saying why not."""
    suffix = out.suffix.lower().lstrip(".")
    if out.is_dir():
        print(
            f"错误：--out 指向的是文件夹：{out}。请写出文件名，如 {out / '台账.xlsx'}",
            file=sys.stderr,
        )
        return None
    if given is None and suffix in FORMATS:
        return suffix
    if given is None:
        print(
            "错误：看不出要导出哪种文件：请用 --format 指定 xlsx、docx、png 或 csv。",
            file=sys.stderr,
        )
        return None
    if suffix in FORMATS and suffix != given:
        print(
            f"错误：--out 的扩展名 .{suffix} 与 --format {given} 不符：请把文件名改为 .{given} 结尾。",
            file=sys.stderr,
        )
        return None
    return given


def _unwritable(out: Path) -> str | None:
    """Why ``out`` cannot be written, found before the ledger is computed (and before a
    half-written workbook is left behind); None when its folder is there and writable."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _cannot_write(out, exc)
    if not os.access(out.parent, os.W_OK):
        return _cannot_write(out, PermissionError(errno.EACCES, "permission denied"))
    return None


def _cannot_write(out: Path, exc: OSError) -> str:
    reason = REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
    return f"无法写入 {out}：{reason}。请换一个存在且有写权限的文件夹。"


def _write(kind: str, found: Ledger, grid, app: App, out: Path) -> None:
    if kind == "png":
        report_files.write_png(grid, exports.heatmap_title(found), out)
    elif kind == "csv":
        exports.write_csv(found, out)
    elif kind == "docx":
        report_files.write_docx(found, app.registry, out)
    else:
        exports.write_xlsx(found, app.registry, out)


def _refuse(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return 1
