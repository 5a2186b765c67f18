"""A realistic town or county for benchmarks: N branches with a committee, party groups and
members, and Y years of what they log: meetings, 谈心谈话, study sessions, branch and
personal commitments, most rules kept and some missed, a few missed units excused by a
leader, the town's own work and study, and now and then a record logged by mistake and
undone (soft-deleted). The same seed writes the same county.

    python -m bench.generate --branches 1000 --years 3 --db sqlite:///bench.db
"""

from __future__ import annotations

import argparse
import calendar
import random
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Engine, insert

from core.periods import Period
from storage import migrate
from storage.db import make_engine, session_scope
from storage.models import Activity, Branch, Commitment, Excusal, Member, Org, PartyGroup

# Part of the benchmark's cache names (bench/status_bench.py): bump it whenever the same
# arguments would write a different county, so a database generated before is not reused.
VERSION = 2

MONTHLY = ("committee_meeting", "theme_day")
QUARTERLY = ("general_meeting", "party_lecture")
YEARLY = ("org_life_meeting", "democratic_review")
STUDY = ("study_session", "seminar", "tutorial_report")
KEEP = 0.9  # the share of units in which a branch holds what it must
EXCUSED = 0.15  # of the units a branch skips, the share a leader excuses (~1.5% of all)
EXCUSE_REASONS = ("防汛抢险", "秋收农忙", "疫情防控", "村两委换届", "台风防御")
TALK_ROUNDS = (3, 6)  # rounds of 谈心谈话 a year where everyone is reached, each member 2-3 times
UNDONE = 0.01  # records followed by a mistaken one (wrong type) that was undone at once
TALK_TOPIC = "谈心谈话：思想、工作和家庭情况"
MISTAKES = ("committee_meeting", "theme_day", "general_meeting", "party_lecture", "study_session")
MEMBERS = 20
ROLES = ("secretary", "deputy", "committee", "committee")  # members 0-3; the others "member"
PROMISERS = 0.5  # the share of the other committee members who also make personal pledges
PLEDGES = ("每月走访困难群众5户", "联系服务党员群众20户", "带头参加志愿服务", "帮办实事3件")
LEADERS = ("党委书记", "组织委员")
# The town's own work each quarter (fewest, most), about the yearly counts of a real town's
# report (domain.md), and the 党委's own 集中学习
TOWN_WORK = {
    "town_meeting": (2, 4),
    "town_training": (0, 3),
    "town_research": (1, 3),
    "town_showcase": (0, 2),
    "town_lecture": (2, 3),
    "town_interview": (1, 3),
    "study_session": (1, 3),
}
CHUNK = 20_000
BLANK = {  # every activity row has every key: one bulk INSERT compiles from the first
    "party_group_id": None,
    "expected": None,
    "hours": None,
    "deleted_at": None,
    "deleted_by": None,
}


class BranchIds(NamedTuple):
    id: int
    committee: list[int]  # member ids: secretary, deputy, committee members
    groups: list[int]


class Town(NamedTuple):
    org_id: int
    leaders: list[int]
    now: datetime
    first_year: int
    today: date


class Writer:
    """Rows per table, inserted in bulk whenever CHUNK of one table are waiting."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.waiting: dict[type, list[dict]] = {}
        self.written: Counter[type] = Counter()

    def add(self, table: type, rows: list[dict]) -> None:
        waiting = self.waiting.setdefault(table, [])
        waiting += rows
        if len(waiting) >= CHUNK:
            self.flush(table)

    def flush(self, table: type | None = None) -> None:
        for t in [table] if table else list(self.waiting):
            rows = self.waiting[t]  # type: ignore[index]
            if rows:
                unknown = rows[0].keys() - t.__table__.columns.keys()  # type: ignore[attr-defined]
                assert not unknown, f"not columns of {t.__name__}: {unknown}"  # Core skips them
                with self.engine.begin() as conn:  # Core: one executemany, NULLs as given
                    conn.execute(insert(t.__table__), rows)  # type: ignore[attr-defined]
                self.written[t] += len(rows)  # type: ignore[index]
                rows.clear()


def generate(engine: Engine, branches: int, years: int, today: date, seed: int = 7) -> int:
    """Write the org and its history; the number of activity rows written (deleted ones too)."""
    rng = random.Random(seed)  # the meetings: drawn as before there was anything else
    extra = {k: random.Random(f"{seed}:{k}") for k in ("excuse", "talk", "undo", "promise")}
    town = _town(engine, today.year - years + 1, today)
    ids = _branches(engine, town.org_id, branches, town.now)
    out = Writer(engine)
    for b in ids:
        rows, excused = _history(rng, extra["excuse"], town, b)
        rows += _talks(extra["talk"], town, b)
        out.add(Activity, rows + _undone(extra["undo"], rows, town.now))
        out.add(Excusal, excused)
    work = _town_work(random.Random(f"{seed}:town"), town)
    out.add(Activity, work + _undone(extra["undo"], work, town.now))
    for b in ids:  # branch by branch, so that memory stays flat; the meetings' rng goes on
        out.add(Commitment, _commitments(rng, extra["promise"], town, b))
    for b in ids:
        out.add(Commitment, _pledges(extra["promise"], town, b))
    out.flush()
    return out.written[Activity]


def _town(engine: Engine, first_year: int, today: date) -> Town:
    """The org and its leaders (who excuse units and log the town's own work)."""
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        org = Org(name="基准县委", created_at=now)
        s.add(org)
        s.flush()
        assert org.id is not None
        leaders = [
            Member(org_id=org.id, name=n, org_role="leader", created_at=now) for n in LEADERS
        ]
        s.add_all(leaders)
        s.flush()
        return Town(org.id, [m.id for m in leaders if m.id], now, first_year, today)


def _branches(engine: Engine, org_id: int, n: int, now: datetime) -> list[BranchIds]:
    """``n`` branches with two party groups and MEMBERS members each, inserted in bulk."""
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)  # every unit of the history counts
    with session_scope(engine) as s:
        branch_ids = s.scalars(
            insert(Branch).returning(Branch.id, sort_by_parameter_order=True),
            [
                {"org_id": org_id, "name": f"第{i + 1:05d}村党支部", "created_at": long_ago}
                for i in range(n)
            ],
        ).all()
        group_rows = [{"branch_id": b, "name": f"第{g}党小组"} for b in branch_ids for g in (1, 2)]
        group_ids = s.scalars(
            insert(PartyGroup).returning(PartyGroup.id, sort_by_parameter_order=True), group_rows
        ).all()
        members = [
            {
                "org_id": org_id,
                "branch_id": b,
                "party_group_id": group_ids[2 * i + m % 2],
                "name": f"党员{i}-{m}",
                "branch_role": ROLES[m] if m < len(ROLES) else "member",
                "active": True,
                "created_at": now,
            }
            for i, b in enumerate(branch_ids)
            for m in range(MEMBERS)
        ]
        member_ids = s.scalars(
            insert(Member).returning(Member.id, sort_by_parameter_order=True), members
        ).all()
    return [
        BranchIds(
            b,
            list(member_ids[i * MEMBERS : i * MEMBERS + len(ROLES)]),
            [group_ids[2 * i], group_ids[2 * i + 1]],
        )
        for i, b in enumerate(branch_ids)
    ]


def _history(rng, excuse_rng, town: Town, b: BranchIds) -> tuple[list[dict], list[dict]]:
    """The branch's meetings and study sessions month by month; and the excusals of a few
    units it skipped (a leader excuses the unit, not a party group's meeting: one row)."""
    rows: list[dict] = []
    excused: dict[tuple[str, str], dict] = {}

    def unit(code: str, key: str, day, group: int | None = None) -> None:
        if rng.random() < KEEP:
            rows.append(_row(rng, town, b, code, day(), group))
        elif excuse_rng.random() < EXCUSED:
            excused.setdefault((code, key), _excusal(excuse_rng, town, b, code, key))

    month = Period.month(town.first_year, 1)
    while month.start <= town.today:
        start = month.start

        def day(start: date = start) -> date:
            return min(start + timedelta(days=rng.randint(0, 27)), town.today)

        for code in MONTHLY:
            unit(code, month.key, day)
        for g in b.groups:
            unit("group_meeting", month.key, day, g)
        if month.index % 3 == 2:
            for code in QUARTERLY:
                unit(code, Period.containing("quarter", start).key, day)
        if month.index == 11:
            for code in YEARLY:
                unit(code, str(month.year), day)
        code = rng.choice(STUDY)
        rows.append(_row(rng, town, b, code, day(), hours=rng.choice((1.5, 2.0, 3.0))))
        month = month.shift(1)
    return rows, list(excused.values())


def _row(rng, town: Town, b: BranchIds, code: str, day: date, group=None, hours=None) -> dict:
    return _at(town, b, code, day, rng.randint(8, MEMBERS), party_group_id=group, hours=hours)


def _at(town: Town, b: BranchIds, code: str, day: date, present: int, **more) -> dict:
    return {
        **BLANK,
        "org_id": town.org_id,
        "branch_id": b.id,
        "type_code": code,
        "held_on": day,
        "present": present,
        "expected": MEMBERS,
        "topic": "学习贯彻会议精神",
        "created_by": b.committee[0],
        "created_at": town.now,
        **more,
    }


def _excusal(rng, town: Town, b: BranchIds, code: str, key: str) -> dict:
    return {
        "branch_id": b.id,
        "type_code": code,
        "unit_key": key,
        "reason": rng.choice(EXCUSE_REASONS),
        "created_by": rng.choice(town.leaders),
        "created_at": town.now,
    }


def _talks(rng, town: Town, b: BranchIds) -> list[dict]:
    """谈心谈话 in rounds, one record per round with the members talked to (``present``):
    where the branch keeps the rule the rounds reach everyone, a few times over; elsewhere
    one or two short rounds that leave members out. Rounds not due by today are not held."""
    rows = []
    for year in range(town.first_year, town.today.year + 1):
        kept = rng.random() < KEEP
        rounds = rng.randint(*TALK_ROUNDS) if kept else rng.randint(1, 2)
        for month in sorted(rng.sample(range(1, 13), rounds)):
            held_on = date(year, month, rng.randint(1, 28))
            talked = rng.randint(8, MEMBERS) if kept else rng.randint(2, 9)
            if held_on <= town.today:
                rows.append(_at(town, b, "heart_talk", held_on, talked, topic=TALK_TOPIC))
    return rows


def _undone(rng, rows: list[dict], now: datetime) -> list[dict]:
    """After about UNDONE of the records, the same person logged a wrong type the same day
    and took it back with /undo: the mistake stays in the table, soft-deleted."""
    out = []
    for row in rows:
        if rng.random() < UNDONE:
            town = row["branch_id"] is None
            code = rng.choice(tuple(TOWN_WORK) if town else MISTAKES)
            out.append(
                {
                    **row,
                    "type_code": code,
                    "party_group_id": None,
                    "hours": 2.0 if code == "study_session" else None,
                    "topic": "（误录，已撤销）",
                    "deleted_at": now + timedelta(minutes=rng.randint(1, 30)),
                    "deleted_by": row["created_by"],
                }
            )
    return out


def _town_work(rng, town: Town) -> list[dict]:
    """The org's own records (no branch), quarter by quarter up to today."""
    rows = []
    quarter = Period.quarter(town.first_year, 1)
    while quarter.start <= town.today:
        for code, (fewest, most) in TOWN_WORK.items():
            for _ in range(rng.randint(fewest, most)):
                held_on = min(quarter.start + timedelta(days=rng.randint(0, 89)), town.today)
                rows.append(_town_row(rng, town, code, held_on))
        quarter = quarter.shift(1)
    return rows


def _town_row(rng, town: Town, code: str, held_on: date) -> dict:
    study = code == "study_session"
    return {
        **BLANK,
        "org_id": town.org_id,
        "branch_id": None,
        "type_code": code,
        "held_on": held_on,
        "present": rng.randint(1, 3) if code == "town_interview" else rng.randint(8, 40),
        "hours": rng.choice((2.0, 3.0)) if study else None,
        "topic": "党委理论学习中心组学习" if study else "基层党建工作",
        "created_by": rng.choice(town.leaders),
        "created_at": town.now,
    }


def _commitments(rng, closing_rng, town: Town, b: BranchIds) -> list[dict]:
    """Four branch commitments a year, due late in each quarter; most kept by their date.
    Of those not kept once due, some are explained (未兑现-已说明) or withdrawn."""
    rows = []
    for year in range(town.first_year, town.today.year + 1):
        for k in range(4):
            due = date(year, 3 * (k + 1), 28)
            fulfilled = due <= town.today and rng.random() < 0.9
            status = "fulfilled" if fulfilled else "in_progress"
            if status == "in_progress" and due < town.today:
                status = closing_rng.choices(("explained", "withdrawn", "in_progress"), (3, 2, 5))[
                    0
                ]
            row = _promise(town, b, None, f"{year}年第{k + 1}项承诺", date(year, 1, 15), due)
            rows.append({**row, "status": status, "fulfilled_on": due if fulfilled else None})
    return rows


def _pledges(rng, town: Town, b: BranchIds) -> list[dict]:
    """Personal commitments (个人承诺) made early in the year by the secretary and about
    half of the other committee members, one to three each, due at the end of a later
    month of that year."""
    rows = []
    for year in range(town.first_year, town.today.year + 1):
        for k, owner in enumerate(b.committee):
            if k and rng.random() >= PROMISERS:
                continue
            for _ in range(rng.randint(1, 3)):
                made = date(year, rng.randint(1, 2), rng.randint(5, 28))
                due = _month_end(year, rng.randint(3, 12))  # 6月底, 年底
                if made <= town.today:
                    rows.append(_pledge(rng, town, b, owner, made, due))
    return rows


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _pledge(rng, town: Town, b: BranchIds, owner: int, made: date, due: date) -> dict:
    """One personal commitment, closed as people close them: mostly kept, by the due day or
    a little before; a few explained or withdrawn; some kept early, the rest still open."""
    if due <= town.today:
        status = rng.choices(("fulfilled", "explained", "withdrawn", "in_progress"), (85, 5, 4, 6))
    else:
        status = rng.choices(("fulfilled", "withdrawn", "in_progress"), (15, 2, 83))
    fulfilled_on = None
    if status[0] == "fulfilled":
        fulfilled_on = max(made, min(due, town.today) - timedelta(days=rng.randint(0, 30)))
    row = _promise(town, b, owner, f"{made.year}年个人承诺：{rng.choice(PLEDGES)}", made, due)
    return {**row, "status": status[0], "fulfilled_on": fulfilled_on}


def _promise(town: Town, b: BranchIds, owner: int | None, content: str, made, due) -> dict:
    return {
        "org_id": town.org_id,
        "branch_id": b.id,
        "owner_member_id": owner,
        "content": content,
        "made_on": made,
        "due_on": due,
        "created_by": owner or b.committee[0],
        "created_at": town.now,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--branches", type=int, default=100)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of an empty database")
    parser.add_argument("--today", default=date.today().isoformat())
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    engine = make_engine(args.db)
    migrate.upgrade(engine)
    start = time.perf_counter()
    rows = generate(engine, args.branches, args.years, date.fromisoformat(args.today), args.seed)
    print(f"{args.branches} branches, {rows} records in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
