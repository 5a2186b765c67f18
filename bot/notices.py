"""The wording of scheduled pushes: the 月提醒单 for each branch and its digest for the
leaders, the nudge before a month closes. Facts come from core.reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.messages import SEPARATORS, WEEKDAY_NAMES, ZH, fmt_date, fmt_rate, t
from bot.render import item_separator, org_status, study_line, town_line, type_name, worded
from core.compliance import OrgResult, TypeTotals
from core.periods import Period
from core.reminders import BranchDue, Deadlines, Owed
from core.rules import Registry
from jobs.schedule import Reach
from storage.models import Commitment

COMMITMENTS_SHOWN = 5  # more than that: "… 等N项"
DIGEST_ITEMS = 40  # overdue commitments listed to the leaders; the rest are counted


def owed_label(owed: Owed, locale: str, with_unit: bool = False) -> str:
    """支委会 · 党小组会（第二党小组）· 谈心谈话（5/12人）· 党课（2025年第四季度）"""
    name = type_name(owed.type, locale)
    details = []
    if owed.groups:
        details.append(item_separator(locale).join(owed.groups))
    elif owed.type.scope == "member":
        details.append(t("owed_people", locale, held=owed.held, need=owed.need))
    elif owed.need > 1:
        details.append(t("owed_times", locale, held=owed.held, need=owed.need))
    if with_unit:
        details.append(owed.unit.label(locale))
    return (
        t("owed_detail", locale, name=name, details=_clauses(details, locale)) if details else name
    )


def _clauses(parts: list[str], locale: str) -> str:
    return ("，" if locale == ZH else ", ").join(parts)


def _owed_list(owed: Sequence[Owed], locale: str, with_unit: bool = False) -> str:
    return item_separator(locale).join(owed_label(o, locale, with_unit) for o in owed)


def _commitment_list(rows: Sequence[Commitment], locale: str, owners: dict[int, str]) -> str:
    shown = [
        t(
            "commitment_due_item",
            locale,
            id=c.id,
            content=_whose(c, owners, locale),
            day=fmt_date(c.due_on, locale),
        )
        for c in rows[:COMMITMENTS_SHOWN]
    ]
    more = t("and_more", locale, n=len(rows)) if len(rows) > COMMITMENTS_SHOWN else ""
    return SEPARATORS[locale][1].join(shown) + more


def monthly_reminder(due: BranchDue, month: Period, locale: str = ZH) -> str:
    """The 月提醒单 of one branch, short enough for one chat message."""
    lines = [t("reminder_title", locale, branch=due.name, month=month.label(locale))]
    if due.this_month:
        lines.append(t("reminder_month", locale, items=_owed_list(due.this_month, locale)))
    else:
        lines.append(t("reminder_month_done", locale))
    if due.this_quarter:
        lines.append(t("reminder_quarter", locale, items=_owed_list(due.this_quarter, locale)))
    if due.this_year:
        lines.append(t("reminder_year", locale, items=_owed_list(due.this_year, locale)))
    if due.overdue:
        lines.append(t("reminder_overdue", locale, items=_owed_list(due.overdue, locale, True)))
    lines += _commitment_lines(due, locale)
    lines.append(t("reminder_footer", locale))
    return "\n".join(lines)


def _commitment_lines(due: BranchDue, locale: str) -> list[str]:
    lines = []
    if due.commitments_due:
        items = _commitment_list(due.commitments_due, locale, due.owners)
        lines.append(t("reminder_commitments_due", locale, items=items))
    if due.commitments_overdue:
        items = _commitment_list(due.commitments_overdue, locale, due.owners)
        lines.append(t("reminder_commitments_overdue", locale, items=items))
    return lines


def leaders_digest(
    org: str, dues: Sequence[BranchDue], reach: Reach, month: Period, today: date, locale: str = ZH
) -> str:
    """One message for the leaders' chat: who was reminded, who is behind, who is silent."""
    lines = [t("digest_title", locale, org=org, month=month.label(locale))]
    lines.append(t("digest_sent", locale, n=reach.in_groups))
    colon = SEPARATORS[locale][2]
    behind = [f"· {d.name}{colon}{_owed_list(d.overdue, locale)}" for d in dues if d.overdue]
    if behind:
        lines += [t("digest_overdue", locale), *behind]
    if silent := _silent(dues, locale):
        lines.append(t("digest_silent", locale, items=silent))
    late = [
        t("digest_commitments_item", locale, branch=d.name, n=len(d.commitments_overdue))
        for d in dues
        if d.commitments_overdue
    ]
    if late:
        lines.append(t("digest_commitments", locale, items=item_separator(locale).join(late)))
    for key, names in (
        ("digest_private", reach.privately),
        ("digest_unbound", reach.nowhere),
        ("digest_lost", reach.lost),
    ):
        if names:
            lines.append(t(key, locale, items=item_separator(locale).join(names)))
    return "\n".join(lines)


def _silent(dues: Sequence[BranchDue], locale: str) -> str:
    items = [
        t("silent_item", locale, branch=d.name, day=fmt_date(d.last_activity, locale))
        if d.last_activity
        else t("silent_never", locale, branch=d.name)
        for d in dues
        if d.silent
    ]
    return item_separator(locale).join(items)


def month_end_nudge(
    due: BranchDue, month_end: date, days_left: int, locale: str = ZH
) -> str | None:
    """To a branch with something still open that closes with the month; else None."""
    closing = due.closing_by(month_end)
    if not closing:
        return None
    # the nudge fires on working days: one left is today
    title = "nudge_title_last_day" if days_left == 1 else "nudge_title"
    lines = [t(title, locale, branch=due.name, days=days_left)]
    lines += [f"· {owed_label(o, locale, with_unit=True)}" for o in closing]
    lines.append(t("nudge_footer", locale))
    return "\n".join(lines)


def silent_digest(org: str, dues: Sequence[BranchDue], locale: str = ZH) -> str | None:
    """To the leaders before the month closes: branches with no activity for 30 days."""
    silent = _silent(dues, locale)
    return t("nudge_silent", locale, org=org, items=silent) if silent else None


def _whose(c: Commitment, owners: dict[int, str], locale: str) -> str:
    """The content, and whose it is if personal: 张书记个人承诺：每月走访5户."""
    if c.owner_member_id is None:
        return c.content
    if name := owners.get(c.owner_member_id):
        return t("personal_of", locale, name=name, content=c.content)
    return t("personal_unnamed", locale, content=c.content)


def commitment_deadlines(branch: str, found: Deadlines, warn_days: int, locale: str = ZH) -> str:
    """To a branch: commitments due in ``warn_days``, due today, and fallen overdue."""
    lines = [t("deadlines_title", locale, branch=branch)]
    if found.soon:
        items = _commitment_list(found.soon, locale, found.owners)
        lines.append(t("deadlines_soon", locale, days=warn_days, items=items))
    if found.today:
        today = _commitment_list(found.today, locale, found.owners)
        lines.append(t("deadlines_today", locale, items=today))
    if found.newly_overdue:
        items = _commitment_list(found.newly_overdue, locale, found.owners)
        lines.append(t("deadlines_overdue", locale, items=items))
    lines.append(t("deadlines_footer", locale))
    return "\n".join(lines)


def schedule_unknown(year: int, locale: str = ZH) -> str:
    """A line for the leaders: the year's holiday notice is not in the bot yet."""
    return t("schedule_unknown", locale, year=year)


def job_description(name: str, locale: str = ZH, **params: object) -> str:
    """What a scheduled job does and when, for ``zhibu jobs list``; ``weekday`` is 0 for
    Monday."""
    if isinstance(weekday := params.get("weekday"), int):
        params["weekday"] = WEEKDAY_NAMES.get(locale, WEEKDAY_NAMES[ZH])[weekday]
    return t(f"job_{name}", locale, **{k: worded(v, locale) for k, v in params.items()})


def sent_privately(leaders: bool, locale: str = ZH) -> str:
    """The footer of a push that went to people privately for want of a bound group."""
    return t("leaders_sent_privately" if leaders else "branch_sent_privately", locale)


def overdue_digest(
    org: str,
    rows: Sequence[Commitment],
    names: dict[int, str],
    today: date,
    locale: str = ZH,
    owners: dict[int, str] | None = None,
) -> str | None:
    """To the leaders, weekly: every overdue commitment, with its branch and how late it is."""
    if not rows:
        return None
    lines = [t("overdue_digest_title", locale, org=org, n=len(rows))]
    for c in rows[:DIGEST_ITEMS]:
        late = (today - c.due_on).days
        branch = names.get(c.branch_id, "")
        lines.append(
            t(
                "overdue_digest_item",
                locale,
                branch=branch,
                id=c.id,
                content=_whose(c, owners or {}, locale),
                day=fmt_date(c.due_on, locale),
                late=late,
            )
        )
    if len(rows) > DIGEST_ITEMS:
        lines.append(t("digest_more", locale, n=len(rows) - DIGEST_ITEMS))
    return "\n".join(lines)


def _org_counts(result: OrgResult) -> dict[str, TypeTotals]:
    """Sessions held per activity type, over every branch of the org."""
    total: dict[str, TypeTotals] = {}
    for b in result.branches:
        for code, counts in b.counts.items():
            total[code] = total.get(code, TypeTotals()) + counts
    return total


def _rule_totals(result: OrgResult, registry: Registry, locale: str) -> str:
    """支委会 22/24 · … : held against required over all branches, per rule."""
    items = []
    for tp in registry.required():
        rules = [
            r
            for b in result.branches
            for r in b.rules
            if r.type.code == tp.code and r.window.end <= result.period.end  # a year rule is
        ]  # not owed in full by the end of a quarter
        if rules:
            held = sum(min(r.held, r.required) for r in rules)
            need = sum(r.required for r in rules)
            key = "summary_coverage_item" if tp.scope == "member" else "summary_rule_item"
            items.append(t(key, locale, name=type_name(tp, locale), held=held, need=need))
    return t("summary_rules", locale, items=item_separator(locale).join(items))


def quarterly_summary(result: OrgResult, org: str, registry: Registry, locale: str = ZH) -> str:
    """The quarter's 通报 for the leaders: the /status overview of the quarter, with the
    rule-by-rule totals and the study sessions of all branches."""
    overview = org_status(result, org, registry, locale, page=None).split("\n")
    title = t("quarterly_title", locale, org=org, period=result.period.label(locale))
    study = study_line(_org_counts(result), registry, locale)
    return "\n".join([title, _rule_totals(result, registry, locale), *overview[1:], study])


def annual_summary(result: OrgResult, org: str, registry: Registry, locale: str = ZH) -> str:
    """The year in the words of a 述职报告, every number from the /status engine."""
    title = t("annual_title", locale, org=org, year=result.period.label(locale))
    return "\n".join([title, *report_sentences(result, registry, locale)])


def _rate_or_none(rate: float | None, locale: str) -> str:
    return fmt_rate(rate) if rate is not None else t("rate_none", locale)


def report_sentences(
    result: OrgResult, registry: Registry, locale: str = ZH, one_branch: bool = False
) -> list[str]:
    """The statistics of a period as a 述职报告 words them (年内召开支部党员大会N次…);
    ``one_branch``: a branch's own report (本支部…), not the org's."""
    counts = _org_counts(result)
    prefix = "branch_" if one_branch else ""
    when = t("in_year", locale) if result.period.kind == "year" else result.period.label(locale)

    def held(category: str, key: str) -> str:
        return item_separator(locale).join(
            t(key, locale, name=type_name(tp, locale), n=counts[tp.code].sessions)
            for tp in registry.of_category(category)
            if tp.code in counts
        )

    own, personal = result.commitments(False), result.commitments(True)
    lines = []
    if meetings := held("required", "annual_meeting"):
        key = "branch_meetings" if one_branch else "annual_meetings"
        lines.append(t(key, locale, when=when, items=meetings))
    if studies := held("study", "study_item"):
        lines.append(t("annual_study", locale, items=studies))
    year = result.period.kind == "year"  # a year counts what was promised, a quarter what fell due
    lines.append(
        t(
            prefix + ("annual_commitments" if year else "period_commitments"),
            locale,
            n=len(result.branches),
            own=own.made if year else own.due,
            personal=personal.made if year else personal.due,
            own_due=own.due,
            personal_due=personal.due,
            own_rate=_rate_or_none(own.rate, locale),
            personal_rate=_rate_or_none(personal.rate, locale),
        )
    )
    if town := town_line(result.town_counts, registry, locale):
        lines.append(town + t("full_stop", locale))
    lines.append(t("annual_rate", locale, when=when, rate=fmt_rate(result.compliance_rate)))
    return lines
