"""Random text at the router: never an exception, never a partial or invalid write."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.router import Incoming
from storage.models import Activity, Commitment

PREFIXES = [
    "",
    "/log ",
    "/study ",
    "记录 ",
    "/commit ",
    "/done ",
    "/edit 1 ",
    "/status ",
    "/withdraw 1 ",
    "/excuse ",
    "/list ",
    "/undo",
    "/log 支委会 ",
    "/log 党员大会 昨天 ",
]
ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
PIECES = st.sampled_from(
    [
        "支委会",
        "党小组会",
        "3月5日",
        "昨天",
        "应到",
        "实到",
        "人",
        "小时",
        ":",
        "：",
        "主题",
        "截止",
        "第一党小组",
        "２０２６",
        "🎉",
        "\x00",
        "\u200b",
        " ",
        "-",
        "99999999999999999999",
        "14:00-13:00",
        "2月30日",
        "个人",
        "committee meeting",
        "present",
        "expected",
        "hours",
        "topic:",
        "place:",
        ".",
        "March 5",
        "end of",
        "by",
        "last",
        "Q1",
    ]
)
TEXT = st.one_of(
    st.text(ALPHABET, max_size=200),
    st.lists(PIECES, max_size=30).map("".join),
    st.text(ALPHABET, min_size=1, max_size=40).map(lambda s: (s * (10_240 // len(s) + 1))[:10_240]),
)


def _records_are_valid(engine, today: date) -> None:
    with Session(engine) as s:
        for a in s.exec(select(Activity)).all():
            assert a.type_code and a.held_on <= today and a.present is not None
            assert a.expected is None or a.present <= a.expected
        for c in s.exec(select(Commitment)).all():
            assert c.content and c.due_on


# Fuzzing exercises the router's logic; one backend (SQLite) is enough for it.
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(prefix=st.sampled_from(PREFIXES), body=TEXT, user=st.sampled_from(["sec1", "leader", "x"]))
def test_random_text_never_breaks_the_router(router, town, engine, prefix, body, user):
    replies = router.handle(Incoming("console", "branch1", user, prefix + body, message_id=None))
    for reply in replies:
        assert "错误编号" not in reply.text, (prefix + body)[:200]
        assert len(reply.text) < 5000
    _records_are_valid(engine, date(2026, 3, 20))
