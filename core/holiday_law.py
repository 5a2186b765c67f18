"""The days off that the law itself fixes, computable for any year before the State Council
announces that year's schedule: 《全国年节及纪念日放假办法》 as amended in 2024 (in force from
2025). What the yearly notice adds on top (调休: bridge days off and the weekend days worked to
pay for them) cannot be derived from the law, so it is not here."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from lunar_python import Lunar, Solar


@cache
def statutory_days_off(year: int) -> frozenset[date]:
    """Every festival day of ``year`` (Article 2) and the working days that make up for
    festival days falling on a weekend (补假, Article 6)."""
    return festival_days_off(year) | _make_up_days(festival_days(year))


@cache
def festival_days_off(year: int) -> frozenset[date]:
    """The festival days of ``year`` alone (Article 2), without any 补假."""
    return frozenset(day for days in festival_days(year).values() for day in days)


def festival_days(year: int) -> dict[str, tuple[date, ...]]:
    """Article 2: the seven festivals all citizens have off, by name."""
    new_year = _from_lunar(year, 1, 1)
    return {
        "元旦": (date(year, 1, 1),),
        "春节": _run(new_year - timedelta(days=1), 4),  # 除夕 and 正月初一 to 初三
        "清明节": (_qingming(year),),
        "劳动节": _run(date(year, 5, 1), 2),
        "端午节": (_from_lunar(year, 5, 5),),
        "中秋节": (_from_lunar(year, 8, 15),),
        "国庆节": _run(date(year, 10, 1), 3),
    }


def _make_up_days(festivals: dict[str, tuple[date, ...]]) -> set[date]:
    """Article 6 owes a working day for each festival day on a Saturday or Sunday. Which day is
    the State Council's choice; from 2008 to 2026 the weekdays right after the festival were
    off every time but twice (2012 端午: the Friday before; 2015 中秋: none), so they are taken.
    A day two festivals share is owed too (2020: 中秋 on 1 October, eight days off)."""
    taken = {day for days in festivals.values() for day in days}
    seen: set[date] = set()
    made_up: set[date] = set()
    for days in sorted(festivals.values()):
        owed = sum(day.weekday() >= 5 or day in seen for day in days)
        seen.update(days)
        day = days[-1]
        while owed:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in taken and day not in made_up:
                made_up.add(day)
                owed -= 1
    return made_up


def _run(first: date, length: int) -> tuple[date, ...]:
    return tuple(first + timedelta(days=n) for n in range(length))


def _from_lunar(year: int, month: int, day: int) -> date:
    """The Gregorian date of a day in the (non-leap) ``month`` of lunar year ``year``."""
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    """The 清明 solar term, always early April: asked of the lunar year that April falls in."""
    term = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())
