"""Working days follow China's statutory holidays and 调休 make-up days."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from bot.app import work_calendar
from core import workdays
from core.activities import FilingRule
from core.config import ConfigError, load_settings
from core.holiday_law import festival_days, statutory_days_off
from core.workdays import WorkCalendar
from tests.helpers import run_zhibu

CAL = WorkCalendar()


@pytest.fixture
def fresh_warnings():
    """The unknown-year warning is logged once per process; each test sees its own."""
    workdays._warn_once.cache_clear()
    yield
    workdays._warn_once.cache_clear()


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


@pytest.mark.usefixtures("package_stops_at_2026")
def test_new_year_2027_is_off_though_the_package_stops_at_2026():
    assert CAL.is_workday(date(2027, 1, 1)) is False  # 元旦, a Friday
    assert CAL.first_workday_of_month(2027, 1) == date(2027, 1, 4)  # the 月提醒单 waits for Monday


@pytest.mark.usefixtures("package_stops_at_2026")
def test_spring_festival_2027_from_the_lunar_calendar():
    # 除夕 is 5 February 2027 (Friday); 初一 and 初二 fall on the weekend, made up on Tue/Wed
    off = [date(2027, 2, 5) + timedelta(days=n) for n in range(6)]
    assert [CAL.is_workday(day) for day in off] == [False] * 6
    assert CAL.is_workday(date(2027, 2, 4)) is True
    assert CAL.is_workday(date(2027, 2, 11)) is True
    assert CAL.first_workday_of_month(2027, 2) == date(2027, 2, 1)


@pytest.mark.usefixtures("package_stops_at_2026")
@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2027, 4, 5), False),  # 清明 (Monday)
        (date(2027, 6, 9), False),  # 端午 (Wednesday)
        (date(2027, 9, 15), False),  # 中秋 (Wednesday)
        (date(2027, 10, 4), False),  # 国庆 2 and 3 October are a weekend: made up on Monday…
        (date(2027, 10, 5), False),  # … and Tuesday
        (date(2027, 10, 6), True),
        (date(2027, 3, 19), True),  # an ordinary Friday
        (date(2027, 3, 20), False),  # an ordinary Saturday
        (date(2028, 1, 3), False),  # 元旦 2028 is a Saturday: made up on Monday
        (date(2099, 1, 1), False),  # far beyond any package
        (date(2099, 1, 2), True),  # a Friday
    ],
)
def test_beyond_the_known_years_the_law_decides(day, workday):
    assert CAL.is_workday(day) is workday


@pytest.mark.usefixtures("package_stops_at_2026")
def test_an_unknown_year_is_logged_once_naming_the_config_keys(caplog, fresh_warnings):
    CAL.is_workday(date(2027, 3, 1))
    CAL.is_workday(date(2027, 3, 2))
    warnings = [r.getMessage() for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1
    assert "official holiday schedule for 2027 is not known" in warnings[0]
    assert "[calendar] holidays and workdays" in warnings[0]


def test_known_years_come_from_the_package_without_a_warning(caplog, fresh_warnings):
    assert CAL.is_workday(date(2026, 10, 10)) is True  # a Saturday worked for the National Day week
    assert caplog.records == []


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_day_the_law_gives_is_off_in_the_official_schedule(year):
    festivals = festival_days(year)
    assert sum(len(days) for days in festivals.values()) == 13  # the 2025 law: 13 days a year
    # bridge days from 调休 are in the package but not in the law: only this direction holds
    assert [day for day in statutory_days_off(year) if chinese_calendar.is_workday(day)] == []


def test_lunar_festivals_match_the_official_schedules_since_2008():
    """Festival days the law has fixed the same way since 2008 (before 2025 it had no 除夕 and
    no 2 May) are holidays in every year the package knows: the lunar and solar-term dates."""
    for year in range(2008, 2027):
        festivals = festival_days(year)
        unchanged = [*festivals["春节"][1:], *festivals["清明节"], *festivals["端午节"]]
        unchanged += [*festivals["中秋节"], *festivals["元旦"], *festivals["国庆节"]]
        assert [day for day in unchanged if chinese_calendar.is_workday(day)] == [], year


def test_qingming_agrees_with_the_packages_solar_term_formula():
    for year in range(1950, 2100):
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        assert festival_days(year)["清明节"] == tuple(d for d, name in terms if name == "清明")


def test_holidays_can_be_switched_off():
    assert WorkCalendar(use_holidays=False).is_workday(date(2026, 10, 1)) is True


def configured(**calendar) -> WorkCalendar:
    """The calendar the bot builds from settings with this [calendar] table."""
    return work_calendar(load_settings(None, calendar=calendar))


@pytest.mark.usefixtures("package_stops_at_2026")
def test_a_configured_make_up_sunday_is_a_working_day():
    cal = configured(workdays=["2027-02-21"])
    assert cal.is_workday(date(2027, 2, 21)) is True
    assert CAL.is_workday(date(2027, 2, 21)) is False  # without the notice: a Sunday


@pytest.mark.usefixtures("package_stops_at_2026")
def test_configured_holidays_override_the_package_and_the_law():
    cal = configured(holidays=["2026-03-20", "2027-02-11..2027-02-12", "2027-03-01"])
    assert cal.is_workday(date(2026, 3, 20)) is False  # a Friday the package calls a working day
    assert [cal.is_workday(date(2027, 2, d)) for d in (11, 12)] == [False, False]
    assert cal.first_workday_of_month(2027, 3) == date(2027, 3, 2)


def test_a_configured_year_is_not_warned_about(caplog, fresh_warnings):
    configured(holidays=["2027-01-01..2027-01-03"]).is_workday(date(2027, 3, 1))
    assert caplog.records == []


def test_configured_days_apply_with_chinese_holidays_off():
    settings = load_settings(None, chinese_holidays=False, calendar={"holidays": ["2026-03-20"]})
    cal = work_calendar(settings)
    assert cal.is_workday(date(2026, 3, 20)) is False
    assert cal.is_workday(date(2026, 10, 1)) is True  # National Day: a Thursday like any other


def test_dates_may_be_toml_dates_or_strings(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[calendar]\nholidays = [2027-01-01, "2027-02-05 .. 2027-02-13"]\n'
        'workdays = ["2027-02-14"]\n',
        encoding="utf-8",
    )
    cal = work_calendar(load_settings(str(path)))
    assert cal.is_workday(date(2027, 2, 12)) is False  # a Friday inside the span
    assert cal.is_workday(date(2027, 2, 14)) is True  # a Sunday worked


def test_the_example_config_and_its_commented_2027_example_load():
    path = Path(__file__).parent.parent / "config.example.toml"
    text = path.read_text(encoding="utf-8")
    assert load_settings(str(path)).calendar.holiday_dates() == frozenset()
    example = text[text.index("# holidays = [") : text.index("[database]")]
    table = tomllib.loads("\n".join(line[2:] for line in example.splitlines()))
    cal = configured(**table)
    assert cal.is_workday(date(2027, 2, 12)) is False and cal.is_workday(date(2027, 2, 20)) is True


@pytest.mark.parametrize(
    ("calendar", "key", "problem"),
    [
        ({"holidays": ["2027-01-01", "2027-2-30"]}, "calendar.holidays.1", "'2027-2-30'"),
        ({"holidays": ["2027/02/05"]}, "calendar.holidays.0", "2027-02-05..2027-02-13"),
        ({"workdays": ["2027-02-14..2027-02-07"]}, "calendar.workdays.0", "起始日期晚于结束日期"),
        ({"holidays": ["2027-02-05..2028-02-13"]}, "calendar.holidays.0", "跨度超过 31 天"),
        (
            {"holidays": ["2027-02-05..2027-02-13"], "workdays": ["2027-02-07"]},
            "calendar",
            "2027-02-07 同时出现在",
        ),
        ({"holiday": ["2027-01-01"]}, "calendar.holiday", "未知的配置项"),
    ],
)
def test_a_bad_calendar_entry_names_itself_and_how_to_write_it(calendar, key, problem):
    with pytest.raises(ConfigError) as exc:
        load_settings(None, calendar=calendar)
    assert exc.value.key == key
    assert problem in exc.value.problem


def test_the_scheduled_pushes_follow_the_configured_schedule(tmp_path):
    def next_reminders() -> str:
        listing = run_zhibu(tmp_path, "jobs", "list", "--now", "2026-12-20T10:00")
        assert listing.returncode == 0, listing.stderr
        lines = listing.stdout.splitlines()
        return lines[lines.index("monthly_reminder") + 2].strip()

    assert next_reminders() == "接下来：2027-01-04 09:00、2027-02-01 09:00、2027-03-01 09:00"
    (tmp_path / "config.toml").write_text(
        '[calendar]\nholidays = ["2027-02-01..2027-02-02"]\n', encoding="utf-8"
    )
    assert next_reminders() == "接下来：2027-01-04 09:00、2027-02-03 09:00、2027-03-01 09:00"

    (tmp_path / "config.toml").write_text(
        '[calendar]\nholidays = ["2027-02-30"]\n', encoding="utf-8"
    )
    refused = run_zhibu(tmp_path, "jobs", "list")
    assert refused.returncode == 2
    assert "calendar.holidays.0" in refused.stderr and "'2027-02-30'" in refused.stderr


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


@pytest.mark.usefixtures("package_stops_at_2026")
def test_a_year_entered_in_the_config_gets_no_guessed_make_up_day():
    """端午 2028 falls on a Sunday: without a notice the law's 补假 is guessed as Monday;
    a notice that gives the Friday before instead is followed, and Monday is worked."""
    assert CAL.is_workday(date(2028, 5, 29)) is False
    cal = configured(holidays=["2028-05-26..2028-05-28"])
    assert cal.is_workday(date(2028, 5, 26)) is False
    assert cal.is_workday(date(2028, 5, 29)) is True
    assert cal.is_workday(date(2028, 10, 2)) is False  # the law's 国庆 still holds
