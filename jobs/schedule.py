"""The scheduled jobs: when each fires, what it says to whom, and running it once per period.

A job fires at its configured local time on the days its rule picks (the first working day
of the month, the last working days …), computes its messages through ``core`` as of that
moment, and enqueues them in one transaction under keys (job, period, chat) that make a rerun
for the same period a no-op. Delivery is the outbox's business (jobs/outbox.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.compliance import OrgResult
from core.config import JobsSettings
from core.periods import Clock, Period
from core.reminders import (
    Audiences,
    BranchDue,
    BranchTarget,
    Deadlines,
    LeaderChats,
    branch_dues,
    deadlines,
    overdue_commitments,
    owner_names,
    push_audiences,
    push_targets,
)
from core.rules import Registry
from core.status import org_status
from core.workdays import WorkCalendar
from jobs.outbox import Message, enqueue
from storage.db import read_scope, session_scope
from storage.models import Commitment, Org, OutboxMessage

Outgoing = tuple[str, str, str]  # (platform, chat id, text)


@dataclass(frozen=True)
class Reach:
    """Where this month's reminder lists went, for the leaders' digest."""

    in_groups: int  # branches reminded in their bound group
    privately: list[str]  # no bound group: reminded in the secretary's private chat
    nowhere: list[str]  # no bound group and nobody to tell privately
    lost: list[str]  # the bound group blocked the bot or is gone


class Wording(Protocol):
    """How pushes read (bot/notices.py); jobs decide only what and to whom."""

    def monthly_reminder(self, due: BranchDue, month: Period, locale: str) -> str: ...

    def leaders_digest(
        self, org: str, dues: list[BranchDue], reach: Reach, month: Period, today: date, locale: str
    ) -> str: ...

    def month_end_nudge(
        self, due: BranchDue, month_end: date, days_left: int, locale: str
    ) -> str | None: ...

    def silent_digest(self, org: str, dues: list[BranchDue], locale: str) -> str | None: ...

    def commitment_deadlines(
        self, branch: str, found: Deadlines, warn_days: int, locale: str
    ) -> str: ...

    def quarterly_summary(
        self, result: OrgResult, org: str, registry: Registry, locale: str
    ) -> str: ...

    def annual_summary(
        self, result: OrgResult, org: str, registry: Registry, locale: str
    ) -> str: ...

    def overdue_digest(
        self,
        org: str,
        rows: list[Commitment],
        names: dict[int, str],
        today: date,
        locale: str,
        owners: dict[int, str] | None = None,
    ) -> str | None: ...

    def sent_privately(self, leaders: bool, locale: str) -> str: ...

    def schedule_unknown(self, year: int, locale: str) -> str: ...

    def job_description(self, name: str, locale: str, **params: object) -> str: ...


@dataclass(frozen=True)
class Job:
    name: str
    description: str  # for `zhibu jobs list`
    at: time
    fires_on: Callable[[date], bool]
    period_key: Callable[[date], str]  # what a rerun on the same day/period must not repeat
    compose: Callable[[Session, Org, date], list[tuple[str, str, str]]]  # (platform, chat, text)
    catch_up_same_day: bool = False  # "N working days left" is wrong the day after
    # the period whose ledger files go with the message (summaries), as of the fire day
    files_for: Callable[[date], Period] | None = None


# (session, org, period, as of) -> paths of the files to send along (ledger, heatmap)
SummaryFiles = Callable[[Session, Org, Period, date], tuple[str, ...]]


def _in_outbox(session: Session, key: str) -> bool:
    return (
        session.exec(select(OutboxMessage.id).where(OutboxMessage.key == key)).first() is not None
    )


class Jobs:
    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        settings: JobsSettings,
        tz: ZoneInfo,
        calendar: WorkCalendar,
        clock: Clock,
        wording: Wording,
        locale: str,
        platforms: frozenset[str] | None = None,
        summary_files: SummaryFiles | None = None,
    ):
        """``platforms``: the chats this process can deliver to (None: all); pushes for other
        platforms are left to the process that serves them."""
        self.engine, self.registry, self.settings, self.tz = engine, registry, settings, tz
        self.calendar, self.clock, self.wording, self.locale = calendar, clock, wording, locale
        self.platforms, self.summary_files = platforms, summary_files
        self.jobs = {j.name: j for j in self._define() if getattr(settings, j.name).enabled}

    def _define(self) -> list[Job]:
        s = self.settings
        return [
            Job(
                "monthly_reminder",
                self._describe(
                    "monthly_reminder", n=s.monthly_reminder.workday, at=s.monthly_reminder.time
                ),
                time.fromisoformat(s.monthly_reminder.time),
                lambda day: self._workday(day, s.monthly_reminder.workday),
                lambda day: Period.containing("month", day).key,
                self._monthly_reminder,
            ),
            Job(
                "month_end_nudge",
                self._describe(
                    "month_end_nudge",
                    days=list(s.month_end_nudge_days_left),
                    at=s.month_end_nudge.time,
                ),
                time.fromisoformat(s.month_end_nudge.time),
                self._nudge_day,
                lambda day: (
                    f"{Period.containing('month', day).key}:"
                    f"{self.calendar.workdays_left_in_month(day)}"
                ),
                self._month_end_nudge,
                catch_up_same_day=True,
            ),
            Job(
                "commitment_deadlines",
                self._describe(
                    "commitment_deadlines",
                    at=s.commitment_deadlines.time,
                    warn=s.commitment_warn_days,
                    weekday=s.overdue_digest_weekday,
                ),
                time.fromisoformat(s.commitment_deadlines.time),
                lambda day: True,
                lambda day: day.isoformat(),
                self._commitment_deadlines,
                catch_up_same_day=True,
            ),
            Job(
                "quarterly_summary",
                self._describe(
                    "quarterly_summary", n=s.quarterly_summary.workday, at=s.quarterly_summary.time
                ),
                time.fromisoformat(s.quarterly_summary.time),
                lambda day: (
                    day.month in (1, 4, 7, 10) and self._workday(day, s.quarterly_summary.workday)
                ),
                lambda day: Period.containing("quarter", day).shift(-1).key,
                self._quarterly_summary,
                files_for=lambda day: Period.containing("quarter", day).shift(-1),
            ),
            Job(
                "annual_summary",
                self._describe(
                    "annual_summary", n=s.annual_summary.workday, at=s.annual_summary.time
                ),
                time.fromisoformat(s.annual_summary.time),
                lambda day: day.month == 1 and self._workday(day, s.annual_summary.workday),
                lambda day: str(day.year - 1),
                self._annual_summary,
                files_for=lambda day: Period.of_year(day.year - 1),
            ),
        ]

    def _describe(self, name: str, **params: object) -> str:
        """What ``zhibu jobs list`` says the job does, in the configured locale."""
        return self.wording.job_description(name, self.locale, **params)

    # ------------------------------------------------------------------ when

    def _workday(self, day: date, n: int) -> bool:
        return day == self.calendar.nth_workday_of_month(day.year, day.month, n)

    def _nudge_day(self, day: date) -> bool:
        left = self.calendar.workdays_left_in_month(day)
        return self.calendar.is_workday(day) and left in self.settings.month_end_nudge_days_left

    def fires(self, name: str, start: date, end: date) -> Iterator[datetime]:
        """The job's fire times on the days from ``start`` to ``end`` (local time)."""
        job = self.jobs[name]
        day = start
        while day <= end:
            if job.fires_on(day):
                yield datetime.combine(day, job.at, self.tz)
            day += timedelta(days=1)

    def next_fires(self, name: str, now: datetime, n: int = 3) -> list[datetime]:
        today = now.astimezone(self.tz).date()
        found = (f for f in self.fires(name, today, today + timedelta(days=400)) if f > now)
        return [f for _, f in zip(range(n), found, strict=False)]

    def last_fire(self, name: str, now: datetime) -> datetime | None:
        """The latest fire at or before ``now`` within the catch-up window (the same day for a
        job whose message would be stale tomorrow), if any."""
        today = now.astimezone(self.tz).date()
        window = 0 if self.jobs[name].catch_up_same_day else self.settings.catch_up_days
        start = today - timedelta(days=window)
        past = [f for f in self.fires(name, start, today) if f <= now]
        return past[-1] if past else None

    # ------------------------------------------------------------------ what

    def messages(self, name: str, at: datetime) -> list[Message]:
        """What the job would send as of ``at`` (a preview: no files are written)."""
        with read_scope(self.engine) as session:
            return [m for _, ms in self._by_org(session, name, at) for m in ms]

    def _by_org(self, session: Session, name: str, at: datetime) -> list[tuple[Org, list[Message]]]:
        job, day = self.jobs[name], at.astimezone(self.tz).date()
        period = job.period_key(day)
        out = []
        for org in session.exec(select(Org).order_by(col(Org.id))).all():
            texts: dict[tuple[str, str], list[str]] = {}
            for platform, chat, text in job.compose(session, org, day):
                if self.platforms is None or platform in self.platforms:
                    texts.setdefault((platform, chat), []).append(text)
            # one message per chat (its key): a leader who is also a branch's secretary gets
            # both texts in their private chat, one after the other, rather than one lost
            messages = [
                Message(f"{name}:{period}:{platform}:{chat}", name, platform, chat, "\n\n".join(t))
                for (platform, chat), t in texts.items()
            ]
            out.append((org, messages))
        return out

    def run(self, name: str, at: datetime) -> int:
        """Compute and enqueue the job's messages as of ``at``; how many were new. Files
        (a summary's ledger and heatmap) are written only when something new goes out.

        The computing (a county's compliance, its ledger) reads without SQLite's write lock,
        so secretaries' /log goes on meanwhile; only the enqueueing writes, and only to chats
        that still serve the audience they served while computing. Two processes running the
        same job at once both compute, and the outbox key keeps one message."""
        with read_scope(self.engine) as reader:
            planned = self._new_messages(reader, name, at)
        if not planned:
            return 0
        added = 0
        with session_scope(self.engine) as session:
            for org_id, (audiences, messages) in planned.items():
                now = push_audiences(session, org_id, lock=True)
                for m in messages:
                    chat = (m.platform, m.chat_id)
                    served = audiences.get(chat)
                    if served and served <= now.get(chat, frozenset()):
                        added += enqueue(session, self.clock, m)
        return added

    def _new_messages(
        self, session: Session, name: str, at: datetime
    ) -> dict[int, tuple[Audiences, list[Message]]]:
        """Per org: whom each chat served, and the messages not in the outbox yet."""
        job, day = self.jobs[name], at.astimezone(self.tz).date()
        planned = {}
        for org, messages in self._by_org(session, name, at):
            new = [m for m in messages if not _in_outbox(session, m.key)]
            if not new:
                continue
            if job.files_for is not None and self.summary_files is not None:
                files = self.summary_files(session, org, job.files_for(day), day)
                new = [replace(m, files=files) for m in new]
            planned[org.id] = (push_audiences(session, org.id), new)  # type: ignore[index,arg-type]
        return planned

    def catch_up(self, now: datetime) -> dict[str, int]:
        """Run each job whose last fire time fell within the catch-up window (a rerun of one
        that did run adds nothing); older fires are left alone."""
        done = {}
        for name in self.jobs:
            if (fire := self.last_fire(name, now)) is not None:
                done[name] = self.run(name, fire)
        return done

    # ------------------------------------------------------------------ the jobs

    def _dues(self, session: Session, org: Org, day: date):
        branches, leaders = push_targets(session, org.id)  # type: ignore[arg-type]
        pairs = [(b.branch_id, b.name) for b in branches]
        dues = branch_dues(session, self.registry, org.id, pairs, day)  # type: ignore[arg-type]
        return branches, leaders, dues

    def _monthly_reminder(self, session: Session, org: Org, day: date):
        branches, leaders, dues = self._dues(session, org, day)
        month = Period.containing("month", day)
        out = [
            message
            for target, due in zip(branches, dues, strict=True)
            for message in self._to(target, self.wording.monthly_reminder(due, month, self.locale))
        ]
        reach = Reach(
            in_groups=sum(1 for b in branches if b.chats and not b.private),
            privately=[b.name for b in branches if b.chats and b.private],
            nowhere=[b.name for b in branches if not b.chats and not b.lost_chats],
            lost=[b.name for b in branches if b.private and b.lost_chats],
        )
        digest = self.wording.leaders_digest(org.name, dues, reach, month, day, self.locale)
        if (year := self._schedule_unknown(day)) is not None:
            digest += "\n" + self.wording.schedule_unknown(year, self.locale)
        return out + self._to(leaders, digest)

    def _schedule_unknown(self, day: date) -> int | None:
        """The year whose holiday notice is still missing, this year's, or from December
        the next one's: the leaders forward it to whoever keeps the configuration."""
        for year in (day.year, day.year + 1) if day.month == 12 else (day.year,):
            if not self.calendar.knows(year):
                return year
        return None

    def _commitment_deadlines(self, session: Session, org: Org, day: date):
        branches, leaders = push_targets(session, org.id)  # type: ignore[arg-type]
        ids = [b.branch_id for b in branches]
        warn = self.settings.commitment_warn_days
        found = deadlines(session, ids, day, warn)
        out = []
        for target in branches:
            if found[target.branch_id].anything:
                text = self.wording.commitment_deadlines(
                    target.name, found[target.branch_id], warn, self.locale
                )
                out += self._to(target, text)
        if day.weekday() == self.settings.overdue_digest_weekday:
            names = {b.branch_id: b.name for b in branches}
            rows = overdue_commitments(session, ids, day)
            owners = owner_names(session, rows)
            digest = self.wording.overdue_digest(org.name, rows, names, day, self.locale, owners)
            out += self._to(leaders, digest)
        return out

    def _quarterly_summary(self, session: Session, org: Org, day: date):
        quarter = Period.containing("quarter", day).shift(-1)
        result = org_status(session, self.registry, day, org.name, quarter)
        text = self.wording.quarterly_summary(result, org.name, self.registry, self.locale)
        return self._to(push_targets(session, org.id)[1], text)  # type: ignore[arg-type]

    def _annual_summary(self, session: Session, org: Org, day: date):
        year = Period.of_year(day.year - 1)
        result = org_status(session, self.registry, day, org.name, year)
        text = self.wording.annual_summary(result, org.name, self.registry, self.locale)
        return self._to(push_targets(session, org.id)[1], text)  # type: ignore[arg-type]

    def _month_end_nudge(self, session: Session, org: Org, day: date):
        branches, leaders, dues = self._dues(session, org, day)
        left = self.calendar.workdays_left_in_month(day)
        out = []
        for target, due in zip(branches, dues, strict=True):
            month_end = Period.containing("month", day).end
            text = self.wording.month_end_nudge(due, month_end, left, self.locale)
            out += self._to(target, text)
        silent = self.wording.silent_digest(org.name, dues, self.locale)
        return out + self._to(leaders, silent)

    def _to(self, target: BranchTarget | LeaderChats, text: str | None) -> list[Outgoing]:
        """``text`` for each chat of a branch or of the leaders; sent to people privately for
        want of a bound group, it says why and how to have it in a group instead."""
        if not text:
            return []
        if target.private:
            leaders = isinstance(target, LeaderChats)
            text = f"{text}\n\n{self.wording.sent_privately(leaders, self.locale)}"
        return [(platform, chat, text) for platform, chat in target.chats]
