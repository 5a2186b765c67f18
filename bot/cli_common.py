"""What the ``zhibu`` subcommands share: exit codes, reading ``--period``, saying an error."""

from __future__ import annotations

import sys
from datetime import date

from bot.messages import t
from bot.parsing import parse_period
from bot.render import worded
from core.errors import DomainError
from core.periods import Period

EXIT_USAGE = 2


def say_error(locale: str, message: str) -> None:
    """One line on stderr: 错误：… (Error: …), as every refusal of the command reads."""
    print(t("cli_error", locale, message=message), file=sys.stderr)


def error_text(exc: DomainError, locale: str) -> str:
    """A refusal from ``core`` (a catalogue key and its values) in the operator's locale."""
    return t(exc.key, locale, **{k: worded(v, locale) for k, v in exc.params.items()})


def period_arg(text: str, today: date, locale: str) -> Period | None:
    """--period as a Period; None after telling the operator how to write it."""
    period = parse_period(text, today)
    if period is None:
        say_error(locale, t("cli_bad_period", locale, text=text))
    return period
