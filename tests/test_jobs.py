"""Scheduled pushes as the branches and the town see them: a year of reminders and nudges on
the working-day calendar, what a reminder says, and the outbox's promise that every push
arrives exactly once through reruns, crashes, retries, two deliverers and blocked chats."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot import notices
from bot.delivery import CONSOLE
from bot.router import Router
from bot.turn import Incoming
from core import admin
from core.config import JobsSettings
from core.notify import Uncertain, Unreachable
from core.rules import DEFAULT_REGISTRY
from core.workdays import WorkCalendar
from jobs.outbox import Deliverer, Message, enqueue, pending
from jobs.schedule import Jobs
from storage.db import make_engine, session_scope
from storage.models import AuditEvent, Branch, ChatBinding, Commitment, Member, OutboxMessage
from tests.conftest import FOUNDED, TZ, local
from tests.helpers import add_activity, run_zhibu, secretary_id, write_lock_is_free

REMINDER, NUDGE = "monthly_reminder", "month_end_nudge"
FIRST_WORKDAYS_2026 = [
    date(2026, 1, 4),  # a Sunday made a working day (New Year 1-3 off)
    date(2026, 2, 2),
    date(2026, 3, 2),
    date(2026, 4, 1),
    date(2026, 5, 6),  # after Labour Day
    date(2026, 6, 1),
    date(2026, 7, 1),
    date(2026, 8, 3),
    date(2026, 9, 1),
    date(2026, 10, 8),  # after National Day
    date(2026, 11, 2),
    date(2026, 12, 1),
]


# ---------------------------------------------------------------------------- test doubles


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass(frozen=True)
class Sent:
    chat: str
    text: str
    at: datetime | None


class FakeNotifier:
    """Records what reaches each chat. It can fail some calls (1-based), fail every call,
    treat some chats as having blocked the bot, or hold a chat's send until an event is set."""

    platform = CONSOLE

    def __init__(
        self,
        clock: Clock | None = None,
        fail_calls: tuple[int, ...] = (),
        always_fail: bool = False,
        unreachable: tuple[str, ...] = (),
        hold: dict[str, asyncio.Event] | None = None,
        start_after: asyncio.Event | None = None,
    ):
        self.clock, self.fail_calls, self.always_fail = clock, fail_calls, always_fail
        self.unreachable, self.hold = unreachable, hold or {}
        self.start_after = start_after  # the first send waits for it
        self.started = asyncio.Event()  # set once a send has been called
        self.sent_one = asyncio.Event()  # set once a send has gone through
        self.calls: list[str] = []  # every attempt, by chat
        self.sent: list[Sent] = []
        self.holding = asyncio.Event()  # set once a held send has started

    async def send(self, chat_id: str, text: str, files: Sequence[str] = ()) -> str:
        self.calls.append(chat_id)
        self.started.set()
        if self.start_after is not None:
            await self.start_after.wait()
        if chat_id in self.hold:
            self.holding.set()
            await self.hold[chat_id].wait()
        await asyncio.sleep(0)  # let another deliverer run, as a network call would
        if chat_id in self.unreachable:
            raise Unreachable(f"Forbidden: bot was blocked by chat {chat_id}")
        if self.always_fail or len(self.calls) in self.fail_calls:
            raise ConnectionError("network is unreachable")
        self.sent.append(Sent(chat_id, text, self.clock() if self.clock else None))
        self.sent_one.set()
        return f"msg-{len(self.sent)}"

    def chats(self) -> list[str]:
        return [s.chat for s in self.sent]

    def text_to(self, chat: str) -> str:
        (text,) = [s.text for s in self.sent if s.chat == chat]
        return text


class Crashing(FakeNotifier):
    """The process dies (is cancelled) in the middle of the first send."""

    async def send(self, chat_id: str, text: str, files: Sequence[str] = ()) -> str:
        self.calls.append(chat_id)
        raise asyncio.CancelledError


# ---------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def branches_set_up_long_ago(request):
    """The town fixture creates its branches "now" (March 2026); here they have existed for
    years, so reminders may hold them to every unit of 2026."""
    if "town" not in request.fixturenames:
        return
    engine = request.getfixturevalue("engine")
    request.getfixturevalue("town")
    with session_scope(engine) as s:
        for branch in s.exec(select(Branch)).all():
            branch.created_at = local(2020, 1, 1, 0)
            s.add(branch)


def make_jobs(engine, clock: Clock, **settings) -> Jobs:
    """Jobs wired as bot/app.py's jobs_of does: the bot's own wording, Chinese holidays."""
    return Jobs(
        engine,
        DEFAULT_REGISTRY,
        JobsSettings(**settings),
        TZ,
        WorkCalendar(),
        clock,
        notices,
        "zh_CN",
    )


def deliverer(engine, clock: Clock, notifier: FakeNotifier, **kw) -> Deliverer:
    return Deliverer(engine, clock, {CONSOLE: notifier}, **kw)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return local(day.year, day.month, day.day, hour, minute)


def outbox(engine, job: str | None = None) -> list[OutboxMessage]:
    with Session(engine) as s:
        stmt = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if job:
            stmt = stmt.where(OutboxMessage.job == job)
        return list(s.exec(stmt).all())


def binding(engine, chat: str) -> ChatBinding:
    with Session(engine) as s:
        return s.exec(select(ChatBinding).where(ChatBinding.chat_id == chat)).one()


def add_commitment(engine, branch_id: int, content: str, due: date, personal: bool = False) -> int:
    with session_scope(engine) as s:
        sec = secretary_id(s, branch_id)
        c = Commitment(
            org_id=1,
            branch_id=branch_id,
            owner_member_id=sec if personal else None,
            content=content,
            made_on=date(2026, 1, 10),
            due_on=due,
            created_by=sec,
            created_at=local(2026, 1, 10, 10),
        )
        s.add(c)
        s.flush()
        assert c.id is not None
        return c.id


def activity(engine, town, branch: int, code: str, day: date, group: str | None = None) -> None:
    add_activity(engine, branch, code, day, group=group, org_id=town.org_id)


# ---------------------------------------------------------------------------- 1. a whole year

MONTHLY = ("committee_meeting", "theme_day")
GROUPS = ("第一党小组", "第二党小组")
YEARLY = ("org_life_meeting", "democratic_review", "heart_talk")


def meetings_of_the_day(town, day: date) -> list[tuple[int, str, str | None]]:
    """(branch, type, party group) held on ``day`` in the simulated year.

    一村 meets on the 12th and keeps every rule, except that it forgets the Q1 党课 and holds
    February's 主题党日 only on the 27th, after the first nudge. 二村 (no party groups) meets
    on the 15th, skips February's 支委会 and holds nothing from July to September."""
    b1, b2 = town.branch1, town.branch2
    out: list[tuple[int, str, str | None]] = []
    if day.day == 12:
        out += [(b1, "committee_meeting", None)] + [(b1, "group_meeting", g) for g in GROUPS]
        if day.month != 2:
            out.append((b1, "theme_day", None))
        if day.month in (1, 4, 7, 10):
            out.append((b1, "general_meeting", None))
        if day.month in (4, 7, 10):
            out.append((b1, "party_lecture", None))
        if day.month == 10:
            out += [(b1, code, None) for code in YEARLY]
    if day == date(2026, 2, 27):
        out.append((b1, "theme_day", None))
    if day.day == 15 and day.month not in (7, 8, 9):
        out += [
            (b2, code, None) for code in MONTHLY if (code, day.month) != ("committee_meeting", 2)
        ]
        if day.month in (1, 4, 10):
            out += [(b2, "general_meeting", None), (b2, "party_lecture", None)]
        if day.month == 10:
            out += [(b2, code, None) for code in YEARLY]
    return out


async def test_a_year_of_reminders_and_nudges_follows_the_working_day_calendar(engine, town):
    clock = Clock(local(2026, 1, 1, 0))
    jobs = make_jobs(engine, clock)
    notifier = FakeNotifier(clock)
    send = deliverer(engine, clock, notifier)
    order = sorted((REMINDER, NUDGE), key=lambda name: jobs.jobs[name].at)
    log: list[tuple[date, str, str]] = []
    texts: dict[tuple[date, str], str] = {}
    day = date(2026, 1, 1)
    while day.year == 2026:
        for branch, code, group in meetings_of_the_day(town, day):
            activity(engine, town, branch, code, day, group)
        for name in order:
            job = jobs.jobs[name]
            clock.at = datetime.combine(day, job.at, TZ)
            if job.fires_on(day):
                jobs.run(name, clock())
            before = len(notifier.sent)
            await send.deliver_due()
            for s in notifier.sent[before:]:
                assert s.at == clock()  # sent at the job's local time, not later
                log.append((day, name, s.chat))
                texts[(day, s.chat)] = s.text
        day += timedelta(days=1)

    nudged = {
        date(2026, 2, 26): ["branch1", "branch2"],  # 一村 no 主题党日 yet, 二村 no 支委会
        date(2026, 2, 28): ["branch2"],  # a Saturday make-up day; 一村 has caught up
        date(2026, 3, 27): ["branch1"],  # the Q1 党课
        date(2026, 3, 31): ["branch1"],
        **{
            d: ["branch2", "town"]  # 二村 owes its meetings and has been silent since 6-15
            for d in (
                date(2026, 7, 29),
                date(2026, 7, 31),
                date(2026, 8, 27),
                date(2026, 8, 31),
                date(2026, 9, 28),
                date(2026, 9, 30),
            )
        },
    }
    expected = [
        (d, REMINDER, c) for d in FIRST_WORKDAYS_2026 for c in ("branch1", "branch2", "town")
    ]
    expected += [(d, NUDGE, c) for d, chats in nudged.items() for c in chats]
    assert log == sorted(expected)

    # National Day: nothing during the holiday, the reminder on the first day back
    assert not [e for e in log if date(2026, 10, 1) <= e[0] <= date(2026, 10, 7)]
    assert "2026年10月提醒单" in texts[(date(2026, 10, 8), "branch1")]
    # the Saturday make-up day nudge: one working day left, February's 支委会 still missing
    feb28 = texts[(date(2026, 2, 28), "branch2")]
    assert feb28.startswith("⏰ 二村党支部：今天是本月最后一个工作日")
    assert "支委会（2026年2月）" in feb28 and "主题党日" not in feb28
    assert "本月还剩 3 个工作日" in texts[(date(2026, 2, 26), "branch1")]
    # 一村's March nudge is about the quarter's 党课 only, which the April reminder then lists
    march = texts[(date(2026, 3, 27), "branch1")]
    assert "党课（2026年第一季度）" in march and "支委会" not in march
    april = texts[(date(2026, 4, 1), "branch1")]
    assert "⚠️ 上期未完成：党课（2026年第一季度）" in april
    assert "⚠️ 上期未完成：支委会（2026年2月）" in texts[(date(2026, 3, 2), "branch2")]
    # September's nudges close the quarter too; the town hears who has gone quiet
    sept = texts[(date(2026, 9, 30), "branch2")]
    assert "支部党员大会（2026年第三季度）" in sept and "党课（2026年第三季度）" in sept
    silent = texts[(date(2026, 7, 29), "town")]
    assert "二村党支部（最近一次 2026年6月15日）" in silent and "一村" not in silent
    # every row was sent once and nothing is left over
    rows = outbox(engine)
    assert len(rows) == len(log) and {r.status for r in rows} == {"sent"}


# ---------------------------------------------------------------------------- 2. content


async def test_reminder_lists_what_is_due_missed_and_promised_and_the_digest_names_laggards(
    engine, town
):
    b1, b2 = town.branch1, town.branch2
    # March / Q1 in 一村: 第二党小组 never met, no 党课; 二村 held no 主题党日 in March
    for code in ("committee_meeting", "theme_day"):
        activity(engine, town, b1, code, date(2026, 3, 10))
    activity(engine, town, b1, "group_meeting", date(2026, 3, 10), "第一党小组")
    activity(engine, town, b1, "general_meeting", date(2026, 2, 10))
    activity(engine, town, b2, "committee_meeting", date(2026, 3, 11))
    for code in ("general_meeting", "party_lecture"):
        activity(engine, town, b2, code, date(2026, 1, 11))
    late = add_commitment(engine, b1, "修缮村级活动阵地", date(2026, 3, 25))
    soon = add_commitment(engine, b1, "完成党员积分制管理", date(2026, 4, 20))
    with session_scope(engine) as s:  # a branch nobody has bound a chat for
        admin.add_branch(s, Clock(local(2026, 1, 5, 9)), admin.get_org(s), "三村党支部", "三村")

    clock = Clock(local(2026, 4, 1, 9))
    notifier = FakeNotifier()
    assert make_jobs(engine, clock).run(REMINDER, clock()) == 3
    assert await deliverer(engine, clock, notifier).deliver_due() == 3

    one = notifier.text_to("branch1").split("\n")
    assert one[0] == "📋 一村党支部 · 2026年4月提醒单"
    assert "本月须开：支委会、党小组会（第一党小组、第二党小组）、主题党日" in one
    assert "本季度还需：支部党员大会、党课" in one
    assert "⚠️ 上期未完成：党小组会（第二党小组，2026年3月）、党课（2026年第一季度）" in one
    assert f"📌 本月到期的承诺：#{soon} 完成党员积分制管理（2026年4月20日）" in one
    assert f"⏰ 已逾期的承诺：#{late} 修缮村级活动阵地（2026年3月25日）" in one

    two = notifier.text_to("branch2")
    assert two.startswith("📋 二村党支部 · 2026年4月提醒单")
    assert "本月须开：支委会、主题党日" in two and "党小组" not in two  # no party groups
    assert "⚠️ 上期未完成：主题党日（2026年3月）" in two
    assert "承诺" not in two

    digest = notifier.text_to("town").split("\n")
    assert digest[0] == "📋 示范镇党委 · 2026年4月提醒单（汇总）"
    assert "本月提醒单已发往 2 个支部的群聊。" in digest
    assert "· 一村党支部：党小组会（第二党小组）、党课" in digest
    assert "· 二村党支部：主题党日" in digest
    assert "📌 逾期承诺：一村党支部 1 项" in digest
    assert any(line.startswith("ℹ️ 未绑定群聊、未收到提醒的支部：三村党支部") for line in digest)
    assert "🔕 30天以上无活动记录：三村党支部（尚无记录）" in digest

    # from October the year's items are on the list too
    (october,) = [
        m.text
        for m in make_jobs(engine, clock).messages(REMINDER, local(2026, 10, 8, 9))
        if m.chat_id == "branch2"
    ]
    assert "今年还需：组织生活会、民主评议党员、谈心谈话（已覆盖0/2人）" in october


# ---------------------------------------------------------------------------- 3. exactly once


async def test_running_a_job_twice_for_a_period_sends_each_message_once(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    jobs = make_jobs(engine, clock)
    notifier = FakeNotifier()
    send = deliverer(engine, clock, notifier)
    assert jobs.run(REMINDER, clock()) == 3
    assert jobs.run(REMINDER, clock()) == 0
    clock.advance(hours=6)  # someone runs it again by hand in the afternoon
    assert jobs.run(REMINDER, clock()) == 0
    assert await send.deliver_due() == 3
    assert await send.deliver_due() == 0
    assert jobs.run(REMINDER, clock()) == 0  # after delivery too
    assert await send.deliver_due() == 0
    assert notifier.chats() == ["branch1", "branch2", "town"]
    assert [r.key for r in outbox(engine)] == [
        f"{REMINDER}:2026-04:console:branch1",
        f"{REMINDER}:2026-04:console:branch2",
        f"{REMINDER}:2026-04:console:town",
    ]


def test_two_processes_firing_the_same_job_enqueue_it_once(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    added: list[int] = []
    errors: list[BaseException] = []

    def fire() -> None:
        try:
            added.append(make_jobs(engine, clock).run(REMINDER, clock()))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=fire) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(added) == [0, 3]
    assert len(outbox(engine)) == 3


# ---------------------------------------------------------------------------- 4. crash, restart


async def test_messages_enqueued_before_a_crash_are_sent_once_after_restart(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    assert make_jobs(engine, clock).run(REMINDER, clock()) == 3  # then the process died
    clock.advance(minutes=3)
    first = FakeNotifier()
    assert await deliverer(engine, clock, first).deliver_due() == 3  # the restarted bot
    assert first.chats() == ["branch1", "branch2", "town"]
    again = FakeNotifier()
    assert await deliverer(engine, clock, again).deliver_due() == 0  # and another restart
    assert again.calls == []
    rows = outbox(engine)
    assert [r.status for r in rows] == ["sent"] * 3
    assert all(r.sent_at == clock() and r.message_id for r in rows)


async def test_a_crash_in_the_middle_of_sending_is_resumed_after_the_lease(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    make_jobs(engine, clock).run(REMINDER, clock())
    with pytest.raises(asyncio.CancelledError):  # killed while talking to the platform
        await deliverer(engine, clock, Crashing(), worker="old").deliver_due()
    assert [r.status for r in outbox(engine)] == ["pending"] * 3

    clock.advance(minutes=4)  # the restarted bot sends what the dead process never took up …
    restarted = FakeNotifier()
    send = deliverer(engine, clock, restarted, worker="new")
    assert await send.deliver_due() == 2
    assert restarted.chats() == ["branch2", "town"]
    clock.advance(minutes=2)  # … and the one it was sending once its claim expires
    assert await send.deliver_due() == 1
    assert restarted.chats() == ["branch2", "town", "branch1"]
    assert await send.deliver_due() == 0


# ---------------------------------------------------------------------------- 5. mid fan-out


async def test_a_failed_send_is_retried_after_backoff_and_nothing_is_sent_twice(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    t0 = clock()
    make_jobs(engine, clock).run(REMINDER, clock())
    notifier = FakeNotifier(fail_calls=(2,))  # the second send of the fan-out fails
    send = deliverer(engine, clock, notifier)
    assert await send.deliver_due() == 2
    assert notifier.chats() == ["branch1", "town"]
    failed = next(r for r in outbox(engine) if r.chat_id == "branch2")
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert failed.next_attempt_at == t0 + timedelta(minutes=1)
    assert failed.last_error == "ConnectionError: network is unreachable"

    clock.advance(seconds=59)
    assert await send.deliver_due() == 0  # not before its time
    clock.advance(seconds=1)
    assert await send.deliver_due() == 1
    for _ in range(3):  # later drains find nothing to resend
        clock.advance(minutes=10)
        assert await send.deliver_due() == 0
    assert notifier.chats() == ["branch1", "town", "branch2"]
    assert notifier.calls == ["branch1", "branch2", "town", "branch2"]
    assert [r.status for r in outbox(engine)] == ["sent"] * 3


# ---------------------------------------------------------------------------- 6. catch-up


async def test_catch_up_sends_a_reminder_missed_within_the_window_once(engine, town):
    # June 1st (Monday) is the first working day; the bot was down at 09:00
    clock = Clock(local(2026, 6, 3, 10))
    jobs = make_jobs(engine, clock)
    assert jobs.catch_up(clock())[REMINDER] == 3
    assert jobs.catch_up(clock()).get(REMINDER, 0) == 0  # catching up twice adds nothing
    rows = outbox(engine, REMINDER)
    assert [r.key for r in rows] == [
        f"{REMINDER}:2026-06:console:{chat}" for chat in ("branch1", "branch2", "town")
    ]
    notifier = FakeNotifier()
    assert await deliverer(engine, clock, notifier).deliver_due() == 3
    # only June's reminder: May's month-end nudges (27th, 29th) are not sent days late
    assert notifier.chats() == ["branch1", "branch2", "town"]
    assert notifier.text_to("branch1").startswith("📋 一村党支部 · 2026年6月提醒单")


async def test_catch_up_leaves_a_reminder_older_than_the_window_alone(engine, town):
    clock = Clock(local(2026, 6, 6, 10))  # five days after the first working day
    jobs = make_jobs(engine, clock)
    assert jobs.catch_up(clock()).get(REMINDER, 0) == 0
    assert outbox(engine, REMINDER) == []
    assert jobs.last_fire(REMINDER, clock()) is None
    assert jobs.last_fire(REMINDER, local(2026, 6, 4, 10)) == local(2026, 6, 1, 9)


# ---------------------------------------------------------------------------- 7. two deliverers


@pytest.fixture
def shared_sqlite(sqlite_template, tmp_path):
    """One SQLite file, two engines: as two bot processes would open it."""
    path = tmp_path / "shared.db"
    shutil.copyfile(sqlite_template, path)
    engines = [make_engine(f"sqlite:///{path}") for _ in range(2)]
    yield engines
    for e in engines:
        e.dispose()


def fill_outbox(engine, clock: Clock, n: int) -> None:
    with session_scope(engine) as s:
        for i in range(n):
            chat = f"chat{i:03d}"
            enqueue(s, clock, Message(f"test:2026-04:console:{chat}", "test", CONSOLE, chat, "hi"))


async def test_two_deliverers_on_one_sqlite_file_send_every_row_once(shared_sqlite):
    first, second = shared_sqlite
    clock = Clock(local(2026, 4, 1, 9))
    fill_outbox(first, clock, 120)  # more than one claimed batch
    # a holds its first claimed row until b has sent one, and b holds its first until a has
    # claimed one: both take part however the threads run (a thread starved of the write
    # lock by the other's run of sends would otherwise find every row already taken)
    b = FakeNotifier()
    a = FakeNotifier(start_after=b.sent_one)
    b.start_after = a.started
    sent = await asyncio.gather(
        deliverer(first, clock, a, worker="a").deliver_due(),
        deliverer(second, clock, b, worker="b").deliver_due(),
    )
    assert sum(sent) == 120 and min(sent) > 0  # both took part
    chats = a.chats() + b.chats()
    assert sorted(chats) == [f"chat{i:03d}" for i in range(120)]  # each exactly once
    rows = outbox(first)
    assert {r.status for r in rows} == {"sent"}
    assert {r.claimed_by for r in rows} == {"a", "b"}


def test_two_deliverer_threads_send_every_row_once(engine):
    """Two processes really at once (threads, one event loop each), SQLite and PostgreSQL."""
    clock = Clock(local(2026, 4, 1, 9))
    fill_outbox(engine, clock, 60)
    notifiers = [FakeNotifier(), FakeNotifier()]
    errors: list[BaseException] = []

    def drain(i: int) -> None:
        try:
            asyncio.run(deliverer(engine, clock, notifiers[i], worker=f"w{i}").deliver_due())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    chats = notifiers[0].chats() + notifiers[1].chats()
    assert sorted(chats) == [f"chat{i:03d}" for i in range(60)]
    assert {r.status for r in outbox(engine)} == {"sent"}


async def test_a_deliverer_whose_lease_ran_out_does_not_resend_what_another_sent(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    make_jobs(engine, clock).run(REMINDER, clock())
    release = asyncio.Event()
    slow = FakeNotifier(hold={"branch1": release})
    stuck = asyncio.create_task(deliverer(engine, clock, slow, worker="slow").deliver_due())
    await slow.holding.wait()  # it claimed all three rows and hangs on the first
    clock.advance(minutes=6)
    other = FakeNotifier()
    assert await deliverer(engine, clock, other, worker="other").deliver_due() == 3
    release.set()
    await stuck
    # branch1 was in flight when the lease ran out: at least once is all one can promise for
    # it; branch2 and town had not been touched by the slow deliverer and must not be resent
    assert other.chats() == ["branch1", "branch2", "town"]
    assert slow.chats() == ["branch1"]


# ---------------------------------------------------------------------------- 8. unreachable


async def test_a_chat_that_blocked_the_bot_is_skipped_and_not_pushed_to_again(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    jobs = make_jobs(engine, clock)
    notifier = FakeNotifier(unreachable=("branch2",))
    send = deliverer(engine, clock, notifier)
    jobs.run(REMINDER, clock())
    assert await send.deliver_due() == 2
    assert notifier.chats() == ["branch1", "town"]
    statuses = {r.chat_id: (r.status, r.attempts) for r in outbox(engine)}
    assert statuses == {"branch1": ("sent", 0), "branch2": ("skipped", 0), "town": ("sent", 0)}
    skipped = next(r for r in outbox(engine) if r.chat_id == "branch2")
    assert "blocked" in (skipped.last_error or "")
    assert binding(engine, "branch2").unreachable_at == clock()
    assert binding(engine, "branch1").unreachable_at is None

    clock.advance(days=35)  # May 6th, the next first working day
    assert clock().date() == date(2026, 5, 6)
    assert jobs.run(REMINDER, clock()) == 3
    may = [r.chat_id for r in outbox(engine) if "2026-05" in r.key]
    assert may == ["branch1", "sec2", "town"]  # 二村's list goes to its secretary instead
    assert await send.deliver_due() == 3
    assert notifier.calls.count("branch2") == 1  # tried once, in April, never again
    assert "提醒改为私信支部书记" in notifier.text_to("sec2")
    may_digest = notifier.sent[-1].text
    assert "本月提醒单已发往 1 个支部的群聊。" in may_digest
    assert "群聊已屏蔽机器人或已解散的支部：二村党支部" in may_digest
    assert "提醒已私信书记的支部：二村党支部" in may_digest


async def test_an_unbound_group_gets_no_more_pushes_and_the_digest_names_its_branch(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    jobs = make_jobs(engine, clock)
    jobs.run(REMINDER, clock())  # queued while the bot was offline
    unbind = Incoming(CONSOLE, "branch2", "sec2", "/unbindgroup", "m1", is_group=True)
    (reply,) = Router(engine, DEFAULT_REGISTRY, TZ, clock).handle(unbind)
    assert "本群已与二村党支部解除绑定" in reply.text
    notifier = FakeNotifier()
    send = deliverer(engine, clock, notifier)
    assert await send.deliver_due() == 2
    assert notifier.chats() == ["branch1", "town"]
    assert {r.chat_id: r.status for r in outbox(engine)}["branch2"] == "skipped"

    clock.advance(days=35)  # May 6th, the next first working day
    jobs.run(REMINDER, clock())
    assert await send.deliver_due() == 3
    assert notifier.chats()[2:] == ["branch1", "sec2", "town"]  # the secretary, privately
    may_digest = notifier.sent[-1].text
    assert "本月提醒单已发往 1 个支部的群聊。" in may_digest
    assert "没有可用群聊、提醒已私信书记的支部：二村党支部" in may_digest


async def test_a_blocked_chat_is_not_tried_again_in_the_same_drain(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    jobs = make_jobs(engine, clock)
    jobs.run(REMINDER, clock())
    clock.at = local(2026, 4, 28, 16)  # the bot was not draining; now the nudge is due too
    assert jobs.run(NUDGE, clock()) >= 1
    notifier = FakeNotifier(unreachable=("branch2",))
    await deliverer(engine, clock, notifier).deliver_due()
    assert {r.status for r in outbox(engine) if r.chat_id == "branch2"} == {"skipped"}
    assert notifier.calls.count("branch2") == 1


# ---------------------------------------------------------------------------- 9. gives up


async def test_a_message_that_keeps_failing_is_given_up_after_max_attempts(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    make_jobs(engine, clock).run(REMINDER, clock())
    notifier = FakeNotifier(always_fail=True)
    send = deliverer(engine, clock, notifier, max_attempts=5)
    waits = []
    for _ in range(10):
        start = clock()
        await send.deliver_due()
        rows = outbox(engine)
        if {r.status for r in rows} == {"failed"}:
            break
        waits.append(rows[0].next_attempt_at - start)
        clock.at = rows[0].next_attempt_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]  # then the fifth try fails
    assert notifier.calls == ["branch1", "branch2", "town"] * 5
    assert notifier.sent == []
    with Session(engine) as s:
        assert pending(s) == []
        given_up = pending(s, failed=True)
    assert [(r.chat_id, r.status, r.attempts) for r in given_up] == [
        (chat, "failed", 5) for chat in ("branch1", "branch2", "town")
    ]
    assert all(r.last_error == "ConnectionError: network is unreachable" for r in given_up)
    clock.advance(days=1)
    assert await send.deliver_due() == 0  # and never tried again
    assert len(notifier.calls) == 15


# ---------------------------------------------------------------------------- 10. the CLI


def zhibu(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_zhibu(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    return done


def test_jobs_commands_run_a_job_once_and_show_the_calendar(tmp_path):
    zhibu(tmp_path, "demo", "--now", "2026-03-20T10:00")
    april = ("monthly_reminder", "--now", "2026-04-01T09:00")
    chats = [f"branch{i}" for i in range(1, 9)] + ["town"]

    dry = zhibu(tmp_path, "jobs", "run", *april, "--dry-run").stdout
    assert dry.startswith("→ [branch1] (console) 📋 一村党支部 · 2026年4月提醒单")
    assert [line.split("]")[0] for line in dry.splitlines() if line.startswith("→ [")] == [
        f"→ [{c}" for c in chats
    ]
    assert "没有待发送的推送。" in zhibu(tmp_path, "outbox").stdout  # the dry run wrote nothing

    out = zhibu(tmp_path, "jobs", "run", *april).stdout
    assert "新写入 9 条推送" in out and "已发送 9 条。" in out
    pushed = [line for line in out.splitlines() if line.startswith("→ [")]
    assert pushed[0] == "→ [branch1] 📋 一村党支部 · 2026年4月提醒单"
    assert [line.split("]")[0] for line in pushed] == [f"→ [{c}" for c in chats]
    assert pushed[-1] == "→ [town] 📋 示范镇党委 · 2026年4月提醒单（汇总）"

    again = zhibu(tmp_path, "jobs", "run", *april).stdout
    assert "新写入 0 条" in again and "已发送 0 条。" in again and "→ [" not in again
    assert "没有待发送的推送。" in zhibu(tmp_path, "outbox").stdout
    assert "没有发送失败的推送。" in zhibu(tmp_path, "outbox", "--failed").stdout

    listing = zhibu(tmp_path, "jobs", "list", "--now", "2026-09-25T10:00").stdout.splitlines()
    at = listing.index("monthly_reminder")
    assert listing[at + 2].strip() == "接下来：2026-10-08 09:00、2026-11-02 09:00、2026-12-01 09:00"
    at = listing.index("month_end_nudge")
    assert listing[at + 2].strip() == "接下来：2026-09-28 16:00、2026-09-30 16:00、2026-10-28 16:00"


async def test_a_branch_set_up_mid_month_is_reminded_of_what_status_counts_missed(engine, town):
    with session_scope(engine) as s:
        second = s.get(Branch, town.branch2)
        assert second is not None
        second.created_at = local(2026, 3, 25, 9)  # set up days before the reminder
        s.add(second)
    clock = Clock(local(2026, 4, 1, 9))
    messages = make_jobs(engine, clock).messages(REMINDER, clock())
    (reminder,) = [m.text for m in messages if m.chat_id == "branch2"]
    # March was under way when it was set up: owed, as /status and the reports count it
    missed = reminder.split("上期未完成")[1]
    assert "支委会" in missed and "3月" in missed
    digest = next(m.text for m in messages if m.chat_id == "town")
    # … but not silent for 30 days: it has existed for one week
    assert "二村" not in digest.split("30天以上无活动记录")[-1].split("\n")[0]


# ---------------------------------------------------------------------------- found in review


class TimingOut(FakeNotifier):
    """The platform took the message but the answer never came back."""

    async def send(self, chat_id: str, text: str, files: Sequence[str] = ()) -> str:
        self.calls.append(chat_id)
        raise Uncertain("Timed out")


async def test_a_send_that_timed_out_is_not_sent_again(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    make_jobs(engine, clock).run(REMINDER, clock())
    notifier = TimingOut()
    send = deliverer(engine, clock, notifier)
    await send.deliver_due()
    for _ in range(3):
        clock.advance(minutes=30)
        await send.deliver_due()
    assert sorted(notifier.calls) == ["branch1", "branch2", "town"]  # once each
    rows = outbox(engine)
    assert {r.status for r in rows} == {"failed"}
    assert all("may have been delivered" in (r.last_error or "") for r in rows)


async def test_pushes_nobody_delivered_in_time_are_dropped_not_sent_late(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    make_jobs(engine, clock).run(REMINDER, clock())
    clock.advance(days=5)  # no process served these chats for five days
    notifier = FakeNotifier()
    sent = await deliverer(engine, clock, notifier, max_age=timedelta(days=3)).deliver_due()
    assert sent == 0 and notifier.calls == []
    assert {(r.status, r.last_error) for r in outbox(engine)} == {("skipped", "too old to send")}


def test_a_process_enqueues_only_for_the_platforms_it_serves(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    jobs = make_jobs(engine, clock)
    jobs.platforms = frozenset({"telegram"})  # the town's chats are all console chats
    assert jobs.run(REMINDER, clock()) == 0
    jobs.platforms = frozenset({CONSOLE})
    assert jobs.run(REMINDER, clock()) == 3


def test_a_claim_waits_for_the_backoff_another_process_set(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    make_jobs(engine, clock).run(REMINDER, clock())
    with session_scope(engine) as s:
        row = s.exec(select(OutboxMessage)).first()
        assert row is not None
        row.next_attempt_at = clock() + timedelta(minutes=2)
        s.add(row)
        row_id = row.id
    assert deliverer(engine, clock, FakeNotifier())._claim(row_id) is False


def test_the_weekly_overdue_list_stays_within_one_message(engine, town):
    for n in range(55):
        add_commitment(
            engine, town.branch1, f"第{n + 1}项较长的承诺事项内容，用来检验长度", date(2026, 3, 1)
        )
    clock = Clock(local(2026, 4, 6, 9))  # a Monday
    (digest,) = [
        m.text
        for m in make_jobs(engine, clock).messages("commitment_deadlines", clock())
        if m.chat_id == "town"
    ]
    assert "逾期未兑现的承诺（55项）" in digest and "另有15项" in digest
    assert len(digest) <= 4096


def test_deadline_pushes_say_whose_a_personal_commitment_is(engine, town):
    add_commitment(engine, town.branch1, "每月走访困难群众5户", date(2026, 4, 5), personal=True)
    add_commitment(engine, town.branch1, "修缮村活动室", date(2026, 4, 5))
    clock = Clock(local(2026, 4, 6, 9))  # a Monday: both fell due yesterday
    pushed = {
        m.chat_id: m.text
        for m in make_jobs(engine, clock).messages("commitment_deadlines", clock())
    }
    with session_scope(engine) as s:
        secretary = s.get(Member, secretary_id(s, town.branch1))
        assert secretary is not None
        name = secretary.name
    for chat in ("branch1", "town"):
        assert f"{name}个人承诺：每月走访困难群众5户（" in pushed[chat]
        assert " 修缮村活动室（" in pushed[chat]  # the branch's own: no mark


def test_the_reminder_day_is_configurable_in_working_days(engine, town):
    from core.config import JobSettings

    clock = Clock(local(2026, 9, 25, 10))
    jobs = make_jobs(engine, clock, monthly_reminder=JobSettings(workday=3, time="08:30"))
    fires = [f.isoformat() for f in jobs.next_fires(REMINDER, clock())]
    # October 2026: 1–7 National Day, the 10th a Saturday make-up working day
    assert fires[0] == "2026-10-10T08:30:00+08:00"
    assert "每月第3个工作日 08:30" in jobs.jobs[REMINDER].description


class RecordingNotifier(FakeNotifier):
    async def send(self, chat_id: str, text: str, files: Sequence[str] = ()) -> str:
        self.files = [*getattr(self, "files", []), *files]
        return await super().send(chat_id, text, files)


async def test_the_quarterly_summary_brings_the_ledger_and_heatmap_once(engine, town, tmp_path):
    import openpyxl

    from bot.report_files import summary_files_in

    clock = Clock(local(2026, 4, 1, 9))
    jobs = make_jobs(engine, clock)
    jobs.summary_files = summary_files_in(tmp_path / "exports", DEFAULT_REGISTRY)
    assert jobs.run("quarterly_summary", clock()) == 1  # the leaders' chat
    notifier = RecordingNotifier()
    assert await deliverer(engine, clock, notifier).deliver_due() == 1
    assert notifier.chats() == ["town"] and "2026年第一季度三会一课通报" in notifier.text_to("town")
    workbook, picture = (Path(p) for p in notifier.files)
    assert workbook.name == "台账-示范镇党委-2026Q1.xlsx" and picture.suffix == ".png"
    written_whole = {p.name for p in (tmp_path / "exports").iterdir()}  # no temporary left
    assert written_whole == {workbook.name, picture.name}
    assert openpyxl.load_workbook(workbook)["汇总"]["A3"].value == "一村党支部"
    written = workbook.stat().st_mtime_ns
    assert jobs.run("quarterly_summary", clock()) == 0  # a rerun writes nothing again
    assert workbook.stat().st_mtime_ns == written


@pytest.mark.parametrize("job", [REMINDER, "quarterly_summary"])
def test_secretaries_can_write_while_a_job_computes_its_messages(engine, town, job, tmp_path):
    """A county's reminder lists or quarterly summary take seconds to compute: SQLite's write
    lock must stay free meanwhile, or every /log in the county waits behind the job."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock to hold")
    from dataclasses import replace

    clock = Clock(local(2026, 4, 1, 9))
    jobs = make_jobs(engine, clock)
    free: list[bool] = []
    compose = jobs.jobs[job].compose

    def compose_and_try_a_write(*args):
        free.append(write_lock_is_free(engine))
        return compose(*args)

    jobs.jobs[job] = replace(jobs.jobs[job], compose=compose_and_try_a_write)
    if job == "quarterly_summary":  # the ledger and heatmap, the long part, too
        from bot.report_files import summary_files_in

        write_files = summary_files_in(tmp_path, DEFAULT_REGISTRY)

        def write_files_and_try_a_write(*args):
            free.append(write_lock_is_free(engine))
            return write_files(*args)

        jobs.summary_files = write_files_and_try_a_write
    assert jobs.run(job, clock()) >= 1
    assert free and all(free) and len(free) == (2 if job == "quarterly_summary" else 1), free
    assert [r.job for r in outbox(engine)] == [job] * len(outbox(engine))


def test_without_a_leaders_group_the_summary_reaches_each_leader_privately(engine, town):
    """A town that never bound a leaders' group (or whose group dropped the bot) still gets
    its quarterly 通报: in each active leader's own chat, saying how to get it in a group."""
    clock = Clock(local(2026, 4, 1, 9))
    with session_scope(engine) as s:
        org = admin.get_org(s)
        deputy = admin.add_member(s, clock, org, "钱副书记", org_role="leader")
        admin.bind_identity(s, deputy, "console", "deputy")
        retired = admin.add_member(s, clock, org, "周老书记", org_role="leader")
        admin.bind_identity(s, retired, "console", "retired")
        retired.active = False
        leaders_group = select(ChatBinding).where(ChatBinding.chat_id == "town")
        s.delete(s.exec(leaders_group).one())  # the leaders' group was never bound
    assert make_jobs(engine, clock).run("quarterly_summary", clock()) == 2
    rows = outbox(engine, "quarterly_summary")
    assert sorted(r.chat_id for r in rows) == ["deputy", "leader"]  # not the retired one
    assert all("2026年第一季度三会一课通报" in r.text and "私信各位领导" in r.text for r in rows)

    with session_scope(engine) as s:  # bound now: the group gets it, as it always did
        admin.bind_chat(s, admin.get_org(s), "console", "town", None)
    assert make_jobs(engine, clock).run("annual_summary", local(2027, 1, 4, 9)) == 1
    (annual,) = outbox(engine, "annual_summary")
    assert annual.chat_id == "town" and "私信" not in annual.text


def test_the_quarterly_summary_names_the_worst_branches_and_counts_the_rest(engine, town):
    """The 通报 is no paged chat view: with 45 branches behind it names the worst 40 and
    counts the rest, which the attached ledger lists; no 第1/2页, as a push has no buttons."""
    clock = Clock(local(2026, 4, 1, 9))
    with session_scope(engine) as s:
        org = admin.get_org(s)
        for n in range(43):
            admin.add_branch(s, FOUNDED, org, f"第{n + 1:02d}村党支部")
    make_jobs(engine, clock).run("quarterly_summary", clock())
    (summary,) = outbox(engine, "quarterly_summary")
    behind = [line for line in summary.text.splitlines() if line.startswith(("❌", "⏳"))]
    assert len(behind) == 40 and "页" not in summary.text
    assert "……另有5个支部有未完成或待完成事项，详见所附台账。" in summary.text


@pytest.mark.parametrize("change", ["unbind", "move"])
def test_a_group_released_or_moved_while_a_job_computes_gets_nothing(engine, town, change):
    """The job computes without the write lock; a /unbindgroup (or a leader moving the group
    to another branch) that lands meanwhile must not be followed by a push to that group."""
    from dataclasses import replace

    clock = Clock(local(2026, 4, 1, 9))
    jobs = make_jobs(engine, clock)
    compose = jobs.jobs[REMINDER].compose

    def compose_then_change(*args):
        out = compose(*args)
        with session_scope(engine) as s:
            group = s.exec(select(ChatBinding).where(ChatBinding.chat_id == "branch1")).one()
            if change == "unbind":
                admin.unbind_chat(s, group, clock, None)
            else:
                org = admin.get_org(s)
                admin.bind_chat(s, org, CONSOLE, "branch1", admin.branch_named(s, org, "二村"))
        return out

    jobs.jobs[REMINDER] = replace(jobs.jobs[REMINDER], compose=compose_then_change)
    jobs.run(REMINDER, clock())
    texts = {r.chat_id: r.text for r in outbox(engine)}
    assert "branch1" not in texts  # 一村's list did not go to the group it no longer has
    assert texts["branch2"].startswith("📋 二村党支部") and "town" in texts


def test_a_push_being_sent_when_its_group_is_released_is_recorded_as_sent(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    make_jobs(engine, clock).run(REMINDER, clock())
    in_flight = next(r for r in outbox(engine) if r.chat_id == "branch1")
    sender = deliverer(engine, clock, FakeNotifier())
    assert sender._claim(in_flight.id)  # the deliverer has it on its way
    with session_scope(engine) as s:
        group = s.exec(select(ChatBinding).where(ChatBinding.chat_id == "branch1")).one()
        assert admin.unbind_chat(s, group, clock, None)
        assert not admin.unbind_chat(s, group, clock, None)  # a second release finds nothing
    sender._finish(in_flight.id, "sent", message_id="77")
    row = next(r for r in outbox(engine) if r.id == in_flight.id)
    assert (row.status, row.message_id) == ("sent", "77")


def test_a_push_that_fails_after_its_group_was_released_is_not_retried(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    make_jobs(engine, clock).run(REMINDER, clock())
    in_flight = next(r for r in outbox(engine) if r.chat_id == "branch1")
    sender = deliverer(engine, clock, FakeNotifier())
    assert sender._claim(in_flight.id)
    with session_scope(engine) as s:
        group = s.exec(select(ChatBinding).where(ChatBinding.chat_id == "branch1")).one()
        admin.unbind_chat(s, group, clock, None)
    sender._retry_later(in_flight.id, "ConnectError: reset")  # the send failed meanwhile
    row = next(r for r in outbox(engine) if r.id == in_flight.id)
    assert (row.status, row.last_error) == ("skipped", "chat unbound")


def test_moving_a_group_to_another_branch_drops_what_was_queued_for_the_old_one(engine, town):
    clock = Clock(local(2026, 4, 1, 9))
    make_jobs(engine, clock).run(REMINDER, clock())
    leader = Incoming(CONSOLE, "branch2", "leader", "/bindgroup 一村", "m9", is_group=True)
    (reply,) = Router(engine, DEFAULT_REGISTRY, TZ, clock).handle(leader)
    assert "一村党支部" in reply.text
    queued = {r.chat_id: (r.status, r.last_error) for r in outbox(engine)}
    assert queued["branch2"] == ("skipped", "chat moved")  # 二村's list: not to 一村's group
    assert queued["branch1"] == ("pending", None)
    with session_scope(engine) as s:
        moved = s.exec(
            select(AuditEvent).where(AuditEvent.action == "bind_chat").order_by(AuditEvent.id)
        ).all()[-1]
        assert (moved.before["branch_id"], moved.after["branch_id"]) == (town.branch2, town.branch1)


def test_english_pushes_read_right_with_a_count_of_one():
    from core.periods import Period
    from core.reminders import BranchDue, Deadlines, Owed

    theme_day = Owed(DEFAULT_REGISTRY.get("theme_day"), Period.month(2026, 3))  # type: ignore[arg-type]
    due = BranchDue(1, "一村党支部", (theme_day,), (), (), (), (), (), None, False)
    nudge = notices.month_end_nudge(due, date(2026, 3, 31), 1, "en")
    assert nudge is not None and nudge.splitlines()[:2] == [
        "⏰ 一村党支部: today is the month's last working day. Not logged yet:",
        "· Theme day (Mar 2026)",
    ]
    late = Commitment(id=3, branch_id=1, content="Pave the road", due_on=date(2026, 3, 19))
    digest = notices.overdue_digest("Town", [late], {1: "一村党支部"}, date(2026, 3, 20), "en")
    assert digest is not None
    assert digest.endswith("· 一村党支部 #3 Pave the road (due 2026-03-19, overdue by 1 d)")
    tomorrow = Commitment(id=4, branch_id=1, content="Fix the lamp", due_on=date(2026, 3, 21))
    found = Deadlines(1, (tomorrow,), (), ())
    assert "Due in 1 day: " in notices.commitment_deadlines("一村党支部", found, 1, "en")
    assert "Due in 3 days: " in notices.commitment_deadlines("一村党支部", found, 3, "en")
    assert "1天后到期：" in notices.commitment_deadlines("一村党支部", found, 1)


@pytest.mark.usefixtures("package_stops_at_2026")
def test_december_digest_asks_for_next_years_holiday_notice_until_it_is_entered(engine, town):
    """chinesecalendar 1.11 stops at 2026: from December the leaders read that 2027's
    schedule is missing (so an admin enters it), and no more once it is configured."""
    clock = Clock(local(2026, 12, 1, 9))
    jobs = make_jobs(engine, clock)
    assert not jobs.calendar.knows(2027) and jobs.calendar.knows(2026)
    november = make_jobs(engine, clock).messages(REMINDER, local(2026, 11, 2, 9))
    assert not any("节假日安排" in m.text for m in november)  # nothing to ask yet
    (digest,) = [m for m in jobs.messages(REMINDER, clock()) if m.chat_id == "town"]
    assert "📅 2027年的节假日安排尚未录入" in digest.text and "[calendar]" in digest.text
    jobs.calendar = WorkCalendar(holidays=[date(2027, 1, 1)], workdays=[date(2027, 2, 20)])
    (digest,) = [m for m in jobs.messages(REMINDER, clock()) if m.chat_id == "town"]
    assert "节假日安排" not in digest.text


def test_a_leader_who_is_also_a_secretary_gets_both_pushes_privately(engine, town):
    """No groups bound: the town's leader, also 二村's secretary, gets 二村's list and the
    leaders' digest in one private message (one key per chat), neither one lost."""
    clock = Clock(local(2026, 4, 1, 9))
    with session_scope(engine) as s:
        for chat in ("branch2", "town"):
            s.delete(s.exec(select(ChatBinding).where(ChatBinding.chat_id == chat)).one())
        leader = s.exec(select(Member).where(Member.name == "赵镇长")).one()
        leader.branch_id, leader.branch_role = town.branch2, "secretary"
    make_jobs(engine, clock).run(REMINDER, clock())
    texts = {r.chat_id: r.text for r in outbox(engine)}
    assert sorted(texts) == ["branch1", "leader", "sec2"]
    assert texts["leader"].startswith("📋 二村党支部 · 2026年4月提醒单")
    assert "📋 示范镇党委 · 2026年4月提醒单（汇总）" in texts["leader"]
    assert "提醒改为私信支部书记" in texts["sec2"] and "私信各位领导" in texts["leader"]


def test_the_year_end_summary_counts_heart_talks_as_people_not_meetings(engine, town, tmp_path):
    from bot.report_files import summary_files_in

    clock = Clock(local(2027, 1, 4, 9))  # the first working day after the fourth quarter
    jobs = make_jobs(engine, clock)
    jobs.summary_files = summary_files_in(tmp_path / "exports", DEFAULT_REGISTRY)
    (summary,) = jobs.messages("quarterly_summary", clock())
    rules = next(line for line in summary.text.splitlines() if line.startswith("各项会议"))
    assert "谈心谈话 已谈0人/应谈" in rules and "支委会 0/" in rules
