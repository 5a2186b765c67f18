"""The real ``zhibu run`` process: polling and webhook mode, and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.conftest import invite_code, telegram_env
from tests.e2e.fakebot import FakeTelegram, free_port

USER = 4242
# `zhibu run` imports and migrates for ~5 s on an idle machine before its first Bot API call,
# and took 25-28 s with the CPUs busy: a startup wait must allow far more than that
STARTUP_SECONDS = 120


@contextmanager
def zhibu_run(env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    return proc.returncode, out


def wait_started(fake: FakeTelegram, proc: subprocess.Popen, method: str, n: int = 1) -> list:
    """The first ``n`` calls of ``method`` once ``zhibu run`` has started; if it exits first,
    fail at once with what it printed rather than wait out the timeout."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if len(fake.calls_of(method)) >= n:
            return fake.calls_of(method)
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"zhibu run exited with {proc.returncode} before {method}:\n{out}")
        time.sleep(0.1)
    raise AssertionError(f"no {n} x {method} from zhibu run after {STARTUP_SECONDS}s")


def test_polling_serves_and_stops_cleanly_on_sigterm(fake: FakeTelegram, db_url, tmp_path):
    code = invite_code(db_url, "--branch", "一村", "--role", "secretary")
    with zhibu_run(telegram_env(fake, db_url, tmp_path / "files"), tmp_path) as proc:
        wait_started(fake, proc, "setMyCommands", 4)
        fake.user_message(f"/start {code}", user_id=USER)
        (answer,) = fake.wait_for_messages(USER, 1)
        assert "绑定成功" in answer["text"]
        returncode, out = stop(proc)
    assert returncode == 0, out
    assert "Traceback" not in out
    assert fake.calls_of("deleteWebhook")  # polling makes sure no webhook is left behind


def test_webhook_mode_checks_the_secret(fake: FakeTelegram, db_url, tmp_path):
    port = free_port()
    env = telegram_env(fake, db_url, tmp_path / "files")
    env |= {
        "ZHIBU_TELEGRAM__WEBHOOK_URL": f"http://127.0.0.1:{port}/zhibu-hook",
        "ZHIBU_TELEGRAM__WEBHOOK_PORT": str(port),
        "ZHIBU_TELEGRAM__WEBHOOK_SECRET": "s3cret-token",
    }
    with zhibu_run(env, tmp_path) as proc:
        (registered,) = wait_started(fake, proc, "setWebhook")
        assert registered["url"].endswith("/zhibu-hook")
        assert registered["secret_token"] == "s3cret-token"
        wait_listening(port)
        update = fake.user_message("/start", user_id=USER)
        assert forged_post(registered["url"], update) == 403
        assert fake.post_to_webhook(update) == 200
        (answer,) = fake.wait_for_messages(USER, 1)
        assert "邀请链接" in answer["text"]
        returncode, out = stop(proc)
    assert returncode == 0, out


def wait_listening(port: int, timeout: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def forged_post(url: str, update: dict) -> int:
    """An update posted by someone who does not know the secret token."""
    request = urllib.request.Request(
        url,
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "guess"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
