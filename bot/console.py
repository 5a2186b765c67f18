"""The console adapter: each stdin line is a message from one user in one chat; replies go to
stdout. Lets anyone run the whole bot in a terminal with no chat service."""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Iterable
from typing import TextIO

from bot.messages import ZH, t
from bot.router import Incoming, Reply, Router

PLATFORM = "console"


def format_reply(reply: Reply, locale: str = ZH) -> str:
    lines = [reply.text]
    if reply.choices:
        lines.append("  ".join(f"[{i}] {c.label}" for i, c in enumerate(reply.choices, start=1)))
    lines.extend(t("console_file", locale, path=path) for path in reply.files)
    return "\n".join(lines)


def _lines(stdin: TextIO, prompt: str) -> Iterable[str]:
    if stdin.isatty():
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        while True:
            try:
                yield input(prompt)
            except EOFError:
                print()
                return
    else:
        yield from stdin


def run(
    router: Router, user: str, chat: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    session_id = uuid.uuid4().hex[:8]
    for n, line in enumerate(_lines(stdin, f"{user}@{chat}> "), start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        # Console lines have no platform message id; a fresh one per line keeps each distinct.
        incoming = Incoming(PLATFORM, chat, user, text, message_id=f"{session_id}-{n}")
        for reply in router.handle(incoming):
            print(format_reply(reply, router.locale), file=stdout, flush=True)
    return 0
