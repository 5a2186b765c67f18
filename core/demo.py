"""A demo town for trying Zhibu: 示范镇党委 with eight village branches and a few months of
realistic records, some branches diligent and some behind, so /status has something to say."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, SQLModel, col, delete, select

from core import admin
from core.periods import Clock, Period, fixed_clock
from storage.models import Activity, Commitment, Member, Org

ORG_NAME = "示范镇党委"
VILLAGES = "一二三四五六七八"
DILIGENCE = (0.95, 0.9, 0.75, 1.0, 0.6, 0.85, 0.5, 0.9)  # branch 1 is good, 5 and 7 lag
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = (
    "建国",
    "秀英",
    "志强",
    "桂兰",
    "海峰",
    "丽华",
    "德明",
    "春燕",
    "国华",
    "玉梅",
    "文军",
    "红霞",
    "永刚",
    "淑珍",
    "卫东",
    "晓燕",
    "立新",
    "凤英",
    "长青",
    "金花",
)
TOPICS = {
    "committee_meeting": (
        "研究村集体经济发展项目",
        "讨论发展党员工作",
        "研究人居环境整治方案",
        "部署防汛备汛工作",
        "研究困难群众帮扶名单",
    ),
    "general_meeting": ("学习贯彻党的二十届四中全会精神", "审议村级重大事项", "讨论接收预备党员"),
    "group_meeting": ("学习党章", "交流入户走访情况", "讨论网格化服务"),
    "party_lecture": (
        "学习习近平新时代中国特色社会主义思想",
        "弘扬伟大建党精神",
        "全面从严治党专题党课",
    ),
    "theme_day": ("志愿服务进网格", "重温入党誓词", "走访慰问老党员", "清洁家园行动"),
    "study_session": ("学习党纪学习教育读本", "学习乡村振兴政策", "学习《中国共产党支部工作条例》"),
    "seminar": ("围绕产业发展交流研讨", "基层治理经验交流"),
    "tutorial_report": ("乡村振兴专题辅导",),
}
PLACES = ("村委会会议室", "党群服务中心", "村文化广场", "党员活动室")
COMMITMENTS = (
    ("完成村道硬化2公里", 6, 30),
    ("新建村级光伏电站一座", 9, 30),
    ("为群众办实事10件", 12, 20),
    ("发展壮大村集体经济收入至20万元", 12, 31),
    ("完成农村人居环境整治提升", 10, 31),
)
PERSONAL = (("每月走访困难群众不少于5户", 12, 31), ("联系服务党员群众20户", 11, 30))


def seed(session: Session, clock: Clock, today: date, reset: bool = False) -> bool:
    """Create the demo town; False (and nothing written) when it already exists."""
    existing = session.exec(select(Org).where(Org.name == ORG_NAME)).first()
    if existing and not reset:
        return False
    if reset:
        _wipe(session)
    rng = random.Random(20260301)
    org = admin.create_org(session, clock, ORG_NAME)
    leader = admin.add_member(session, clock, org, "赵书记", org_role="leader")
    admin.bind_identity(session, leader, "console", "leader")
    admin.bind_chat(session, org, "console", "town", None)
    start = Period.containing("quarter", today).shift(-1).start
    for i, village in enumerate(VILLAGES, start=1):
        _seed_branch(session, clock, org, i, village, rng, start, today)
    _seed_town(session, clock, org, leader, rng, start, today)
    return True


def _wipe(session: Session) -> None:
    orgs = session.exec(select(Org)).all()
    if any(o.name != ORG_NAME for o in orgs):
        raise admin.AdminError("admin_demo_reset_refused")
    for table in reversed(SQLModel.metadata.sorted_tables):
        session.exec(delete(table))  # type: ignore[call-overload]
    session.flush()


def filed_at(held_on: date, clock: Clock) -> datetime:
    """When a demo record was entered: the day after the meeting (not the moment the demo
    was written, or /undo in a fresh demo would delete months-old history as "just logged")."""
    return min(clock(), datetime.combine(held_on + timedelta(days=1), time(2), UTC))


def _people(rng: random.Random, n: int) -> list[str]:
    return rng.sample([s + g for s in SURNAMES for g in GIVEN], n)


def _seed_branch(session, clock, org, i, village, rng, start: date, today: date) -> None:
    # set up when its history begins: nothing is owed for the time before
    founded = fixed_clock(datetime.combine(start, time(1), UTC))
    branch = admin.add_branch(session, founded, org, f"{village}村党支部", f"{village}村")
    groups = [admin.add_group(session, branch, f"第{n}党小组") for n in "一二"]
    names = _people(rng, 14 + 2 * i)
    secretary = admin.add_member(session, clock, org, names[0], branch.name, "secretary")
    admin.bind_identity(session, secretary, "console", f"sec{i}")
    admin.bind_chat(session, org, "console", f"branch{i}", branch)
    for k, name in enumerate(names[1:], start=1):
        role = "deputy" if k == 1 else "committee" if k <= 3 else "member"
        member = admin.add_member(
            session, clock, org, name, branch.name, role, group_name=groups[k % 2].name
        )
        if k == 4:
            admin.bind_identity(session, member, "console", f"m{i}")
    writer = _Writer(session, clock, org.id, branch.id, secretary, rng, today, len(names))
    p = DILIGENCE[i - 1]
    month = Period.containing("month", start)
    while month.start <= today:
        writer.month(month, p, groups)
        month = month.shift(1)
    for quarter in (Period.containing("quarter", start), Period.containing("quarter", today)):
        for code in ("general_meeting", "party_lecture"):
            if rng.random() < p:
                writer.add(code, quarter, present_share=0.85)
    writer.add("heart_talk", Period.containing("year", today), count=len(names) * 2 // 3)
    _seed_commitments(session, clock, org, branch, secretary, rng, today, p)


class _Writer:
    """Adds plausible records for one branch."""

    def __init__(self, session, clock, org_id, branch_id, secretary: Member, rng, today, size):
        self.session, self.clock, self.rng, self.today = session, clock, rng, today
        self.org_id, self.branch_id, self.secretary, self.size = org_id, branch_id, secretary, size

    def month(self, month: Period, p: float, groups) -> None:
        self.add("committee_meeting", month, present_share=1.0, expected=5, p=p)
        self.add("theme_day", month, present_share=0.8, p=p, fixed_day=10)
        for g in groups:
            self.add(
                "group_meeting", month, present_share=0.9, group=g, p=p, expected=self.size // 2
            )
        if self.rng.random() < p:
            self.add(
                self.rng.choice(("study_session", "study_session", "seminar", "tutorial_report")),
                month,
                present_share=0.8,
                hours=self.rng.choice((1.5, 2.0, 2.5)),
            )

    def add(
        self,
        code,
        unit: Period,
        present_share=0.85,
        expected=None,
        p=1.0,
        group=None,
        fixed_day=None,
        hours=None,
        count=None,
    ) -> None:
        last = min(unit.end, self.today - timedelta(days=1))
        if self.rng.random() >= p or last < unit.start:
            return
        day = unit.start + timedelta(days=self.rng.randrange((last - unit.start).days + 1))
        if fixed_day and unit.start.replace(day=fixed_day) <= last:
            day = unit.start.replace(day=fixed_day)
        expected = expected or self.size
        present = count if count is not None else max(1, round(expected * present_share))
        topics = TOPICS.get(code, ("",))
        self.session.add(
            Activity(
                org_id=self.org_id,
                branch_id=self.branch_id,
                party_group_id=group.id if group else None,
                type_code=code,
                held_on=day,
                place=self.rng.choice(PLACES),
                host=self.secretary.name,
                recorder=self.secretary.name,
                topic=self.rng.choice(topics) or None,
                expected=None if count is not None else expected,
                present=present,
                absent=None if count is not None else expected - present,
                hours=hours,
                created_by=self.secretary.id,
                created_at=filed_at(day, self.clock),
            )
        )


def _seed_commitments(session, clock, org, branch, secretary, rng, today, p) -> None:
    made_on = date(today.year, 1, 15)
    for content, month, day in rng.sample(COMMITMENTS, 3):
        _commit(
            session,
            clock,
            org,
            branch,
            None,
            secretary,
            content,
            made_on,
            date(today.year, month, day),
            rng,
            today,
            p,
        )
    content, month, day = rng.choice(PERSONAL)
    _commit(
        session,
        clock,
        org,
        branch,
        secretary.id,
        secretary,
        content,
        made_on,
        date(today.year, month, day),
        rng,
        today,
        p,
    )


def _commit(
    session, clock, org, branch, owner_id, secretary, content, made_on, due, rng, today, p
) -> None:
    done = due <= today + timedelta(days=30) and rng.random() < p + 0.05
    session.add(
        Commitment(
            org_id=org.id,
            branch_id=branch.id,
            owner_member_id=owner_id,
            content=content,
            made_on=made_on,
            due_on=due,
            status="fulfilled" if done else "in_progress",
            fulfilled_on=min(due, today) if done else None,
            evidence="已验收" if done else None,
            created_by=secretary.id,
            created_at=filed_at(made_on, clock),  # entered when made, as the records are
        )
    )


def _seed_town(session, clock, org, leader, rng, start: date, today: date) -> None:
    day = start
    codes = ("town_meeting", "town_training", "town_research", "town_lecture", "town_interview")
    while day < today:
        if rng.random() < 0.12:
            session.add(
                Activity(
                    org_id=org.id,
                    type_code=rng.choice(codes),
                    held_on=day,
                    present=rng.randint(8, 40),
                    place="镇党委会议室",
                    host=leader.name,
                    created_by=leader.id,
                    created_at=filed_at(day, clock),
                )
            )
        day += timedelta(days=1)


def has_any_org(session: Session) -> bool:
    return session.exec(select(col(Org.id))).first() is not None
