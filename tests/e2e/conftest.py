"""Zhibu's real Telegram adapter (python-telegram-bot over HTTP) against the fake Bot API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import build_app
from bot.telegram.adapter import TelegramAdapter
from core import admin, invites
from core.config import Settings
from core.periods import fixed_clock
from storage.db import session_scope
from tests.conftest import FOUNDED, local
from tests.e2e.fakebot import FakeTelegram, run_polling

CLOCK = fixed_clock(local(2026, 3, 20, 10))
GROUP_CHAT = -1001234


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A town with two branches and a leader, no chat accounts yet."""
    url = f"sqlite:///{tmp_path / 'zhibu.db'}"
    app = build_app(Settings(database={"url": url}), CLOCK)
    with session_scope(app.engine) as s:
        org = admin.create_org(s, CLOCK, "示范镇党委")
        admin.add_branch(s, FOUNDED, org, "一村党支部", "一村")
        admin.add_branch(s, FOUNDED, org, "二村党支部", "二村")
        admin.add_member(s, CLOCK, org, "王党员", "一村党支部", "member")
    app.engine.dispose()
    return url


def telegram_env(fake: FakeTelegram, db_url: str, files_dir: Path) -> dict[str, str]:
    return {
        "ZHIBU_DATABASE__URL": db_url,
        "ZHIBU_TELEGRAM__TOKEN": fake.token,
        "ZHIBU_TELEGRAM__BASE_URL": fake.base_url,
        "ZHIBU_TELEGRAM__BASE_FILE_URL": fake.base_file_url,
        "ZHIBU_TELEGRAM__POLL_TIMEOUT_SECONDS": "1",
        "ZHIBU_FILES_DIR": str(files_dir),
    }


def settings_for(fake: FakeTelegram, db_url: str, files_dir: Path) -> Settings:
    return Settings(
        database={"url": db_url},
        files_dir=files_dir,
        exports_dir=files_dir.parent / "exports",
        telegram={
            "token": fake.token,
            "base_url": fake.base_url,
            "base_file_url": fake.base_file_url,
            "poll_timeout_seconds": 1,
        },
    )


@pytest_asyncio.fixture
async def bot(fake, db_url, tmp_path) -> AsyncIterator[TelegramAdapter]:
    """The adapter polling the fake server in this event loop, as ``zhibu run`` runs it."""
    app = build_app(settings_for(fake, db_url, tmp_path / "files"), CLOCK)
    adapter = TelegramAdapter(app)
    async with run_polling(adapter.application) as application:
        await adapter.post_init(application)
        yield adapter
        await adapter.post_shutdown(application)
    app.engine.dispose()


def invite_code(db_url: str, *args: str) -> str:
    """Run the real ``zhibu admin invite`` and read the code from what it prints."""
    env = {
        **os.environ,
        "ZHIBU_DATABASE__URL": db_url,
        "ZHIBU_TELEGRAM__BOT_USERNAME": "ZhibuTestBot",
    }
    env.pop("ZHIBU_TELEGRAM__TOKEN", None)
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "admin", "invite", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    m = re.search(r"https://t\.me/ZhibuTestBot\?start=([A-Za-z0-9_-]+)", out)
    assert m, out
    return m.group(1)


def quick_invite(db_url: str, branch: str | None, role: str) -> str:
    """An invitation made in-process (the CLI path has its own test)."""
    app = build_app(Settings(database={"url": db_url}), CLOCK)
    with session_scope(app.engine) as s:
        org = admin.get_org(s)
        b = admin.branch_named(s, org, branch) if branch else None
        code = invites.create_invite(s, CLOCK, org, b, role, timedelta(days=7)).code
    app.engine.dispose()
    return code
