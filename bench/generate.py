"""A realistic town or county for benchmarks: N branches with party groups and members, and
Y years of meetings, study sessions and commitments, most rules kept, some missed.

    python -m bench.generate --branches 1000 --years 3 --db sqlite:///bench.db
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert

from core.periods import Period
from storage import migrate
from storage.db import make_engine, session_scope
from storage.models import Activity, Branch, Commitment, Member, Org, PartyGroup

MONTHLY = ("committee_meeting", "theme_day")
QUARTERLY = ("general_meeting", "party_lecture")
YEARLY = ("org_life_meeting", "democratic_review")
STUDY = ("study_session", "seminar", "tutorial_report")
KEEP = 0.9  # the share of units in which a branch holds what it must
MEMBERS = 20
CHUNK = 20_000


def generate(engine: Engine, branches: int, years: int, today: date, seed: int = 7) -> int:
    """Write the org and its history; the number of activity rows written."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        org = Org(name="基准县委", created_at=now)
        s.add(org)
        s.flush()
        org_id = org.id
    assert org_id is not None
    ids = _branches(engine, org_id, branches, now)
    first_year = today.year - years + 1
    rows: list[dict] = []
    written = 0
    for branch_id, secretary, groups in ids:
        rows += _history(rng, org_id, branch_id, secretary, groups, first_year, today, now)
        if len(rows) >= CHUNK:
            written += _flush(engine, rows)
    written += _flush(engine, rows)
    _commitments(engine, rng, org_id, ids, first_year, today, now)
    return written


def _branches(engine: Engine, org_id: int, n: int, now: datetime):
    """(branch id, secretary id, party group ids) for ``n`` branches, inserted in bulk."""
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
                "branch_role": "secretary" if m == 0 else "member",
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
        (b, member_ids[i * MEMBERS], [group_ids[2 * i], group_ids[2 * i + 1]])
        for i, b in enumerate(branch_ids)
    ]


def _history(rng, org_id, branch_id, secretary, groups, first_year, today, now) -> list[dict]:
    def row(code: str, day: date, group: int | None = None, hours: float | None = None):
        return {
            "org_id": org_id,
            "branch_id": branch_id,
            "party_group_id": group,
            "type_code": code,
            "held_on": day,
            "present": rng.randint(8, MEMBERS),
            "expected": MEMBERS,
            "hours": hours,
            "topic": "学习贯彻会议精神",
            "created_by": secretary,
            "created_at": now,
        }

    out = []
    month = Period.month(first_year, 1)
    while month.start <= today:
        start = month.start

        def day(start: date = start) -> date:
            return min(start + timedelta(days=rng.randint(0, 27)), today)

        out += [row(code, day()) for code in MONTHLY if rng.random() < KEEP]
        out += [row("group_meeting", day(), g) for g in groups if rng.random() < KEEP]
        if month.index % 3 == 2:
            out += [row(code, day()) for code in QUARTERLY if rng.random() < KEEP]
        if month.index == 11:
            out += [row(code, day()) for code in YEARLY if rng.random() < KEEP]
        out.append(row(rng.choice(STUDY), day(), hours=rng.choice((1.5, 2.0, 3.0))))
        month = month.shift(1)
    return out


def _flush(engine: Engine, rows: list[dict]) -> int:
    if not rows:
        return 0
    with session_scope(engine) as s:
        s.execute(insert(Activity), rows)
    n = len(rows)
    rows.clear()
    return n


def _commitments(engine, rng, org_id, ids, first_year, today, now) -> None:
    rows = []
    for branch_id, secretary, _ in ids:
        for year in range(first_year, today.year + 1):
            for k in range(4):
                due = date(year, 3 * (k + 1), 28)
                fulfilled = due <= today and rng.random() < 0.9
                rows.append(
                    {
                        "org_id": org_id,
                        "branch_id": branch_id,
                        "content": f"{year}年第{k + 1}项承诺",
                        "made_on": date(year, 1, 15),
                        "due_on": due,
                        "status": "fulfilled" if fulfilled else "in_progress",
                        "fulfilled_on": due if fulfilled else None,
                        "created_by": secretary,
                        "created_at": now,
                    }
                )
    with session_scope(engine) as s:
        s.execute(insert(Commitment), rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--branches", type=int, default=100)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of an empty database")
    parser.add_argument("--today", default=date.today().isoformat())
    args = parser.parse_args()
    engine = make_engine(args.db)
    migrate.upgrade(engine)
    start = time.perf_counter()
    rows = generate(engine, args.branches, args.years, date.fromisoformat(args.today))
    print(f"{args.branches} branches, {rows} records in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
