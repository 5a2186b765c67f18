"""Working days in mainland China. For each day the first source that knows it decides:

1. the admin's configuration (``[calendar] holidays`` / ``workdays``): the State Council's
   yearly notice, entered as soon as it is published, without waiting for a package release;
2. the chinesecalendar package: every notice up to its release (2004–2026 in 1.11.0);
3. for other years, the law (core.holiday_law): weekends and the statutory holidays are off.
   That year's 调休 make-up working days cannot be known, so it is logged once per year."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import chinese_calendar

from core.holiday_law import festival_days_off, statutory_days_off

log = logging.getLogger(__name__)


class WorkCalendar:
    """``use_holidays`` off: Monday to Friday are working days, except the configured days."""

    def __init__(
        self,
        use_holidays: bool = True,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
    ):
        self.use_holidays = use_holidays
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        # a year the admin has entered days for has its notice in the config: no warning
        self.configured_years = {day.year for day in self.holidays | self.workdays}

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if not self.use_holidays:
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5 and day not in self._law_days_off(day.year)

    def knows(self, year: int) -> bool:
        """Whether ``year``'s official schedule is known: entered in the config, or in the
        package. Otherwise its 调休 make-up working days are missing."""
        if year in self.configured_years or not self.use_holidays:
            return True
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def _law_days_off(self, year: int) -> frozenset[date]:
        """A year the package does not know: the festivals the law fixes. Where the admin has
        entered that year's notice, the notice decides any 补假, so none is guessed."""
        if year in self.configured_years:
            return festival_days_off(year)
        _warn_once(year)
        return statutory_days_off(year)

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
    log.warning(
        "the official holiday schedule for %s is not known (chinesecalendar knows %s-%s): "
        "weekends and the statutory holidays are days off, but that year's 调休 working "
        "weekends are unknown; enter the State Council's notice for %s in the config, "
        "[calendar] holidays and workdays",
        year,
        *_package_years(),
        year,
    )


def _package_years() -> tuple[int, int]:
    return min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year
