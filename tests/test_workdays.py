"""Working days follow China's statutory holidays and 调休 make-up days."""

from __future__ import annotations

from datetime import date

import pytest

from core.activities import FilingRule
from core.workdays import WorkCalendar

CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),
        (date(2026, 10, 9), True),  # Friday after the holiday week
        (date(2026, 3, 20), True),  # an ordinary Friday
        (date(2026, 3, 21), False),  # an ordinary Saturday
    ],
)
def test_statutory_holidays(day, workday):
    assert CAL.is_workday(day) is workday


def test_beyond_the_known_years_monday_to_friday(caplog):
    assert CAL.is_workday(date(2099, 1, 1)) is True  # a Thursday, no holiday data
    assert CAL.is_workday(date(2099, 1, 3)) is False  # a Saturday
    assert "no holiday data for 2099" in caplog.text


def test_holidays_can_be_switched_off():
    assert WorkCalendar(use_holidays=False).is_workday(date(2026, 10, 1)) is True


def test_filing_deadline_counts_working_days_not_calendar_days():
    rule = FilingRule(3)
    # a meeting on 30 September: the National Day week does not count against the secretary
    assert rule.late_by(date(2026, 9, 30), date(2026, 10, 9)) == 0
    assert rule.late_by(date(2026, 3, 2), date(2026, 3, 5)) == 0  # Mon -> Thu: 3 working days
    assert rule.late_by(date(2026, 3, 2), date(2026, 3, 9)) == 2  # the next Monday: 5 working days
    assert FilingRule(0).late_by(date(2026, 1, 1), date(2026, 3, 20)) == 0


def test_late_record_is_saved_with_a_reminder(chat):
    reply = chat()("/log 支委会 3月5日 7人")
    assert reply.startswith("✅ 已记录") and "晚了8个工作日" in reply
    assert "晚了" not in chat()("/log 支委会 3月18日 7人", message_id="x2")
