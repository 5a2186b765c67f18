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
    fmt_date,
    fmt_rate,
    t,
)
from core.commitments import CommitmentView
from core.compliance import BranchResult, CommitmentStats, OrgResult, RuleResult
from core.rules import ActivityType, Registry
from storage.models import Activity

MAX_BRANCH_LINES = 40
LIST_CLIP = 40  # characters of a topic or place shown in /list


def type_name(atype: ActivityType, locale: str) -> str:
    return atype.en_name or atype.name if locale == EN else atype.name


def _clip(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def activity_summary(
    a: Activity,
    registry: Registry,
    locale: str = ZH,
    group: str | None = None,
    clip: int | None = None,
) -> str:
    """One line for a record; ``clip`` shortens free text for lists."""
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
            value = _clip(value, clip)
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


def _zh_or_en(locale: str, zh: str, en: str) -> str:
    return en if locale == EN else zh


def _paren(text: str, locale: str) -> str:
    return f" ({text})" if locale == EN else f"（{text}）"


def rule_line(r: RuleResult, locale: str = ZH) -> str:
    """One rule of a branch, e.g. ``❌ 主题党日 0/2（2026年第三季度） 未完成：7月、9月；免开：8月（防汛）``."""
    name, window = type_name(r.type, locale), _paren(r.window.label(locale), locale)
    if r.type.scope == "group":
        tallies = _zh_or_en(locale, "、", ", ").join(
            f"{g} {held}/{need}{STATUS_MARKS[st]}" for g, held, need, st in r.by_group()
        )
        body = f"{name}{window}{_zh_or_en(locale, '：', ': ')}{tallies}"
    elif r.type.scope == "member":
        body = _zh_or_en(
            locale,
            f"{name} 已谈 {r.held} 人 / 共 {r.required} 人{window}",
            f"{name} {r.held} of {r.required} members reached {window}",
        )
    else:
        body = f"{name} {r.held}/{r.required}{window}"
    line = f"{STATUS_MARKS[r.status]} {body}"
    if r.status == "met":
        return line
    return f"{line} {_gap_text(r, locale)}"


def _gap_text(r: RuleResult, locale: str) -> str:
    """What is short, by status: 未完成：2月；待完成：3月；免开：1月（春节）."""
    words = STATUS_WORDS[locale]
    parts = []
    for status in ("missed", "pending", "excused"):
        gaps = [g for g in r.gaps if g.status == status]
        if not gaps:
            continue
        labels = [
            (f"{g.group}·" if g.group else "")
            + (_short_unit(g.unit.label(locale)) if g.unit != r.window or g.group else "")
            + (_paren(g.reason, locale) if g.reason else "")
            for g in gaps
        ]
        labels = [x for x in labels if x]
        sep = _zh_or_en(locale, "：", ": ")
        parts.append(
            words[status] + (sep + _zh_or_en(locale, "、", ", ").join(labels) if labels else "")
        )
    return _zh_or_en(locale, "；", "; ").join(parts)


def _short_unit(label: str) -> str:
    """2026年3月 -> 3月 inside a line that already names the year."""
    return label.split("年", 1)[1] if "年" in label and not label.endswith("年") else label


def commitment_line(org: CommitmentStats, personal: CommitmentStats, locale: str = ZH) -> str:
    """Organisation and personal commitments reported apart, as in a 述职 report."""

    def one(label: str, c: CommitmentStats) -> str:
        return _zh_or_en(
            locale,
            f"{label}到期{c.due}件、已兑现{c.fulfilled}件，履诺率 {fmt_rate(c.rate)}",
            f"{label} {c.fulfilled}/{c.due} fulfilled ({fmt_rate(c.rate)})",
        )

    overdue = org.overdue + personal.overdue
    made = org.made + personal.made
    return _zh_or_en(locale, "承诺事项：", "Commitments: ") + _zh_or_en(locale, "；", "; ").join(
        [
            one(_zh_or_en(locale, "支部承诺", "branch"), org),
            one(_zh_or_en(locale, "个人承诺", "personal"), personal),
            _zh_or_en(
                locale,
                f"本期新立{made}件，逾期未兑现{overdue}件",
                f"{made} made, {overdue} overdue",
            ),
        ]
    )


def study_line(b_counts, registry: Registry, locale: str = ZH) -> str:
    items = [
        (type_name(tp, locale), b_counts[tp.code])
        for tp in registry.of_category("study")
        if tp.code in b_counts
    ]
    if not items:
        return _zh_or_en(locale, "学习：本期暂无记录", "Study: none yet")
    hours = sum(c.hours for _, c in items)
    if locale == EN:
        return f"Study: {', '.join(f'{n} ×{c.sessions}' for n, c in items)}; {hours:g} h"
    return f"学习：{'、'.join(f'{n}{c.sessions}场次' for n, c in items)}，共{hours:g}小时"


def town_line(counts, registry: Registry, locale: str = ZH) -> str | None:
    items = [
        (type_name(tp, locale), counts[tp.code].sessions)
        for tp in registry.of_category("town")
        if tp.code in counts
    ]
    if not items:
        return None
    body = _zh_or_en(locale, "、", ", ").join(
        f"{n}{_zh_or_en(locale, '', ' ×')}{k}{_zh_or_en(locale, '次', '')}" for n, k in items
    )
    return _zh_or_en(locale, f"镇党委：{body}", f"Town: {body}")


def _as_of(result: OrgResult, locale: str) -> str:
    return _paren(
        _zh_or_en(locale, f"截至{fmt_date(result.today, locale)}", f"as of {result.today}"), locale
    )


def branch_status(b: BranchResult, result: OrgResult, registry: Registry, locale=ZH) -> str:
    lines = [
        f"📋 {b.name} · {result.period.label(locale)}{_as_of(result, locale)}",
        _zh_or_en(locale, "完成率 ", "Compliance ") + fmt_rate(b.compliance_rate),
        *[rule_line(r, locale) for r in b.rules],
        commitment_line(b.commitments_org, b.commitments_personal, locale),
        study_line(b.counts, registry, locale),
    ]
    if not b.rules:
        lines.insert(2, _zh_or_en(locale, "（该时间段尚未开始）", "(this period has not begun)"))
    return "\n".join(lines)


def org_status(result: OrgResult, org_name: str, registry: Registry, locale=ZH) -> str:
    """Worst first: branches with missed items, then those with items still open, then the
    ones fully done in one line; silent branches and town-level work at the end."""
    missed, open_, done = result.by_progress()
    lines = [
        f"📊 {org_name} · {result.period.label(locale)}{_as_of(result, locale)}",
        _zh_or_en(
            locale,
            f"总体完成率 {fmt_rate(result.compliance_rate)}：{len(missed)}个支部有未完成事项，"
            f"{len(open_)}个支部有待完成事项，{len(done)}个支部全部完成",
            f"Overall {fmt_rate(result.compliance_rate)}: {len(missed)} branches missed items, "
            f"{len(open_)} have open items, {len(done)} all done",
        ),
        commitment_line(result.commitments(False), result.commitments(True), locale),
    ]
    ranked = sorted(missed, key=_rate_key) + sorted(open_, key=_rate_key)
    for b in ranked[:MAX_BRANCH_LINES]:
        lines.append(_branch_gaps(b, locale))
    if len(ranked) > MAX_BRANCH_LINES:
        lines.append(
            _zh_or_en(
                locale,
                f"……另有{len(ranked) - MAX_BRANCH_LINES}个支部未列出",
                f"… {len(ranked) - MAX_BRANCH_LINES} more branches",
            )
        )
    if done:
        names = _zh_or_en(locale, "、", ", ").join(b.name for b in done)
        lines.append(_zh_or_en(locale, f"✅ 全部完成：{names}", f"✅ All done: {names}"))
    if silent := [b for b in result.branches if b.is_silent(result.today)]:
        names = _zh_or_en(locale, "、", ", ").join(b.name for b in silent)
        lines.append(
            _zh_or_en(
                locale, f"⚠️ 30天以上没有活动记录：{names}", f"⚠️ No activity for 30+ days: {names}"
            )
        )
    if town := town_line(result.town_counts, registry, locale):
        lines.append(town)
    return "\n".join(lines)


def _rate_key(b: BranchResult):
    return (b.compliance_rate if b.compliance_rate is not None else 101, b.name)


def _branch_gaps(b: BranchResult, locale: str) -> str:
    def names(status: str) -> str:
        return _zh_or_en(locale, "、", ", ").join(
            type_name(r.type, locale) for r in b.rules if r.status == status
        )

    parts = [f"{STATUS_WORDS[locale][st]} {names(st)}" for st in ("missed", "pending") if names(st)]
    mark = "❌" if any(r.status == "missed" for r in b.rules) else "⏳"
    sep = _zh_or_en(locale, "：", ": ")
    return f"{mark} {b.name} {fmt_rate(b.compliance_rate)}{sep}{_zh_or_en(locale, '；', '; ').join(parts)}"


def activity_list(
    rows: list[tuple[Activity, str]], registry: Registry, show_branch: bool, locale: str = ZH
) -> str:
    if not rows:
        return t("list_empty", locale)
    lines = [t("list_header", locale)]
    for a, branch in rows:
        prefix = f"{branch or ('镇党委' if locale == ZH else 'town')} · " if show_branch else ""
        lines.append(f"#{a.id} {prefix}{activity_summary(a, registry, locale, clip=LIST_CLIP)}")
    return "\n".join(lines)


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
        personal = (
            _paren(_zh_or_en(locale, "个人", "personal"), locale) if c.owner_member_id else ""
        )
        due = _zh_or_en(locale, "截止", "due ") + fmt_date(c.due_on, locale)
        lines.append(f"#{c.id} {c.content}{personal}{owner} · {due} · {state}")
    return "\n".join(lines)


def help_text(locale: str = ZH, writer: bool = False, leader: bool = False) -> str:
    """Every command the reader may use, each with an example."""
    lines = [_zh_or_en(locale, "支部助手 · 命令一览", "Zhibu · commands")]
    for c in COMMANDS:
        if (c.audience == "leader" and not leader) or (c.audience == "writer" and not writer):
            continue
        if locale == EN:
            lines.append(f"/{c.name} — {c.en}\n    e.g. {c.example}")
        else:
            words = f"（也可用“{c.words[0]}”）" if c.words else ""
            lines.append(f"/{c.name} — {c.zh}{words}\n    例：{c.example}")
    lines.append(
        _zh_or_en(
            locale,
            "日期可写：2026-03-05、3月5日、3.5、今天、昨天、上周五；截止日期还可写 6月底、年底。",
            "Dates: 2026-03-05, 3月5日, 3.5, 今天/today, 昨天/yesterday, 上周五; deadlines 6月底, 年底.",
        )
    )
    return "\n".join(lines)


_EXAMPLES = {
    "held_on": "/log 支委会 3月5日 出席7人",
    "present": "/log 支委会 3月5日 出席7人",
    "hours": "/study 集中学习 3月10日 2小时 18人",
    "content": "/commit 完成村道硬化2公里 截止6月30日",
    "due": "/commit 完成村道硬化2公里 截止6月30日",
    "reason": "/withdraw 3 项目取消",
    "group": "/log 党小组会 第一党小组 昨天 8人",
}


def missing_hint(field: str, locale: str = ZH) -> str:
    example = _EXAMPLES.get(field)
    return _zh_or_en(locale, f"例如：{example}", f"e.g. {example}") if example else ""
