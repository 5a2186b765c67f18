"""The compliance engine: required vs held, met / pending / missed / excused, rates."""

from __future__ import annotations

from datetime import date

import pytest

from core.compliance import percent
from core.periods import Period, fixed_clock, local_today
from core.rules import DEFAULT_REGISTRY, Registry
from storage.db import session_scope
from tests.conftest import TZ, local
from tests.helpers import CLOCK, add_activity, add_commitment, evaluate_branches, rule

MARCH = Period.month(2026, 3)
Q1 = Period.quarter(2026, 1)
TODAY = date(2026, 3, 20)


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        (22, 23, 95.7),
        (1, 8, 12.5),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (35, 36, 97.2),
        (5, 5, 100.0),
        (0, 4, 0.0),
        (3, 0, None),
    ],
)
def test_percent_has_one_decimal_rounded_half_up(num, den, expected):
    assert percent(num, den) == expected


def test_monthly_rule_is_pending_in_its_month_and_missed_after(engine, town):
    open_month = evaluate_branches(engine, [town.branch2], MARCH, TODAY)
    assert rule(open_month, "committee_meeting").status == "pending"
    closed = evaluate_branches(engine, [town.branch2], MARCH, date(2026, 4, 1))
    r = rule(closed, "committee_meeting")
    assert (r.status, r.required, r.held) == ("missed", 1, 0)


def test_held_meeting_meets_the_monthly_rule(engine, town):
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 3, 5))
    r = rule(evaluate_branches(engine, [town.branch2], MARCH, TODAY), "committee_meeting")
    assert (r.status, r.required, r.held, r.gaps) == ("met", 1, 1, ())


def test_quarter_view_checks_each_month_separately(engine, town):
    # two meetings in January do not make up for none in February
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 1, 5))
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 1, 25))
    r = rule(evaluate_branches(engine, [town.branch2], Q1, TODAY), "committee_meeting")
    assert (r.required, r.held, r.status) == (3, 2, "missed")
    assert [(g.unit.key, g.status) for g in r.gaps] == [
        ("2026-02", "missed"),
        ("2026-03", "pending"),
    ]
    assert (r.units_met, r.units_due) == (1, 2)  # March is still open: it is not due yet


def test_quarter_rule_seen_from_a_month_is_checked_over_its_quarter(engine, town):
    add_activity(engine, town.branch2, "general_meeting", date(2026, 1, 15))
    r = rule(evaluate_branches(engine, [town.branch2], MARCH, TODAY), "general_meeting")
    assert r.window == Q1
    assert (r.status, r.held) == ("met", 1)


def test_records_on_period_edges_count_in_their_own_month(engine, town):
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 2, 28))
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 4, 1))
    r = rule(
        evaluate_branches(engine, [town.branch2], MARCH, date(2026, 4, 2)), "committee_meeting"
    )
    assert (r.held, r.status) == (0, "missed")


def test_group_rule_needs_every_party_group(engine, town):
    add_activity(engine, town.branch1, "group_meeting", date(2026, 3, 3), group="第一党小组")
    r = rule(evaluate_branches(engine, [town.branch1], MARCH, TODAY), "group_meeting")
    assert (r.required, r.held, r.status) == (2, 1, "pending")
    assert [(g.group, g.status) for g in r.gaps] == [("第二党小组", "pending")]
    add_activity(engine, town.branch1, "group_meeting", date(2026, 3, 4), group="第二党小组")
    r = rule(evaluate_branches(engine, [town.branch1], MARCH, TODAY), "group_meeting")
    assert r.status == "met"


def test_group_rule_does_not_apply_to_a_branch_without_groups(engine, town):
    result = evaluate_branches(engine, [town.branch2], MARCH, TODAY)
    assert "group_meeting" not in {r.type.code for r in result.branches[0].rules}


def test_heart_talk_coverage_counts_members_reached(engine, town):
    # 一村 has three members; talks reaching 2 then 5 people (capped at the member count)
    add_activity(engine, town.branch1, "heart_talk", date(2026, 2, 1), present=2)
    r = rule(evaluate_branches(engine, [town.branch1], MARCH, TODAY), "heart_talk")
    assert (r.required, r.held, r.status) == (3, 2, "pending")
    add_activity(engine, town.branch1, "heart_talk", date(2026, 3, 1), present=3)
    r = rule(evaluate_branches(engine, [town.branch1], MARCH, TODAY), "heart_talk")
    assert (r.required, r.held, r.status) == (3, 3, "met")


def test_deleted_records_do_not_count(engine, town):
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 3, 5), deleted=True)
    r = rule(evaluate_branches(engine, [town.branch2], MARCH, TODAY), "committee_meeting")
    assert (r.held, r.status) == (0, "pending")


def test_excused_unit_is_neither_met_nor_missed(engine, town, chat):
    Q4 = Period.quarter(2025, 4)
    for month in (10, 11, 12):
        add_activity(engine, town.branch2, "committee_meeting", date(2025, month, 5))
    before = evaluate_branches(engine, [town.branch2], Q4, TODAY)
    assert rule(before, "party_lecture").status == "missed"
    rate_before = before.branches[0].compliance_rate
    assert "登记为免开" in chat("leader", "town")("/excuse 二村 党课 2025Q4 防汛抢险")
    after = evaluate_branches(engine, [town.branch2], Q4, TODAY)
    r = rule(after, "party_lecture")
    assert (r.status, r.units_due) == ("excused", 0)
    assert after.branches[0].compliance_rate > rate_before


def test_compliance_rate_counts_units_met_over_units_due(engine, town):
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 3, 5))
    add_activity(engine, town.branch2, "theme_day", date(2026, 3, 10))
    b = evaluate_branches(engine, [town.branch2], MARCH, TODAY).branches[0]
    met = sum(r.units_met for r in b.rules)
    due = sum(r.units_due for r in b.rules)
    assert met == 2
    assert b.compliance_rate == percent(met, due)


def test_month_boundary_follows_the_org_time_zone(engine, town):
    # 17:00 UTC on 31 March is already 1 April in Shanghai: March has closed.
    today = local_today(fixed_clock(local(2026, 3, 31, 17).replace(tzinfo=None)), TZ)
    assert today == date(2026, 4, 1)
    r = rule(evaluate_branches(engine, [town.branch2], MARCH, today), "committee_meeting")
    assert r.status == "missed"


def test_configured_rule_changes_the_requirement(engine, town):
    from core.config import ActivityTypeSettings

    twice = Registry.from_settings({"committee_meeting": ActivityTypeSettings(min_count=2)})
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 3, 5))
    r = rule(evaluate_branches(engine, [town.branch2], MARCH, TODAY, twice), "committee_meeting")
    assert (r.required, r.held, r.status) == (2, 1, "pending")
    half_year = Registry.from_settings({"party_lecture": ActivityTypeSettings(every_months=6)})
    r = rule(evaluate_branches(engine, [town.branch2], MARCH, TODAY, half_year), "party_lecture")
    assert r.window == Period(2026, "half", 1)


def test_commitment_rate_excludes_withdrawn_and_separates_personal(engine, town):
    due = date(2026, 2, 28)
    for _ in range(22):
        add_commitment(engine, town.branch1, due, "fulfilled")
    add_commitment(engine, town.branch1, due, "in_progress")  # overdue by 20 March
    add_commitment(engine, town.branch1, due, "withdrawn")
    add_commitment(engine, town.branch1, due, "fulfilled", personal=True)
    add_commitment(engine, town.branch1, date(2026, 9, 30))  # due later: not in Q1
    b = evaluate_branches(engine, [town.branch1], Q1, TODAY).branches[0]
    org = b.commitments_org
    assert (org.made, org.due, org.fulfilled, org.overdue, org.rate) == (25, 23, 22, 1, 95.7)
    assert (b.commitments_personal.due, b.commitments_personal.rate) == (1, 100.0)
    assert b.commitments.due == 24


def test_study_counts_hours_and_person_hours(engine, town):
    add_activity(engine, town.branch1, "study_session", date(2026, 3, 2), present=10, hours=2)
    add_activity(engine, town.branch1, "study_session", date(2026, 3, 9), present=5, hours=1.5)
    add_activity(engine, town.branch1, "seminar", date(2026, 3, 11), present=4, hours=1)
    b = evaluate_branches(engine, [town.branch1], MARCH, TODAY).branches[0]
    assert b.counts["study_session"].sessions == 2
    assert b.counts["study_session"].hours == pytest.approx(3.5)
    assert b.counts["study_session"].person_hours == pytest.approx(27.5)
    assert b.counts["seminar"].sessions == 1
    assert {r.type.category for r in b.rules} == {"required"}  # study is counted, not required


def test_town_level_records_count_for_the_org_not_a_branch(engine, town):
    add_activity(engine, None, "town_research", date(2026, 3, 3), org_id=town.org_id)
    result = evaluate_branches(engine, [town.branch1, town.branch2], MARCH, TODAY)
    assert result.town_counts["town_research"].sessions == 1
    assert all("town_research" not in b.counts for b in result.branches)
    assert result.counts()["town_research"].sessions == 1


def test_org_status_through_the_service_matches_the_engine(engine, town):
    from core.rules import DEFAULT_REGISTRY
    from core.status import org_status

    add_activity(engine, town.branch1, "committee_meeting", date(2026, 3, 5))
    with session_scope(engine) as s:
        result = org_status(s, DEFAULT_REGISTRY, TODAY, None, MARCH)
    assert [b.name for b in result.branches] == ["一村党支部", "二村党支部"]
    assert rule(result, "committee_meeting", 0).status == "met"
    assert rule(result, "committee_meeting", 1).status == "pending"
    assert CLOCK() == local(2026, 3, 20, 10)


def test_months_not_yet_begun_are_not_required(engine, town):
    year = evaluate_branches(engine, [town.branch2], Period.of_year(2026), TODAY)
    r = rule(year, "committee_meeting")
    assert [s.unit.key for s in r.slots] == ["2026-01", "2026-02", "2026-03"]
    assert r.required == 3
    lecture = rule(year, "party_lecture")
    assert [s.unit.key for s in lecture.slots] == ["2026Q1"]


def test_open_units_do_not_lower_the_rate(engine, town):
    b = evaluate_branches(engine, [town.branch2], MARCH, TODAY).branches[0]
    assert {r.status for r in b.rules} == {"pending"}
    assert b.compliance_rate is None  # nothing has fallen due yet: no rate, not 0%
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 3, 5))
    b = evaluate_branches(engine, [town.branch2], MARCH, TODAY).branches[0]
    assert b.compliance_rate == 100.0


def test_excused_unit_leaves_the_requirement_with_its_reason(engine, town, chat):
    chat("leader", "town")("/excuse 二村 支委会 2026-02 春节")
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 1, 5))
    r = rule(evaluate_branches(engine, [town.branch2], Q1, TODAY), "committee_meeting")
    assert (r.required, r.held) == (2, 1)
    assert [(g.unit.key, g.status, g.reason) for g in r.gaps] == [
        ("2026-02", "excused", "春节"),
        ("2026-03", "pending", None),
    ]


def test_commitments_count_as_due_only_once_their_date_has_come(engine, town):
    add_commitment(engine, town.branch1, date(2026, 3, 31))  # later this quarter
    add_commitment(engine, town.branch1, date(2026, 3, 30), "fulfilled")  # done early
    c = evaluate_branches(engine, [town.branch1], Q1, TODAY).branches[0].commitments
    assert (c.due, c.fulfilled, c.overdue, c.rate) == (1, 1, 0, 100.0)
    c = evaluate_branches(engine, [town.branch1], Q1, date(2026, 4, 1)).branches[0].commitments
    assert (c.due, c.fulfilled, c.overdue, c.rate) == (2, 1, 1, 50.0)


def test_a_commitment_explained_before_its_date_counts_as_due_at_once(engine, town):
    add_commitment(engine, town.branch1, date(2026, 3, 30), "fulfilled")  # done early
    add_commitment(engine, town.branch1, date(2026, 3, 31), "explained")  # won't be kept
    c = evaluate_branches(engine, [town.branch1], Q1, TODAY).branches[0].commitments
    # the rate does not drop from 100% to 50% on the 31st: it is 50% from the day it is said
    assert (c.due, c.fulfilled, c.overdue, c.rate) == (2, 1, 0, 50.0)


def test_a_commitment_still_open_from_an_earlier_month_is_overdue_in_this_ones_view(engine, town):
    add_commitment(engine, town.branch1, date(2026, 2, 10))  # unkept since February
    march = evaluate_branches(engine, [town.branch1], MARCH, TODAY).branches[0].commitments
    assert (march.due, march.overdue) == (0, 1)  # not due in March, but overdue now
    january = Period.month(2026, 1)
    jan = evaluate_branches(engine, [town.branch1], january, TODAY).branches[0].commitments
    assert jan.overdue == 0  # January's view: nothing was due by then


def test_group_rule_reports_each_party_group(engine, town):
    for day in (3, 10, 17):
        add_activity(engine, town.branch1, "group_meeting", date(2026, 3, day), group="第一党小组")
    r = rule(evaluate_branches(engine, [town.branch1], MARCH, TODAY), "group_meeting")
    assert r.by_group() == [("第一党小组", 3, 1, "met"), ("第二党小组", 0, 1, "pending")]


def test_monthly_coverage_rule_counts_the_people_reached_in_each_month(engine, town):
    from core.config import ActivityTypeSettings

    monthly = Registry.from_settings({"heart_talk": ActivityTypeSettings(every_months=1)})
    add_activity(engine, town.branch1, "heart_talk", date(2026, 1, 10), present=3)
    add_activity(engine, town.branch1, "heart_talk", date(2026, 2, 10), present=1)
    add_activity(engine, town.branch1, "heart_talk", date(2026, 2, 20), present=1)
    r = rule(evaluate_branches(engine, [town.branch1], Q1, TODAY, monthly), "heart_talk")
    # 一村 has three members: all reached in January, two in February, none yet in March
    assert [(s.unit.key, s.held, s.need, s.status) for s in r.slots] == [
        ("2026-01", 3, 3, "met"),
        ("2026-02", 2, 3, "missed"),
        ("2026-03", 0, 3, "pending"),
    ]


def test_quarterly_group_rule_seen_from_a_month_counts_the_whole_quarter(engine, town):
    from core.config import ActivityTypeSettings

    quarterly = Registry.from_settings({"group_meeting": ActivityTypeSettings(every_months=3)})
    add_activity(engine, town.branch1, "group_meeting", date(2026, 1, 8), group="第一党小组")
    add_activity(engine, town.branch1, "group_meeting", date(2026, 4, 2), group="第二党小组")
    add_activity(
        engine, town.branch1, "group_meeting", date(2026, 2, 8), group="第二党小组", deleted=True
    )
    r = rule(evaluate_branches(engine, [town.branch1], MARCH, TODAY, quarterly), "group_meeting")
    assert r.window == Q1
    # April's record belongs to the next quarter and the deleted one does not count
    assert [(s.group, s.held, s.status) for s in r.slots] == [
        ("第一党小组", 1, "met"),
        ("第二党小组", 0, "pending"),
    ]


def test_a_branchs_last_activity_ignores_deleted_and_later_records(engine, town):
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 1, 5))
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 2, 5), deleted=True)
    add_activity(engine, town.branch2, "committee_meeting", date(2026, 3, 25))  # after "today"
    branch = evaluate_branches(engine, [town.branch2], MARCH, TODAY).branches[0]
    assert branch.last_activity == date(2026, 1, 5)
    assert branch.is_silent(TODAY)


def test_a_branch_owes_nothing_for_the_time_before_it_was_set_up(engine, town):
    from core import admin

    with session_scope(engine) as s:
        org = admin.get_org(s)
        new = admin.add_branch(s, fixed_clock(local(2026, 2, 10, 9)), org, "三村党支部")
        new_id = new.id
    result = evaluate_branches(engine, [new_id], Q1, date(2026, 4, 2))
    monthly = rule(result, "committee_meeting")
    assert [(s.unit.key, s.status) for s in monthly.slots] == [
        ("2026-02", "missed"),
        ("2026-03", "missed"),
    ]  # January closed before 三村 existed
    assert rule(result, "general_meeting").required == 1  # Q1 was under way when it began
    january = evaluate_branches(engine, [new_id], Period.month(2026, 1), date(2026, 4, 2))
    owed = {r.type.code for r in january.branches[0].rules}
    assert owed == set()  # January closed before 三村 existed: not even Q1's meeting there


def test_a_branch_is_not_called_silent_before_it_has_existed_for_thirty_days(engine, town):
    from core import admin

    with session_scope(engine) as s:
        new = admin.add_branch(s, fixed_clock(local(2026, 3, 6, 9)), admin.get_org(s), "三村党支部")
        new_id = new.id
    (branch,) = evaluate_branches(engine, [new_id], MARCH, TODAY).branches
    assert branch.last_activity is None and not branch.is_silent(TODAY)  # two weeks old
    assert branch.is_silent(date(2026, 4, 5))  # thirty days with nothing logged


def test_a_branch_set_up_after_a_quarter_owes_nothing_in_it_but_owes_the_year(engine, town):
    """Set up on 20 April: the first quarter's view has it as not yet set up (it is not
    pending the year's 组织生活会 there), while the year's view still asks for those."""
    from core import admin

    with session_scope(engine) as s:
        new = admin.add_branch(
            s, fixed_clock(local(2026, 4, 20, 9)), admin.get_org(s), "三村党支部"
        )
        new_id = new.id
    q1 = evaluate_branches(engine, [new_id], Q1, date(2026, 4, 25))
    (branch,) = q1.branches
    assert branch.rules == [] and q1.not_yet_set_up() == [branch]
    assert q1.by_progress() == ([], [], [])
    year = evaluate_branches(engine, [new_id], Period.of_year(2026), date(2026, 4, 25))
    assert "org_life_meeting" in {r.type.code for r in year.branches[0].rules}


def test_the_set_up_day_is_the_orgs_local_day(engine, town):
    """Set up at 07:00 Beijing time on 1 April (still 31 March in UTC): nothing of March or
    of the first quarter is owed, in the org's time zone; elsewhere the day follows the zone."""
    from zoneinfo import ZoneInfo

    from core import admin
    from core.rules import DEFAULT_TYPES

    with session_scope(engine) as s:
        org = admin.get_org(s)
        new = admin.add_branch(s, fixed_clock(local(2026, 4, 1, 7)), org, "三村党支部")
        new_id = new.id

    def owed_in_q1(registry: Registry = DEFAULT_REGISTRY) -> set[str]:
        result = evaluate_branches(engine, [new_id], Q1, date(2026, 4, 2), registry)
        return {r.type.code for r in result.branches[0].rules}

    quarter_and_month = {"committee_meeting", "general_meeting"}
    assert owed_in_q1() == set()  # not even the year's rules: Q1 is not the year
    london = Registry(DEFAULT_TYPES, ZoneInfo("Europe/London"))  # 00:00 there: 1 April too
    assert owed_in_q1(london) == set()
    new_york = Registry(DEFAULT_TYPES, ZoneInfo("America/New_York"))  # 31 March, 19:00
    assert owed_in_q1(new_york) >= quarter_and_month
