"""``zhibu export``: the ledger, the report, the heatmap or the CSV of a period as one file,
with the same numbers as /status. A wrong path or format is told in one line, not a trace."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from bot import exports, report_files
from bot.app import App
from bot.cli_common import EXIT_USAGE, period_arg, say_error
from bot.messages import t
from core import admin
from core.auth import operator
from core.ledger import Ledger, ledger, monthly_grid
from core.periods import local_today
from core.status import find_branch
from storage.db import session_scope

REASONS = {  # the catalogue's words for why the operating system cannot write a file
    errno.ENOENT: "write_no_folder",
    errno.EACCES: "write_forbidden",
    errno.EPERM: "write_forbidden",
    errno.EROFS: "write_read_only",
    errno.ENOSPC: "write_disk_full",
    errno.ENOTDIR: "write_not_folder",
    errno.EEXIST: "write_not_folder",
}
FORMATS = ("xlsx", "docx", "png", "csv")  # each worded by the catalogue's export_kind_…


def add_parser(sub) -> None:
    e = sub.add_parser(
        "export", help="导出台账 Excel、Word 报告、PNG 热力图或 CSV（与 /status 相同的数字）"
    )
    e.add_argument("--period", required=True, help="时间段：2026-03、2026Q1、2026、本季度…")
    e.add_argument("--branch", help="只导出一个支部")
    e.add_argument(
        "--format",
        choices=FORMATS,
        help="xlsx 台账、docx 报告、png 热力图、csv 数据；不写时按 --out 的扩展名判断",
    )
    e.add_argument("--out", required=True, type=Path, help="输出文件路径，如 台账.xlsx")
    e.add_argument("--now", help="假定的当前时间，ISO 格式")
    e.add_argument("--org", help="党委名称（有多个党委时）")


def run(app: App, args) -> int:
    locale = app.settings.locale
    kind = file_format(args.format, args.out, locale)
    today = local_today(app.clock, app.settings.tz)
    period = period_arg(args.period, today, locale)
    if kind is None or period is None:
        return EXIT_USAGE
    if period.start > today:
        return _refuse(locale, t("export_not_begun", locale, period=period.label(locale)))
    with session_scope(app.engine) as session:
        org = admin.get_org(session, args.org)
        if args.branch:
            find_branch(session, org.id, args.branch)  # type: ignore[arg-type]
        # the folder is made once what to export is known, before the work of computing it
        if (problem := _unwritable(args.out, locale)) is not None:
            return _refuse(locale, problem)
        found = ledger(session, app.registry, today, operator(org.id), period, args.branch)  # type: ignore[arg-type]
        grid = monthly_grid(session, app.registry, found, org.id) if kind == "png" else None  # type: ignore[arg-type]
    try:
        _write(kind, found, grid, app, args.out)
    except OSError as exc:
        return _refuse(locale, _cannot_write(args.out, exc, locale))
    what = t(f"export_kind_{kind}", locale)
    name, label = found.name, found.period.label(locale)
    print(t("export_done", locale, name=name, period=label, kind=what, path=args.out))
    return 0


def file_format(given: str | None, out: Path, locale: str) -> str | None:
    """The format asked for, or read from the file's extension; None after saying why not."""
    problem = _format_problem(given, out, locale)
    if problem is not None:
        say_error(locale, problem)
        return None
    suffix = out.suffix.lower().lstrip(".")
    return given or suffix


def _format_problem(given: str | None, out: Path, locale: str) -> str | None:
    suffix = out.suffix.lower().lstrip(".")
    if out.is_dir():
        example = out / t("export_example_file", locale)
        return t("export_out_is_folder", locale, out=out, example=example)
    if given is None and suffix not in FORMATS:
        return t("export_unknown_format", locale)
    if given is not None and suffix in FORMATS and suffix != given:
        return t("export_format_mismatch", locale, suffix=suffix, given=given)
    return None


def _unwritable(out: Path, locale: str) -> str | None:
    """Why ``out`` cannot be written, found before the ledger is computed (and before a
    half-written workbook is left behind); None when its folder is there and writable."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _cannot_write(out, exc, locale)
    if not os.access(out.parent, os.W_OK):
        return _cannot_write(out, PermissionError(errno.EACCES, "permission denied"), locale)
    return None


def _cannot_write(out: Path, exc: OSError, locale: str) -> str:
    key = REASONS.get(exc.errno or 0)
    reason = t(key, locale) if key else exc.strerror or str(exc)
    return t("export_cannot_write", locale, out=out, reason=reason)


def _write(kind: str, found: Ledger, grid, app: App, out: Path) -> None:
    if kind == "png":
        report_files.write_png(grid, exports.heatmap_title(found), out)
    elif kind == "csv":
        exports.write_csv(found, out)
    elif kind == "docx":
        report_files.write_docx(found, app.registry, out)
    else:
        exports.write_xlsx(found, app.registry, out)


def _refuse(locale: str, message: str) -> int:
    say_error(locale, message)
    return 1
