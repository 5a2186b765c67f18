"""What the ``zhibu`` subcommands share: exit codes and reading ``--period``."""

from __future__ import annotations

import sys
from datetime import date

from bot.parsing import parse_period
from core.periods import Period

EXIT_USAGE = 2


def period_arg(text: str, today: date) -> Period | None:
    """--period as a Period; None after telling the operator how to write it."""
    period = parse_period(text, today)
    if period is None:
        print(f"错误：看不懂时间段“{text}”，可写 2026-03、2026Q1、2026 或 本季度", file=sys.stderr)
    return period
