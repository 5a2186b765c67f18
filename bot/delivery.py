"""Notifiers: how scheduled pushes from the outbox reach a chat on each platform."""

from __future__ import annotations

import itertools
import sys
from typing import TextIO

CONSOLE = "console"


class ConsoleNotifier:
    """Prints ``→ [chat] first line`` and the other lines below it (the console adapter and
    ``zhibu jobs run`` without a chat service)."""

    platform = CONSOLE

    def __init__(self, out: TextIO | None = None):
        self.out = out
        self._ids = itertools.count(1)

    async def send(self, chat_id: str, text: str) -> str:
        first, _, rest = text.partition("\n")
        out = self.out or sys.stdout
        print(f"→ [{chat_id}] {first}", file=out)
        if rest:
            print(rest, file=out)
        print(file=out, flush=True)
        return f"console-{next(self._ids)}"
