"""Calendar periods (month, quarter, half-year, year) in the org's time zone.

``core`` never reads the wall clock: callers pass a ``Clock`` (a function returning an aware
datetime), so tests and ``--now`` can travel in time.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
PeriodKind = Literal["month", "quarter", "half", "year"]

MONTHS_IN: dict[PeriodKind, int] = {"month": 1, "quarter": 3, "half": 6, "year": 12}
KIND_OF_MONTHS: dict[int, PeriodKind] = {v: k for k, v in MONTHS_IN.items()}
_CN_ORDINAL = "一二三四"


def fixed_clock(at: datetime) -> Clock:
    """A clock stopped at ``at`` (naive datetimes are taken as UTC)."""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return lambda: aware


def local_today(clock: Clock, tz: ZoneInfo) -> date:
    return clock().astimezone(tz).date()


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: PeriodKind
    index: int  # 1-based: month 1-12, quarter 1-4, half 1-2, year 1

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        return cls(day.year, kind, (day.month - 1) // MONTHS_IN[kind] + 1)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(year, "month", month)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        return cls(year, "quarter", quarter)

    @classmethod
    def of_year(cls, year: int) -> Period:
        return cls(year, "year", 1)

    @property
    def months(self) -> int:
        return MONTHS_IN[self.kind]

    @cached_property  # periods are immutable; these are asked for in hot loops
    def start(self) -> date:
        return date(self.year, (self.index - 1) * self.months + 1, 1)

    @cached_property
    def end(self) -> date:
        last_month = self.index * self.months
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def is_closed(self, today: date) -> bool:
        return today > self.end

    def shift(self, steps: int) -> Period:
        per_year = 12 // self.months
        zero_based = self.year * per_year + self.index - 1 + steps
        return Period(zero_based // per_year, self.kind, zero_based % per_year + 1)

    def units(self, kind: PeriodKind) -> list[Period]:
        """The periods of ``kind`` that overlap this one (a quarter has 3 months; a month lies
        inside one quarter, which is returned whole)."""
        first, last = Period.containing(kind, self.start), Period.containing(kind, self.end)
        out = [first]
        while out[-1] != last:
            out.append(out[-1].shift(1))
        return out

    @property
    def key(self) -> str:
        match self.kind:
            case "month":
                return f"{self.year}-{self.index:02d}"
            case "quarter":
                return f"{self.year}Q{self.index}"
            case "half":
                return f"{self.year}H{self.index}"
        return str(self.year)

    def label(self, locale: str = "zh_CN") -> str:
        if locale == "en":
            match self.kind:
                case "month":
                    return f"{calendar.month_abbr[self.index]} {self.year}"
                case "quarter":
                    return f"Q{self.index} {self.year}"
                case "half":
                    return f"H{self.index} {self.year}"
            return str(self.year)
        match self.kind:
            case "month":
                return f"{self.year}年{self.index}月"
            case "quarter":
                return f"{self.year}年第{_CN_ORDINAL[self.index - 1]}季度"
            case "half":
                return f"{self.year}年{'上' if self.index == 1 else '下'}半年"
        return f"{self.year}年"

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of this period as aware UTC datetimes, for timestamp columns."""
        start = datetime.combine(self.start, datetime.min.time(), tz)
        end = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tz)
        return start.astimezone(UTC), end.astimezone(UTC)


_KEY_PATTERNS: tuple[tuple[re.Pattern[str], PeriodKind], ...] = (
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})[qQ]([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})[hH]([12])$"), "half"),
    (re.compile(r"^(\d{4})$"), "year"),
)


def parse_period_key(text: str) -> Period | None:
    """Parse a machine key: ``2026-03``, ``2026Q1``, ``2026H2``, ``2026``."""
    for pattern, kind in _KEY_PATTERNS:
        if m := pattern.match(text.strip()):
            year = int(m.group(1))
            index = int(m.group(2)) if kind != "year" else 1
            if not 2000 <= year <= 2100 or (kind == "month" and not 1 <= index <= 12):
                return None
            return Period(year, kind, index)
    return None
