"""The compliance engine: for branches and a period, per rule how many meetings were required,
how many held, and whether the rule is met, pending, missed or excused.

A rule is checked in *units* of its own length (a monthly rule over a quarter has three
units; a quarterly rule seen from one month is checked over its whole quarter). A unit is
met when it holds ``min_count`` records (per party group for group rules; for coverage rules
every member must be reached); an unmet unit is pending while open and missed once closed,
unless a leader excused it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlmodel import Session

from core.periods import KIND_OF_MONTHS, Period
from core.rules import ActivityType, Registry
from storage import queries
from storage.queries import CommitmentCounts, MonthCount

Status = Literal["met", "pending", "missed", "excused"]
SILENT_DAYS = 30


def percent(numerator: int | float, denominator: int | float) -> float | None:
    """A percentage with one decimal, rounded half up (22/23 -> 95.7); None when nothing is due."""
    if not denominator:
        return None
    value = Decimal(str(numerator)) * 100 / Decimal(str(denominator))
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Slot:
    """One place a rule must be satisfied: a unit (month, quarter…), for one party group
    where the rule is per group, with what was held there and what that makes it."""

    unit: Period
    group: str | None
    held: int
    need: int
    status: Status
    reason: str | None = None  # why a leader excused it


@dataclass(frozen=True)
class RuleResult:
    type: ActivityType
    window: Period  # the span the rule was checked over (first unit start .. last unit end)
    slots: tuple[Slot, ...]

    @property
    def required(self) -> int:
        return sum(s.need for s in self.slots if s.status != "excused")

    @property
    def held(self) -> int:
        return sum(s.held for s in self.slots)

    @property
    def status(self) -> Status:
        states = {s.status for s in self.slots}
        for status in ("missed", "pending", "excused"):
            if status in states:
                return status  # type: ignore[return-value]
        return "met"

    @property
    def gaps(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.status != "met")

    @property
    def units_met(self) -> int:
        return sum(s.status == "met" for s in self.slots)

    @property
    def units_due(self) -> int:
        """Units that count toward the rate: met or missed (open and excused ones do not)."""
        return sum(s.status in ("met", "missed") for s in self.slots)

    def by_group(self) -> list[tuple[str, int, int, Status]]:
        """(party group, held, required, worst status) for rules kept per party group."""
        out: dict[str, list[Slot]] = {}
        for s in self.slots:
            out.setdefault(s.group or "", []).append(s)
        return [
            (
                g,
                sum(x.held for x in ss),
                sum(x.need for x in ss if x.status != "excused"),
                RuleResult(self.type, self.window, tuple(ss)).status,
            )
            for g, ss in out.items()
        ]


@dataclass(frozen=True)
class CommitmentStats:
    made: int = 0
    due: int = 0
    fulfilled: int = 0
    overdue: int = 0

    @property
    def rate(self) -> float | None:
        return percent(self.fulfilled, self.due)

    def __add__(self, other: CommitmentStats) -> CommitmentStats:
        return CommitmentStats(
            self.made + other.made,
            self.due + other.due,
            self.fulfilled + other.fulfilled,
            self.overdue + other.overdue,
        )


@dataclass(frozen=True)
class TypeTotals:
    sessions: int = 0
    hours: float = 0.0
    person_hours: float = 0.0

    def __add__(self, other: TypeTotals) -> TypeTotals:
        return TypeTotals(
            self.sessions + other.sessions,
            self.hours + other.hours,
            self.person_hours + other.person_hours,
        )


@dataclass(eq=False)  # compared by identity: field-by-field equality is costly and meaningless
class BranchResult:
    branch_id: int
    name: str
    rules: list[RuleResult]
    commitments_org: CommitmentStats
    commitments_personal: CommitmentStats
    counts: dict[str, TypeTotals]  # every activity type held in the period, required or not
    last_activity: date | None

    @property
    def commitments(self) -> CommitmentStats:
        return self.commitments_org + self.commitments_personal

    @property
    def compliance_rate(self) -> float | None:
        return percent(sum(r.units_met for r in self.rules), sum(r.units_due for r in self.rules))

    @property
    def missing(self) -> list[RuleResult]:
        return [r for r in self.rules if r.status in ("missed", "pending")]

    def is_silent(self, today: date) -> bool:
        """No activity at all for SILENT_DAYS: the branch leaders should call first."""
        return self.last_activity is None or (today - self.last_activity).days >= SILENT_DAYS


@dataclass
class OrgResult:
    period: Period
    today: date
    branches: list[BranchResult]
    town_counts: dict[str, TypeTotals] = field(default_factory=dict)

    def by_progress(self) -> tuple[list[BranchResult], list[BranchResult], list[BranchResult]]:
        """(branches with a missed item, with only open items, with everything done)."""
        missed, open_, done = [], [], []
        for b in self.branches:
            states = {r.status for r in b.rules}
            bucket = missed if "missed" in states else open_ if "pending" in states else done
            bucket.append(b)
        return missed, open_, done

    @property
    def compliance_rate(self) -> float | None:
        rules = [r for b in self.branches for r in b.rules]
        return percent(sum(r.units_met for r in rules), sum(r.units_due for r in rules))

    def commitments(self, personal: bool | None = None) -> CommitmentStats:
        total = CommitmentStats()
        for b in self.branches:
            if personal is not True:
                total += b.commitments_org
            if personal is not False:
                total += b.commitments_personal
        return total

    def counts(self) -> dict[str, TypeTotals]:
        out: dict[str, TypeTotals] = defaultdict(TypeTotals)
        for source in [*(b.counts for b in self.branches), self.town_counts]:
            for code, totals in source.items():
                out[code] += totals
        return dict(out)


class _Facts:
    """The SQL aggregates for one evaluation, indexed for the per-rule arithmetic."""

    def __init__(
        self, plans, months: list[MonthCount], groups, members, excused, commitments, last_days
    ):
        # Each month row is added once into the rule unit (month, quarter…) it falls in:
        # (branch, type, unit key) -> records and people present; (group, type, unit) -> records.
        unit_of = {
            (plan.type.code, ym): unit.key
            for plan in plans
            for unit, yms in plan.units
            for ym in yms
        }
        self.held_by_branch: dict[tuple, int] = defaultdict(int)
        self.present_by_branch: dict[tuple, int] = defaultdict(int)
        self.held_by_group: dict[tuple, int] = defaultdict(int)
        self.rows_by_branch: dict[int | None, list[MonthCount]] = defaultdict(list)
        for m in months:
            self.rows_by_branch[m.branch_id].append(m)
            unit = unit_of.get((m.type_code, (m.year, m.month)))
            if unit is None:
                continue  # not a required rule, or a unit that has not begun
            self.held_by_branch[(m.branch_id, m.type_code, unit)] += m.count
            self.present_by_branch[(m.branch_id, m.type_code, unit)] += m.present
            self.held_by_group[(m.group_id, m.type_code, unit)] += m.count
        self.groups: dict[int, list[tuple[int, str]]] = groups
        self.members: dict[int, int] = members
        self.excused: dict[tuple[int, str, str], str] = excused
        self.commitments: dict[int, list[CommitmentCounts]] = defaultdict(list)
        for c in commitments:
            self.commitments[c.branch_id].append(c)
        self.last_days: dict[int, date] = last_days


@dataclass(frozen=True)
class _RulePlan:
    """A rule's place in the period, worked out once per evaluation, not once per branch."""

    type: ActivityType
    window: Period
    units: tuple[tuple[Period, tuple[tuple[int, int], ...]], ...]  # begun units, their months


def _plans(registry: Registry, period: Period, today: date) -> list[_RulePlan]:
    plans = []
    for t in registry.required():
        every = period.units(KIND_OF_MONTHS[t.every_months])
        begun = tuple(
            (u, tuple((m.year, m.index) for m in u.units("month")))
            for u in every
            if u.start <= today  # a unit that has not begun is not required yet
        )
        if begun:
            plans.append(_RulePlan(t, every[0] if len(every) == 1 else period, begun))
    return plans


def evaluate(
    session: Session,
    registry: Registry,
    org_id: int,
    branches: list[tuple[int, str]],
    period: Period,
    today: date,
    rules_only: bool = False,
) -> OrgResult:
    """Compliance of ``branches`` (id, name) in ``period`` as of ``today``. ``rules_only``
    skips commitments and last-activity dates, for a caller that reads only the rules."""
    ids = [b for b, _ in branches]
    years = period.units("year")
    span_start, span_end = years[0].start, years[-1].end
    every_unit_key = {
        u.key for t in registry.required() for u in period.units(KIND_OF_MONTHS[t.every_months])
    }
    all_branches = None if len(ids) > 50 else ids  # a long IN list costs more than it filters
    plans = _plans(registry, period, today)
    facts = _Facts(
        plans,
        queries.activity_month_counts(session, org_id, span_start, span_end, all_branches),
        queries.groups_by_branch(session, org_id, all_branches),
        queries.member_counts(session, org_id, all_branches),
        queries.excused_units(session, org_id, every_unit_key, all_branches),
        []
        if rules_only
        else queries.commitment_counts(
            session, org_id, period.start, period.end, today, all_branches
        ),
        {} if rules_only else queries.last_activity_days(session, org_id, today, all_branches),
    )
    results = [
        _branch_result(facts, plans, branch_id, name, period, today) for branch_id, name in branches
    ]
    return OrgResult(period, today, results, _type_totals(facts.rows_by_branch[None], period))


def _branch_result(
    facts: _Facts, plans: list[_RulePlan], branch_id: int, name: str, period: Period, today: date
) -> BranchResult:
    rules = [result for plan in plans if (result := _rule_result(facts, plan, branch_id, today))]
    org, personal = CommitmentStats(), CommitmentStats()
    for c in facts.commitments.get(branch_id, []):
        stats = CommitmentStats(c.made, c.due, c.fulfilled, c.overdue)
        if c.personal:
            personal += stats
        else:
            org += stats
    return BranchResult(
        branch_id,
        name,
        rules,
        org,
        personal,
        _type_totals(facts.rows_by_branch.get(branch_id, []), period),
        facts.last_days.get(branch_id),
    )


def _rule_result(facts: _Facts, plan: _RulePlan, branch_id: int, today: date) -> RuleResult | None:
    slots = tuple(
        _judge(
            unit, group, held, need, today, facts.excused.get((branch_id, plan.type.code, unit.key))
        )
        for unit, group, held, need in _slots(facts, plan, branch_id)
    )
    # no slots: e.g. a group rule in a branch without party groups
    return RuleResult(plan.type, plan.window, slots) if slots else None


def _judge(
    unit: Period, group: str | None, held: int, need: int, today: date, excused: str | None
) -> Slot:
    if held >= need:
        return Slot(unit, group, held, need, "met")
    if excused is not None:
        return Slot(unit, group, held, need, "excused", excused)
    return Slot(unit, group, held, need, "missed" if unit.is_closed(today) else "pending")


def _slots(facts: _Facts, plan: _RulePlan, branch_id: int):
    """(unit, party group name, held, needed) for every place the rule must be satisfied."""
    code, t = plan.type.code, plan.type
    if t.scope == "group":
        return [
            (u, name, facts.held_by_group.get((gid, code, u.key), 0), t.min_count)
            for u, _ in plan.units
            for gid, name in facts.groups.get(branch_id, [])
        ]
    if t.scope == "member":
        members = facts.members.get(branch_id, 0)
        return [
            (
                u,
                None,
                min(facts.present_by_branch.get((branch_id, code, u.key), 0), members),
                members,
            )
            for u, _ in plan.units
            if members
        ]
    return [
        (u, None, facts.held_by_branch.get((branch_id, code, u.key), 0), t.min_count)
        for u, _ in plan.units
    ]


def _type_totals(rows: list[MonthCount], period: Period) -> dict[str, TypeTotals]:
    months = {(m.year, m.index) for m in period.units("month")}
    totals: dict[str, TypeTotals] = defaultdict(TypeTotals)
    for m in rows:
        if (m.year, m.month) in months:
            totals[m.type_code] += TypeTotals(m.count, m.hours, m.person_hours)
    return dict(totals)


def _stats_dict(s: CommitmentStats) -> dict:
    return {
        "made": s.made,
        "due": s.due,
        "fulfilled": s.fulfilled,
        "overdue": s.overdue,
        "rate": s.rate,
    }


def _study_dict(counts: dict[str, TypeTotals], registry: Registry) -> dict:
    study = {t.code: counts[t.code] for t in registry.of_category("study") if t.code in counts}
    return {
        "sessions": sum(c.sessions for c in study.values()),
        "hours": round(sum(c.hours for c in study.values()), 2),
        "person_hours": round(sum(c.person_hours for c in study.values()), 2),
        "by_type": {
            code: {"sessions": c.sessions, "hours": round(c.hours, 2)} for code, c in study.items()
        },
    }


def as_dict(result: OrgResult, registry: Registry) -> dict:
    """The JSON shape of ``zhibu status --json``: the numbers /status shows, nothing more."""
    return {
        "period": result.period.key,
        "as_of": result.today.isoformat(),
        "compliance_rate": result.compliance_rate,
        "commitments": _stats_dict(result.commitments()),
        "town": {code: c.sessions for code, c in result.town_counts.items()},
        "branches": [
            {
                "name": b.name,
                "rules": [
                    {
                        "code": r.type.code,
                        "name": r.type.name,
                        "window": r.window.key,
                        "required": r.required,
                        "held": r.held,
                        "status": r.status,
                        "gaps": [
                            {
                                "unit": g.unit.key,
                                "group": g.group,
                                "status": g.status,
                                "reason": g.reason,
                            }
                            for g in r.gaps
                        ],
                        **(
                            {
                                "groups": [
                                    {"group": g, "held": h, "required": n, "status": st}
                                    for g, h, n, st in r.by_group()
                                ]
                            }
                            if r.type.scope == "group"
                            else {}
                        ),
                    }
                    for r in b.rules
                ],
                "compliance_rate": b.compliance_rate,
                "commitments": {
                    **_stats_dict(b.commitments),
                    "branch": _stats_dict(b.commitments_org),
                    "personal": _stats_dict(b.commitments_personal),
                },
                "study": _study_dict(b.counts, registry),
                "last_activity": b.last_activity.isoformat() if b.last_activity else None,
                "silent": b.is_silent(result.today),
            }
            for b in result.branches
        ],
    }
