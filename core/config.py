"""One Settings object: config.toml, overridden by ZHIBU_* environment variables (``__`` nests)."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = "config.toml"


class ConfigError(Exception):
    """A configuration problem, worded for the admin who must fix it: file, key, problem."""

    def __init__(self, file: str, key: str, problem: str):
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"配置错误 {file}: {key}: {problem}")


class DatabaseSettings(BaseModel):
    model_config = {"extra": "forbid"}
    url: str = "sqlite:///./data/zhibu.db"
    echo: bool = False


class TelegramSettings(BaseModel):
    model_config = {"extra": "forbid"}
    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    bot_username: str | None = None  # for invitation links; asked of Telegram (getMe) if unset
    # webhook mode when set (the public https URL Telegram posts to); polling otherwise
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    poll_timeout_seconds: int = Field(default=30, ge=0, le=60)
    # keep within Telegram's limits (30 messages/s overall, 20 per minute in a group); off
    # only for a self-hosted Bot API server without them, or a benchmark of our own cost
    rate_limit: bool = True

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramSettings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "设置了 webhook_url 就必须设置 webhook_secret（如 ZHIBU_TELEGRAM__WEBHOOK_SECRET），"
                "否则任何人都能冒充 Telegram 推送消息"
            )
        return self


class JobSettings(BaseModel):
    model_config = {"extra": "forbid"}
    enabled: bool = True
    time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # monthly, quarterly and annual pushes: on this working day of the month (1 = the first)
    workday: int = Field(default=1, ge=1, le=20)


class JobsSettings(BaseModel):
    """Scheduled pushes. Times are local (``timezone``); days follow the working-day calendar."""

    model_config = {"extra": "forbid"}
    enabled: bool = True
    # after downtime, a push whose time passed at most this many days ago is still sent
    catch_up_days: int = Field(default=3, ge=0, le=31)
    max_attempts: int = Field(default=5, ge=1, le=50)
    # nudge on the working days when this many working days are left in the month (today included)
    month_end_nudge_days_left: list[int] = Field(default=[3, 1], min_length=1)
    # commitments are announced this many days before they fall due, and on the day
    commitment_warn_days: int = Field(default=7, ge=1, le=60)
    # the leaders get the list of overdue commitments on this weekday (0 = Monday)
    overdue_digest_weekday: int = Field(default=0, ge=0, le=6)
    monthly_reminder: JobSettings = JobSettings()
    month_end_nudge: JobSettings = JobSettings(time="16:00")
    commitment_deadlines: JobSettings = JobSettings()
    quarterly_summary: JobSettings = JobSettings()
    annual_summary: JobSettings = JobSettings(time="09:30")


class ActivityTypeSettings(BaseModel):
    """Overrides one activity type's defaults; a new code must give at least ``name``."""

    model_config = {"extra": "forbid"}
    name: str | None = None
    aliases: list[str] | None = None
    en_name: str | None = None
    en_aliases: list[str] | None = None
    category: Literal["required", "study", "town"] | None = None
    every_months: Literal[1, 3, 6, 12] | None = None
    min_count: int | None = Field(default=None, ge=1, le=31)
    scope: Literal["branch", "group", "member"] | None = None
    enabled: bool | None = None


DAY_SPAN_HINT = '请写成 "2027-01-01"，或含首尾两天的区间 "2027-02-05..2027-02-13"'
# a notice's longest run of days off is about nine (春节 2026); a longer span is a typo
MAX_SPAN_DAYS = 31
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day_span(entry: object) -> tuple[date, date]:
    """One entry of [calendar] holidays / workdays: a day, or an inclusive span "first..last".
    TOML's unquoted dates (2027-01-01) are taken as they are."""
    if isinstance(entry, date) and not isinstance(entry, datetime):
        return entry, entry
    if not isinstance(entry, str):
        raise ValueError(f"{entry!r} 不是日期，{DAY_SPAN_HINT}")
    first, dots, last = (part.strip() for part in entry.partition(".."))
    span = _iso_day(first, entry), _iso_day(last if dots else first, entry)
    if span[0] > span[1]:
        raise ValueError(f"{entry!r} 的起始日期晚于结束日期，{DAY_SPAN_HINT}")
    if (span[1] - span[0]).days >= MAX_SPAN_DAYS:
        raise ValueError(f"{entry!r} 跨度超过 {MAX_SPAN_DAYS} 天，请检查年份或月份是否写错")
    return span


def _iso_day(text: str, entry: str) -> date:
    try:
        if _ISO_DAY.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass  # e.g. 2027-02-30: worded below like any other bad entry
    raise ValueError(f"无法识别的日期 {entry!r}，{DAY_SPAN_HINT}")


DaySpan = Annotated[tuple[date, date], BeforeValidator(_day_span)]


class CalendarSettings(BaseModel):
    """The State Council's yearly schedule (国务院办公厅关于某年部分节假日安排的通知), for years the
    chinesecalendar package does not know yet; it also overrides the package where they differ."""

    model_config = {"extra": "forbid"}
    holidays: list[DaySpan] = []
    # 调休 make-up working days, usually a Saturday or Sunday
    workdays: list[DaySpan] = []

    @model_validator(mode="after")
    def _no_day_both_off_and_on(self) -> CalendarSettings:
        if both := sorted(self.holiday_dates() & self.workday_dates()):
            raise ValueError(
                f"{both[0].isoformat()} 同时出现在 holidays 和 workdays 中，请只保留一处"
            )
        return self

    def holiday_dates(self) -> frozenset[date]:
        return _expand(self.holidays)

    def workday_dates(self) -> frozenset[date]:
        return _expand(self.workdays)


def _expand(spans: list[tuple[date, date]]) -> frozenset[date]:
    return frozenset(
        first + timedelta(days=n) for first, last in spans for n in range((last - first).days + 1)
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZHIBU_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    database: DatabaseSettings = DatabaseSettings()
    timezone: str = "Asia/Shanghai"
    locale: Literal["zh_CN", "en"] = "zh_CN"
    dialog_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # records are due within this many working days of the meeting (0 turns the reminder off)
    filing_deadline_working_days: int = Field(default=3, ge=0, le=60)
    # statutory holidays and 调休 make-up days; off: Monday to Friday are working days (the
    # days listed in [calendar] apply either way)
    chinese_holidays: bool = True
    calendar: CalendarSettings = CalendarSettings()
    # photos and documents attached to records are downloaded here (one folder per record)
    files_dir: Path = Path("./data/files")
    # ledgers and reports made with /report are written here before they are sent
    exports_dir: Path = Path("./data/exports")
    activities: dict[str, ActivityTypeSettings] = {}
    telegram: TelegramSettings = TelegramSettings()
    jobs: JobsSettings = JobsSettings()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"未知的时区 {value!r}，例如 Asia/Shanghai") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _CURRENT_TOML.get("path")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


# pydantic-settings resolves sources inside the constructor; this carries the chosen path there.
_CURRENT_TOML: dict[str, Path | None] = {"path": None}


def resolve_config_path(explicit: str | None) -> Path | None:
    """--config wins, then ZHIBU_CONFIG, then ./config.toml if it exists."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get("ZHIBU_CONFIG"):
        return Path(env)
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.exists() else None


def load_settings(config_path: str | None = None, **overrides: Any) -> Settings:
    """Load and validate settings; every problem becomes one ConfigError naming file and key."""
    path = resolve_config_path(config_path)
    label = str(path) if path else "环境变量"
    if path is not None:
        _check_toml(path)
    _CURRENT_TOML["path"] = path
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(part) for part in err["loc"]) or "(根)"
        raise ConfigError(label, key, _problem_text(err)) from exc
    finally:
        _CURRENT_TOML["path"] = None
    _check_activity_codes(settings, label)
    return settings


def _check_toml(path: Path) -> None:
    if not path.exists():
        raise ConfigError(
            str(path), "(文件)", "找不到配置文件；可复制 config.example.toml 作为起点"
        )
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "(语法)", f"不是合法的 TOML：{exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "(编码)", "文件不是 UTF-8 编码") from exc


def _problem_text(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "未知的配置项，请检查拼写（参见 config.example.toml）"
    return str(err["msg"]).removeprefix("Value error, ")


def _check_activity_codes(settings: Settings, label: str) -> None:
    from core.rules import DEFAULT_TYPES  # local import: rules imports nothing from config

    known = {t.code for t in DEFAULT_TYPES}
    for code, override in settings.activities.items():
        if code not in known and not (override.name and override.category):
            raise ConfigError(
                label,
                f"activities.{code}",
                f"未知的活动类型代码 {code!r}（已有：{', '.join(sorted(known))}）；"
                "新增类型须同时填写 name 和 category",
            )
