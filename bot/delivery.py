"""Notifiers: how scheduled pushes from the outbox reach a chat on each platform."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from bot.messages import ZH, t

if TYPE_CHECKING:
    from bot.app import App

CONSOLE = "console"


class ConsoleNotifier:
    """Prints ``→ [chat] first line`` and the other lines below it (the console adapter and
    ``zhibu jobs run`` without a chat service)."""

    platform = CONSOLE

    def __init__(self, out: TextIO | None = None, locale: str = ZH):
        self.out, self.locale = out, locale
        self._ids = itertools.count(1)

    async def send(self, chat_id: str, text: str, files: Sequence[str] = ()) -> str:
        first, _, rest = text.partition("\n")
        out = self.out or sys.stdout
        print(f"→ [{chat_id}] {first}", file=out)
        if rest:
            print(rest, file=out)
        for path in files:
            print(t("console_file", self.locale, path=path), file=out)
        print(file=out, flush=True)
        return f"console-{next(self._ids)}"


def background_pushes(app: App) -> Callable[[], None]:
    """Scheduled pushes for the interactive console (``zhibu run`` without a chat token):
    the scheduler runs in its own thread and event loop and prints what it sends. Returns a
    function that stops it."""
    from bot.app import jobs_of
    from jobs.scheduler import Pushes

    loop = asyncio.new_event_loop()
    jobs = jobs_of(app, frozenset({CONSOLE}))
    console = ConsoleNotifier(locale=app.settings.locale)
    pushes = Pushes(jobs, {CONSOLE: console}, app.settings.jobs.max_attempts)
    thread = threading.Thread(target=loop.run_forever, name="pushes", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(pushes.start(), loop)

    async def shutdown() -> None:
        await pushes.stop_and_wait()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop() -> None:
        with contextlib.suppress(TimeoutError):  # the thread is a daemon: it ends with us
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)

    return stop
