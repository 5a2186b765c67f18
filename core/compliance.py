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
from typing import Literal, NamedTuple

from sqlmodel import Session

from core.periods import KIND_OF_MONTHS, Period
from core.rules import ActivityType, Registry
from storage import queries
from storage.queries import CommitmentCounts, MonthRow

Status = Literal["met", "pending", "missed", "excused"]
SILENT_DAYS = 30


def percent(numerator: int | float, denominator: int | float) -> float | None:
    """A percentage with one decimal, rounded half up (22/23 -> 95.7); None when nothing is due."""
    if not denominator:
        return None
    exact = isinstance(numerator, int) and isinstance(denominator, int)
    if exact and numerator >= 0 and denominator > 0:
        # exact in integers: tenths of a percent, half up (the org view needs a thousand)
        return ((2000 * numerator + denominator) // (2 * denominator)) / 10
    value = Decimal(str(numerator)) * 100 / Decimal(str(denominator))
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


class Slot(NamedTuple):
    """One place a rule must be satisfied: a unit (month, quarter…), for one party group
    where the rule is per group, with what was held there and what that makes it. (A named
    tuple: a county-wide quarter makes tens of thousands of them.)"""

    unit: Period
    group: str | None
    held: int
    need: int
    status: Status
    reason: str | None = None  # why a leader excused it


def _worst(states: set[str]) -> Status:
    for status in ("missed", "pending", "excused"):
        if status in states:
            return status  # type: ignore[return-value]
    return "met"


class RuleResult:
    """One rule for one branch over the period: its slots, and the sums every view reads
    (worked out once: the org overview reads them for every branch)."""

    __slots__ = ("slots", "status", "type", "units_due", "units_met", "window")

    def __init__(self, type: ActivityType, window: Period, slots: tuple[Slot, ...]):
        self.type = type
        self.window = window  # the span the rule was checked over (first unit .. last unit)
        self.slots = slots
        states = [s.status for s in slots]
        self.status: Status = _worst(set(states))
        self.units_met = states.count("met")
        # units that count toward the rate: met or missed (open and excused ones do not)
        self.units_due = self.units_met + states.count("missed")

    @property
    def required(self) -> int:
        return sum(s.need for s in self.slots if s.status != "excused")

    @property
    def held(self) -> int:
        return sum(s.held for s in self.slots)

    @property
    def gaps(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.status != "met")

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
                _worst({x.status for x in ss}),
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


class TypeTotals(NamedTuple):
    sessions: int = 0
    hours: float = 0.0
    person_hours: float = 0.0

    def __add__(self, other: TypeTotals) -> TypeTotals:  # type: ignore[override]
        return TypeTotals(
            self.sessions + other.sessions,
            self.hours + other.hours,
            self.person_hours + other.person_hours,
        )


_NO_TOTALS = TypeTotals()


@dataclass(eq=False)  # compared by identity: field-by-field equality is costly and meaningless
class BranchResult:
    branch_id: int
    name: str
    rules: list[RuleResult]
    commitments_org: CommitmentStats
    commitments_personal: CommitmentStats
    counts: dict[str, TypeTotals]  # every activity type held in the period, required or not
    last_activity: date | None
    set_up_on: date | None = None
    compliance_rate: float | None = field(init=False)  # the org overview sorts by it

    def __post_init__(self) -> None:
        met = due = 0
        for r in self.rules:
            met += r.units_met
            due += r.units_due
        self.compliance_rate = percent(met, due)

    @property
    def commitments(self) -> CommitmentStats:
        return self.commitments_org + self.commitments_personal

    @property
    def missing(self) -> list[RuleResult]:
        return [r for r in self.rules if r.status in ("missed", "pending")]

    def set_up_after(self, period: Period) -> bool:
        """Owed nothing in ``period``: set up after it ended (even if a yearly unit that
        spans the period was still under way that day: that unit is owed in the year's
        view, not in a quarter or month the branch never saw)."""
        return not self.rules and self.set_up_on is not None and self.set_up_on > period.end

    def is_silent(self, today: date) -> bool:
        """No activity at all for SILENT_DAYS (and set up at least that long ago): the branch
        leaders should call first."""
        since = max(d for d in (self.last_activity, self.set_up_on, date.min) if d is not None)
        return (today - since).days >= SILENT_DAYS


@dataclass
class OrgResult:
    period: Period
    today: date
    branches: list[BranchResult]
    town_counts: dict[str, TypeTotals] = field(default_factory=dict)

    def by_progress(self) -> tuple[list[BranchResult], list[BranchResult], list[BranchResult]]:
        """(branches with a missed item, with only open items, with everything done). A
        branch that owed nothing in the period (set up after it) is in none of them."""
        missed, open_, done = [], [], []
        for b in self.branches:
            if b.set_up_after(self.period):
                continue
            states = {r.status for r in b.rules}
            bucket = missed if "missed" in states else open_ if "pending" in states else done
            bucket.append(b)
        return missed, open_, done

    @property
    def not_begun(self) -> bool:
        """The period lies wholly after today: nothing is owed yet, nothing is done."""
        return self.period.start > self.today

    def not_yet_set_up(self) -> list[BranchResult]:
        """Branches that owed nothing in the period because they were set up after it."""
        return [b for b in self.branches if b.set_up_after(self.period)]

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


@dataclass(frozen=True)
class _UnitPlan:
    unit: Period
    # indices into the period's months; None when the unit reaches past the period (a yearly
    # rule seen from a quarter) and is counted whole by its own query
    months: slice | None
    closed: bool


@dataclass(frozen=True)
class _RulePlan:
    """A rule's place in the period, worked out once per evaluation, not once per branch."""

    type: ActivityType
    window: Period
    units: tuple[_UnitPlan, ...]  # the units that have begun


def _months_within(unit: Period, period: Period, month_index: dict[Period, int]) -> slice | None:
    """Where ``unit``'s months sit among the period's, or None when it reaches past them."""
    if unit.months > period.months:
        return None
    months = unit.units("month")
    return slice(month_index[months[0]], month_index[months[-1]] + 1)


def _plans(registry: Registry, period: Period, today: date) -> list[_RulePlan]:
    month_index = {m: i for i, m in enumerate(period.units("month"))}
    plans = []
    for t in registry.required():
        every = period.units(KIND_OF_MONTHS[t.every_months])
        begun = tuple(
            _UnitPlan(u, _months_within(u, period, month_index), u.is_closed(today))
            for u in every
            if u.start <= today  # a unit that has not begun is not required yet
        )
        if begun:
            plans.append(_RulePlan(t, every[0] if len(every) == 1 else period, begun))
    return plans


class _Facts:
    """The SQL aggregates of one evaluation, indexed for the per-rule arithmetic: per (branch,
    type) and (party group, type) the records in each month of the period (and, for rules
    whose unit reaches past the period, in that whole unit), people present, hours."""

    def __init__(self, n_months: int, scopes: dict[str, str]):
        self.n = n_months
        self.scopes = scopes  # type code -> scope, for the required types
        # (owner, type) -> records up to the end of each month of the period (cumulative):
        # per branch ("held"), per party group ("group"); people present per branch
        # ("present"), by month or, when no rule needs months, over the whole period
        self.cumulative: dict[str, dict[tuple, list[int] | tuple[int, ...]]] = {
            "held": {},
            "present": {},
            "group": {},
        }
        self.whole_unit: dict[tuple[str, int | None, str], int] = defaultdict(int)
        self.totals: dict[int | None, dict[str, TypeTotals]] = defaultdict(dict)
        self.groups: dict[int, list[tuple[int, str]]] = {}
        self.created: dict[int, date] = {}
        self.members: dict[int, int] = {}
        self.excused: dict[tuple[int, str, str], str] = {}
        self.commitments: dict[int, list[CommitmentCounts]] = defaultdict(list)
        self.last_days: dict[int, date] = {}

    def add_months(self, rows: list[MonthRow]) -> None:
        n, held, present, by_group = self.n, *self.cumulative.values()
        for row in rows:
            branch, group, code = row[0], row[1], row[2]
            counts = row[3 : 3 + n]
            by_type = self.totals[branch]
            by_type[code] = by_type.get(code, _NO_TOTALS) + TypeTotals(counts[-1], row[-2], row[-1])
            scope = self.scopes.get(code)
            if scope == "group":
                _add_into(by_group, (group, code), counts)
            elif scope == "member":
                _add_into(present, (branch, code), row[3 + n : -2])
            elif scope is not None:
                _add_into(held, (branch, code), counts)

    def add_whole_units(self, rows) -> None:
        for branch, group, code, count, present in rows:
            self.whole_unit[("held", branch, code)] += count
            self.whole_unit[("present", branch, code)] += present
            self.whole_unit[("group", group, code)] += count

    def counts(self, kind: str, key: tuple, units: tuple[_UnitPlan, ...]) -> list[int]:
        """Records (``kind`` "held", or per party group "group") or people present
        ("present") for ``key`` (owner, type) in each of ``units``."""
        upto = self.cumulative[kind].get(key)
        out = []
        for u in units:
            if u.months is None:
                out.append(self.whole_unit.get((kind, *key), 0))
            elif upto is None:
                out.append(0)
            else:
                first, last = u.months.start, u.months.stop - 1
                end = upto[last] if last < len(upto) else upto[-1]  # present: one total
                out.append(end - upto[first - 1] if first else end)
        return out


def _add_into(table: dict, key: tuple, values: tuple[int, ...]) -> None:
    known = table.get(key)
    table[key] = values if known is None else [a + b for a, b in zip(known, values, strict=True)]


def _load(
    session: Session,
    org_id: int,
    ids: list[int] | None,
    period: Period,
    plans: list[_RulePlan],
    today: date,
    rules_only: bool,
) -> _Facts:
    ends = [m.end for m in period.units("month")]
    facts = _Facts(len(ends), {p.type.code: p.type.scope for p in plans})
    present_by_month = any(
        p.type.scope == "member" and u.months is not None and u.unit.months < period.months
        for p in plans
        for u in p.units
    )
    facts.add_months(
        queries.activity_month_counts(session, org_id, period.start, ends, ids, present_by_month)
    )
    reaching_past: dict[Period, list[str]] = defaultdict(list)
    for plan in plans:
        for u in plan.units:
            if u.months is None:
                reaching_past[u.unit].append(plan.type.code)
    for unit, codes in reaching_past.items():
        facts.add_whole_units(
            queries.unit_counts(session, org_id, codes, unit.start, unit.end, ids)
        )
    facts.groups = queries.groups_by_branch(session, org_id, ids)
    facts.members = queries.member_counts(session, org_id, ids)
    unit_keys = {u.unit.key for p in plans for u in p.units}
    facts.excused = queries.excused_units(session, org_id, unit_keys, ids)
    if not rules_only:
        for c in queries.commitment_counts(session, org_id, period.start, period.end, today, ids):
            facts.commitments[c.branch_id].append(c)
        facts.last_days = queries.last_activity_days(session, org_id, today, ids)
    return facts


def set_up_days(
    session: Session, registry: Registry, org_id: int, ids: list[int] | None
) -> dict[int, date]:
    """The day each branch was set up, in the org's time zone: one set up at 07:00 Beijing
    time on 1 April owes nothing for March."""
    at = queries.branches_set_up_at(session, org_id, ids)
    return {branch_id: moment.astimezone(registry.tz).date() for branch_id, moment in at.items()}


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
    only = None if len(ids) > 50 else ids  # a long IN list costs more than it filters
    plans = _plans(registry, period, today)
    facts = _load(session, org_id, only, period, plans, today, rules_only)
    facts.created = set_up_days(session, registry, org_id, only)
    results = [
        _branch_result(facts, plans, branch_id, name, period) for branch_id, name in branches
    ]
    return OrgResult(period, today, results, facts.totals.get(None, {}))


def _branch_result(
    facts: _Facts, plans: list[_RulePlan], branch_id: int, name: str, period: Period
) -> BranchResult:
    created = facts.created.get(branch_id)
    rules = (
        []  # not there in the period: owes nothing in it, not even the year under way
        if created is not None and created > period.end
        else [result for plan in plans if (result := _rule_result(facts, plan, branch_id))]
    )
    org, personal = CommitmentStats(), CommitmentStats()
    for c in facts.commitments.get(branch_id, ()):
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
        facts.totals.get(branch_id, {}),
        facts.last_days.get(branch_id),
        facts.created.get(branch_id),
    )


def _rule_result(facts: _Facts, plan: _RulePlan, branch_id: int) -> RuleResult | None:
    units = plan.units
    created = facts.created.get(branch_id)
    if created is not None and created > units[0].unit.start:
        # a branch is not blamed for the time before it was set up
        units = tuple(u for u in units if u.unit.end >= created)
    places = _places(facts, plan.type, units, branch_id) if units else []
    if not places:
        return None  # e.g. a group rule in a branch without party groups
    excused, code = facts.excused, plan.type.code
    slots = []
    for u, group, held, need in places:
        if held >= need:
            slots.append(Slot(u.unit, group, held, need, "met"))
        elif excused and (reason := excused.get((branch_id, code, u.unit.key))) is not None:
            slots.append(Slot(u.unit, group, held, need, "excused", reason))
        else:
            slots.append(Slot(u.unit, group, held, need, "missed" if u.closed else "pending"))
    return RuleResult(plan.type, plan.window, tuple(slots))


def _places(facts: _Facts, t: ActivityType, units: tuple[_UnitPlan, ...], branch_id: int):
    """(unit, party group name, held, needed) for every place the rule must be satisfied."""
    if t.scope == "group":
        groups = facts.groups.get(branch_id, ())
        held = [facts.counts("group", (gid, t.code), units) for gid, _ in groups]
        return [
            (u, name, held[g][i], t.min_count)
            for i, u in enumerate(units)
            for g, (_, name) in enumerate(groups)
        ]
    if t.scope == "member":
        members = facts.members.get(branch_id, 0)
        if not members:
            return []  # nobody to reach
        present = facts.counts("present", (branch_id, t.code), units)
        return [(u, None, min(n, members), members) for u, n in zip(units, present, strict=True)]
    held = facts.counts("held", (branch_id, t.code), units)
    return [(u, None, n, t.min_count) for u, n in zip(units, held, strict=True)]


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
        "commitments": {
            **_stats_dict(result.commitments()),
            "branch": _stats_dict(result.commitments(personal=False)),
            "personal": _stats_dict(result.commitments(personal=True)),
        },
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
