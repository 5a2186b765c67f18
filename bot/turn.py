"""What flows through the router: the message in (Incoming), the replies out (Reply, Choice),
and everything a handler needs about the message being handled (Turn)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot.commands import BY_NAME, Command
from bot.parsing import prose
from core.activities import FilingRule, SourceKey
from core.auth import Actor, chat_binding
from core.errors import DomainError
from core.periods import Clock
from core.rules import Registry
from storage.db import read_scope
from storage.models import Branch

MAX_MESSAGE = 4096  # Telegram's own limit; longer input is a paste gone wrong


@dataclass(frozen=True)
class FileRef:
    """A photo or document that came with a message, as the platform names it."""

    file_id: str
    unique_id: str
    kind: str  # "photo" or "document"
    name: str | None = None
    mime: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Incoming:
    platform: str
    chat_id: str
    user_id: str
    text: str
    message_id: str | None = None
    is_group: bool = False
    user_name: str = ""  # how the person calls themselves in the chat (for a new member)
    reply_to: str | None = None  # the message this one answers, when it is one of the bot's
    files: tuple[FileRef, ...] = ()
    button: str | None = None  # the data of a pressed button; ``text`` is then empty
    can_attach: bool = False  # the platform can send files in reply to the bot's messages
    # sent on behalf of a chat (an anonymous group admin, a channel): nobody we could name
    anonymous: bool = False


@dataclass(frozen=True)
class Choice:
    label: str
    value: str
    data: str | None = None  # what a pressed button sends back (see Router.press)


@dataclass(frozen=True)
class Download:
    """A file the adapter should fetch after the reply, then report with Router.file_saved."""

    attachment_id: int
    file_id: str
    path: Path


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    files: tuple[Path, ...] = ()
    alert: bool = False  # the answer to a button press: shown as a pop-up, not a message
    asks: bool = False  # a question of a guided dialog: the next message answers it
    edit: bool = False  # the answer to a button press replaces the message that had the button
    record: int | None = None  # the record this message confirms: a file in reply attaches
    downloads: tuple[Download, ...] = ()


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
        m = re.match(r"#?(\d{1,9})号?\s*(.*)$", self.args)  # 4号 is #4
        if not m:
            raise DomainError("bad_id", example=example)
        return int(m.group(1)), prose(m.group(2).strip())

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
    files_dir: Path
    exports_dir: Path

    def example(self, command: str) -> str:
        """How ``command`` is used, in the reader's language, for a hint."""
        return BY_NAME[command].example_in(self.locale)

    def bound_branch(self, turn: Turn) -> Branch | None:
        """The branch whose group this chat is, if it belongs to the speaker's own org: a
        leader reading in a branch's group sees that branch only."""
        binding = chat_binding(turn.session, turn.incoming.platform, turn.incoming.chat_id)
        if binding is None or binding.branch_id is None or turn.actor is None:
            return None
        if binding.org_id != turn.actor.org_id:
            return None
        return turn.session.get(Branch, binding.branch_id)

    @contextmanager
    def reading(self, turn: Turn) -> Iterator[Session]:
        """For the long read that ends a turn (an org-wide overview, a ledger): the turn's own
        writes are committed first, and the read holds no write lock while it runs."""
        turn.session.commit()
        with read_scope(self.engine) as reader:
            yield reader


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
    last = replace(reply, text=parts[-1])
    return [Reply(p) for p in parts[:-1]] + [last]
