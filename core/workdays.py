"""Working days in mainland China: statutory holidays and 调休 make-up days from the
chinesecalendar package; beyond its known years, Monday to Friday (with one warning)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import cache

import chinese_calendar

log = logging.getLogger(__name__)


class WorkCalendar:
    def __init__(self, use_holidays: bool = True):
        self.use_holidays = use_holidays

    def is_workday(self, day: date) -> bool:
        if self.use_holidays:
            try:
                return chinese_calendar.is_workday(day)
            except NotImplementedError:
                _warn_once(day.year)
        return day.weekday() < 5

    def first_workday_of_month(self, year: int, month: int) -> date:
        return self.nth_workday_of_month(year, month, 1)

    def nth_workday_of_month(self, year: int, month: int, n: int) -> date:
        """The ``n``-th working day of the month (the last one if the month has fewer)."""
        day, found, last = date(year, month, 1), 0, date(year, month, 1)
        while day.month == month:
            if self.is_workday(day):
                found, last = found + 1, day
                if found == n:
                    return day
            day += timedelta(days=1)
        return last

    def workdays_left_in_month(self, day: date) -> int:
        """Working days from ``day`` to the end of its month, ``day`` included if it is one."""
        left, current = 0, day
        while current.month == day.month:
            left += self.is_workday(current)
            current += timedelta(days=1)
        return left

    def workdays_after(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days ``end`` is after ``start``."""
        return sum(
            self.is_workday(start + timedelta(days=n)) for n in range(1, (end - start).days + 1)
        )


@cache
def _warn_once(year: int) -> None:
    log.warning("no holiday data for %s: counting Monday to Friday as working days", year)
