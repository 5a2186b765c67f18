"""On a generated county, one period's numbers agree in every form Zhibu gives them: the
``zhibu status --json`` of the CLI, the /status text leaders read (overview and branch
detail), and the xlsx, docx and CSV of ``zhibu export`` read back. Each is also checked
against a count taken straight from the database with plain SQL, so a bug in the shared
compliance engine shows up, not only a disagreement between two formats. Three periods as
of 2026-06-29: a closed quarter, a closed year and a quarter whose last month is still open.

The county is the benchmark's (bench/generate.py) as generated, with everything a county
logs: 谈心谈话 (people reached), branch and personal commitments (told apart in each format;
withdrawn and not-yet-due ones left out, explained ones counted as not kept), units a leader
excused with a reason (neither met nor missed, and named with the reason), the town's own
records (no branch), and records undone with /undo (soft-deleted: absent from every output
and from every number).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from calendar import monthrange
from collections import Counter
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlalchemy import Engine, text
from sqlmodel import col, select

from bench.generate import generate
from bot.cli import main as cli_main
from bot.router import Router
from core import admin
from core.periods import Period, fixed_clock, parse_period_key
from core.rules import DEFAULT_REGISTRY
from storage import migrate
from storage.db import make_engine, session_scope
from storage.models import Branch, Org
from tests.conftest import TZ, Chat, local, pg_schema_url
from tests.helpers import run_zhibu

TODAY = date(2026, 6, 29)  # June (and so 2026Q2 and the year 2026) still open
NOW = "2026-06-29T10:00"
CLOCK = fixed_clock(local(2026, 6, 29, 10))
BRANCHES, YEARS, SEED = 24, 2, 11  # a seed with missed, pending and fully kept branches
CLOSED_QUARTER, CLOSED_YEAR, OPEN_QUARTER = "2025Q4", "2025", "2026Q2"
PERIODS = (CLOSED_QUARTER, CLOSED_YEAR, OPEN_QUARTER)

# The default rules of ../shared/domain.md, written out here rather than read from the
# registry: code -> (months in one unit, held per branch / per party group / member coverage)
RULES = {
    "general_meeting": (3, "branch"),
    "committee_meeting": (1, "branch"),
    "group_meeting": (1, "group"),
    "party_lecture": (3, "branch"),
    "theme_day": (1, "branch"),
    "org_life_meeting": (12, "branch"),
    "democratic_review": (12, "branch"),
    "heart_talk": (12, "member"),
}
STUDY = ("study_session", "seminar", "tutorial_report", "field_study")
TOWN = (  # the town's own work, in the registry's order
    "town_meeting",
    "town_training",
    "town_research",
    "town_showcase",
    "town_lecture",
    "town_interview",
)
MARKS = {"met": "✅", "pending": "⏳", "missed": "❌", "excused": "➖"}
WORDS = {"met": "已完成", "pending": "待完成", "missed": "未完成", "excused": "免开"}
TOWN_LABEL = "镇党委"  # the 支部 of a town-level record


def name_of(code: str) -> str:
    known = DEFAULT_REGISTRY.get(code)
    assert known is not None
    return known.name


# ---------------------------------------------------------------- the county


@dataclass
class County:
    engine: Engine
    url: str
    workdir: Path
    chats: dict[str, str]  # branch name -> the console chat bound to it, in branch order


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def county(request, tmp_path_factory) -> Iterator[County]:
    workdir = tmp_path_factory.mktemp(f"county-{request.param}")
    if request.param == "sqlite":
        path = workdir / "county.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield from _built(f"sqlite:///{path}", workdir, migrated=True)
    else:
        with pg_schema_url() as url:
            yield from _built(url, workdir, migrated=False)


def _built(url: str, workdir: Path, migrated: bool) -> Iterator[County]:
    engine = make_engine(url)
    if not migrated:
        migrate.upgrade(engine)
    generate(engine, BRANCHES, YEARS, TODAY, SEED)
    with session_scope(engine) as s:
        (org,) = s.exec(select(Org)).all()
        branches = s.exec(select(Branch).order_by(col(Branch.id))).all()
        leader = admin.add_member(s, CLOCK, org, "县委书记", org_role="leader")
        admin.bind_identity(s, leader, "console", "leader")
        admin.bind_chat(s, org, "console", "county", None)
        for b in branches:  # a leader in a branch's chat sees that branch
            admin.bind_chat(s, org, "console", f"branch-{b.id}", b)
        chats = {b.name: f"branch-{b.id}" for b in branches}
    yield County(engine, url, workdir, chats)
    engine.dispose()


# ---------------------------------------------------------------- the database, counted plainly


def rate(numerator: int, denominator: int) -> float | None:
    """A percentage with one decimal, rounded half up, as domain.md shows 履诺率."""
    if not denominator:
        return None
    exact = Decimal(numerator * 100) / Decimal(denominator)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


Gap = tuple[str, str | None, str, str | None]  # unit, party group, status, reason excused


@dataclass
class RuleTruth:
    window: str
    required: int = 0  # an excused unit requires nothing
    held: int = 0
    gaps: list[Gap] = field(default_factory=list)
    met: int = 0  # units (per party group for group rules)

    @property
    def status(self) -> str:
        found = {gap[2] for gap in self.gaps}
        return next((s for s in ("missed", "pending", "excused") if s in found), "met")

    def add(self, unit: tuple[str, bool], group, held: int, need: int, excused) -> None:
        """One place the rule must be satisfied: ``unit`` (key, closed) for ``group``."""
        key, closed = unit
        self.held += held
        if held < need and excused is not None:
            self.gaps.append((key, group, "excused", excused))
            return
        self.required += need
        if held >= need:
            self.met += 1
        else:
            self.gaps.append((key, group, "missed" if closed else "pending", None))


@dataclass
class BranchTruth:
    rules: dict[str, RuleTruth]
    commitments: dict[str, dict[str, int | float | None]]  # "branch" / "personal" / "all"
    records: Counter[str]  # live records per type held in the period
    study_hours: float
    promises_listed: Counter[str]  # 支部承诺/个人承诺 made or falling due in the period

    @property
    def met(self) -> int:
        return sum(r.met for r in self.rules.values())

    @property
    def due(self) -> int:  # units that count: met or missed (open and excused ones do not)
        return self.met + sum(g[2] == "missed" for r in self.rules.values() for g in r.gaps)

    @property
    def rate(self) -> float | None:
        return rate(self.met, self.due)

    def with_status(self, status: str) -> list[str]:
        return [code for code, r in self.rules.items() if r.status == status]


def _units(period: Period, months: int) -> list[tuple[str, date, date]]:
    """(key, first day, last day) of each rule unit overlapping ``period`` (within one year)."""
    out: dict[str, tuple[str, date, date]] = {}
    y = period.year
    for month in range(period.start.month, period.end.month + 1):
        first = (month - 1) // months * months + 1
        last = first + months - 1
        key = {1: f"{y}-{first:02d}", 3: f"{y}Q{last // 3}", 12: str(y)}[months]
        out[key] = (key, date(y, first, 1), date(y, last, monthrange(y, last)[1]))
    return list(out.values())


def day(value) -> date:
    """A DATE column as read by plain SQL: a date (PostgreSQL) or ISO text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass
class Rows:
    """What the truth is counted from, read with plain SQL: live records and commitments."""

    branches: list
    groups: list
    members: dict[int, int]
    records: list  # the year's live branch records
    promises: list
    excused: dict[tuple[int, str, str], str]  # (branch, type, unit) -> reason


def read_rows(engine: Engine, year: int) -> Rows:
    def q(sql: str, **params) -> list:
        return c.execute(text(sql), params).all()

    with engine.connect() as c:
        return Rows(
            q("SELECT id, name FROM branch ORDER BY id"),
            q("SELECT id, branch_id, name FROM party_group ORDER BY id"),
            dict(
                q(
                    "SELECT branch_id, count(*) FROM member"
                    " WHERE active AND branch_id IS NOT NULL GROUP BY branch_id"
                )
            ),
            q(
                "SELECT branch_id, party_group_id, type_code, held_on, present, hours"
                " FROM activity WHERE deleted_at IS NULL AND branch_id IS NOT NULL"
                " AND held_on BETWEEN :a AND :b",
                a=date(year, 1, 1),
                b=date(year, 12, 31),
            ),
            q(
                "SELECT branch_id, owner_member_id, made_on, due_on, status"
                " FROM commitment WHERE deleted_at IS NULL"
            ),
            {
                (b, t, u): r
                for b, t, u, r in q("SELECT branch_id, type_code, unit_key, reason FROM excusal")
            },
        )


def database_truth(engine: Engine, period: Period, today: date) -> dict[str, BranchTruth]:
    """Every number of the period, per branch name, from plain SQL and the rules above."""
    rows = read_rows(engine, period.year)
    out = {}
    for branch_id, name in rows.branches:
        mine = [(g, c, day(d), p or 0, h) for b, g, c, d, p, h in rows.records if b == branch_id]
        rules = {}
        for code in RULES:
            if (rule := _rule_truth(rows, branch_id, code, mine, period, today)) is not None:
                rules[code] = rule
        in_period = [(c, h) for _, c, d, _, h in mine if period.contains(d)]
        own = [p for p in rows.promises if p[0] == branch_id]
        out[name] = BranchTruth(
            rules,
            _promises(own, period, today),
            Counter(c for c, _ in in_period),
            sum(h or 0 for c, h in in_period if c in STUDY),
            Counter(
                "个人承诺" if owner else "支部承诺"
                for _, owner, made, due, _ in own
                if period.contains(day(made)) or period.contains(day(due))
            ),
        )
    return out


def _rule_truth(rows: Rows, branch_id: int, code: str, mine, period, today) -> RuleTruth | None:
    months, scope = RULES[code]
    units = _units(period, months)
    begun = [u for u in units if u[1] <= today]  # a unit not begun is not owed yet
    if not begun:
        return None
    rule = RuleTruth(units[0][0] if len(units) == 1 else period.key)
    for key, start, end in begun:
        inside = [(g, p) for g, c, d, p, _ in mine if c == code and start <= d <= end]
        if scope == "group":
            groups = [(gid, gname) for gid, b, gname in rows.groups if b == branch_id]
            slots = [(gname, sum(g == gid for g, _ in inside), 1) for gid, gname in groups]
        elif scope == "member":
            people = rows.members[branch_id]
            slots = [(None, min(sum(p for _, p in inside), people), people)]
        else:
            slots = [(None, len(inside), 1)]
        excused = rows.excused.get((branch_id, code, key))
        for group, held, need in slots:
            rule.add((key, end < today), group, held, need, excused)
    return rule


@dataclass
class Records:
    """The period's records as plain SQL sees them, branch and town alike."""

    live: set[int]
    deleted: Counter[str]  # soft-deleted records per type
    deleted_ids: set[int]
    town: Counter[str]  # the town's own live records per type


def records_of(engine: Engine, period: Period) -> Records:
    with engine.connect() as c:
        found = c.execute(
            text(
                "SELECT id, branch_id IS NULL, type_code, deleted_at IS NOT NULL FROM activity"
                " WHERE held_on BETWEEN :a AND :b"
            ),
            {"a": period.start, "b": period.end},
        ).all()
    return Records(
        {i for i, _, _, deleted in found if not deleted},
        Counter(code for _, _, code, deleted in found if deleted),
        {i for i, _, _, deleted in found if deleted},
        Counter(code for _, town, code, deleted in found if town and not deleted),
    )


def _promises(rows, period: Period, today: date) -> dict[str, dict[str, int | float | None]]:
    """made in the period; due in it by today (withdrawn left out, settled early counted:
    fulfilled or explained); of those fulfilled; open past their date now, due in the period
    or before it. Per owner kind and together."""
    out = {}
    for kind in ("branch", "personal", "all"):
        made = due = fulfilled = overdue = 0
        for _, owner, made_on, due_on, status in rows:
            if (kind == "branch" and owner) or (kind == "personal" and not owner):
                continue
            made_on, due_on = day(made_on), day(due_on)
            made += period.start <= made_on <= period.end
            is_due = (
                period.start <= due_on <= period.end
                and status != "withdrawn"
                and (due_on <= today or status in ("fulfilled", "explained"))
            )
            due += is_due
            fulfilled += is_due and status == "fulfilled"
            overdue += status == "in_progress" and due_on < today and due_on <= period.end
        out[kind] = {
            "made": made,
            "due": due,
            "fulfilled": fulfilled,
            "overdue": overdue,
            "rate": rate(fulfilled, due),
        }
    return out


# ---------------------------------------------------------------- every view of each period


@dataclass
class Views:
    period: Period
    truth: dict[str, BranchTruth]
    records: Records
    json: dict
    overview: str  # /status <period> from a leader in the county's chat
    details: dict[str, str]  # /status <period> from a leader in each branch's chat
    xlsx: Path
    docx: Path
    csv: Path

    @property
    def branches(self) -> list[dict]:
        return self.json["branches"]


def cli(county: County, *args: str) -> str:
    """``zhibu <args>`` through the command's entry point (bot.cli.main) in this process, as
    run_zhibu would run it (no ZHIBU_* of the shell, no config.toml) but without a second of
    imports per run; test_the_command_in_its_own_process_prints_the_same_json checks that."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, redirect_stdout(out), redirect_stderr(err):
        for name in [k for k in os.environ if k.startswith("ZHIBU_")]:
            mp.delenv(name)
        mp.setenv("ZHIBU_DATABASE__URL", county.url)
        mp.chdir(county.workdir)
        code = cli_main([*args, "--now", NOW])
    assert code == 0, err.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def views(county: County) -> dict[str, Views]:
    router = Router(county.engine, DEFAULT_REGISTRY, TZ, CLOCK, exports_dir=county.workdir / "x")
    leader = Chat(router, "leader", "county")
    out = {}
    for key in PERIODS:
        period = parse_period_key(key)
        assert period is not None
        files = [county.workdir / f"{key}.{fmt}" for fmt in ("xlsx", "docx", "csv")]
        for path in files:
            cli(county, "export", "--period", key, "--format", path.suffix[1:], "--out", str(path))
        out[key] = Views(
            period,
            database_truth(county.engine, period, TODAY),
            records_of(county.engine, period),
            json.loads(cli(county, "status", "--period", key, "--json")),
            leader(f"/status {key}"),
            {
                name: Chat(router, "leader", chat)(f"/status {key}")
                for name, chat in county.chats.items()
            },
            *files,
        )
    return out


def label(unit_key: str) -> str:
    period = parse_period_key(unit_key)
    assert period is not None
    return period.label()


def gaps_of(rule: dict, status: str) -> list[tuple[str | None, str, str | None]]:
    """(party group, unit, reason excused) of the rule's gaps of ``status``."""
    return sorted(
        (g["group"], g["unit"], g["reason"]) for g in rule["gaps"] if g["status"] == status
    )


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("key", PERIODS)
def test_the_county_has_branches_behind_and_branches_on_track(views, key):
    """Guards the other tests from passing on nothing: every period has a branch with a
    missed item and one with none; closed periods a branch with every rule met, the open
    one items still pending; a unit excused, personal commitments due, the town's own
    records, and undone records of types the rules or study counts count (were they
    counted, some number would change)."""
    v = views[key]
    truth = v.truth.values()
    assert len(v.truth) == BRANCHES and sum(sum(t.records.values()) for t in truth) > BRANCHES
    assert any(t.with_status("missed") for t in truth)
    assert any(not t.with_status("missed") for t in truth)
    if key == OPEN_QUARTER:
        assert any(t.with_status("pending") for t in truth)
    else:
        assert any(all(r.status == "met" for r in t.rules.values()) for t in truth)
    assert any(t.commitments["personal"]["due"] for t in truth)
    assert any(t.commitments["branch"]["due"] > t.commitments["branch"]["fulfilled"] for t in truth)
    assert any(g[2] == "excused" for t in truth for r in t.rules.values() for g in r.gaps)
    assert sum(v.records.deleted[code] for code in [*RULES, *STUDY]) > 0
    assert v.records.town


@pytest.mark.parametrize("key", PERIODS)
def test_status_json_agrees_with_the_database(views, key):
    """``zhibu status --json``: per branch and rule required, held, status, window and the
    units short; the compliance rate; commitments made/due/fulfilled/overdue/rate, per kind;
    study sessions and hours; and the county's totals, as plain SQL counts them."""
    v = views[key]
    assert (v.json["period"], v.json["as_of"]) == (key, TODAY.isoformat())
    assert [b["name"] for b in v.branches] == list(v.truth)
    for b in v.branches:
        truth = v.truth[b["name"]]
        got = {
            r["code"]: (
                r["window"],
                r["required"],
                r["held"],
                r["status"],
                sorted((g["unit"], g["group"], g["status"], g["reason"]) for g in r["gaps"]),
            )
            for r in b["rules"]
        }
        want = {
            code: (r.window, r.required, r.held, r.status, sorted(r.gaps))
            for code, r in truth.rules.items()
        }
        assert got == want, b["name"]
        assert b["compliance_rate"] == truth.rate, b["name"]
        commitments = {
            k: b["commitments"][k] for k in ("made", "due", "fulfilled", "overdue", "rate")
        }
        assert commitments == truth.commitments["all"], b["name"]
        assert b["commitments"]["branch"] == truth.commitments["branch"], b["name"]
        assert b["commitments"]["personal"] == truth.commitments["personal"], b["name"]
        by_type = {c: x["sessions"] for c, x in b["study"]["by_type"].items()}
        assert by_type == {c: truth.records[c] for c in STUDY if truth.records[c]}, b["name"]
        assert b["study"]["sessions"] == sum(by_type.values())
        assert b["study"]["hours"] == truth.study_hours, b["name"]
    met = sum(t.met for t in v.truth.values())
    assert v.json["compliance_rate"] == rate(met, sum(t.due for t in v.truth.values()))
    totals = {}
    for kind in ("all", "branch", "personal"):
        total = {
            k: sum(t.commitments[kind][k] for t in v.truth.values())  # type: ignore[misc]
            for k in ("made", "due", "fulfilled", "overdue")
        }
        totals[kind] = {**total, "rate": rate(total["fulfilled"], total["due"])}
    everything = totals.pop("all")
    assert v.json["commitments"] == {**everything, **totals}
    assert v.json["town"] == dict(v.records.town)  # the town's own work and study


COMMITMENTS = re.compile(
    r"承诺事项：支部承诺到期(\d+)件、已兑现(\d+)件，履诺率 (\S+)；"
    r"个人承诺到期(\d+)件、已兑现(\d+)件，履诺率 (\S+)；本期新立(\d+)件；目前逾期未兑现(\d+)件"
)


def commitments_said(line: str) -> tuple:
    m = COMMITMENTS.fullmatch(line)
    assert m, line
    return m.groups()


def commitments_meant(stats: dict) -> tuple:
    """What the commitment line should say, from a branch's (or the summed county's)
    ``{"branch": …, "personal": …}`` commitments."""
    own, personal = stats["branch"], stats["personal"]
    return (
        str(own["due"]),
        str(own["fulfilled"]),
        pct(own["rate"]),
        str(personal["due"]),
        str(personal["fulfilled"]),
        pct(personal["rate"]),
        str(own["made"] + personal["made"]),
        str(own["overdue"] + personal["overdue"]),
    )


def summed(stats: list[dict]) -> dict:
    out = {k: sum(s[k] for s in stats) for k in ("made", "due", "fulfilled", "overdue")}
    return {**out, "rate": rate(out["fulfilled"], out["due"])}


@pytest.mark.parametrize("key", PERIODS)
def test_the_leaders_overview_names_each_branch_behind_with_its_rate_and_items(views, key):
    """/status <period> for a county leader: the overall rate and how many branches missed,
    are still open or are done; then every branch behind, worst first, with its rate and
    the rules it missed or still owes; the branches fully done (excused units do not hold a
    branch back); commitments in total; the town's own work (not its study sessions)."""
    v = views[key]
    lines = v.overview.splitlines()
    assert lines[0] == f"📊 基准县委 · {v.period.label()}（截至2026年6月29日）"
    names = {r["code"]: r["name"] for r in v.branches[0]["rules"]}
    missed = [b for b in v.branches if any(r["status"] == "missed" for r in b["rules"])]
    open_ = [
        b
        for b in v.branches
        if b not in missed and any(r["status"] == "pending" for r in b["rules"])
    ]
    done = [b["name"] for b in v.branches if b not in missed and b not in open_]
    m = re.fullmatch(
        r"总体完成率 (\S+)：(\d+)个支部有未完成事项，(\d+)个支部有待完成事项，(\d+)个支部全部完成",
        lines[1],
    )
    assert m and m.groups() == (
        pct(v.json["compliance_rate"]),
        str(len(missed)),
        str(len(open_)),
        str(len(done)),
    )
    county = {
        kind: summed([b["commitments"][kind] for b in v.branches])
        for kind in ("branch", "personal")
    }
    assert commitments_said(lines[2]) == commitments_meant(county)

    def line_of(b: dict) -> tuple:
        owed = [
            (WORDS[st], [names[r["code"]] for r in b["rules"] if r["status"] == st])
            for st in ("missed", "pending")
        ]
        mark = "❌" if b in missed else "⏳"
        return mark, b["name"], pct(b["compliance_rate"]), [(w, n) for w, n in owed if n]

    def worst_first(b: dict) -> tuple:  # ties: most rules outstanding, then the org's order
        owed = sum(r["status"] in ("missed", "pending") for r in b["rules"])
        return (b["compliance_rate"] if b["compliance_rate"] is not None else 101, -owed)

    said = []
    for line in lines[3:]:
        if m := re.fullmatch(r"([❌⏳]) (\S+) (\S+)：(.*)", line):
            items = [part.split(" ", 1) for part in m[4].split("；")]
            said.append((m[1], m[2], m[3], [(w, n.split("、")) for w, n in items]))
    assert said == [
        line_of(b) for b in sorted(missed, key=worst_first) + sorted(open_, key=worst_first)
    ]
    all_done = [line for line in lines if line.startswith("✅ 全部完成：")]
    assert all_done == ([f"✅ 全部完成：{'、'.join(done)}"] if done else [])
    silent = [b["name"] for b in v.branches if b["silent"]]
    assert any("30天以上没有活动记录" in line for line in lines) == bool(silent)
    assert [x for x in lines if x.startswith(f"{TOWN_LABEL}：")] == [town_said(v.records.town)]


def town_said(counts: Counter[str]) -> str:
    """镇党委：党建工作专题会议3次、党建调研2次: the town's own work, its study left out."""
    return f"{TOWN_LABEL}：" + "、".join(f"{name_of(c)}{counts[c]}次" for c in TOWN if counts[c])


def short(unit_key: str) -> str:
    """How a branch detail names a unit inside the period's year: 10月, 第四季度, 2025年."""
    text = label(unit_key)
    return text if text.endswith("年") else text.split("年", 1)[1]


@pytest.mark.parametrize("key", PERIODS)
def test_each_branch_detail_states_its_numbers_and_names_its_gaps(views, key):
    """/status for one branch (a leader in the branch's chat): its rate; per rule a mark,
    held/required (per party group; people reached for 谈心谈话) and the months, quarters
    or groups missed, still open and excused (with the reason); its commitments and its
    study sessions and hours."""
    v = views[key]
    for b in v.branches:
        truth = v.truth[b["name"]]
        lines = v.details[b["name"]].splitlines()
        assert lines[0] == f"📋 {b['name']} · {v.period.label()}（截至2026年6月29日）"
        assert lines[1] == f"完成率 {pct(b['compliance_rate'])}"
        for r in b["rules"]:
            start = f"{MARKS[r['status']]} {r['name']}"
            (line,) = [x for x in lines if x.startswith((start + " ", start + "（"))]
            if r["code"] == "heart_talk":
                assert f"已谈 {r['held']} 人 / 共 {r['required']} 人" in line
            elif r["code"] == "group_meeting":
                for g in r["groups"]:
                    assert f"{g['group']} {g['held']}/{g['required']}{MARKS[g['status']]}" in line
            else:
                assert f" {r['held']}/{r['required']}（{label(r['window'])}）" in line, line
            for status in ("missed", "pending", "excused"):
                gaps = gaps_of(r, status)
                said = re.search(rf"{WORDS[status]}(?:：([^；]*))?", line)
                assert (said is not None) == bool(gaps), line
                if said:  # where: 10月, 第1党小组·11月, 8月（防汛）; for the whole window
                    # (the line's heading) only a reason: 免开：秋收农忙
                    where = sorted(
                        (reason or "")
                        if unit == r["window"]
                        else (f"{group}·" if group else "")
                        + short(unit)
                        + (f"（{reason}）" if reason else "")
                        for group, unit, reason in gaps
                    )
                    assert sorted(said[1].split("、") if said[1] else []) == [
                        w for w in where if w
                    ], line
        (commitments,) = [x for x in lines if x.startswith("承诺事项：")]
        assert commitments_said(commitments) == commitments_meant(b["commitments"])
        (study,) = [x for x in lines if x.startswith("学习：")]
        m = re.fullmatch(r"学习：(.*)，共(\S+)小时", study)
        assert m, study
        assert items_of(m[1], "", "场次") == {
            name_of(c): truth.records[c] for c in STUDY if truth.records[c]
        }
        assert float(m[2]) == truth.study_hours


def summary_sheet(path: Path) -> tuple[list, list]:
    """The 汇总 sheet's column names (row 2) and its branch rows, as cells."""
    ws = openpyxl.load_workbook(path)["汇总"]
    return [c.value for c in ws[2]], list(ws.iter_rows(min_row=3))


@pytest.mark.parametrize("key", PERIODS)
def test_the_xlsx_summary_agrees_with_json(views, key):
    """The workbook's 汇总 sheet, read back with openpyxl: one row per branch with each
    rule's held and required, coloured by status; 完成率; 支部/个人 commitments due, fulfilled
    and 履诺率; study sessions and hours; and the rules missed or still open, by name."""
    v = views[key]
    header, rows = summary_sheet(v.xlsx)
    assert [row[0].value for row in rows] == [b["name"] for b in v.branches]
    own, personal = header.index("支部承诺到期"), header.index("个人承诺到期")
    fills: dict[str, set[str]] = {}
    for b, row in zip(v.branches, rows, strict=True):
        values = [c.value for c in row]
        for r in b["rules"]:
            done, due = (
                ("已覆盖人数", "应覆盖人数") if r["code"] == "heart_talk" else ("已开", "应开")
            )
            over = "" if r["window"] == key else f"（{parse_period_key(r['window']).label()}）"
            held_at = header.index(f"{r['name']} {done}{over}")
            assert values[held_at] == r["held"], (b["name"], r["code"])
            assert values[header.index(f"{r['name']} {due}{over}")] == r["required"], (
                b["name"],
                r["code"],
            )
            fills.setdefault(r["status"], set()).add(row[held_at].fill.fgColor.rgb)
        ratio = values[header.index("完成率")]
        assert ratio == (
            None
            if b["compliance_rate"] is None
            else pytest.approx(b["compliance_rate"] / 100, abs=5e-5)
        )
        for at, kind in ((own, "branch"), (personal, "personal")):
            stats = b["commitments"][kind]
            assert values[at : at + 2] == [stats["due"], stats["fulfilled"]], (b["name"], kind)
            got = values[at + 2]
            assert got == (
                None if stats["rate"] is None else pytest.approx(stats["rate"] / 100, abs=5e-5)
            )
        assert values[header.index("学习场次")] == b["study"]["sessions"]
        assert values[header.index("学习时长（小时）")] == b["study"]["hours"]
        owed = [
            f"{r['name']}（{WORDS[r['status']]}）"
            for r in b["rules"]
            if r["status"] in ("missed", "pending")
        ]
        assert (values[header.index("未完成事项")] or "") == "、".join(owed), b["name"]
    # one colour per status, and a missed rule never looks like a met or open one
    assert all(len(colours) == 1 for colours in fills.values()), fills
    assert len({c for colours in fills.values() for c in colours}) == len(fills) >= 2


@pytest.mark.parametrize("key", PERIODS)
def test_the_xlsx_lists_every_record_and_commitment_behind_the_numbers(views, key):
    """Each activity type's sheet lists exactly the period's live records of each branch and
    of the town itself (as SQL counts them), by their ids: no undone record; where a rule's
    window is the period its ``held`` equals that listing; the 承诺事项 sheet lists each
    branch's 支部承诺 and 个人承诺 promised or falling due in the period."""
    v = views[key]
    wb = openpyxl.load_workbook(v.xlsx)
    assert wb.sheetnames[0] == "汇总" and wb.sheetnames[-1] == "承诺事项"
    code_of = {name_of(code): code for code in [*RULES, *STUDY, *TOWN]}
    listed: Counter[tuple[str, str]] = Counter()
    ids = set()
    for sheet in wb.sheetnames[1:-1]:
        for row in wb[sheet].iter_rows(min_row=3, values_only=True):
            assert v.period.contains(row[3].date()), (sheet, row)
            listed[row[1], code_of[sheet]] += 1
            ids.add(row[0])
    assert ids == v.records.live and v.records.deleted_ids and not ids & v.records.deleted_ids
    expected = Counter(
        {(name, code): n for name, t in v.truth.items() for code, n in t.records.items()}
    )
    assert listed == expected + Counter({(TOWN_LABEL, c): n for c, n in v.records.town.items()})
    compared = 0
    for b in v.branches:
        for r in b["rules"]:
            if r["window"] == key and r["code"] != "heart_talk":  # coverage counts people
                assert r["held"] == listed[b["name"], r["code"]], (b["name"], r["code"])
                compared += 1
    assert compared >= len(v.branches) * 4
    promised = Counter(row[1:3] for row in wb["承诺事项"].iter_rows(min_row=3, values_only=True))
    assert promised == Counter(
        {(n, kind): k for n, t in v.truth.items() for kind, k in t.promises_listed.items()}
    )


@pytest.mark.parametrize("key", PERIODS)
def test_the_csv_agrees_with_json(views, key):
    """``zhibu export --format csv``: one row per branch and rule, nothing more, with the
    same window, required, held, status and the branch's rate."""
    v = views[key]
    with v.csv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    got = [
        (
            r["branch"],
            r["rule"],
            r["rule_name"],
            r["window"],
            int(r["required"]),
            int(r["held"]),
            r["status"],
            r["rate"],
        )
        for r in rows
    ]
    want = [
        (
            b["name"],
            r["code"],
            r["name"],
            r["window"],
            r["required"],
            r["held"],
            r["status"],
            "" if b["compliance_rate"] is None else f"{b['compliance_rate']:.1f}",
        )
        for b in v.branches
        for r in b["rules"]
    ]
    assert got == want


def items_of(sentence: str, prefix: str, unit: str) -> dict[str, int]:
    """('年内各支部共召开支部党员大会24次、支委会270次。', '年内各支部共召开', '次')
    -> {'支部党员大会': 24, '支委会': 270}"""
    assert sentence.startswith(prefix), sentence
    body = sentence.removeprefix(prefix).removesuffix("。")
    found = [re.fullmatch(rf"(\D+)(\d+){unit}", item) for item in body.split("、")]
    assert all(found), sentence
    return {m[1]: int(m[2]) for m in found if m}


@pytest.mark.parametrize("key", PERIODS)
def test_the_word_report_agrees_with_json(views, key):
    """``zhibu export --format docx`` read back with python-docx: the 述职-style sentences
    (meetings held per type and study sessions in the branches, commitments and 履诺率, the
    town's own work, the overall rate), the per-branch table (rate, 履诺率, rules missed)
    and the list of every missed unit (excused ones are not missed)."""
    v = views[key]
    document = docx.Document(str(v.docx))
    paragraphs = [p.text for p in document.paragraphs]
    year = v.period.kind == "year"
    when = "年内" if year else v.period.label()
    sessions: Counter[str] = Counter()
    for t in v.truth.values():
        sessions.update(t.records)
    (meetings,) = [p for p in paragraphs if p.startswith(f"{when}各支部共召开")]
    assert items_of(meetings, f"{when}各支部共召开", "次") == {
        name_of(c): sessions[c] for c in RULES if sessions[c]
    }
    (study,) = [p for p in paragraphs if p.startswith("共开展")]
    assert items_of(study, "共开展", "场次") == {
        name_of(c): sessions[c] for c in STUDY if sessions[c]
    }
    own = summed([b["commitments"]["branch"] for b in v.branches])
    personal = summed([b["commitments"]["personal"] for b in v.branches])
    told = "分别承诺事项" if year else "本期到期的承诺事项分别为"
    (promises,) = [p for p in paragraphs if told in p]
    due = r"（年内到期(\d+)件、(\d+)件）" if year else ""
    m = re.fullmatch(
        rf"(\d+)个村党组织和党组织书记{told}(\d+)件、(\d+)件{due}，履诺率分别达到(.+)、(.+)。",
        promises,
    )
    counted = "made" if year else "due"
    in_year = (str(own["due"]), str(personal["due"])) if year else ()
    assert m and m.groups() == (
        str(len(v.branches)),
        str(own[counted]),
        str(personal[counted]),
        *in_year,
        "—（暂无到期事项）" if own["rate"] is None else pct(own["rate"]),
        "—（暂无到期事项）" if personal["rate"] is None else pct(personal["rate"]),
    ), promises
    assert f"{town_said(v.records.town)}。" in paragraphs
    assert f"{when}三会一课完成率 {pct(v.json['compliance_rate'])}。" in paragraphs
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["支部", "完成率", "履诺率", "未完成"]
    assert [[c.text for c in row.cells] for row in table.rows[1:]] == [
        [
            b["name"],
            pct(b["compliance_rate"]),
            pct(b["commitments"]["rate"]),
            "、".join(r["name"] for r in b["rules"] if r["status"] == "missed") or "—",
        ]
        for b in v.branches
    ]
    missed_list = paragraphs[paragraphs.index("三、未完成事项") + 1 :]
    said = []
    for line in missed_list:
        m = re.fullmatch(r"(.+?)：([^（，]+)(?:（(.+?)）)?，(.+)未完成", line)
        assert m, line
        said.append(m.groups())
    meant = [
        (b["name"], r["name"], group, label(unit))
        for b in v.branches
        for r in b["rules"]
        for group, unit, _ in gaps_of(r, "missed")
    ]
    assert meant and sorted(said, key=str) == sorted(meant, key=str)


def test_the_command_in_its_own_process_prints_the_same_json(county, views):
    """The other tests run ``zhibu`` in-process (bot.cli.main); the real command in its own
    process, on the same database, prints the very same JSON."""
    done = run_zhibu(
        county.workdir,
        *("status", "--period", CLOSED_YEAR, "--json", "--now", NOW),
        env={"ZHIBU_DATABASE__URL": county.url},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == views[CLOSED_YEAR].json


def test_a_leader_can_name_a_branch_whose_name_has_digits(county, views):
    """/status <branch> <period> from the county chat shows what the branch's own chat shows."""
    router = Router(county.engine, DEFAULT_REGISTRY, TZ, CLOCK, exports_dir=county.workdir / "x")
    name = next(iter(county.chats))
    named = Chat(router, "leader", "county")(f"/status {name} {CLOSED_QUARTER}")
    assert named == views[CLOSED_QUARTER].details[name]
