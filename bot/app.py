"""Wiring: settings -> engine (migrated) -> registry -> router."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.messages import t
from bot.router import Router
from core.activities import FilingRule
from core.config import ConfigError, Settings
from core.periods import Clock
from core.rules import Registry
from core.workdays import WorkCalendar
from jobs.schedule import Jobs
from storage import migrate
from storage.db import is_sqlite, make_engine


def system_clock() -> datetime:
    return datetime.now(UTC)


def shifted_clock(start: datetime) -> Clock:
    """A clock that starts at ``start`` and then runs at real speed (for --now)."""
    offset = start - system_clock()
    return lambda: system_clock() + offset


@dataclass
class App:
    settings: Settings
    engine: Engine
    registry: Registry
    clock: Clock

    def router(self) -> Router:
        return Router(
            self.engine,
            self.registry,
            self.settings.tz,
            self.clock,
            self.settings.locale,
            self.settings.dialog_timeout_minutes,
            FilingRule(
                self.settings.filing_deadline_working_days,
                work_calendar(self.settings),
            ),
            self.settings.files_dir,
            self.settings.exports_dir,
        )


def jobs_of(app: App, platforms: frozenset[str] | None = None, clock: Clock | None = None) -> Jobs:
    """The scheduled jobs, enqueueing for ``platforms`` (the ones this process delivers to)
    on ``clock`` (the app's unless given)."""
    from bot import notices  # the wording of pushes
    from bot.report_files import summary_files_in

    return Jobs(
        app.engine,
        app.registry,
        app.settings.jobs,
        app.settings.tz,
        work_calendar(app.settings),
        clock or app.clock,
        notices,
        app.settings.locale,
        platforms,
        summary_files_in(app.settings.exports_dir, app.registry),
    )


def work_calendar(settings: Settings) -> WorkCalendar:
    """Working days: the package and the law, overridden by the schedule the admin entered."""
    return WorkCalendar(
        settings.chinese_holidays,
        settings.calendar.holiday_dates(),
        settings.calendar.workday_dates(),
    )


def open_engine(settings: Settings) -> Engine:
    """The engine, with an SQLite database upgraded in place; PostgreSQL must be upgraded
    explicitly (``zhibu db upgrade``) because several processes may share it."""
    engine = make_engine(settings.database.url, settings.database.echo)
    if is_sqlite(engine):
        migrate.upgrade(engine)
    elif not migrate.is_current(engine):
        problem = t("db_not_current", settings.locale)
        raise ConfigError("database.url", "database.url", problem)
    return engine


def build_app(settings: Settings, clock: Clock = system_clock, engine: Engine | None = None) -> App:
    """The app on ``engine`` (opened from the settings unless given)."""
    return App(
        settings,
        engine or open_engine(settings),
        Registry.from_settings(settings.activities, settings.tz),
        clock,
    )


def settle_heap() -> None:
    """Hide what start-up allocated (modules, mappers, settings) from the garbage collector,
    which would otherwise rescan it at every full collection for as long as the bot runs:
    about a third of an org-wide /status at a thousand branches."""
    gc.collect()
    gc.freeze()
