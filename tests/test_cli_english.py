"""``zhibu`` with ``locale = "en"`` (ZHIBU_LOCALE=en): every line the command prints, its
confirmations and its refusals alike, is English. The town here has English names, so any
Chinese character in the output would be the command's own words. (--help stays Chinese.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import run_zhibu

NOW = "2026-03-20T10:00"
EN = {"ZHIBU_LOCALE": "en"}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def zhibu(where: Path, *args: str):
    return run_zhibu(where, *args, env=EN)


def english(text: str) -> str:
    assert text.strip() and not CJK.search(text), text
    return text


def refused(done, code: int = 1) -> str:
    """An English refusal: one line on stderr, Error: …, the given exit code, no trace."""
    assert done.returncode == code, done
    assert done.stderr.startswith("Error: ") and len(done.stderr.strip().splitlines()) == 1
    return english(done.stderr)


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("english")
    steps = [
        ("create-org", "Green Hill"),
        ("add-branch", "East Village", "--short", "East", "--since", "2026-01-01"),
        ("add-branch", "West Village", "--short", "West", "--since", "2026-01-01"),
        ("bind-chat", "--platform", "console", "--chat", "east", "--branch", "East"),
        ("bind-chat", "--platform", "console", "--chat", "town"),
    ]
    for step in steps:
        done = zhibu(where, "admin", *step)
        assert done.returncode == 0, (step, done.stderr)
        english(done.stdout)
    return where


def test_admin_confirmations_are_english(town):
    group = zhibu(town, "admin", "add-group", "East", "Group One")
    assert english(group.stdout).startswith("Created the party group “Group One” in East Village")
    member = zhibu(town, "admin", "add-member", "Ann Lee", "--branch", "East", "--role", "member")
    assert english(member.stdout).startswith("Added the member “Ann Lee”")
    listing = english(zhibu(town, "admin", "list").stdout)
    assert "East Village (East): 1 member\n" in listing
    assert "West Village (West): 0 members" in listing


def test_binding_a_taken_chat_is_refused_in_english(town):
    taken = zhibu(
        town, "admin", "bind-chat", "--platform", "console", "--chat", "east", "--branch", "West"
    )
    said = refused(taken)
    assert "console chat east is already bound to “East Village”" in said
    assert "“West Village”" in said and "--force" in said
    leaders = zhibu(
        town, "admin", "bind-chat", "--platform", "console", "--chat", "town", "--branch", "East"
    )
    assert "“Green Hill (leaders' chat)”" in refused(leaders)


def test_export_confirms_in_english(town):
    out = town / "q1.csv"
    done = zhibu(town, "export", "--period", "2026Q1", "--now", NOW, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert english(done.stdout) == f"Exported Green Hill Q1 2026 data: {out}\n"


def test_an_unknown_branch_is_refused_in_english(town):
    args = ("--period", "2026Q1", "--now", NOW, "--out", str(town / "x.xlsx"))
    done = zhibu(town, "export", "--branch", "Nowhere", *args)
    assert "No branch called “Nowhere”" in refused(done)


def test_a_bad_period_is_refused_in_english(town):
    for command in (("export", "--out", "x.xlsx"), ("status",)):
        done = zhibu(town, *command, "--period", "2026Q5")
        assert "cannot read the period “2026Q5”" in refused(done, code=2)
    not_begun = zhibu(town, "export", "--period", "2026Q3", "--now", NOW, "--out", "q3.xlsx")
    assert "Q3 2026 has not begun" in refused(not_begun)


def test_jobs_list_describes_the_jobs_in_english(town):
    listing = english(zhibu(town, "jobs", "list", "--now", NOW).stdout)
    assert "Working day 1 of each month at 09:00" in listing
    assert "every Monday, the overdue commitments to the town" in listing
    assert "Next: " in listing
    assert english(zhibu(town, "outbox").stdout) == "No pushes waiting.\n"


def test_status_json_labels_the_period_in_english(town):
    done = zhibu(town, "status", "--period", "2026Q3", "--now", NOW, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["period_label"] == "Q3 2026"


async def test_pushes_printed_on_the_console_name_their_files_in_english():
    import io

    from bot.delivery import ConsoleNotifier

    out = io.StringIO()
    await ConsoleNotifier(out, locale="en").send("town", "Q1 summary", ["ledger.xlsx"])
    assert out.getvalue().splitlines()[:2] == ["→ [town] Q1 summary", "[file] ledger.xlsx"]
