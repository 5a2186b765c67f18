"""Words for results: domain values in, user-facing text out (zh-CN or en)."""

from __future__ import annotations

from datetime import date

from bot.commands import COMMANDS
from bot.messages import (
    COMMITMENT_STATUS,
    EN,
    STATUS_MARKS,
    STATUS_WORDS,
    ZH,
    field_name,
    fmt_date,
    fmt_rate,
    t,
)
from core.commitments import CommitmentView
from core.compliance import BranchResult, CommitmentStats, OrgResult, RuleResult
from core.rules import ActivityType, Registry
from storage.models import Activity, Commitment

MAX_BRANCH_LINES = 40


def type_name(t_: ActivityType, locale: str) -> str:
    return t_.en_name or t_.name if locale == EN else t_.name


def activity_summary(
    a: Activity, registry: Registry, locale: str = ZH, group: str | None = None
) -> str:
    known = registry.get(a.type_code)
    parts = [type_name(known, locale) if known else a.type_code]
    parts += [group or "", fmt_date(a.held_on, locale)]
    if a.start_time and a.end_time:
        parts.append(f"{a.start_time:%H:%M}-{a.end_time:%H:%M}")
    parts.append(_attendance(a, locale))
    if a.hours:
        parts.append(f"{a.hours:g}小时" if locale == ZH else f"{a.hours:g} h")
    labels = {"topic": "主题", "place": "地点", "host": "主持", "recorder": "记录"}
    for key, zh_label in labels.items():
        if value := getattr(a, key):
            parts.append(f"{zh_label}：{value}" if locale == ZH else f"{key}: {value}")
    return " · ".join(p for p in parts if p)


def _attendance(a: Activity, locale: str) -> str:
    if locale == EN:
        bits = [f"{a.present} present" if a.present is not None else ""]
        bits += [f"{a.expected} expected" if a.expected is not None else ""]
        bits += [f"{a.absent} absent" if a.absent else ""]
        return ", ".join(b for b in bits if b)
    bits = [f"应到{a.expected}人" if a.expected is not None else ""]
    bits += [f"实到{a.present}人" if a.present is not None else ""]
    bits += [f"缺席{a.absent}人" if a.absent else ""]
    return "、".join(b for b in bits if b)


def rule_line(r: RuleResult, locale: str = ZH) -> str:
    mark = STATUS_MARKS[r.status]
    name = type_name(r.type, locale)
    window = r.window.label(locale)
    line = (
        f"{mark} {name} {r.held}/{r.required}（{window}）"
        if locale == ZH
        else f"{mark} {name} {r.held}/{r.required} ({window})"
    )
    if r.status != "met":
        line += " " + STATUS_WORDS[locale][r.status]
        gaps = _gap_text(r, locale)
        if gaps:
            line += ("：" if locale == ZH else ": ") + gaps
    return line


def _gap_text(r: RuleResult, locale: str) -> str:
    """Which units (and party groups) are short, only when that says more than the line."""
    open_gaps = [g for g in r.gaps if g.status != "excused"]
    if all(g.unit == r.window and not g.group for g in open_gaps):
        return ""
    sep = "、" if locale == ZH else ", "
    return sep.join(
        (f"{g.group}·" if g.group else "") + _short_unit(g.unit.label(locale)) for g in open_gaps
    )


def _short_unit(label: str) -> str:
    return label.split("年", 1)[1] if "年" in label and not label.endswith("年") else label


def commitment_line(stats: CommitmentStats, locale: str = ZH) -> str:
    if locale == EN:
        return (
            f"Commitments: {stats.made} made, {stats.due} due, {stats.fulfilled} fulfilled, "
            f"{stats.overdue} overdue; fulfilment {fmt_rate(stats.rate)}"
        )
    return (
        f"承诺事项：新立{stats.made}件，到期{stats.due}件，已兑现{stats.fulfilled}件，"
        f"逾期{stats.overdue}件，履诺率 {fmt_rate(stats.rate)}"
    )


def study_line(b_counts, registry: Registry, locale: str = ZH) -> str:
    items = [
        (type_name(tp, locale), b_counts[tp.code])
        for tp in registry.of_category("study")
        if tp.code in b_counts
    ]
    if not items:
        return "学习：本期暂无记录" if locale == ZH else "Study: none yet"
    hours = sum(c.hours for _, c in items)
    if locale == EN:
        body = ", ".join(f"{n} ×{c.sessions}" for n, c in items)
        return f"Study: {body}; {hours:g} h"
    body = "、".join(f"{n}{c.sessions}场次" for n, c in items)
    return f"学习：{body}，共{hours:g}小时"


def branch_status(b: BranchResult, result: OrgResult, registry: Registry, locale=ZH) -> str:
    head = (
        f"📋 {b.name} · {result.period.label(locale)}（截至{fmt_date(result.today, locale)}）"
        if locale == ZH
        else f"📋 {b.name} · {result.period.label(locale)} (as of {result.today})"
    )
    rate = (
        f"完成率 {fmt_rate(b.compliance_rate)}"
        if locale == ZH
        else (f"Compliance {fmt_rate(b.compliance_rate)}")
    )
    lines = [head, rate, *[rule_line(r, locale) for r in b.rules]]
    lines.append(commitment_line(b.commitments, locale))
    lines.append(study_line(b.counts, registry, locale))
    return "\n".join(lines)


def org_status(result: OrgResult, org_name: str, registry: Registry, locale=ZH) -> str:
    behind = sorted(
        (b for b in result.branches if b.missing),
        key=lambda b: (b.compliance_rate if b.compliance_rate is not None else 101, b.name),
    )
    on_track = [b for b in result.branches if not b.missing]
    c = result.commitments()
    if locale == EN:
        lines = [
            f"📊 {org_name} · {result.period.label(locale)} (as of {result.today})",
            f"Overall {fmt_rate(result.compliance_rate)}; {len(behind)} of "
            f"{len(result.branches)} branches have open items",
            commitment_line(c, locale),
        ]
    else:
        lines = [
            f"📊 {org_name} · {result.period.label(locale)}（截至{fmt_date(result.today, locale)}）",
            f"总体完成率 {fmt_rate(result.compliance_rate)}，{len(result.branches)}个支部中"
            f"{len(behind)}个有未完成事项",
            commitment_line(c, locale),
        ]
    for b in behind[:MAX_BRANCH_LINES]:
        missing = "、".join(
            type_name(r.type, locale) + ("(逾期)" if r.status == "missed" else "")
            for r in b.missing
        )
        lines.append(f"• {b.name} {fmt_rate(b.compliance_rate)}：{missing}")
    if len(behind) > MAX_BRANCH_LINES:
        lines.append(f"……另有{len(behind) - MAX_BRANCH_LINES}个支部未列出")
    if on_track:
        names = "、".join(b.name for b in on_track)
        lines.append(f"✅ 全部完成：{names}" if locale == ZH else f"✅ All done: {names}")
    return "\n".join(lines)


def activity_list(
    rows: list[tuple[Activity, str]], registry: Registry, show_branch: bool, locale: str = ZH
) -> str:
    if not rows:
        return t("list_empty", locale)
    lines = [t("list_header", locale)]
    for a, branch in rows:
        prefix = f"{branch or ('镇党委' if locale == ZH else 'town')} · " if show_branch else ""
        lines.append(f"#{a.id} {prefix}{activity_summary(a, registry, locale)}")
    return "\n".join(lines)


def commitment_summary(c: Commitment, locale: str = ZH) -> str:
    return f"#{c.id} {c.content}（截止 {fmt_date(c.due_on, locale)}）"


def commitment_list(
    views: list[CommitmentView], names: dict[int, str], today: date, locale: str = ZH
) -> str:
    if not views:
        return t("commitments_empty", locale)
    lines = [t("commitments_header", locale)]
    words = COMMITMENT_STATUS[locale]
    for v in views:
        c = v.commitment
        state = words["overdue"] if v.overdue else words[c.status]
        owner = f" · {names.get(c.branch_id, '')}" if names else ""
        personal = "（个人）" if c.owner_member_id and locale == ZH else ""
        lines.append(
            f"#{c.id} {c.content}{personal}{owner} · 截止{fmt_date(c.due_on, locale)} · {state}"
        )
    return "\n".join(lines)


def help_text(locale: str = ZH, leader: bool = False) -> str:
    head = "支部助手 · 命令一览" if locale == ZH else "Zhibu · commands"
    lines = [head]
    for c in COMMANDS:
        if c.leader_only and not leader:
            continue
        desc = c.zh if locale == ZH else c.en
        words = f"（也可用“{c.words[0]}”）" if c.words and locale == ZH else ""
        lines.append(
            f"/{c.name} — {desc}{words}\n    例：{c.example}"
            if locale == ZH
            else f"/{c.name} — {desc}\n    e.g. {c.example}"
        )
    tail = (
        "日期可写：2026-03-05、3月5日、3.5、今天、昨天、上周五。"
        if locale == ZH
        else "Dates: 2026-03-05, 3月5日, 3.5, 今天 (today), 昨天 (yesterday), 上周五."
    )
    return "\n".join([*lines, tail])


def missing_hint(field: str, locale: str = ZH) -> str:
    examples = {
        "held_on": "例如：/log 支委会 3月5日 出席7人",
        "present": "例如：/log 支委会 3月5日 出席7人",
        "hours": "例如：/study 集中学习 3月10日 2小时 18人",
        "content": "例如：/commit 完成村道硬化2公里 截止6月30日",
        "due": "例如：/commit 完成村道硬化2公里 截止6月30日",
        "reason": "例如：/withdraw 3 项目取消",
        "group": "例如：/log 党小组会 第一党小组 昨天 8人",
    }
    return (
        examples.get(field, "") if locale == ZH else examples.get(field, "").replace("例如", "e.g.")
    )


def field_label(name: str, locale: str = ZH) -> str:
    return field_name(name, locale)
