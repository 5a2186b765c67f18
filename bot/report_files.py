"""The report as a Word document (述职 statistics, per-branch table, missed items) and the
compliance heatmap as a PNG. Numbers come from core.ledger, i.e. the /status engine."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import date
from functools import partial
from importlib import resources
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlmodel import Session

from bot.exports import heatmap_title, write_xlsx
from bot.messages import STATUS_WORDS, ZH, fmt_rate
from bot.notices import report_sentences
from bot.render import type_name
from core.auth import operator
from core.ledger import Grid, Ledger, ledger, monthly_grid
from core.periods import Period
from core.rules import Registry
from jobs.schedule import SummaryFiles
from storage.models import Org

FONT = "SimSun"  # 宋体, what Chinese offices expect in a 述职报告; Word substitutes if absent


def write_docx(ledger: Ledger, registry: Registry, path: Path) -> Path:
    doc = Document()
    _chinese_font(doc)
    doc.add_heading(f"{ledger.name}{ledger.period.label()}党建工作情况", level=1)
    doc.add_heading("一、主要工作数据", level=2)
    for sentence in report_sentences(ledger.result, registry, one_branch=not ledger.whole_org):
        doc.add_paragraph(sentence)
    whose = "各支部" if ledger.whole_org else "本支部"
    doc.add_heading(f"二、{whose}三会一课完成情况", level=2)
    _branch_table(doc, ledger)
    doc.add_heading("三、未完成事项", level=2)
    missed = _missed_lines(ledger)
    for line in missed or ["无。"]:
        doc.add_paragraph(line, style="List Bullet" if missed else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def _chinese_font(doc) -> None:
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # the CJK font is set apart


def _branch_table(doc, ledger: Ledger) -> None:
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("支部", "完成率", "履诺率", "未完成"), strict=True):
        cell.text = text
    for b in ledger.result.branches:
        missing = "、".join(type_name(r.type, ZH) for r in b.rules if r.status == "missed")
        cells = table.add_row().cells
        values = (b.name, fmt_rate(b.compliance_rate), fmt_rate(b.commitments.rate), missing or "—")
        for cell, text in zip(cells, values, strict=True):
            cell.text = text


def _missed_lines(ledger: Ledger) -> list[str]:
    lines = []
    for b in ledger.result.branches:
        for r in b.rules:
            for slot in r.gaps:
                if slot.status == "missed":
                    group = f"（{slot.group}）" if slot.group else ""
                    word = STATUS_WORDS[ZH]["missed"]
                    lines.append(f"{b.name}：{r.type.name}{group}，{slot.unit.label()}{word}")
    return lines


# ---------------------------------------------------------------- heatmap


def cjk_font_path() -> Path:
    """Noto Sans CJK SC from the mplfonts package: installed with Zhibu, no system font needed."""
    return Path(str(resources.files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"))


def write_png(grid: Grid, heading: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font = font_manager.FontProperties(fname=str(cjk_font_path()))
    names = [name for name, _ in grid.rows]
    values = [[float("nan") if v is None else v for v in cells] for _, cells in grid.rows]
    height = max(2.5, 0.4 * len(names) + 1.5)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.8 * len(grid.months) + 3), height), dpi=120)
    image = ax.imshow(values, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(
        range(len(grid.months)), [f"{m.index}月" for m in grid.months], fontproperties=font
    )
    ax.set_yticks(range(len(names)), names, fontproperties=font)
    for y, row in enumerate(values):
        for x, v in enumerate(row):  # nan: nothing was owed that month (not yet set up)
            shown = f"{v:.0%}" if v == v else "—"
            ax.text(x, y, shown, ha="center", va="center", fontsize=8)
    ax.set_title(heading, fontproperties=font)
    if any(v != v for row in values for v in row):
        fig.text(0.01, 0.01, "—：该月不作要求（如支部尚未成立）", fontproperties=font, fontsize=8)
    bar = fig.colorbar(image, ax=ax, fraction=0.04)
    bar.set_label("月度会议完成率", fontproperties=font)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")  # whatever the name ends with
    plt.close(fig)
    return path


def summary_files_in(directory: Path, registry: Registry) -> SummaryFiles:
    """What the quarterly and annual pushes attach: the period's ledger and its heatmap."""

    def make(session: Session, org: Org, period: Period, today: date) -> tuple[str, ...]:
        assert org.id is not None
        found = ledger(session, registry, today, operator(org.id), period)
        grid = monthly_grid(session, registry, found, org.id)
        stem = directory / f"台账-{org.name}-{period.key}"
        workbook = _replace_whole(stem.with_suffix(".xlsx"), partial(write_xlsx, found, registry))
        picture = _replace_whole(
            stem.with_suffix(".png"), partial(write_png, grid, heatmap_title(found))
        )
        return (str(workbook), str(picture))

    return make


def _replace_whole(path: Path, write: Callable[[Path], Path]) -> Path:
    """Write under a temporary name, then rename: two replicas running the same summary
    write the same path, and a deliverer sending it must never read a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}{path.suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
