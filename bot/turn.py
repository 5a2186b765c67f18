"""What flows through the router: the message in (Incoming), the replies out (Reply, Choice),
and everything a handler needs about the message being handled (Turn)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot.commands import Command
from core.activities import FilingRule, SourceKey
from core.auth import Actor
from core.errors import DomainError
from core.periods import Clock
from core.rules import Registry

MAX_MESSAGE = 4096  # Telegram's own limit; longer input is a paste gone wrong


@dataclass(frozen=True)
class Incoming:
    platform: str
    chat_id: str
    user_id: str
    text: str
    message_id: str | None = None
    is_group: bool = False


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    files: tuple[Path, ...] = ()


@dataclass
class Turn:
    """Everything a handler needs about the message being handled."""

    session: Session
    incoming: Incoming
    actor: Actor | None
    today: date
    args: str = ""
    command: Command | None = None

    def id_and_rest(self, example: str) -> tuple[int, str]:
        """'/done 3 已验收' -> (3, '已验收'); without a number, a hint with ``example``."""
        m = re.match(r"#?(\d{1,9})\s*(.*)$", self.args)
        if not m:
            raise DomainError("bad_id", example=example)
        return int(m.group(1)), m.group(2).strip()

    @property
    def source(self) -> SourceKey | None:
        m = self.incoming
        return SourceKey(m.platform, m.chat_id, m.message_id) if m.message_id else None


class RouterState:
    """What every command handler may use; Router.__init__ sets it up."""

    engine: Engine
    registry: Registry
    tz: ZoneInfo
    clock: Clock
    locale: str
    dialog_minutes: int
    filing: FilingRule


def split_long(reply: Reply, limit: int = MAX_MESSAGE) -> list[Reply]:
    """Cut a long reply at line ends into messages of at most ``limit`` characters; choices
    and files stay with the last part, where the user reads on."""
    if len(reply.text) <= limit:
        return [reply]
    parts, current = [], ""
    for line in reply.text.split("\n"):
        while len(line) > limit:  # a single line longer than a message
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return [Reply(p) for p in parts[:-1]] + [Reply(parts[-1], reply.choices, reply.files)]
