"""``zhibu admin`` and ``zhibu status`` as an operator meets them: what a refusal says, its
exit code, and that a refused command leaves the database as it was. The command runs in
this process (on SQLite and, when configured, PostgreSQL) on the small town of conftest:
一村 (groups 第一党小组, 第二党小组; chat branch1), 二村 (no groups; chat branch2), the
leaders' chat town."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.cli import main
from storage.db import session_scope
from storage.models import (
    Invite,
)


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def zhibu(engine, town, monkeypatch, capsys, tmp_path):
    """Run ``zhibu ARGS`` on the test's database; return its exit code and output."""
    for key in [k for k in os.environ if k.startswith("ZHIBU_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ZHIBU_DATABASE__URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)  # no ./config.toml of the developer's

    def run(*args: str) -> Done:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse, or a message given to SystemExit
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


def rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table, to show a refused command changed nothing."""
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(sa_select(t).order_by(*t.primary_key))]
            for t in SQLModel.metadata.sorted_tables
        }


def refused(done: Done, *gist: str) -> None:
    """One line on stderr, worded like the CLI's other errors, saying ``gist``; exit 1."""
    assert done.returncode == 1, done
    assert done.stderr.startswith("错误：") and len(done.stderr.strip().splitlines()) == 1, done
    for part in gist:
        assert part in done.stderr, (part, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""


# ------------------------------------------------------------ status (8)


def test_status_names_an_unknown_org_as_export_does(zhibu, tmp_path):
    status = zhibu("status", "--org", "不存在")
    refused(status, "找不到党委“不存在”")
    export = zhibu("export", "--org", "不存在", "--period", "2026Q1", "--out", str(tmp_path / "x"))
    assert status.stderr == export.stderr


# ------------------------------------------------------------ invite (10)


@pytest.mark.parametrize("expires", ["0d", "99999d", "366d"])
def test_invite_validity_out_of_range_says_the_range(zhibu, engine, expires):
    done = zhibu("admin", "invite", "--branch", "一村", "--role", "党员", "--expires", expires)
    refused(done, f"有效期“{expires}”超出范围", "1m", "365d")
    with session_scope(engine) as s:
        assert s.exec(select(Invite)).all() == []
