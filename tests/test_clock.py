"""The real clock path: without --now, `zhibu` reads the wall clock and judges the period in
the org's time zone (time-machine moves the wall clock; nothing in core reads it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine

from bot import cli


def _status_json(capsys) -> dict:
    assert cli.main(["status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_status_uses_the_wall_clock_in_the_org_time_zone(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZHIBU_DATABASE__URL", f"sqlite:///{tmp_path / 'clock.db'}")
    monkeypatch.chdir(tmp_path)
    with time_machine.travel(datetime(2026, 3, 20, 2, tzinfo=UTC), tick=False):
        assert cli.main(["demo"]) == 0
        capsys.readouterr()
        assert _status_json(capsys)["period"] == "2026-03"
    # 17:00 UTC on 31 March is 01:00 on 1 April in Shanghai: April has begun, March has closed
    with time_machine.travel(datetime(2026, 3, 31, 17, tzinfo=UTC), tick=False):
        data = _status_json(capsys)
    assert (data["period"], data["as_of"]) == ("2026-04", "2026-04-01")
    with time_machine.travel(datetime(2026, 3, 31, 15, 59, tzinfo=UTC), tick=False):
        assert _status_json(capsys)["as_of"] == "2026-03-31"


def test_now_option_travels_without_touching_the_clock(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZHIBU_DATABASE__URL", f"sqlite:///{tmp_path / 'clock.db'}")
    monkeypatch.chdir(tmp_path)
    with time_machine.travel(datetime(2026, 11, 29, 3, tzinfo=UTC), tick=False):
        assert cli.main(["demo", "--now", "2026-06-15T10:00"]) == 0
        capsys.readouterr()
        assert cli.main(["status", "--json", "--now", "2026-06-15T10:00"]) == 0
        data = json.loads(capsys.readouterr().out)
    assert (data["period"], data["as_of"]) == ("2026-06", "2026-06-15")
