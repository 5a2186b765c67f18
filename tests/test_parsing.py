"""Table-driven tests of bot/parsing.py: the forgiving Chinese one-liners a secretary types.

Every test uses a fixed ``today`` (never the wall clock): TODAY is Friday 2026-03-20.
"""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.commitment_parsing import parse_commitment
from bot.parsing import (
    cn_number,
    find_date,
    normalise,
    parse_activity,
    parse_date,
    parse_period,
    split_keyed,
    take_counts,
    take_hours,
    take_time_range,
)
from core.activities import ActivityDraft
from core.config import ActivityTypeSettings
from core.errors import DomainError
from core.periods import Period
from core.rules import DEFAULT_REGISTRY, Registry

TODAY = date(2026, 3, 20)  # a Friday
JANUARY = date(2026, 1, 5)  # a Monday early in the year, for year inference
NOVEMBER = date(2026, 11, 10)  # late in the year, for deadlines


def test_today_is_a_friday():
    assert TODAY.weekday() == 4


# ---------------------------------------------------------------- normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("３月５日", "3月5日"),  # full-width digits
        ("主题：学习", "主题:学习"),  # full-width colon
        ("支委会，出席７人", "支委会,出席7人"),  # full-width comma
        ("ＡＢＣ１２３", "ABC123"),  # full-width letters
        ("支委会\u3000\u30003月5日", "支委会 3月5日"),  # ideographic spaces fold to one
        ("  支委会 \t 3月5日\n ", "支委会 3月5日"),  # runs of whitespace, trimmed
        ("支委会\x003月5日", "支委会 3月5日"),  # control characters dropped
        ("支委会、党课", "支委会、党课"),  # 、 is not a width variant: kept
        ("", ""),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


# ---------------------------------------------------------------- small helpers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("一", 1),
        ("两", 2),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("", None),
        ("几", None),
        ("一二", None),
    ],
)
def test_cn_number(text, expected):
    assert cn_number(text) == expected


@pytest.mark.parametrize(
    ("text", "free_words", "fields"),
    [
        ("支委会 3月5日", ["支委会", "3月5日"], {}),
        ("支委会 主题:学习", ["支委会"], {"topic": "学习"}),
        (
            "党员大会 主持:张三 记录:李四 地点:村委会",
            ["党员大会"],
            {"host": "张三", "recorder": "李四", "place": "村委会"},
        ),
        # the longest key wins: 主持人 is not 主持 + "人:…"
        ("主持人:张三 记录人:李四", [], {"host": "张三", "recorder": "李四"}),
        ("议题 : 换届, 备注:补记。", [], {"topic": "换届", "notes": "补记"}),
        ("主题: 地点:村委会", [], {"place": "村委会"}),  # an empty value is dropped
    ],
)
def test_split_keyed(text, free_words, fields):
    free, found = split_keyed(text)
    assert free.split() == free_words
    assert found == fields


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # explicit years
        ("2026-03-05", date(2026, 3, 5)),
        ("2026/3/5", date(2026, 3, 5)),
        ("2026.3.5", date(2026, 3, 5)),
        ("2026年3月5日", date(2026, 3, 5)),
        ("2025年12月31日", date(2025, 12, 31)),
        ("2026年3月5号", date(2026, 3, 5)),
        # month and day
        ("3月5日", date(2026, 3, 5)),
        ("3月5号", date(2026, 3, 5)),
        ("3月5", date(2026, 3, 5)),
        ("3.5", date(2026, 3, 5)),
        ("3/5", date(2026, 3, 5)),
        ("12月25日", date(2025, 12, 25)),  # 85 days ago last year, not 9 months ahead
        ("３月５日", date(2026, 3, 5)),  # full-width digits
        ("２０２６年３月５日", date(2026, 3, 5)),
        # relative days
        ("今天", date(2026, 3, 20)),
        ("今日", date(2026, 3, 20)),
        ("昨天", date(2026, 3, 19)),
        ("昨日", date(2026, 3, 19)),
        ("前天", date(2026, 3, 18)),
        ("大前天", date(2026, 3, 17)),
        ("明天", date(2026, 3, 21)),
        ("后天", date(2026, 3, 22)),
        ("3天前", date(2026, 3, 17)),
        ("三天前", date(2026, 3, 17)),
        ("十天前", date(2026, 3, 10)),
        ("20天前", date(2026, 2, 28)),
        # weekdays (weeks start on Monday; TODAY is Friday 2026-03-20)
        ("上周五", date(2026, 3, 13)),
        ("上周一", date(2026, 3, 9)),
        ("上周日", date(2026, 3, 15)),
        ("上上周五", date(2026, 3, 6)),
        ("本周一", date(2026, 3, 16)),
        ("这周三", date(2026, 3, 18)),
        ("本周日", date(2026, 3, 22)),
        ("周五", date(2026, 3, 20)),  # bare weekday: the most recent one, today included
        ("周四", date(2026, 3, 19)),
        ("周六", date(2026, 3, 14)),
        ("星期一", date(2026, 3, 16)),
        ("礼拜天", date(2026, 3, 15)),
        ("周1", date(2026, 3, 16)),
        # embedded in a sentence
        ("支委会 3月5日 出席7人", date(2026, 3, 5)),
        ("昨天下午开了支委会", date(2026, 3, 19)),
        # nothing that reads as a date
        ("支委会 出席7人", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "today", "future", "expected"),
    [
        # a past event written in January about December means last December
        ("12月28日", JANUARY, False, date(2025, 12, 28)),
        ("12.28", JANUARY, False, date(2025, 12, 28)),
        ("11月20日", JANUARY, False, date(2025, 11, 20)),
        ("1月3日", JANUARY, False, date(2026, 1, 3)),
        # …but the same words as a deadline mean the coming December
        ("12月28日", JANUARY, True, date(2026, 12, 28)),
        # a deadline already past this year means next year
        ("3月1日", TODAY, True, date(2027, 3, 1)),
        ("6月30日", NOVEMBER, True, date(2027, 6, 30)),
        ("12月31日", NOVEMBER, True, date(2026, 12, 31)),
        ("6月30日", TODAY, True, date(2026, 6, 30)),
        ("3月20日", TODAY, True, date(2026, 3, 20)),  # due today is still this year
        ("3月20日", TODAY, False, date(2026, 3, 20)),
        # an explicit year is never moved
        ("2026年3月1日", TODAY, True, date(2026, 3, 1)),
        ("2025-12-28", JANUARY, True, date(2025, 12, 28)),
        # 2月29日 in a leap year is an ordinary day
        ("2月29日", date(2028, 3, 20), False, date(2028, 2, 29)),
        # relative words ignore ``future``
        ("昨天", TODAY, True, date(2026, 3, 19)),
    ],
)
def test_year_inference(text, today, future, expected):
    assert parse_date(text, today, future=future) == expected


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("2月30日", "2月30日"),
        ("2026-02-30", "2026-02-30"),
        ("2026年2月29日", "2026年2月29日"),  # 2026 is not a leap year
        ("4月31日", "4月31日"),
        ("13月5日", "13月5日"),
        ("2026-00-10", "2026-00-10"),
        ("支委会 2月30日 7人", "2月30日"),
    ],
)
def test_invalid_dates_raise(text, raw):
    with pytest.raises(DomainError) as info:
        parse_date(text, TODAY)
    assert info.value.key == "invalid_date"
    assert info.value.params == {"text": raw}


@pytest.mark.parametrize(
    ("text", "expected_day", "matched"),
    [
        ("支委会 3月5日 出席7人", date(2026, 3, 5), "3月5日"),
        ("党员大会 2026-03-28 应到25", date(2026, 3, 28), "2026-03-28"),
        ("党小组会 昨天 8人参加", date(2026, 3, 19), "昨天"),
        ("党课 上周五", date(2026, 3, 13), "上周五"),
        ("学习 3天前", date(2026, 3, 17), "3天前"),
    ],
)
def test_find_date_reports_the_span(text, expected_day, matched):
    found = find_date(text, TODAY)
    assert found is not None
    assert found.day == expected_day
    assert text[found.span[0] : found.span[1]] == matched


def test_find_date_none():
    assert find_date("支委会 出席7人", TODAY) is None


def test_iso_date_wins_over_a_relative_word():
    assert parse_date("昨天补记 2026-03-05 的会", TODAY) == date(2026, 3, 5)


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("应到25 实到22", {"expected": 25, "present": 22}),
        ("应到25人，实到22人，缺席3人", {"expected": 25, "present": 22, "absent": 3}),
        ("应到会25人 到会22人", {"expected": 25, "present": 22}),
        ("出席7人 缺席1人", {"present": 7, "absent": 1}),
        ("出席7人", {"present": 7}),
        ("实到22名", {"present": 22}),
        ("参会人数 12", {"present": 12}),
        ("8人参加", {"present": 8}),
        ("8名参会", {"present": 8}),
        ("18人", {"present": 18}),
        ("缺席1人", {"absent": 1}),
        ("请假2人", {"absent": 2}),
        ("2人请假", {"absent": 2}),
        ("1人未到", {"absent": 1}),
        ("出席7人 请假2人", {"present": 7, "absent": 2}),
        ("支委会 3月5日", {}),
        ("", {}),
    ],
)
def test_take_counts(text, expected):
    rest, counts = take_counts(text)
    assert counts == expected
    if expected:
        assert not any(ch.isdigit() for ch in rest)


def test_take_counts_keeps_other_text():
    rest, counts = take_counts("支委会 3月5日 出席7人 研究发展")
    assert counts == {"present": 7}
    assert rest.split() == ["支委会", "3月5日", "研究发展"]


def test_take_counts_leaves_a_following_date_alone():
    # "8人参加" followed by a date: 8 present, and the date is still there to be read
    rest, counts = take_counts("8人参加 3月10日")
    assert counts == {"present": 8}
    assert "3月10日" in rest


# ---------------------------------------------------------------- hours and times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2小时", 2.0),
        ("2个小时", 2.0),
        ("1.5h", 1.5),
        ("1.5H", 1.5),
        ("3 h", 3.0),
        ("2钟头", 2.0),
        ("半小时", 0.5),
        ("半个小时", 0.5),
        ("90分钟", 1.5),
        ("45分钟", 0.75),
        ("100分钟", 1.67),
        ("1个半小时", 1.5),  # "one and a half hours", not half an hour
        ("1小时30分钟", 1.5),
        ("18人", None),
        ("", None),
    ],
)
def test_take_hours(text, expected):
    _, hours = take_hours(text)
    assert hours == expected


def test_take_hours_removes_what_it_read():
    rest, hours = take_hours("集中学习 2小时 18人")
    assert hours == 2.0
    assert rest.split() == ["集中学习", "18人"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:00-16:00", (time(14, 0), time(16, 0))),
        ("9:30~11:00", (time(9, 30), time(11, 0))),
        ("14:00到16:30", (time(14, 0), time(16, 30))),
        ("14:00 - 16:00", (time(14, 0), time(16, 0))),
        ("14:00", None),
        ("下午2点到4点", (time(14, 0), time(16, 0))),
        ("上午9点半至11点", (time(9, 30), time(11, 0))),
        ("晚上7点-9点", (time(19, 0), time(21, 0))),
        ("14点到16点30分", (time(14, 0), time(16, 30))),
        ("下午2点到下午4点", (time(14, 0), time(16, 0))),
        ("from 2pm to 4pm", (time(14, 0), time(16, 0))),
        ("2-4pm", (time(14, 0), time(16, 0))),
        ("9:30am - 11am", (time(9, 30), time(11, 0))),
        ("研究3-5月工作", None),
        ("第2点到第4点", None),
        ("2-4", None),
    ],
)
def test_take_time_range(text, expected):
    _, span = take_time_range(text)
    assert span == expected


@pytest.mark.parametrize(
    "line",
    ["committee on November 8, 5 present from 2pm to 4pm", "支委会 11月8日 5人 下午2点到4点"],
)
def test_a_time_range_and_on_before_a_date_leave_no_topic_behind(line):
    parsed = parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30))
    draft = parsed.draft
    assert (draft.held_on, draft.present) == (date(2026, 11, 8), 5)
    assert (draft.start_time, draft.end_time) == (time(14, 0), time(16, 0))
    assert draft.topic is None and not parsed.leftover


def test_take_time_range_invalid_time():
    with pytest.raises(DomainError) as info:
        take_time_range("25:00-26:00")
    assert info.value.key == "invalid_time"


# ---------------------------------------------------------------- activity lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "支委会 3月5日 出席7人 缺席1人 主题:学习贯彻全会精神",
            ActivityDraft(
                type_code="committee_meeting",
                held_on=date(2026, 3, 5),
                present=7,
                absent=1,
                topic="学习贯彻全会精神",
            ),
        ),
        (
            "党员大会 2026-03-28 应到25 实到22 主持:张三 记录:李四 地点:村委会",
            ActivityDraft(
                type_code="general_meeting",
                held_on=date(2026, 3, 28),
                expected=25,
                present=22,
                host="张三",
                recorder="李四",
                place="村委会",
            ),
        ),
        (
            "党小组会 昨天 8人参加",
            ActivityDraft(type_code="group_meeting", held_on=date(2026, 3, 19), present=8),
        ),
        (
            "集中学习 3月10日 2小时 18人 主题:学习二十届四中全会精神",
            ActivityDraft(
                type_code="study_session",
                held_on=date(2026, 3, 10),
                hours=2.0,
                present=18,
                topic="学习二十届四中全会精神",
            ),
        ),
        # Chinese punctuation: full-width colon and commas
        (
            "支委会，3月5日，出席7人，主题：研究村集体经济发展",
            ActivityDraft(
                type_code="committee_meeting",
                held_on=date(2026, 3, 5),
                present=7,
                topic="研究村集体经济发展",
            ),
        ),
        (
            "党课、3月5日、20人",
            ActivityDraft(type_code="party_lecture", held_on=date(2026, 3, 5), present=20),
        ),
        # full-width spaces and digits
        (
            "支委会\u3000３月５日\u3000出席７人",
            ActivityDraft(type_code="committee_meeting", held_on=date(2026, 3, 5), present=7),
        ),
        # leftover text becomes the topic
        (
            "支委会 3月5日 7人 研究村集体经济发展",
            ActivityDraft(
                type_code="committee_meeting",
                held_on=date(2026, 3, 5),
                present=7,
                topic="研究村集体经济发展",
            ),
        ),
        # …or the notes, when a topic was given
        (
            "支委会 3月5日 7人 补记 主题:换届",
            ActivityDraft(
                type_code="committee_meeting",
                held_on=date(2026, 3, 5),
                present=7,
                topic="换届",
                notes="补记",
            ),
        ),
        # order does not matter; the type may come later
        (
            "3月5日 出席7人 支委会",
            ActivityDraft(type_code="committee_meeting", held_on=date(2026, 3, 5), present=7),
        ),
        # aliases and the longest name
        (
            "支部委员会会议 3.5 7人",
            ActivityDraft(type_code="committee_meeting", held_on=date(2026, 3, 5), present=7),
        ),
        (
            "主题党日 本周一 15人",
            ActivityDraft(type_code="theme_day", held_on=date(2026, 3, 16), present=15),
        ),
        (
            "专题组织生活会 上周五 应到20 实到19",
            ActivityDraft(
                type_code="org_life_meeting",
                held_on=date(2026, 3, 13),
                expected=20,
                present=19,
            ),
        ),
        # time ranges
        (
            "党课 3月5日 14:00-16:00 20人",
            ActivityDraft(
                type_code="party_lecture",
                held_on=date(2026, 3, 5),
                start_time=time(14, 0),
                end_time=time(16, 0),
                present=20,
                hours=2.0,  # from the times, when no duration is given
            ),
        ),
        # a party group
        (
            "党小组会 第一党小组 3月5日 6人",
            ActivityDraft(
                type_code="group_meeting",
                held_on=date(2026, 3, 5),
                present=6,
                group="第一党小组",
            ),
        ),
        (
            "党小组会 3月5日 6人 小组:第二党小组",
            ActivityDraft(
                type_code="group_meeting",
                held_on=date(2026, 3, 5),
                present=6,
                group="第二党小组",
            ),
        ),
        # a study session in hours and a half
        (
            "集中学习 3.10 1.5h 18人",
            ActivityDraft(
                type_code="study_session",
                held_on=date(2026, 3, 10),
                hours=1.5,
                present=18,
            ),
        ),
        # year inference applies to activity dates too
        (
            "支委会 12月25日 7人",
            ActivityDraft(type_code="committee_meeting", held_on=date(2025, 12, 25), present=7),
        ),
        # only the type: the rest is for a guided question
        ("党课", ActivityDraft(type_code="party_lecture")),
        ("", ActivityDraft()),
        # counts written before a date must not swallow the date
        (
            "党小组会 8人参加 3月10日",
            ActivityDraft(type_code="group_meeting", held_on=date(2026, 3, 10), present=8),
        ),
        (
            "党员大会 20人出席 2026-03-28",
            ActivityDraft(type_code="general_meeting", held_on=date(2026, 3, 28), present=20),
        ),
        # "1个半小时" is one and a half hours
        (
            "集中学习 3月10日 1个半小时 18人",
            ActivityDraft(
                type_code="study_session",
                held_on=date(2026, 3, 10),
                hours=1.5,
                present=18,
            ),
        ),
    ],
)
def test_parse_activity(text, expected):
    parsed = parse_activity(text, DEFAULT_REGISTRY, TODAY)
    assert parsed.unknown_type is None
    assert parsed.leftover == ""
    assert parsed.draft == expected


@pytest.mark.parametrize(
    ("text", "unknown", "draft"),
    [
        (
            "座谈会 3月5日 8人",
            "座谈会",
            ActivityDraft(held_on=date(2026, 3, 5), present=8),
        ),
        (
            "开会 昨天 出席7人 主题:学习",
            "开会",
            ActivityDraft(held_on=date(2026, 3, 19), present=7, topic="学习"),
        ),
    ],
)
def test_parse_activity_unknown_type(text, unknown, draft):
    parsed = parse_activity(text, DEFAULT_REGISTRY, TODAY)
    assert parsed.unknown_type == unknown
    assert parsed.draft.type_code is None
    assert parsed.draft == draft


@pytest.mark.parametrize(
    ("text", "draft", "leftover"),
    [
        ("地点:村委会", ActivityDraft(place="村委会"), ""),
        ("出席8人 缺席0人", ActivityDraft(present=8, absent=0), ""),
        ("3月6日", ActivityDraft(held_on=date(2026, 3, 6)), ""),
        ("支委会 研究发展", ActivityDraft(type_code="committee_meeting"), "研究发展"),
    ],
)
def test_parse_activity_for_edit_keeps_leftover_apart(text, draft, leftover):
    parsed = parse_activity(text, DEFAULT_REGISTRY, TODAY, leftover_as_topic=False)
    assert parsed.unknown_type is None
    assert parsed.draft == draft
    assert parsed.leftover == leftover


def test_parse_activity_invalid_date():
    with pytest.raises(DomainError) as info:
        parse_activity("支委会 2月30日 7人", DEFAULT_REGISTRY, TODAY)
    assert info.value.key == "invalid_date"


# ---------------------------------------------------------------- commitments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("完成村道硬化2公里 截止6月30日", ("完成村道硬化2公里", date(2026, 6, 30), False)),
        ("个人 6月30日前完成走访100户", ("走访100户", date(2026, 6, 30), True)),
        ("个人承诺：走访100户 截止：6月30日", ("走访100户", date(2026, 6, 30), True)),
        ("书记承诺 建设党员活动室", ("建设党员活动室", None, True)),
        ("新建文化广场 12月31日之前", ("新建文化广场", date(2026, 12, 31), False)),
        # a deadline already past this year is next year's
        ("整治河道 截止3月1日", ("整治河道", date(2027, 3, 1), False)),
        ("整治河道 截止:2026-03-01", ("整治河道", date(2026, 3, 1), False)),
        ("发展党员2名", ("发展党员2名", None, False)),
        ("完成村道硬化２公里，截止６月３０日", ("完成村道硬化2公里", date(2026, 6, 30), False)),
        # a decimal in the content is not a date
        ("完成村道硬化2.5公里 截止6月30日", ("完成村道硬化2.5公里", date(2026, 6, 30), False)),
        # a year written before the deadline moves it there, and leaves the content
        ("完成村道硬化 截止明年6月底", ("完成村道硬化", date(2027, 6, 30), False)),
        ("建成文化广场 明年年底前完成", ("建成文化广场", date(2027, 12, 31), False)),
        ("建成文化广场 明年底", ("建成文化广场", date(2027, 12, 31), False)),
        ("建成文化广场 后年年底", ("建成文化广场", date(2028, 12, 31), False)),
        ("整治河道 今年4月1日前", ("整治河道", date(2026, 4, 1), False)),
        ("整治河道 2028年2月底", ("整治河道", date(2028, 2, 29), False)),
        ("修缮村部 2027年底前完成", ("修缮村部", date(2027, 12, 31), False)),
        ("建成文化广场 计划明年底完成", ("建成文化广场 计划完成", date(2027, 12, 31), False)),
        ("整治河道 26年6月底", ("整治河道", date(2026, 6, 30), False)),
        ("修缮村部 截止日期：6月30日", ("修缮村部", date(2026, 6, 30), False)),
        # 明/后 that end another word are no year: 说明 + 年底, 落后 + 年底
        ("提交整改情况说明年底前完成", ("提交整改情况说明", date(2026, 12, 31), False)),
        ("整改落后年底前摘帽", ("整改落后摘帽", date(2026, 12, 31), False)),
    ],
)
def test_parse_commitment(text, expected):
    assert parse_commitment(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "content", "due"),
    [
        # a day or a month with 前 after it: 28号前 this month, 15号前 next (the 15th is past)
        ("修好村道 28号前", "修好村道", date(2026, 3, 28)),
        ("修好村道 15号前", "修好村道", date(2026, 4, 15)),
        ("修好村道 5月前", "修好村道", date(2026, 4, 30)),  # before May begins
        ("修好村道 明年3月前", "修好村道", date(2027, 2, 28)),
        ("修好村道 三月底前", "修好村道", date(2026, 3, 31)),
        ("统一月底前上报", "统一上报", date(2026, 3, 31)),  # 统一 + 月底, not January
        # within a period named: its last day
        ("年内完成村道硬化", "村道硬化", date(2026, 12, 31)),
        ("计划明年内建成", "计划建成", date(2027, 12, 31)),
        ("提交整改情况说明年内完成", "提交整改情况说明", date(2026, 12, 31)),
        ("本季度内完成道路", "道路", date(2026, 3, 31)),
        ("下个月内交齐党费", "交齐党费", date(2026, 4, 30)),
        ("二季度内完成村道硬化", "村道硬化", date(2026, 6, 30)),
        ("一季度末前完成村道硬化", "村道硬化", date(2026, 3, 31)),
        ("2027年一季度末建成", "建成", date(2027, 3, 31)),
        ("明年上半年完成村部改造", "完成村部改造", date(2027, 6, 30)),
        ("12月份内发展党员2名", "发展党员2名", date(2026, 12, 31)),
        # within a span counted from today
        ("两周内完成走访", "走访", date(2026, 4, 3)),
        ("30天内完成", "", date(2026, 4, 19)),
        ("3个月以内修好水渠", "修好水渠", date(2026, 6, 20)),
        ("半年内完成", "", date(2026, 9, 20)),
        ("两年内建成", "建成", date(2028, 3, 20)),
        # before a day everyone knows: 七一, the festivals (春节: before its first day off)
        ("七一前完成党建阵地", "党建阵地", date(2026, 6, 30)),
        ("国庆前修好村道", "修好村道", date(2026, 9, 30)),
        ("春节前走访困难党员", "走访困难党员", date(2027, 2, 4)),
        ("下周五前交材料", "交材料", date(2026, 3, 27)),
        ("周四前交材料", "交材料", date(2026, 3, 26)),  # the coming Thursday, not last week's
        # a date with 前 beats a period in the content's words, and vice versa
        ("完成年内目标 12月20日前", "完成年内目标", date(2026, 12, 20)),
        ("落实3月5日会议精神 年内完成", "落实3月5日会议精神", date(2026, 12, 31)),
        # a keyed deadline leaves what follows it to the content
        ("截止：12月20日 完成党建阵地", "完成党建阵地", date(2026, 12, 20)),
        ("截止：七一前 完成党建阵地", "完成党建阵地", date(2026, 6, 30)),
        ("visit 5 households within 2 weeks", "visit 5 households", date(2026, 4, 3)),
        ("fix the road by the end of Q2", "fix the road", date(2026, 6, 30)),
        # before the first quarter or within it? Left to the question that asks the deadline
        ("一季度前完成村道硬化", "一季度前完成村道硬化", None),
    ],
)
def test_deadlines_only_a_commitment_uses(text, content, due):
    assert parse_commitment(text, TODAY) == (content, due, False)


def test_a_deadline_festival_is_found_in_the_lunar_calendar_of_its_year():
    # 2026's Spring Festival eve is February 16th: before it, the deadline is that year's
    assert parse_commitment("春节前走访困难党员", date(2026, 1, 10))[1] == date(2026, 2, 15)
    assert parse_commitment("明年春节前走访", date(2026, 1, 10))[1] == date(2027, 2, 4)


@pytest.mark.parametrize("text", ["修路 截止:尽快", "修路 期限:6月31日"])
def test_parse_commitment_bad_due_date(text):
    with pytest.raises(DomainError) as info:
        parse_commitment(text, TODAY)
    assert info.value.key == "invalid_due"  # its examples are deadlines, never 昨天


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本月", Period.month(2026, 3)),
        ("这个月", Period.month(2026, 3)),
        ("上月", Period.month(2026, 2)),
        ("上个月", Period.month(2026, 2)),
        ("本季度", Period.quarter(2026, 1)),
        ("上季度", Period.quarter(2025, 4)),
        ("今年", Period.of_year(2026)),
        ("全年", Period.of_year(2026)),
        ("去年", Period.of_year(2025)),
        ("2026Q1", Period.quarter(2026, 1)),
        ("2026q4", Period.quarter(2026, 4)),
        ("2026年Q2", Period.quarter(2026, 2)),
        ("Q2", Period.quarter(2026, 2)),
        ("2026-03", Period.month(2026, 3)),
        ("2026-3", Period.month(2026, 3)),
        ("2026.03", Period.month(2026, 3)),
        ("2026/3", Period.month(2026, 3)),
        ("2026年3月", Period.month(2026, 3)),
        ("２０２６年３月", Period.month(2026, 3)),
        ("3月", Period.month(2026, 3)),
        ("12月份", Period.month(2026, 12)),
        ("2026年第一季度", Period.quarter(2026, 1)),
        ("2025年第四季度", Period.quarter(2025, 4)),
        ("一季度", Period.quarter(2026, 1)),
        ("第三季度", Period.quarter(2026, 3)),
        ("上半年", Period(2026, "half", 1)),
        ("下半年", Period(2026, "half", 2)),
        ("2025年下半年", Period(2025, "half", 2)),
        ("2026H2", Period(2026, "half", 2)),
        ("2025", Period.of_year(2025)),
        ("2025年", Period.of_year(2025)),
        (" 本 月 ", Period.month(2026, 3)),
        ("上一季度", Period.quarter(2025, 4)),
        ("上一个季度", Period.quarter(2025, 4)),
        ("前年", Period.of_year(2024)),
        ("2025年度", Period.of_year(2025)),
        ("十一月", Period.month(2026, 11)),
        ("二月份", Period.month(2026, 2)),
        ("2025年十二月", Period.month(2025, 12)),
        ("26年3月", Period.month(2026, 3)),
        ("25年四季度", Period.quarter(2025, 4)),
        ("25年上半年", Period(2025, "half", 1)),
        # bad ones
        ("十三月", None),
        ("零月", None),
        ("2026-13", None),
        ("2026-00", None),
        ("2026年13月", None),
        ("13月", None),
        ("2026Q5", None),
        ("第五季度", None),
        ("1999", None),
        ("abc", None),
        ("", None),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上月", Period.month(2025, 12)),
        ("上季度", Period.quarter(2025, 4)),
        ("本季度", Period.quarter(2026, 1)),
        ("去年", Period.of_year(2025)),
    ],
)
def test_parse_period_in_january_crosses_the_year(text, expected):
    assert parse_period(text, JANUARY) == expected


@pytest.mark.parametrize(
    ("text", "today", "future", "year"),
    [
        ("2月29日", TODAY, False, 2026),  # 2026 has no 29 February: say so, don't guess 2024
        ("2.29", TODAY, False, 2026),
        ("2月29日", date(2028, 3, 1), True, 2029),  # the deadline would fall in a common year
    ],
)
def test_29_february_outside_a_leap_year_is_named(text, today, future, year):
    with pytest.raises(DomainError) as caught:
        parse_date(text, today, future=future)
    assert caught.value.key == "no_such_day"
    assert caught.value.params == {"year": year, "month": 2, "day": 29}


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("五人参加", {"present": 5}),
        ("十二人", {"present": 12}),
        ("应到十二 实到十", {"expected": 12, "present": 10}),
        ("出席二十三人 缺席两人", {"present": 23, "absent": 2}),
        ("第一党小组 八人", {"present": 8}),  # the 一 of 第一 is a name, not a count
    ],
)
def test_counts_in_chinese_numerals(text, counts):
    assert take_counts(text)[1] == counts


@pytest.mark.parametrize(
    ("text", "hours"), [("两小时", 2.0), ("两个小时", 2.0), ("一个半小时", 1.5), ("三小时", 3.0)]
)
def test_hours_in_chinese_numerals(text, hours):
    assert take_hours(text)[1] == hours


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("年底前完成", date(2026, 12, 31)),
        ("6月底前", date(2026, 6, 30)),
        ("下个月底", date(2026, 4, 30)),
        ("月底", date(2026, 3, 31)),
        ("本季度末", date(2026, 3, 31)),
        ("2月底", date(2027, 2, 28)),  # already past this year: next February
    ],
)
def test_deadlines_at_the_end_of_a_month_quarter_or_year(text, due):
    assert parse_date(text, TODAY, future=True) == due


def test_time_range_is_taken_out_of_a_topic():
    draft = parse_activity(
        "支委会 昨天 7人 主题:学习党章 14:00-16:00", DEFAULT_REGISTRY, TODAY
    ).draft
    assert (draft.topic, draft.start_time, draft.end_time) == ("学习党章", time(14), time(16))


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("支委", "committee_meeting"),
        ("支部委员会", "committee_meeting"),
        ("全体党员大会", "general_meeting"),
        ("党小组", "group_meeting"),
        ("组织生活", "org_life_meeting"),
        ("外出观摩", "field_study"),
    ],
)
def test_everyday_names_of_meetings(word, code):
    assert parse_activity(f"{word} 昨天 8人", DEFAULT_REGISTRY, TODAY).draft.type_code == code


# ---------------------------------------------------------------- English names of types


@pytest.mark.parametrize(
    ("words", "code"),
    [
        ("General meeting", "general_meeting"),
        ("general meeting", "general_meeting"),
        ("Committee meeting", "committee_meeting"),
        ("COMMITTEE MEETING", "committee_meeting"),
        ("committee", "committee_meeting"),
        ("Party group meeting", "group_meeting"),
        ("group meeting", "group_meeting"),
        ("Party lecture", "party_lecture"),
        ("lecture", "party_lecture"),
        ("Theme day", "theme_day"),
        ("Organisational life meeting", "org_life_meeting"),
        ("org life meeting", "org_life_meeting"),
        ("Democratic review", "democratic_review"),
        ("Heart-to-heart talks", "heart_talk"),
        ("heart to heart talks", "heart_talk"),
        ("heart talk", "heart_talk"),
        ("Group study", "study_session"),
        ("seminar", "seminar"),
        ("tutorial", "tutorial_report"),
        ("Field study", "field_study"),
        ("Lecture for branches", "town_lecture"),  # the longest name, not 'lecture'
    ],
)
def test_english_names_of_types_in_a_line(words, code):
    draft = parse_activity(f"{words} yesterday 8人", DEFAULT_REGISTRY, TODAY).draft
    assert draft == ActivityDraft(type_code=code, held_on=date(2026, 3, 19), present=8)


def test_words_after_an_english_name_are_the_topic():
    draft = parse_activity("committee meeting 8人 budget review", DEFAULT_REGISTRY, TODAY).draft
    assert (draft.type_code, draft.topic) == ("committee_meeting", "budget review")


def test_an_english_name_matches_whole_words_only():
    parsed = parse_activity("committees yesterday 8人", DEFAULT_REGISTRY, TODAY)
    assert (parsed.draft.type_code, parsed.unknown_type) == (None, "committees")


def test_english_names_from_config():
    registry = Registry.from_settings(
        {"party_lecture": ActivityTypeSettings(en_name="Party class", en_aliases=["class"])}
    )
    assert registry.find("party class") is registry.find("CLASS") is registry.get("party_lecture")
    assert registry.find("党课") is registry.get("party_lecture")


# ---------------------------------------------------------------- English counts and fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 present", {"present": 7}),
        ("present 7", {"present": 7}),
        ("Present: 7", {"present": 7}),
        ("expected 8 present 7", {"expected": 8, "present": 7}),
        ("8 expected 7 present", {"expected": 8, "present": 7}),
        ("8 expected, 7 present, 1 absent", {"expected": 8, "present": 7, "absent": 1}),
        # read left to right: the 1 belongs to "absent", not to "present 1"
        ("7 present 1 absent", {"present": 7, "absent": 1}),
        ("present 7 absent 1", {"present": 7, "absent": 1}),
        ("absent 1", {"absent": 1}),
        ("2 on leave", {"absent": 2}),
        ("12 attendees", {"present": 12}),
        ("7 people attended", {"present": 7}),
        ("7 people", {"present": 7}),
        ("present 7.", {"present": 7}),
        ("出席7人 absent 1", {"present": 7, "absent": 1}),  # Chinese and English mixed
    ],
)
def test_take_counts_in_english(text, expected):
    rest, counts = take_counts(text)
    assert counts == expected
    assert not any(ch.isdigit() for ch in rest)


@pytest.mark.parametrize("text", ["3/5 present", "present 3/5", "14:00 present", "present"])
def test_english_count_words_leave_dates_and_times_alone(text):
    rest, counts = take_counts(text)
    assert counts == {}
    assert rest == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 hours", 2.0),
        ("1 hour", 1.0),
        ("1.5 hours", 1.5),
        ("2 hrs", 2.0),
        ("2h", 2.0),
        ("1 hour 30 minutes", 1.5),
        ("90 minutes", 1.5),
        ("45 min", 0.75),
        ("half an hour", 0.5),
        ("8 hosts", None),
    ],
)
def test_take_hours_in_english(text, expected):
    _, hours = take_hours(text)
    assert hours == expected


@pytest.mark.parametrize(
    ("text", "free_words", "fields"),
    [
        ("topic: budget review", [], {"topic": "budget review"}),
        ("Topic: roads, schools", [], {"topic": "roads, schools"}),
        # an English name or place may be several words, up to a comma or the next key…
        (
            "host: Li Ming, recorder: Wang Fang place: village hall",
            [],
            {"host": "Li Ming", "recorder": "Wang Fang", "place": "village hall"},
        ),
        # …or what reads as a count, a duration or a date
        ("place: village hall 7 present", ["7", "present"], {"place": "village hall"}),
        ("venue: Room 3 2 hours", ["2", "hours"], {"place": "Room 3"}),
        ("host: Li Ming yesterday", ["yesterday"], {"host": "Li Ming"}),
        ("date: 3/6 7 present", ["7", "present"], {"held_on": "3/6"}),
        ("update: budget", ["update:", "budget"], {}),  # a key is a whole word
    ],
)
def test_split_keyed_in_english(text, free_words, fields):
    free, found = split_keyed(text)
    assert free.split() == free_words
    assert found == fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "committee meeting yesterday expected 8 present 7 topic: budget place: village hall",
            ActivityDraft(
                type_code="committee_meeting",
                held_on=date(2026, 3, 19),
                expected=8,
                present=7,
                topic="budget",
                place="village hall",
            ),
        ),
        (
            "general meeting 2026-03-18 host: Li Ming 25 expected 22 present 3 absent",
            ActivityDraft(
                type_code="general_meeting",
                held_on=date(2026, 3, 18),
                expected=25,
                present=22,
                absent=3,
                host="Li Ming",
            ),
        ),
        (
            "group study 3/10 2 hours 18 present topic: the Party constitution",
            ActivityDraft(
                type_code="study_session",
                held_on=date(2026, 3, 10),
                hours=2.0,
                present=18,
                topic="the Party constitution",
            ),
        ),
        (
            "theme day yesterday 15 present. Visited veteran members",
            ActivityDraft(
                type_code="theme_day",
                held_on=date(2026, 3, 19),
                present=15,
                topic="Visited veteran members",
            ),
        ),
    ],
)
def test_parse_activity_in_english(text, expected):
    parsed = parse_activity(text, DEFAULT_REGISTRY, TODAY)
    assert (parsed.unknown_type, parsed.leftover) == (None, "")
    assert parsed.draft == expected


# ---------------------------------------------------------------- English dates and periods


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 5", date(2026, 3, 5)),
        ("mar. 5th", date(2026, 3, 5)),
        ("5 March", date(2026, 3, 5)),
        ("5th of March 2025", date(2025, 3, 5)),
        ("March 5, 2025", date(2025, 3, 5)),
        ("Dec 25", date(2025, 12, 25)),  # a past meeting: last December
        ("the day before yesterday", date(2026, 3, 18)),
        ("3 days ago", date(2026, 3, 17)),
        ("Friday", date(2026, 3, 20)),  # the latest Friday: today
        ("last Friday", date(2026, 3, 13)),  # the latest before today
        ("last Thursday", date(2026, 3, 19)),
        ("this Monday", date(2026, 3, 16)),
        ("may", None),  # a month's name alone is no day
        ("update", None),  # 'date' inside a word
        ("todays", None),
    ],
)
def test_english_dates(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "today", "due"),
    [
        ("end of June", TODAY, date(2026, 6, 30)),
        ("end of June", NOVEMBER, date(2027, 6, 30)),
        ("the end of the month", TODAY, date(2026, 3, 31)),
        ("end of next month", TODAY, date(2026, 4, 30)),
        ("end of this quarter", TODAY, date(2026, 3, 31)),
        ("end of the year", TODAY, date(2026, 12, 31)),
    ],
)
def test_english_deadlines_at_the_end_of_a_month_quarter_or_year(text, today, due):
    assert parse_date(text, today, future=True) == due


def test_invalid_english_date_raises():
    with pytest.raises(DomainError) as info:
        parse_date("committee Feb 30", TODAY)
    assert (info.value.key, info.value.params) == ("invalid_date", {"text": "Feb 30"})


@pytest.mark.parametrize(
    "text",
    [
        "committee March 5 present 7",
        "committee 5 March 7 present",
        "committee present 7 March 5",
        "committee 7 present 5 March",
    ],
)
def test_the_day_of_a_month_is_not_a_head_count(text):
    draft = parse_activity(text, DEFAULT_REGISTRY, TODAY).draft
    assert (draft.held_on, draft.present, draft.topic) == (date(2026, 3, 5), 7, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("this month", Period.month(2026, 3)),
        ("Last Month", Period.month(2026, 2)),
        ("this quarter", Period.quarter(2026, 1)),
        ("last quarter", Period.quarter(2025, 4)),
        ("this year", Period.of_year(2026)),
        ("last year", Period.of_year(2025)),
        ("Q1 2026", Period.quarter(2026, 1)),
        ("q2", Period.quarter(2026, 2)),
        ("H2 2025", Period(2025, "half", 2)),
        ("Mar 2026", Period.month(2026, 3)),
        ("february", Period.month(2026, 2)),
        ("Q5", None),
        ("this", None),
    ],
)
def test_english_periods(text, expected):
    assert parse_period(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pave 2 km of village road by June 30", ("Pave 2 km of village road", date(2026, 6, 30))),
        (
            "Build a library by the county by end of June",
            ("Build a library by the county", date(2026, 6, 30)),
        ),
        ("Repair the bridge due 2026-05-01", ("Repair the bridge", date(2026, 5, 1))),
        ("Repair the bridge before May 1", ("Repair the bridge", date(2026, 5, 1))),
        ("Clean the river, deadline: 2026-05-01", ("Clean the river", date(2026, 5, 1))),
        ("Personally visit 5 households", ("Personally visit 5 households", None)),
    ],
)
def test_parse_commitment_in_english(text, expected):
    assert parse_commitment(text, TODAY) == (*expected, False)


def test_personal_commitment_in_english():
    expected = ("Visit 5 households a month", date(2026, 12, 31), True)
    assert (
        parse_commitment("personal: Visit 5 households a month by end of year", TODAY) == expected
    )


@pytest.mark.parametrize(
    ("text", "topic", "held_on"),
    [
        # hyphens and case in a topic right after the type stay as written
        ("支委会研究2026-2027年工作计划 3月5日 7人", "研究2026-2027年工作计划", date(2026, 3, 5)),
        ("支委会COVID-19防控 3月5日 7人", "COVID-19防控", date(2026, 3, 5)),
        # a Chinese date wins over English words in the topic
        ("支委会 昨天 7人 学习 5 March 文件", "学习 5 March 文件", date(2026, 3, 19)),
        ("支委会 前天 7人 学习 May 4 讲话", "学习 May 4 讲话", date(2026, 3, 18)),
        # English keys glued to Chinese are prose
        ("支委会 3月5日 7人 主题:学习notes:精神", "学习notes:精神", date(2026, 3, 5)),
    ],
)
def test_chinese_lines_keep_their_topic_and_date(text, topic, held_on):
    draft = parse_activity(text, DEFAULT_REGISTRY, TODAY).draft
    assert (draft.topic, draft.held_on, draft.present) == (topic, held_on, 7)


# ---------------------------------------------------------------- defects found by exploratory testing


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        # 7/8 next to an attendance word, or followed by 人, is 7 present of 8 expected
        ("实到7/8", {"present": 7, "expected": 8}),
        ("到会人数7/8", {"present": 7, "expected": 8}),
        ("出席7/8", {"present": 7, "expected": 8}),
        ("7/8人", {"present": 7, "expected": 8}),
        ("出席 7 / 8 人", {"present": 7, "expected": 8}),
        ("实到:7/8", {"present": 7, "expected": 8}),
    ],
)
def test_a_ratio_after_an_attendance_word_is_a_head_count(text, counts):
    rest, found = take_counts(text)
    assert found == counts
    assert _words_of(rest) == []
    assert find_date(text, TODAY) is None  # and never a date


@pytest.mark.parametrize(
    ("text", "held_on", "counts"),
    [
        ("党员大会 昨天 到会人数7/8", date(2026, 3, 19), (8, 7)),
        ("党员大会 3号 实到7/8", date(2026, 3, 3), (8, 7)),
        ("党员大会 昨天 7/8人", date(2026, 3, 19), (8, 7)),
        ("党员大会 昨天 出席7/8", date(2026, 3, 19), (8, 7)),
        # a bare 7/8 never overrides a date word; it is no topic either, and the count is asked
        ("党员大会 昨天 7/8", date(2026, 3, 19), (None, None)),
        # a date with its year written with slashes stays a date
        ("党员大会 2026/3/8 实到7", date(2026, 3, 8), (None, 7)),
        ("党员大会 3/8 实到7", date(2026, 3, 8), (None, 7)),
    ],
)
def test_a_ratio_never_becomes_the_date(text, held_on, counts):
    draft = parse_activity(text, DEFAULT_REGISTRY, TODAY).draft
    assert (draft.held_on, (draft.expected, draft.present), draft.topic) == (held_on, counts, None)


def test_a_date_with_slashes_and_a_year_stays_a_date():
    assert parse_date("2026/7/8", TODAY) == date(2026, 7, 8)
    assert take_counts("2026/7/8人")[1] == {}


@pytest.mark.parametrize(
    ("text", "held_on", "present", "topic"),
    [
        ("支委会 主题:研究春耕 昨天 6人", date(2026, 3, 19), 6, "研究春耕"),
        ("支委会 主题:研究春耕 昨天 实到6人", date(2026, 3, 19), 6, "研究春耕"),
        ("支委会 主题 研究春耕 6人 昨天", date(2026, 3, 19), 6, "研究春耕"),
        # a date inside the topic is the topic's
        ("支委会 主题:学习7月1日讲话精神", None, None, "学习7月1日讲话精神"),
        ("支委会 主题:学习7月1日讲话精神 昨天 6人", date(2026, 3, 19), 6, "学习7月1日讲话精神"),
        # peeled from the end only, up to the first word that is neither
        ("支委会 主题:研究 6人 春耕 昨天", date(2026, 3, 19), None, "研究 6人 春耕"),
        # what the record already has is not taken again
        ("支委会 3月5日 主题:研究春耕 昨天", date(2026, 3, 5), None, "研究春耕 昨天"),
        ("支委会 7人 主题:研究春耕 6人", None, 7, "研究春耕 6人"),
        # alone, a bare count or a short date is as likely the topic's own
        (
            "主题党日 昨天 主题:走访慰问困难党员 5人",
            date(2026, 3, 19),
            None,
            "走访慰问困难党员 5人",
        ),
        ("支委会 实到6 主题:纪念建党 7.1", None, 6, "纪念建党 7.1"),
        ("支委会 实到6 主题:传达 3号", None, 6, "传达 3号"),
        ("支委会 主题:研究春耕 实到6人", None, 6, "研究春耕"),
    ],
)
def test_a_date_or_count_typed_after_the_topic(text, held_on, present, topic):
    draft = parse_activity(text, DEFAULT_REGISTRY, TODAY).draft
    assert (draft.held_on, draft.present, draft.topic) == (held_on, present, topic)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        # a day of the month alone: this month's, or last month's if still to come
        ("3号", TODAY, date(2026, 3, 3)),
        ("3日", TODAY, date(2026, 3, 3)),
        ("二十号", TODAY, date(2026, 3, 20)),
        ("25号", TODAY, date(2026, 2, 25)),
        ("支委会 3号 6人", TODAY, date(2026, 3, 3)),
        ("本月3日", TODAY, date(2026, 3, 3)),
        ("这个月3号", TODAY, date(2026, 3, 3)),
        ("上个月15号", TODAY, date(2026, 2, 15)),
        ("上月15号", TODAY, date(2026, 2, 15)),
        ("上月15号", JANUARY, date(2025, 12, 15)),
        # months and days in Chinese numerals, and spaced out
        ("三月三日", TODAY, date(2026, 3, 3)),
        ("十一月三日", NOVEMBER, date(2026, 11, 3)),
        ("11月三日", NOVEMBER, date(2026, 11, 3)),
        ("十二月二十五日", TODAY, date(2025, 12, 25)),
        ("11 月 3 日", NOVEMBER, date(2026, 11, 3)),
        ("2025年十二月二十五日", TODAY, date(2025, 12, 25)),
        # month-day with a hyphen, the same year rule as 11月3日
        ("11-3", NOVEMBER, date(2026, 11, 3)),
        ("12-25", TODAY, date(2025, 12, 25)),
        # eight digits
        ("20261103", TODAY, date(2026, 11, 3)),
    ],
)
def test_more_chinese_date_forms(text, today, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3号", date(2026, 4, 3)), ("25号", date(2026, 3, 25)), ("下月1号", date(2026, 4, 1))],
)
def test_a_day_alone_as_a_deadline_is_the_next_one(text, expected):
    assert parse_date(text, TODAY, future=True) == expected


def test_a_day_alone_that_last_month_lacks_is_refused():
    with pytest.raises(DomainError) as info:
        parse_date("31号", date(2026, 3, 5))
    assert info.value.key == "invalid_date"


@pytest.mark.parametrize("text", ["学习3号文件", "3号楼", "第3号", "2025", "1103"])
def test_numbers_that_are_no_date(text):
    assert find_date(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("实到7人/应到8人", {"present": 7, "expected": 8}),
        ("共8人", {"present": 8}),
        ("共计8人参加", {"present": 8}),
        ("8名", {"present": 8}),
        ("党员8名", {"present": 8}),
        ("8名党员参加", {"present": 8}),
        ("应到8人,实到7人,缺席1人(外出务工)", {"expected": 8, "present": 7, "absent": 1}),
        ("实到:7 应到:8", {"present": 7, "expected": 8}),
        ("参加人数:8", {"present": 8}),
        ("请假1", {"absent": 1}),
        ("应到8 实到6 请假1 缺席1", {"expected": 8, "present": 6, "absent": 2}),
        ("缺席1人 2人请假", {"absent": 3}),
    ],
)
def test_more_ways_to_write_a_head_count(text, counts):
    rest, found = take_counts(normalise(text))
    assert found == counts
    assert _words_of(rest) == []


def _words_of(rest: str) -> list[str]:
    return [w for w in rest.replace("/", " ").replace(",", " ").split() if w]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("支委会 昨天 7/8人", ActivityDraft(present=7, expected=8)),
        ("支委会 昨天 实到7人/应到8人", ActivityDraft(present=7, expected=8)),
        ("支委会 昨天 共8人", ActivityDraft(present=8)),
        ("支委会 昨天 党员8名", ActivityDraft(present=8)),
        (
            "支委会 昨天 应到8人，实到7人，缺席1人（外出务工）",
            ActivityDraft(expected=8, present=7, absent=1, notes="缺席1人（外出务工）"),
        ),
        ("支委会 昨天 6人 主题 党史学习", ActivityDraft(present=6, topic="党史学习")),
        ("支委会 昨天 6人 题目:党史学习", ActivityDraft(present=6, topic="党史学习")),
        ("支委会 昨天 6人 议题:党史学习", ActivityDraft(present=6, topic="党史学习")),
        ("支委会 昨天 实到:7 应到:8", ActivityDraft(present=7, expected=8)),
        ("支委会 昨天 参加人数：8", ActivityDraft(present=8)),
        (
            "支委会 昨天 应到8 实到6 请假1 缺席1",
            ActivityDraft(expected=8, present=6, absent=2, notes="请假1人"),
        ),
        (
            "支委会 昨天 实到7 请假1人(生病) 备注:补记",
            ActivityDraft(present=7, absent=1, notes="补记 请假1人（生病）"),
        ),
        ("支委会 昨天 6人 。/ ，", ActivityDraft(present=6)),
    ],
)
def test_no_fragment_becomes_the_topic(text, expected):
    parsed = parse_activity(text, DEFAULT_REGISTRY, TODAY)
    assert parsed.unknown_type is None
    assert parsed.draft == expected.merged(type_code="committee_meeting", held_on=date(2026, 3, 19))


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("测试承诺 于12月20日前完成", "测试承诺"),
        ("测试承诺 到12月20日", "测试承诺"),
        ("测试承诺在12月20日前完成", "测试承诺"),
        ("产量达到12月20日", "产量达到"),  # 达到 is a word of its own
    ],
)
def test_the_word_leading_to_a_deadline_goes_with_it(text, content):
    assert parse_commitment(text, TODAY) == (content, date(2026, 12, 20), False)


@pytest.mark.parametrize(
    ("line", "hours"),
    [
        ("时长:3", 3.0),
        ("时长：2.5小时", 2.5),
        ("学时:90分钟", 1.5),
        ("hours: 2", 2.0),
        ("时长: 2 小时 主题:党章", 2.0),
        ("hours: 1.5 hours", 1.5),
    ],
)
def test_hours_may_be_given_as_a_field(line, hours):
    assert parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30)).draft.hours == hours


def test_an_unreadable_duration_field_is_named():
    with pytest.raises(DomainError) as info:
        parse_activity("时长:很久", DEFAULT_REGISTRY, date(2026, 11, 30))
    assert info.value.key == "unreadable_hours"


@pytest.mark.parametrize(
    ("line", "held_on", "span", "topic"),
    [  # ranges and amounts in ordinary prose stay prose; a time range is a time range
        ("党员大会 昨天 下午2-4点 学习党章 8人", date(2026, 5, 19), (14, 16), "学习党章"),
        ("支委会 昨天 14-16点 研究工作 5人", date(2026, 5, 19), (14, 16), "研究工作"),
        ("支委会 3号 总结1-6月工作 5人", date(2026, 5, 3), None, "总结1-6月工作"),
        ("支委会 昨天 学习党章第1-3章 5人", date(2026, 5, 19), None, "学习党章第1-3章"),
        ("主题党日 昨天 纪念九月三日抗战胜利 8人", date(2026, 5, 19), None, "纪念九月三日抗战胜利"),
        ("支委会 昨天 中午1点到3点 5人", date(2026, 5, 19), (13, 15), None),
        ("支委会 昨天 10-12pm 5 present", date(2026, 5, 19), (10, 12), None),
        ("支委会 昨天 下午2点到4点8人", date(2026, 5, 19), (14, 16), None),
        ("支委会 5-3 5人", date(2026, 5, 3), None, None),
    ],
)
def test_ranges_in_prose_are_not_dates(line, held_on, span, topic):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 5, 20)).draft
    assert (draft.held_on, draft.topic, draft.present is not None) == (held_on, topic, True)
    times = (draft.start_time.hour, draft.end_time.hour) if draft.start_time else None
    assert times == span and (draft.end_time is None or draft.end_time.minute == 0)


def test_a_day_word_beats_a_bare_ratio_and_leave_among_the_absent_is_noted_once():
    draft = parse_activity("支委会 3号 7/8", DEFAULT_REGISTRY, date(2026, 5, 20)).draft
    assert draft.held_on == date(2026, 5, 3)
    line = "支委会 昨天 应到8人 实到6人 缺席2人，其中请假1人"
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 5, 20)).draft
    assert (draft.expected, draft.present, draft.absent) == (8, 6, 2)
    assert draft.notes == "其中请假1人" and draft.topic is None


@pytest.mark.parametrize(
    ("line", "span", "topic"),
    [
        ("支委会 昨天 6人 主题:讨论8点到12点值班安排", None, "讨论8点到12点值班安排"),
        ("支委会 昨天 6人 主题:研究每天2到4点错峰灌溉", None, "研究每天2到4点错峰灌溉"),
        ("支委会 昨天 6人 下午2:00-4:00 主题:秋收", (time(14), time(16)), "秋收"),
        ("支委会 昨天 6人 晚上7:30-9:00", (time(19, 30), time(21)), None),
        ("支委会 昨天 6人 2点到4点", (time(14), time(16)), None),
        ("支委会 昨天 6人 9点到11点半", (time(9), time(11, 30)), None),
        ("支委会 昨天 6人 14:00-16:00 主题:秋收", (time(14), time(16)), "秋收"),
    ],
)
def test_times_are_read_outside_the_topic_with_their_half_of_the_day(line, span, topic):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 5, 20)).draft
    got = (draft.start_time, draft.end_time) if draft.start_time else None
    assert (got, draft.topic, draft.notes) == (span, topic, None)


@pytest.mark.parametrize(
    ("line", "held_on", "present", "topic"),
    [  # numbers that belong to the topic's prose stay in it
        ("支委会 讨论3.5亩土地流转 应到7 实到6", None, 6, "讨论3.5亩土地流转"),
        (
            "支委会 昨天 实到6 总结上半年1.5万元集体收入",
            date(2026, 5, 19),
            6,
            "总结上半年1.5万元集体收入",
        ),
        ("主题党日 昨天 慰问8名老党员", date(2026, 5, 19), None, "慰问8名老党员"),
        ("主题党日 昨天 组织20名党员清扫村道", date(2026, 5, 19), None, "组织20名党员清扫村道"),
        (
            "支委会 昨天 实到6 学习6月1日起施行的新条例",
            date(2026, 5, 19),
            6,
            "学习6月1日起施行的新条例",
        ),
        ("支委会昨天8人", date(2026, 5, 19), 8, None),
        ("支委会 3.5 8人", date(2026, 3, 5), 8, None),
    ],
)
def test_numbers_of_the_topics_prose_stay_in_it(line, held_on, present, topic):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 5, 20)).draft
    assert (draft.held_on, draft.present, draft.topic) == (held_on, present, topic)


def test_a_party_group_inside_prose_is_the_topics():
    line = "支委会 昨天 研究调整第一党小组组长 6人"
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 5, 20)).draft
    assert (draft.group, draft.topic) == (None, "研究调整第一党小组组长")


@pytest.mark.parametrize(
    "line", ["党员大会 昨天 党员16名 实到14名", "党员大会 昨天 共16人 实到14人"]
)
def test_a_total_beside_those_present_is_the_expected_count(line):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 5, 20)).draft
    assert (draft.expected, draft.present) == (16, 14)


def test_typed_chinese_punctuation_is_kept_and_times_give_the_duration():
    line = "支委会 昨天 6人 主题:研究秋收，部署冬训(试行)"
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 5, 20)).draft
    assert draft.topic == "研究秋收，部署冬训（试行）"
    study = parse_activity("集中学习 昨天 18人 14:30-16:00", DEFAULT_REGISTRY, date(2026, 5, 20))
    assert study.draft.hours == 1.5


def test_a_short_date_before_qian_is_a_commitments_deadline():
    content, due, _ = parse_commitment("建设2.5公里村道 12.20前", date(2026, 11, 30))
    assert (content, due) == ("建设2.5公里村道", date(2026, 12, 20))


def test_one_on_leave_among_the_absent_and_a_group_by_its_short_name():
    today = date(2026, 5, 20)
    line = "支委会 昨天 应到8 实到6 缺席2人，其中1人请假"
    draft = parse_activity(line, DEFAULT_REGISTRY, today).draft
    assert (draft.absent, draft.notes) == (2, "其中请假1人")
    for group in ("一组", "2组", "第二组"):
        assert (
            parse_activity(f"党小组会 昨天 {group} 6人", DEFAULT_REGISTRY, today).draft.group
            == group
        )
    assert parse_activity("支委会 昨天 分2组讨论 6人", DEFAULT_REGISTRY, today).draft.group is None


def test_fields_after_a_topic_may_be_parted_by_commas():
    line = "支委会 主题:研究秋收，部署冬训，昨天，应到8，实到7"
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 5, 20)).draft
    assert (draft.topic, draft.held_on) == ("研究秋收，部署冬训", date(2026, 5, 19))
    assert (draft.expected, draft.present) == (8, 7)


@pytest.mark.parametrize(
    ("line", "expected", "present", "topic"),
    [  # a count beside 实到 that is not said to be everyone stays in the topic
        ("支委会 昨天 实到5 研究发展党员12名", None, 5, "研究发展党员12名"),
        ("党员大会 昨天 实到14 列席群众代表20人", None, 14, "列席群众代表20人"),
        ("党员大会 昨天 实到14人 列席2人", None, 14, "列席2人"),
        ("党员大会 昨天 党员16名 实到14名", 16, 14, None),
        ("支委会 昨天 8名同志参加", None, 8, None),
    ],
)
def test_only_a_said_total_beside_those_present_is_expected(line, expected, present, topic):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30)).draft
    assert (draft.expected, draft.present, draft.topic) == (expected, present, topic)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6:00-8:00", (time(6), time(8))),
        ("06:00-08:00", (time(6), time(8))),
        ("6点到8点", (time(6), time(8))),
        ("2点到4点", (time(14), time(16))),
        ("9点到1点", (time(9), time(13))),
        ("12点到2点", (time(12), time(14))),
        ("8:30-11:30", (time(8, 30), time(11, 30))),
    ],
)
def test_hours_without_a_half_of_the_day_read_as_meetings_are_held(text, expected):
    assert take_time_range(text)[1] == expected


@pytest.mark.parametrize(
    ("line", "held_on", "span", "topic"),
    [
        ("支委会 11.28召开 实到7", date(2026, 11, 28), None, "召开"),
        ("支委会 11.28上午 实到7", date(2026, 11, 28), None, None),
        ("支委会 昨天晚上 实到7 主题:研究秋收", date(2026, 11, 29), None, "研究秋收"),
        ("支委会 晚上 7:30-9:00 研究秋收 实到6", None, (time(19, 30), time(21)), "研究秋收"),
        ("支委会 主题:研究秋收 下午2点到4点", None, (time(14), time(16)), "研究秋收"),
        (
            "主题党日 学习6月1日起施行的条例 11月28日 实到7",
            date(2026, 11, 28),
            None,
            "学习6月1日起施行的条例",
        ),
        (
            "支委会 昨天 研究一组 二组 的分工 实到5",
            date(2026, 11, 29),
            None,
            "研究一组 二组 的分工",
        ),
    ],
)
def test_the_final_reviews_inputs(line, held_on, span, topic):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30)).draft
    got = (draft.start_time, draft.end_time) if draft.start_time else None
    assert (draft.held_on, got, draft.topic, draft.group) == (held_on, span, topic, None)


@pytest.mark.parametrize(
    ("line", "held_on", "topic"),
    [  # a date inside the topic's words is the topic's: the day is asked instead
        ("支委会 应到7 实到7 研究3.15消费维权宣传", None, "研究3.15消费维权宣传"),
        ("支委会 应到7 实到6 传达11月25日镇党委会议精神", None, "传达11月25日镇党委会议精神"),
        ("支委会 应到7 实到7 传达前天镇里会议精神", None, "传达前天镇里会议精神"),
        ("支委会 应到7 实到6 学习11.28讲话精神", None, "学习11.28讲话精神"),
        ("支委会 应到7 实到7 研究12月5日召开党员大会事宜", None, "研究12月5日召开党员大会事宜"),
        # right after the meeting's name, or starting a word, it is the meeting's
        ("支委会6月1日召开 7人", date(2026, 6, 1), "召开"),
        ("集中学习11月28日 2小时 18人", date(2026, 11, 28), None),
        ("支委会 28号下午 实到6", date(2026, 11, 28), None),
    ],
)
def test_a_date_inside_the_topics_words_is_the_topics(line, held_on, topic):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30)).draft
    assert (draft.held_on, draft.topic) == (held_on, topic)


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("党员大会 昨天 应出席16人 实出席14人", {"expected": 16, "present": 14}),
        ("党员大会 昨天 应参会16人 实参会14人", {"expected": 16, "present": 14}),
        ("支委会 11月28日 晚7点到9点 实到6", {"start_time": time(19), "end_time": time(21)}),
        ("支委会 昨晚7点到9点 实到6", {"held_on": date(2026, 11, 29), "start_time": time(19)}),
        ("支委会 昨天 下午2时至4时 实到6", {"start_time": time(14), "end_time": time(16)}),
        (
            "支委会 昨天 地点：村委会，应到16实到14",
            {"place": "村委会", "expected": 16, "present": 14},
        ),
        (
            "支委会 时间：2026年11月28日 14:00-16:00 实到14人",
            {"held_on": date(2026, 11, 28), "topic": None},
        ),
        ("党课 昨天 实到20 主题：学习党章 主讲人：李书记", {"host": "李书记", "topic": "学习党章"}),
    ],
)
def test_more_of_what_secretaries_write(line, fields):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30)).draft
    assert {k: getattr(draft, k) for k in fields} == fields


@pytest.mark.parametrize(
    ("line", "counts", "notes"),
    [  # (expected, present, absent) as a tally is written in a hurry
        ("支委会 昨天 16人应到 14人实到 研究秋收", (16, 14, None), None),
        ("支委会 昨天 16人应到14人实到 研究秋收", (16, 14, None), None),
        ("支委会 昨天 应16 实14 研究秋收", (16, 14, None), None),
        ("支委会 昨天 实到14缺2 研究秋收", (None, 14, 2), None),
        ("支委会 昨天 应7 实6 缺1：外出务工 研究秋收", (7, 6, 1), "缺席1人（外出务工）"),
        ("支委会 昨天 应到7人 全体到会 研究秋收", (7, 7, None), None),
        ("支委会 昨天 应到7人 无人缺席 研究秋收", (7, 7, None), None),
        ("支委会 昨天 全部到会 研究秋收", (None, None, None), None),  # how many is asked
        (
            "支委会 昨天 应到16人 缺席2人：张三请假，李四外出 研究秋收",
            (16, None, 2),
            "缺席2人（张三请假，李四外出）",
        ),
        # the prefix forms read as before
        ("支委会 昨天 应到16人 实到14人 研究秋收", (16, 14, None), None),
        ("支委会 昨天 7人出席 回应16条诉求", (None, 7, None), None),
    ],
)
def test_tallies_written_in_a_hurry(line, counts, notes):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30)).draft
    assert (draft.expected, draft.present, draft.absent) == counts
    assert draft.notes == notes
    assert draft.topic in ("研究秋收", "回应16条诉求")


@pytest.mark.parametrize(
    ("line", "start", "end", "topic"),
    [
        ("支委会 昨天 下午两点到四点 7人 研究秋收", time(14), time(16), "研究秋收"),
        ("支委会 昨天 上午九点半至十一点 7人", time(9, 30), time(11), None),
        ("支委会 昨天 7人 多做一点实事 下午两点到四点", time(14), time(16), "多做一点实事"),
        ("支委会 昨天 7人 研究第一点到第三点意见", None, None, "研究第一点到第三点意见"),
        # a start with no end: kept as the start
        ("支委会 昨天 下午3点 7人", time(15), None, None),
        ("支委会 28号下午3点 7人", time(15), None, None),
        ("支委会 昨天 晚上7点半开会 7人 研究秋收", time(19, 30), None, "研究秋收"),
        ("支委会 昨天 14:30开始 7人", time(14, 30), None, None),
        ("支委会 昨天 7人 研究3点意见", None, None, "研究3点意见"),
    ],
)
def test_times_in_chinese_numerals_and_a_start_alone(line, start, end, topic):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30)).draft
    assert (draft.start_time, draft.end_time, draft.topic) == (start, end, topic)
    assert draft.present == 7


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("集中学习 昨天 1-2小时 10人", "number_range"),
        ("支委会 昨天 5到7人", "number_range"),
        ("支委会 昨天 出席-3人", "negative_number"),
        ("支委会 前天 缺席-1人 出席4人", "negative_number"),
        ("支委会 11月27日 应到-5 实到4", "negative_number"),
        ("集中学习 昨天 -2小时 10人", "negative_number"),
    ],
)
def test_a_count_or_duration_that_would_be_guessed_is_refused(line, key):
    with pytest.raises(DomainError) as info:
        parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30))
    assert info.value.key == key


def test_a_range_in_the_topics_words_is_the_topics():
    draft = parse_activity(
        "主题党日 昨天 慰问2-3名老党员 8人", DEFAULT_REGISTRY, date(2026, 11, 30)
    )
    assert (draft.draft.topic, draft.draft.present) == ("慰问2-3名老党员", 8)


@pytest.mark.parametrize(
    ("line", "held_on", "counts", "topic"),
    [  # found in review: a date before a topic starting with 人/名 is no range; 半小时 alone
        (
            "主题党日 2026-11-28 人居环境整治 出席10人",
            date(2026, 11, 28),
            (None, 10, None),
            "人居环境整治",
        ),
        ("主题党日 11-28 名单公示 出席10人", date(2026, 11, 28), (None, 10, None), "名单公示"),
        (
            "主题党日 11/28 人居环境整治 出席10人",
            date(2026, 11, 28),
            (None, 10, None),
            "人居环境整治",
        ),
        ("支委会 11-28 人数:7", date(2026, 11, 28), (None, 7, None), None),
        ("党小组会 昨天 - 8人参加", date(2026, 11, 29), (None, 8, None), None),
        # numbers before their words, to the last: 2人缺席 is absent, 14人参加 present
        ("党员大会 11月27日 16人应到 14人实到 2人缺席", date(2026, 11, 27), (16, 14, 2), None),
        ("党员大会 11月27日 14人参加 2人缺席", date(2026, 11, 27), (None, 14, 2), None),
        ("支委会 昨天 应到8人 实到7人 缺席1人", date(2026, 11, 29), (8, 7, 1), None),
        # all present only as words of their own
        (
            "支委会 11月27日 应到7 动员全体党员参加义务植树",
            date(2026, 11, 27),
            (7, None, None),
            "动员全体党员参加义务植树",
        ),
    ],
)
def test_the_reviews_inputs_on_counts(line, held_on, counts, topic):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30)).draft
    assert (draft.held_on, (draft.expected, draft.present, draft.absent), draft.topic) == (
        held_on,
        counts,
        topic,
    )


def test_half_an_hour_after_a_date_is_half_an_hour():
    draft = parse_activity("集中学习 11-28 半小时 18人", DEFAULT_REGISTRY, date(2026, 11, 30)).draft
    assert (draft.held_on, draft.hours, draft.topic) == (date(2026, 11, 28), 0.5, None)


@pytest.mark.parametrize(
    ("line", "start", "end", "topic"),
    [
        ("支委会 昨天 7人 讨论两点到四点值班安排", None, None, "讨论两点到四点值班安排"),
        ("支委会 昨天 下午三点 7人", time(15), None, None),
        ("支委会 昨天 下午3:00 7人", time(15), None, None),
    ],
)
def test_the_reviews_inputs_on_times(line, start, end, topic):
    draft = parse_activity(line, DEFAULT_REGISTRY, date(2026, 11, 30)).draft
    assert (draft.start_time, draft.end_time, draft.topic) == (start, end, topic)


@pytest.mark.parametrize(
    ("text", "content", "due"),
    [  # found in review; the day is 2026-11-30
        ("下季度末完成5户改厕", "完成5户改厕", date(2027, 3, 31)),
        ("元月底前完成党费收缴", "党费收缴", date(2027, 1, 31)),
        ("次月底前完成", "", date(2026, 12, 31)),
        ("27年底前完成文化广场建设", "文化广场建设", date(2027, 12, 31)),
        ("每月底前走访5户困难群众 12月31日前", "每月底前走访5户困难群众", date(2026, 12, 31)),
        ("两个季度内完成", "", date(2027, 5, 30)),
        ("31号前完成道路硬化", "道路硬化", date(2026, 12, 31)),
        ("fix the road by next Friday", "fix the road", date(2026, 12, 11)),
        ("fix the road by Friday", "fix the road", date(2026, 12, 4)),
        ("春节前后走访慰问困难党员", "春节前后走访慰问困难党员", None),
        ("截止明年6月 完成5户改厕", "完成5户改厕", date(2027, 6, 30)),
        ("完成年内目标任务", "完成年内目标任务", None),
        ("修路 期限：3个月", "修路", date(2027, 2, 28)),
    ],
)
def test_the_reviews_deadlines(text, content, due):
    assert parse_commitment(text, date(2026, 11, 30)) == (content, due, False)
