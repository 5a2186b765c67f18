"""Words for results: domain values in, user-facing text out (zh-CN or en)."""

from __future__ import annotations

from datetime import date

from bot.commands import COMMANDS, Command
from bot.messages import (
    COMMITMENT_STATUS,
    EN,
    MISSING_EXAMPLES,
    SEPARATORS,
    STATUS_MARKS,
    STATUS_WORDS,
    ZH,
    fmt_date,
    fmt_rate,
    t,
)
from core.commitments import CommitmentView
from core.compliance import BranchResult, CommitmentStats, OrgResult, RuleResult, Slot
from core.errors import Phrase
from core.periods import Period
from core.rules import ActivityType, Registry
from storage.models import Activity

MAX_BRANCH_LINES = 40
LIST_CLIP = 40  # characters of a topic or place shown in /list


def type_name(atype: ActivityType, locale: str) -> str:
    return atype.en_name or atype.name if locale == EN else atype.name


def worded(value: object, locale: str) -> object:
    """A value carried by a DomainError in the reader's words: a period's label, a date, a
    type's name, a list joined the way the locale lists things (、 or ", "), a phrase."""
    if isinstance(value, Phrase):
        return t(value.key, locale, **{k: worded(v, locale) for k, v in value.params.items()})
    if isinstance(value, Period):
        return value.label(locale)
    if isinstance(value, date):
        return fmt_date(value, locale)
    if isinstance(value, ActivityType):
        return type_name(value, locale)
    if isinstance(value, list | tuple):
        return item_separator(locale).join(str(worded(v, locale)) for v in value)
    return value


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
    elif a.start_time:  # 下午3点 with no end written
        parts.append(t("starts_at", locale, time=f"{a.start_time:%H:%M}"))
    parts.append(_attendance(a, locale))
    if a.hours:
        parts.append(t("hours_short", locale, hours=f"{a.hours:g}"))
    for key in ("topic", "place", "host", "recorder", "notes"):
        if value := getattr(a, key):
            parts.append(t(f"label_{key}", locale, value=_clip(value, clip)))
    return " · ".join(p for p in parts if p)


def _attendance(a: Activity, locale: str) -> str:
    bits = [
        t("att_expected", locale, n=a.expected) if a.expected is not None else "",
        t("att_present", locale, n=a.present) if a.present is not None else "",
        t("att_absent", locale, n=a.absent) if a.absent else "",
    ]
    return item_separator(locale).join(b for b in bits if b)


def item_separator(locale: str) -> str:
    """The separator between items of a list: 、 in Chinese."""
    return SEPARATORS[locale][0]


def _clauses(locale: str) -> str:
    return SEPARATORS[locale][1]


def _colon(locale: str) -> str:
    return SEPARATORS[locale][2]


def _paren(text: str, locale: str) -> str:
    return f" ({text})" if locale == EN else f"（{text}）"


def rule_line(r: RuleResult, locale: str = ZH) -> str:
    """One rule of a branch, e.g. ``❌ 主题党日 0/2（2026年第三季度） 未完成：7月、9月；免开：8月（防汛）``."""
    name, window = type_name(r.type, locale), _paren(r.window.label(locale), locale)
    if r.type.scope == "group":
        tallies = item_separator(locale).join(
            f"{g} {held}/{need}{STATUS_MARKS[st]}" for g, held, need, st in r.by_group()
        )
        body = f"{name}{window}{_colon(locale)}{tallies}"
    elif r.type.scope == "member":
        body = t("coverage", locale, name=name, held=r.held, required=r.required, window=window)
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
        # excused groups of one month share their reason: 免开：春节, once
        labels = list(dict.fromkeys(x for g in gaps if (x := _gap_label(g, r.window, locale))))
        parts.append(
            words[status] + (_colon(locale) + item_separator(locale).join(labels) if labels else "")
        )
    return _clauses(locale).join(parts)


def _gap_label(g: Slot, window: Period, locale: str) -> str:
    """第二党小组·1月（春节） in a quarter's line; in a month's, the tallies already name the
    group and the heading the month, so only a reason is left (免开：防汛抢险)."""
    if g.unit == window:
        return g.reason or ""
    unit = _short_unit(g.unit.label(locale))
    label = f"{g.group}·{unit}" if g.group else unit
    return label + (_paren(g.reason, locale) if g.reason else "")


def _short_unit(label: str) -> str:
    """2026年3月 -> 3月 inside a line that already names the year."""
    return label.split("年", 1)[1] if "年" in label and not label.endswith("年") else label


def commitment_line(org: CommitmentStats, personal: CommitmentStats, locale: str = ZH) -> str:
    """Organisation and personal commitments reported apart, as in a 述职 report."""

    def one(label_key: str, c: CommitmentStats) -> str:
        return t(
            "commitments_kind",
            locale,
            label=t(label_key, locale),
            due=c.due,
            fulfilled=c.fulfilled,
            rate=fmt_rate(c.rate),
        )

    made = t(
        "commitments_made",
        locale,
        made=org.made + personal.made,
        overdue=org.overdue + personal.overdue,
    )
    parts = [one("commitments_org", org), one("commitments_personal", personal), made]
    return t("commitments_line", locale, parts=_clauses(locale).join(parts))


def study_line(b_counts, registry: Registry, locale: str = ZH) -> str:
    study = [tp for tp in registry.of_category("study") if tp.code in b_counts]
    if not study:
        return t("study_none", locale)
    items = item_separator(locale).join(
        t("study_item", locale, name=type_name(tp, locale), n=b_counts[tp.code].sessions)
        for tp in study
    )
    hours = sum(b_counts[tp.code].hours for tp in study)
    return t("study_line", locale, items=items, hours=f"{hours:g}")


def town_line(counts, registry: Registry, locale: str = ZH) -> str | None:
    town = [tp for tp in registry.of_category("town") if tp.code in counts]
    if not town:
        return None
    items = item_separator(locale).join(
        t("town_item", locale, name=type_name(tp, locale), n=counts[tp.code].sessions)
        for tp in town
    )
    return t("town_line", locale, items=items)


def _as_of(result: OrgResult, locale: str) -> str:
    return _paren(t("as_of", locale, day=fmt_date(result.today, locale)), locale)


def branch_status(b: BranchResult, result: OrgResult, registry: Registry, locale=ZH) -> str:
    lines = [
        f"📋 {b.name} · {result.period.label(locale)}{_as_of(result, locale)}",
        t("branch_rate", locale, rate=fmt_rate(b.compliance_rate)),
        *[rule_line(r, locale) for r in b.rules],
        commitment_line(b.commitments_org, b.commitments_personal, locale),
        study_line(b.counts, registry, locale),
    ]
    if not b.rules:
        lines.insert(2, t(_nothing_due_key(b, result), locale))
    return "\n".join(lines)


def _nothing_due_key(b: BranchResult, result: OrgResult) -> str:
    if result.not_begun:
        return "period_not_begun"
    return "branch_not_set_up" if b.set_up_after(result.period) else "nothing_due"


def status_pages(result: OrgResult) -> int:
    """How many messages the org overview takes: MAX_BRANCH_LINES branches behind on each."""
    missed, open_, _ = result.by_progress()
    return _pages(len(missed) + len(open_))


def _pages(behind: int) -> int:
    return max(1, -(-behind // MAX_BRANCH_LINES))


def clamp_page(page: int, pages: int) -> int:
    """A page that exists (0-based): 第9页 of a two-page overview is its last page."""
    return min(max(page, 0), pages - 1)


def org_status(
    result: OrgResult, org_name: str, registry: Registry, locale=ZH, page: int | None = 0
) -> str:
    """Worst first: branches with missed items, then those with items still open, then the
    ones fully done in one line; silent branches and town-level work at the end. A town with
    more branches behind than fit one message is shown ``page`` by page (0-based; None: a
    push, with no buttons to page: the worst ones, and how many more the attached ledger has)."""
    heading = f"📊 {org_name} · {result.period.label(locale)}{_as_of(result, locale)}"
    commitments = commitment_line(result.commitments(False), result.commitments(True), locale)
    if result.not_begun:
        return "\n".join([heading, t("period_not_begun", locale), commitments])
    missed, open_, done = result.by_progress()
    rate = fmt_rate(result.compliance_rate)
    counts = {"missed": len(missed), "open": len(open_), "done": len(done)}
    lines = [heading, t("org_summary", locale, rate=rate, **counts), commitments]
    ranked = sorted(missed, key=_rate_key) + sorted(open_, key=_rate_key)
    if page is None:
        lines += [_branch_gaps(b, locale) for b in ranked[:MAX_BRANCH_LINES]]
        if len(ranked) > MAX_BRANCH_LINES:
            lines.append(t("more_behind", locale, n=len(ranked) - MAX_BRANCH_LINES))
    else:
        lines += _page_of(ranked, page, locale)
    lines += _closing_lines(result, done, registry, locale)
    return "\n".join(lines)


def _page_of(ranked: list[BranchResult], page: int, locale: str) -> list[str]:
    pages = _pages(len(ranked))
    page = clamp_page(page, pages)
    lines = [_branch_gaps(b, locale) for b in ranked[page * MAX_BRANCH_LINES :][:MAX_BRANCH_LINES]]
    if pages > 1:
        lines.append(t("status_page", locale, page=page + 1, pages=pages))
    return lines


def _closing_lines(
    result: OrgResult, done: list[BranchResult], registry: Registry, locale: str
) -> list[str]:
    """After the branches behind: those all done, those not yet set up, the silent ones and
    the town's own work."""
    lines = []
    if done:
        lines.append(t("all_done", locale, names=branch_names(done, locale)))
    if later := result.not_yet_set_up():
        lines.append(t("set_up_later", locale, names=branch_names(later, locale)))
    if silent := [b for b in result.branches if b.is_silent(result.today)]:
        lines.append(t("silent", locale, names=branch_names(silent, locale)))
    if town := town_line(result.town_counts, registry, locale):
        lines.append(town)
    return lines


def branch_names(branches: list[BranchResult], locale: str) -> str:
    """Branch names for a one-line list, the first MAX_BRANCH_LINES of them."""
    names = item_separator(locale).join(b.name for b in branches[:MAX_BRANCH_LINES])
    more = len(branches) - MAX_BRANCH_LINES
    return names + (t("and_n_more", locale, n=len(branches)) if more > 0 else "")


def _rate_key(b: BranchResult):
    """Lowest rate first, then most items outstanding; ties keep the org's own branch order
    (sorted() is stable), which reads 一村, 二村, 三村 where names would sort 一, 七, 三."""
    return (b.compliance_rate if b.compliance_rate is not None else 101, -len(b.missing))


def _branch_gaps(b: BranchResult, locale: str) -> str:
    def names(status: str) -> str:
        return item_separator(locale).join(
            type_name(r.type, locale) for r in b.rules if r.status == status
        )

    parts = [f"{STATUS_WORDS[locale][st]} {names(st)}" for st in ("missed", "pending") if names(st)]
    mark = "❌" if any(r.status == "missed" for r in b.rules) else "⏳"
    rate = fmt_rate(b.compliance_rate)
    return f"{mark} {b.name} {rate}{_colon(locale)}{_clauses(locale).join(parts)}"


def activity_list(
    rows: list[tuple[Activity, str, str | None]],
    registry: Registry,
    show_branch: bool,
    locale: str = ZH,
) -> str:
    if not rows:
        return t("list_empty", locale)
    lines = [t("list_header", locale)]
    for a, branch, group in rows:
        prefix = f"{branch or t('town_label', locale)} · " if show_branch else ""
        summary = activity_summary(a, registry, locale, group, clip=LIST_CLIP)
        lines.append(f"#{a.id} {prefix}{summary}")
    return "\n".join(lines)


def commitment_list(
    views: list[CommitmentView],
    names: dict[int, str],
    today: date,
    locale: str = ZH,
    everything: bool = False,
) -> str:
    """The open commitments, or with ``everything`` the closed ones too."""
    if not views:
        return t("commitments_empty_all" if everything else "commitments_empty", locale)
    lines = [t("commitments_header_all" if everything else "commitments_header", locale)]
    words = COMMITMENT_STATUS[locale]
    for v in views:
        c = v.commitment
        state = words["overdue"] if v.overdue else words[c.status]
        owner = f" · {names.get(c.branch_id, '')}" if names else ""
        personal = _paren(t("personal_mark", locale), locale) if c.owner_member_id else ""
        due = t("due_on", locale, day=fmt_date(c.due_on, locale))
        lines.append(f"#{c.id} {c.content}{personal}{owner} · {due} · {state}")
    return "\n".join(lines)


def audience_sees(c: Command, writer: bool, leader: bool) -> bool:
    """``writer``: writes for a branch (secretary, deputy, committee); ``leader``: the town's."""
    return {
        "all": True,
        "writer": writer or leader,
        "branch": writer,
        "leader": leader,
    }.get(c.audience, False)


def help_text(locale: str = ZH, writer: bool = False, leader: bool = False) -> str:
    """Every command the reader may use, each with an example."""
    lines = [t("help_title", locale)]
    for c in COMMANDS:
        if not audience_sees(c, writer, leader):
            continue
        words = t("help_words", locale, word=c.words[0]) if c.words else ""
        text = c.en if locale == EN else c.zh
        example = c.example_in(locale)
        lines.append(t("help_line", locale, name=c.name, text=text, words=words, example=example))
    lines.append(t("help_dates", locale))
    return "\n".join(lines)


def missing_hint(field: str, locale: str = ZH) -> str:
    example = MISSING_EXAMPLES.get(locale, MISSING_EXAMPLES[ZH]).get(field)
    return t("example", locale, example=example) if example else ""
