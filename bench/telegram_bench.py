"""Benchmark: Zhibu's per-update cost on Telegram next to a bare python-telegram-bot echo bot,
both polling the same fake Bot API server in the same run (``make bench``).

The floor is what any PTB bot pays per update here: getUpdates, parsing, one sendMessage. Zhibu
adds the router (who is speaking, parsing, one database transaction) and its reply. Goal: at
most 1.3x the floor per update. Rounds alternate (echo, Zhibu, echo, Zhibu …) and the best
round of each counts, so a noisy neighbour slows both rather than one.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlmodel import select

from bot.app import App, build_app
from bot.telegram.adapter import TelegramAdapter
from bot.turn import Incoming
from core import admin, demo
from core.config import Settings
from core.periods import local_today
from storage.db import session_scope
from storage.models import Identity, Member
from tests.e2e.fakebot import FakeTelegram, build_echo_app, run_polling

GOAL = 1.3
USER = 5001
COMMANDS = (  # what a secretary sends in a week, in turn
    "/log 支委会 昨天 应到7 实到6 主题:研究秋收工作",
    "/status",
    "/list",
    "/commitments",
    "/whoami",
)


async def drain(fake: FakeTelegram, push: Callable[[int], object], n: int) -> float:
    """Seconds from queuing ``n`` messages until the bot has answered every one."""
    before = fake.sent_count(USER)
    start = time.perf_counter()
    for i in range(n):
        push(i)
    await fake.wait_for_count_async(USER, before + n, timeout=600)
    return time.perf_counter() - start


def echo_push(fake: FakeTelegram) -> Callable[[int], object]:
    return lambda i: fake.user_message(f"echo {i}", user_id=USER)


def zhibu_push(fake: FakeTelegram) -> Callable[[int], object]:
    return lambda i: fake.user_message(COMMANDS[i % len(COMMANDS)], user_id=USER)


def zhibu_app(fake: FakeTelegram, workdir: Path) -> App:
    settings = Settings(
        database={"url": f"sqlite:///{workdir / 'bench.db'}"},
        files_dir=workdir / "files",
        telegram={
            "token": fake.token,
            "base_url": fake.base_url,
            "base_file_url": fake.base_file_url,
            "poll_timeout_seconds": 1,
            # by design the limiter holds sends to Telegram's 30/s; measured here: our own cost
            "rate_limit": False,
        },
    )
    app = build_app(settings)
    with session_scope(app.engine) as s:
        demo.seed(s, app.clock, local_today(app.clock, settings.tz), reset=True)
        secretary = s.exec(
            select(Member).join(Identity).where(Identity.external_id == "sec1")
        ).one()
        admin.bind_identity(s, secretary, "telegram", str(USER))
    return app


def router_only(app: App, n: int) -> float:
    """Seconds per message of the router alone (parsing, permissions, one transaction) on the
    same command mix: what Zhibu adds to the floor before any thread or HTTP cost."""
    router = app.router()
    start = time.perf_counter()
    for i in range(n):
        text = COMMANDS[i % len(COMMANDS)]
        router.handle(Incoming("telegram", str(USER), str(USER), text, message_id=f"r{i}"))
    return (time.perf_counter() - start) / n


async def measure(n: int, rounds: int) -> tuple[float, float, float]:
    """Best seconds per update of (echo floor, Zhibu, Zhibu's router alone)."""
    echo, zhibu, alone = [], [], []
    with FakeTelegram() as fake, tempfile.TemporaryDirectory() as tmp:
        app = zhibu_app(fake, Path(tmp))
        adapter = TelegramAdapter(app, pushes=False)
        for _ in range(rounds):
            async with run_polling(build_echo_app(fake)):
                await drain(fake, echo_push(fake), 20)  # warm-up
                echo.append(await drain(fake, echo_push(fake), n) / n)
            async with run_polling(adapter.application) as application:
                await adapter.post_init(application)
                await drain(fake, zhibu_push(fake), 20)
                zhibu.append(await drain(fake, zhibu_push(fake), n) / n)
            alone.append(router_only(app, n))
        app.engine.dispose()
    return min(echo), min(zhibu), min(alone)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=500, help="updates per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    echo, zhibu, alone = asyncio.run(measure(args.n, args.rounds))
    ratio = zhibu / echo
    print(f"Telegram, {args.n} updates x {args.rounds} rounds (best round), same fake server")
    print("(Zhibu's rate limiter off: it caps sends at Telegram's 30 messages/s on purpose)")
    print(f"  bare PTB echo bot  {echo * 1000:7.2f} ms/update  {1 / echo:7.0f} updates/s")
    print(f"  Zhibu              {zhibu * 1000:7.2f} ms/update  {1 / zhibu:7.0f} updates/s")
    print(f"  of which router    {alone * 1000:7.2f} ms/update  (no HTTP: parse, rights, SQL)")
    verdict = "meets" if ratio <= GOAL else "MISSES"
    print(f"  ratio Zhibu/floor  {ratio:7.2f}x   ({verdict} the goal of {GOAL}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
