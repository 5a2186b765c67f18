"""Use cases for activity records: log, list, undo, edit, excuse."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlmodel import Session, col, select

from core import audit
from core.auth import Action, Actor, can, require, require_write, require_write_or_hide
from core.compliance import evaluate
from core.errors import DomainError, Refused
from core.periods import KIND_OF_MONTHS, Clock, Period
from core.rules import ActivityType, Registry, normalise_name
from core.workdays import WorkCalendar
from storage.models import Activity, Branch, Commitment, Excusal, PartyGroup
from storage.once import find_by_source, insert_once
from storage.queries import member_counts

MAX_AGE_DAYS = 400  # older records are almost always a typo in the year
MIN_HOURS = 0.5
UNDO_WINDOW = timedelta(hours=24)  # older mistakes are corrected with /edit, not silently deleted
EXCUSE_REASON_LIMIT = 500
TEXT_LIMITS = {"topic": 500, "place": 200, "host": 100, "recorder": 100, "notes": 2000}
QUORUM_TYPES = frozenset({"general_meeting", "committee_meeting"})


@dataclass(frozen=True)
class SourceKey:
    """Where a record came from; the same chat message delivered twice makes one record."""

    platform: str
    chat: str
    message: str


@dataclass(frozen=True)
class ActivityDraft:
    type_code: str | None = None
    held_on: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    place: str | None = None
    host: str | None = None
    recorder: str | None = None
    topic: str | None = None
    notes: str | None = None
    expected: int | None = None
    present: int | None = None
    absent: int | None = None
    hours: float | None = None
    group: str | None = None

    def missing(self, registry: Registry) -> list[str]:
        """Fields a guided question should still ask for, in asking order."""
        out = []
        if self.type_code is None:
            out.append("type")
        if self.held_on is None:
            out.append("held_on")
        if self.present is None:
            out.append("present")
        t = registry.get(self.type_code) if self.type_code else None
        if t is not None and t.category == "study" and self.hours is None:
            out.append("hours")
        return out

    def merged(self, **changes) -> ActivityDraft:
        return replace(self, **changes)


DRAFT_FIELDS = tuple(f.name for f in fields(ActivityDraft))


@dataclass(frozen=True)
class FilingRule:
    """Records are due within ``working_days`` working days of the meeting (0: no rule)."""

    working_days: int = 3
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def late_by(self, held_on: date, filed_on: date) -> int:
        """Working days past the deadline, 0 when on time."""
        if not self.working_days:
            return 0
        return max(0, self.calendar.workdays_after(held_on, filed_on) - self.working_days)


@dataclass(frozen=True)
class Logged:
    activity: Activity
    type: ActivityType
    created: bool  # False when the same message was already recorded
    quorum_short: bool = False
    same_day_as: int | None = None  # id of an earlier record of the same meeting that day
    late_by: int = 0  # working days past the filing deadline
    roster: int | None = None  # the branch's members on record, when fewer than those counted


def check_values(draft: ActivityDraft, registry: Registry, today: date) -> None:
    """Check the fields a draft already has; missing ones are for a guided question."""
    if draft.type_code is not None:
        t = registry.get(draft.type_code)
        if t is None or not t.enabled:
            raise DomainError("unknown_type", text=draft.type_code)
    if draft.held_on is not None:
        if draft.held_on > today:
            raise DomainError("future_date", day=draft.held_on)
        if draft.held_on < today - timedelta(days=MAX_AGE_DAYS):
            raise DomainError("too_old", day=draft.held_on)
    p, e, a = draft.present, draft.expected, draft.absent
    if p is not None and e is not None and p > e:
        raise DomainError("present_exceeds_expected", present=p, expected=e)
    if p is not None and e is not None and a is not None and p + a > e:
        raise DomainError("attendance_sum", present=p, absent=a, expected=e)
    for name in ("present", "expected"):
        if (value := getattr(draft, name)) is not None and value < 1:
            raise DomainError("count_too_small", field=name)
    if draft.hours is not None and not MIN_HOURS <= draft.hours <= 24:  # also rejects nan
        raise DomainError("bad_hours", hours=f"{draft.hours:g}")
    for name, limit in TEXT_LIMITS.items():
        if (value := getattr(draft, name)) is not None and len(value) > limit:
            raise DomainError("too_long", field=name, limit=limit)
    if draft.start_time and draft.end_time and draft.end_time <= draft.start_time:
        raise DomainError("bad_time_range")


def validate(draft: ActivityDraft, registry: Registry, today: date) -> ActivityType:
    """Check a draft that is meant to be complete; raise DomainError naming the first problem."""
    check_values(draft, registry, today)
    missing = [f for f in draft.missing(registry) if f != "type"]
    if draft.type_code is None:
        raise DomainError("missing_field", field="type")
    if missing:
        raise DomainError("missing_field", field=missing[0])
    return registry.get(draft.type_code)  # type: ignore[return-value]


def check_can_log(actor: Actor | None, t: ActivityType | None) -> Actor:
    """Refuse early, before any question is asked, when the actor may not log this type.
    With the type still unknown, either kind of writer may go on to be asked for it."""
    if t is not None and t.category == "town":
        if actor is not None and not can(actor, Action.WRITE_TOWN):
            raise Refused("town_only", name=t)
        return require(actor, Action.WRITE_TOWN)
    if t is None and actor is not None and can(actor, Action.WRITE_TOWN):
        return actor
    branch_id = actor.branch_id if actor else None
    if (
        actor is not None
        and can(actor, Action.WRITE_TOWN)
        and not can(actor, Action.WRITE_BRANCH, branch_id)
    ):
        raise Refused("branch_only", name=t)  # a town leader naming a branch meeting
    return require(actor, Action.WRITE_BRANCH, branch_id)


def loggable_types(registry: Registry, actor: Actor | None, study: bool) -> list[ActivityType]:
    """The types an actor is offered when asked what they held: study sessions for /study,
    town-level work for a leader outside any branch, branch meetings otherwise."""
    if study:
        return registry.of_category("study")
    if actor is not None and can(actor, Action.WRITE_TOWN) and actor.branch_id is None:
        return registry.of_category("town")
    return [t for t in registry if t.category != "town"]


def group_choices(session: Session, actor: Actor, t: ActivityType | None) -> list[str]:
    """Party groups to choose from when a group meeting does not say which (two or more)."""
    if t is None or t.scope != "group" or actor.branch_id is None:
        return []
    names = session.exec(
        select(PartyGroup.name)
        .where(PartyGroup.branch_id == actor.branch_id)
        .order_by(col(PartyGroup.id))
    ).all()
    return list(names) if len(names) > 1 else []


def complete_attendance(draft: ActivityDraft) -> ActivityDraft:
    """Derive the third attendance number from the other two (应到 = 实到 + 缺席)."""
    e, p, a = draft.expected, draft.present, draft.absent
    if e is None and p is not None and a is not None:
        return replace(draft, expected=p + a)
    if a is None and e is not None and p is not None and e >= p:
        return replace(draft, absent=e - p)
    if p is None and e is not None and a is not None and e > a:
        return replace(draft, present=e - a)
    return draft


def _resolve_group(session: Session, branch_id: int, t: ActivityType, name: str | None):
    if t.scope != "group":
        return None
    groups = session.exec(
        select(PartyGroup).where(PartyGroup.branch_id == branch_id).order_by(col(PartyGroup.id))
    ).all()
    if not groups:
        return None
    if name:
        wanted = group_key(name)
        exact = [g for g in groups if group_key(g.name) == wanted]
        partial = [g for g in groups if wanted and wanted in group_key(g.name)]
        if len(exact) == 1 or len(partial) == 1:
            return (exact or partial)[0].id
        raise DomainError("unknown_group", text=name, choices=[g.name for g in groups])
    if len(groups) == 1:
        return groups[0].id
    raise DomainError("missing_field", field="group", choices=[g.name for g in groups])


def group_key(name: str) -> str:
    """第二小组, 二组, 2组, 第2党小组 and 第二党小组 (and a bare 2) name the same group."""
    key = normalise_name(name).replace("第", "").replace("党", "").replace("小组", "组")
    if key.isdigit():
        key += "组"
    return re.sub(r"\d{1,2}", lambda m: _cn_numeral(int(m[0])), key)


_DIGITS = "零一二三四五六七八九"


def _cn_numeral(n: int) -> str:
    """1..99 as written in group names: 一, 十, 十二, 二十, 二十三."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones or not head else "")


def log_activity(
    session: Session,
    registry: Registry,
    clock: Clock,
    today: date,
    actor: Actor | None,
    draft: ActivityDraft,
    source: SourceKey | None = None,
    filing: FilingRule | None = None,
) -> Logged:
    t = registry.get(draft.type_code or "")
    actor = check_can_log(actor, t)
    town = t is not None and t.category == "town"
    if (found := find_by_source(session, Activity, source)) is not None:
        return Logged(found, registry.get(found.type_code) or t, created=False)  # type: ignore[arg-type]
    draft = complete_attendance(draft)
    t = validate(draft, registry, today)
    branch_id = None if town else actor.branch_id
    group_id = _resolve_group(session, branch_id, t, draft.group) if branch_id else None
    activity = Activity(
        org_id=actor.org_id,
        branch_id=branch_id,
        party_group_id=group_id,
        type_code=t.code,
        **{k: getattr(draft, k) for k in DRAFT_FIELDS if k not in ("type_code", "group")},
        created_by=actor.member_id,
        created_at=clock(),
        source_platform=source.platform if source else None,
        source_chat=source.chat if source else None,
        source_message=source.message if source else None,
    )
    # a concurrent delivery of the same message may win the race: then keep theirs
    activity, created = insert_once(
        session, activity, lambda: find_by_source(session, Activity, source)
    )
    if not created:
        return Logged(activity, t, created=False)
    audit.record(session, clock, actor.member_id, "create", activity)
    return Logged(
        activity,
        t,
        True,
        quorum_short(activity),
        _same_day(session, activity),
        filing.late_by(activity.held_on, today) if filing else 0,
        beyond_roster(session, activity),
    )


def _same_day(session: Session, activity: Activity) -> int | None:
    """An earlier live record of the same meeting on the same day: probably logged twice."""
    return session.exec(
        select(Activity.id).where(
            Activity.org_id == activity.org_id,
            Activity.branch_id == activity.branch_id,
            Activity.party_group_id == activity.party_group_id,
            Activity.type_code == activity.type_code,
            Activity.held_on == activity.held_on,
            col(Activity.deleted_at).is_(None),
            Activity.id != activity.id,
        )
    ).first()


def people_counted(activity: Activity) -> int:
    """The larger of those present and those expected: what the roll is checked against."""
    return max(activity.present or 0, activity.expected or 0)


MIN_BRANCH_MEMBERS = 3  # 党章: a branch is set up where there are three full members or more


def beyond_roster(session: Session, activity: Activity) -> int | None:
    """The branch's number of members on record, when a record counts more present or
    expected than that: a slip (出席200人 for 16 members), or guests worth a note."""
    counted = people_counted(activity)
    if activity.branch_id is None or not counted:
        return None
    roster = member_counts(session, activity.org_id, [activity.branch_id]).get(activity.branch_id)
    # a branch has at least three full members: a roll shorter than that is still being
    # entered (only the secretary invited so far), and would warn on every record
    return roster if roster and roster >= MIN_BRANCH_MEMBERS and counted > roster else None


def quorum_short(activity: Activity) -> bool:
    """党员大会 and 支委会 need more than half of those expected present."""
    if activity.type_code not in QUORUM_TYPES or None in (activity.expected, activity.present):
        return False
    return activity.present * 2 <= activity.expected  # type: ignore[operator]


def recent(
    session: Session, actor: Actor | None, limit: int = 10, only_branch: int | None = None
) -> list[tuple[Activity, str, str | None]]:
    """The latest records the actor may read (their branch's, or the org's for leaders, or
    the one branch ``only_branch``), newest first, with the branch name and the party
    group's (two groups' meetings on one day would otherwise read alike)."""
    require(actor, Action.READ_BRANCH, actor.branch_id if actor else None)
    assert actor is not None
    stmt = (
        select(Activity, Branch.name, PartyGroup.name)
        .outerjoin(Branch, col(Branch.id) == Activity.branch_id)
        .outerjoin(PartyGroup, col(PartyGroup.id) == Activity.party_group_id)
        .where(Activity.org_id == actor.org_id, col(Activity.deleted_at).is_(None))
    )
    if not actor.reads_org:
        stmt = stmt.where(Activity.branch_id == actor.branch_id)
    elif only_branch is not None:
        stmt = stmt.where(Activity.branch_id == only_branch)
    stmt = stmt.order_by(col(Activity.held_on).desc(), col(Activity.id).desc()).limit(limit)
    return [(a, name or "", group) for a, name, group in session.exec(stmt)]


def undo_last(session: Session, clock: Clock, actor: Actor | None) -> Activity:
    """Soft-delete the actor's own most recent record."""
    if actor is None:
        raise Refused("unknown_user")
    last = session.exec(
        select(Activity)
        .where(Activity.created_by == actor.member_id, col(Activity.deleted_at).is_(None))
        .order_by(col(Activity.id).desc())
    ).first()
    _check_no_newer_commitment(session, actor, last, clock() - UNDO_WINDOW)
    if last is None:
        raise DomainError("nothing_to_undo")
    require_write(
        actor, last.branch_id
    )  # a member who lost the role cannot undo what they once wrote
    if clock() - last.created_at > UNDO_WINDOW:
        raise DomainError("undo_too_old", id=last.id)
    before = audit.snapshot(last)
    last.deleted_at, last.deleted_by = clock(), actor.member_id
    session.add(last)
    audit.record(session, clock, actor.member_id, "delete", last, before)
    return last


def _check_no_newer_commitment(
    session: Session, actor: Actor, last: Activity | None, since: datetime
) -> None:
    """/undo right after /commit means the commitment, not the meeting logged before it: it
    says how to withdraw the commitment rather than delete the older record."""
    newer = select(Commitment).where(
        Commitment.created_by == actor.member_id,
        Commitment.status == "in_progress",  # one withdrawn since is dealt with already
        col(Commitment.deleted_at).is_(None),
        Commitment.created_at >= since,
    )
    if last is not None:
        newer = newer.where(Commitment.created_at > last.created_at)
    if (made := session.exec(newer.order_by(col(Commitment.id).desc())).first()) is not None:
        raise DomainError("undo_commitment", id=made.id)


def get_for_write(session: Session, actor: Actor | None, activity_id: int) -> Activity:
    missing = DomainError("no_such_record", id=activity_id)
    activity = session.get(Activity, activity_id)
    if activity is None or activity.deleted_at is not None:
        raise missing
    require_write_or_hide(actor, activity.org_id, activity.branch_id, missing)
    return activity


def edit(
    session: Session,
    registry: Registry,
    clock: Clock,
    today: date,
    actor: Actor | None,
    activity_id: int,
    changes: dict[str, object],
) -> Activity:
    """Change fields of a record; the whole record must stay valid."""
    if actor is None:
        raise Refused("unknown_user")
    activity = get_for_write(session, actor, activity_id)
    changes = _moved_start(activity, _rebalance_attendance(activity, dict(changes)))
    group_name = changes.pop("group", None)
    current = {k: getattr(activity, k) for k in DRAFT_FIELDS if k != "group"}
    new_type = validate(ActivityDraft(**{**current, **changes}), registry, today)
    if (new_type.category == "town") != (activity.branch_id is None):
        raise DomainError("edit_changes_level")  # branch and town records are kept apart
    changes["party_group_id"] = _edited_group(session, activity, new_type, group_name)
    before = audit.snapshot(activity)
    for key, value in changes.items():
        setattr(activity, key, value)
    session.add(activity)
    audit.record(session, clock, actor.member_id, "update", activity, before)
    return activity


def _moved_start(activity: Activity, changes: dict[str, object]) -> dict[str, object]:
    """A new start alone (/edit 12 下午3点) keeps the end if it still comes after it, with the
    duration that range gave; an end it would pass is dropped rather than refused."""
    start, end = changes.get("start_time"), activity.end_time
    if not isinstance(start, time) or "end_time" in changes or end is None:
        return changes
    if start >= end:
        return {**changes, "end_time": None}
    old = activity.start_time
    if "hours" not in changes and old is not None and activity.hours == _span_hours(old, end):
        return {**changes, "hours": _span_hours(start, end)}
    return changes


def _span_hours(start: time, end: time) -> float:
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return round(minutes / 60, 2)


def _rebalance_attendance(activity: Activity, changes: dict[str, object]) -> dict[str, object]:
    """A corrected 实到 or 应到 moves 缺席 with it, so the three numbers stay consistent."""
    if ("present" in changes or "expected" in changes) and "absent" not in changes:
        expected = changes.get("expected", activity.expected)
        present = changes.get("present", activity.present)
        if isinstance(expected, int) and isinstance(present, int) and expected >= present:
            changes["absent"] = expected - present
    return changes


def _edited_group(
    session: Session, activity: Activity, t: ActivityType, group_name: object
) -> int | None:
    if t.scope != "group" or activity.branch_id is None:
        if group_name:
            raise DomainError("not_group_type", name=t)
        return None
    if group_name or activity.party_group_id is None:
        return _resolve_group(session, activity.branch_id, t, str(group_name or "") or None)
    return activity.party_group_id


def check_can_excuse(actor: Actor | None) -> Actor:
    return require(actor, Action.EXCUSE)


class Excused(NamedTuple):
    row: Excusal
    replaced: str | None  # the reason it had before, when the unit was excused already
    again: bool = False  # excused already, for the same reason: nothing changed


def excuse(
    session: Session,
    clock: Clock,
    today: date,
    actor: Actor | None,
    branch: Branch,
    t: ActivityType,
    period: Period,
    reason: str,
    registry: Registry,
) -> Excused:
    """Excuse the rule unit of ``t`` that holds the start of ``period`` (e.g. 党课 in 2026Q3):
    not a unit that was held (there is nothing to excuse), nor one not yet begun."""
    actor = check_can_excuse(actor)
    assert branch.id is not None
    if branch.org_id != actor.org_id:
        raise DomainError("unknown_branch", text=branch.name)
    unit = Period.containing(KIND_OF_MONTHS[t.every_months], period.start)
    if unit.start > today:
        raise DomainError("excuse_future", period=unit)
    if len(reason) > EXCUSE_REASON_LIMIT:
        raise DomainError("too_long", field="reason", limit=EXCUSE_REASON_LIMIT)
    if _was_held(session, registry, branch, t, unit, today):
        raise DomainError("excuse_held", branch=branch.name, period=unit, type=t)
    row, created = insert_once(
        session,
        Excusal(
            branch_id=branch.id,
            type_code=t.code,
            unit_key=unit.key,
            reason=reason,
            created_by=actor.member_id,
            created_at=clock(),
        ),
        lambda: session.exec(
            select(Excusal).where(
                Excusal.branch_id == branch.id,
                Excusal.type_code == t.code,
                Excusal.unit_key == unit.key,
            )
        ).first(),
    )
    if not created and row.reason == reason:
        return Excused(row, None, again=True)
    before = None if created else audit.snapshot(row)
    replaced = None if created else row.reason
    row.reason = reason
    session.add(row)
    audit.record(session, clock, actor.member_id, "excuse", row, before)
    return Excused(row, replaced)


def _was_held(
    session: Session, registry: Registry, branch: Branch, t: ActivityType, unit: Period, today
) -> bool:
    result = evaluate(
        session,
        registry,
        branch.org_id,
        [(branch.id, branch.name)],
        unit,
        today,
        rules_only=True,  # type: ignore[list-item]
    )
    rule = next((r for r in result.branches[0].rules if r.type.code == t.code), None)
    slots = [s for s in rule.slots if s.unit == unit] if rule else []
    return bool(slots) and all(s.status == "met" for s in slots)
