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
from tests.e2e.fakebot import FakeTelegram

USER = 4242


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
    out, _ = proc.communicate(timeout=20)
    return proc.returncode, out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_polling_serves_and_stops_cleanly_on_sigterm(fake: FakeTelegram, db_url, tmp_path):
    code = invite_code(db_url, "--branch", "一村", "--role", "secretary")
    with zhibu_run(telegram_env(fake, db_url, tmp_path / "files"), tmp_path) as proc:
        fake.wait_for_call("setMyCommands", 4, timeout=30)
        fake.user_message(f"/start {code}", user_id=USER)
        (answer,) = fake.wait_for_messages(USER, 1, timeout=20)
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
        (registered,) = fake.wait_for_call("setWebhook", timeout=30)
        assert registered["url"].endswith("/zhibu-hook")
        assert registered["secret_token"] == "s3cret-token"
        wait_listening(port)
        update = fake.user_message("/start", user_id=USER)
        assert forged_post(registered["url"], update) == 403
        assert fake.post_to_webhook(update) == 200
        (answer,) = fake.wait_for_messages(USER, 1, timeout=20)
        assert "邀请链接" in answer["text"]
        returncode, out = stop(proc)
    assert returncode == 0, out


def wait_listening(port: int, timeout: float = 20) -> None:
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
