"""The one thing ``core`` and ``jobs`` need from a chat adapter: deliver a text to a chat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Notifier(Protocol):
    platform: str

    async def send(self, chat_id: str, text: str, files: Sequence[str] = ()) -> str:
        """Send ``text`` (then ``files``) to ``chat_id``; return the platform's message id."""
        ...


class Unreachable(Exception):
    """The chat blocked the bot, or was deleted: retrying cannot help."""


class Uncertain(Exception):
    """The send timed out: the message may have arrived, so it must not be sent again."""
