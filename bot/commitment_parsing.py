"""Reading a commitment (承诺事项) and its deadline out of what a secretary writes:
'/commit 完成村道硬化2公里 截止6月30日', '年内完成…', '七一前…', '3个月内…'.

The phrases only a deadline uses (年内, 一季度内, 3个月内, 28号前, 3月前, 春节前) live here and
not in ``find_date``: in a meeting's topic (研究年内工作安排) they are prose, never its date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from bot.parsing import (
    CN_DATE_WORD_AT,
    DateMatch,
    cn_number,
    day_alone,
    find_date,
    infer_year,
    normalise,
    parse_date,
    prose,
    split_keyed,
)
from core.errors import DomainError
from core.holiday_law import festival_days
from core.periods import Period

_CN = "[一二两三四五六七八九十]{1,3}"
_BEFORE = r"(?:之前|以前|前(?!后))"  # 春节前后 is around the festival, not before it
_WITHIN = r"(?:以内|之内|内)"
# what follows a deadline and goes with it: 12月20日前完成, 年内, 3个月以内
_DUE_SUFFIX = re.compile(rf"(?:(?:{_BEFORE}|{_WITHIN})(?:完成)?)?")
# 于12月20日前完成, 到12月20日, by the end of Q1: the word that leads to the deadline goes too
_DUE_PREFIX = re.compile(
    r"(?:定于|直到|直至|(?<![达做得])到|于|在|至)\s*$|(?<![a-z])(?:by|before)\s+$", re.IGNORECASE
)
_DUE_MARK = re.compile(
    r"(?:截止|截至|期限|到期|完成时限)(?:日期|时间)?\s*(?:为|到|于)?\s*"
    r"|(?<![a-z])(?:due(?:\s+(?:by|on))?|by|before|deadline)\s+",
    re.IGNORECASE,
)
_PERSONAL = re.compile(r"^(?:个人承诺|个人|书记承诺|personal(?![a-z]))\s*:?\s*", re.IGNORECASE)

# 明年, 2027年, 26年: the year a named period or festival is in (说明年内 is 说明 + 年内)
_YEAR = rf"(?:(?<!\d)(?P<year>\d{{4}}|\d{{2}})年|{CN_DATE_WORD_AT}(?P<year_word>今|本|明|后)年)?"
_YEAR_WORDS = {"今": 0, "本": 0, "明": 1, "后": 2}
# 12.20前, 28号前, 3月前 (the day before March begins): a date a deadline word follows
_SHORT_BEFORE = re.compile(rf"(?<![\d.])(\d{{1,2}})[./](\d{{1,2}})(?=\s*{_BEFORE})")
_DAY_BEFORE = re.compile(rf"(?<![\d.月])(\d{{1,2}}|{_CN})[号日](?=\s*{_BEFORE})")
_MONTH_BEFORE = re.compile(
    rf"{_YEAR}(?:(?<![\d.])(?P<m>\d{{1,2}})|{CN_DATE_WORD_AT}(?P<cm>{_CN}))月份?(?=\s*{_BEFORE})"
)
# 一季度内, 明年上半年完成, 2027年一季度末, 12月份内, 本季度内: the end of the period named
_PERIOD_WITHIN = re.compile(
    rf"{_YEAR}度?(?:第?(?P<q>[一二三四1-4])季度|(?P<h>[上下])半年"
    rf"|(?<![\d.])(?P<m>\d{{1,2}})月份?|{CN_DATE_WORD_AT}(?P<cm>{_CN})月份?)"
    rf"(?:末|底|(?=\s*(?:{_WITHIN}|完成)))"
    rf"|(?P<this>本|这个?|当|下个?)?(?P<unit>月|季度)(?=\s*{_WITHIN})"
)
# 年内, 今年内, 本年度内, 明年内 (两年内 is a span, below)
_YEAR_WITHIN = re.compile(
    rf"(?:(?P<year>\d{{4}})|{CN_DATE_WORD_AT}(?P<year_word>今|本|明|后)|(?<![\d一二两三四五六七八九十半]))"
    rf"年度?(?=\s*{_WITHIN}(?!目标|任务|工作|计划|重点|安排))"  # 完成年内目标任务 is prose
)
# 3个月内, 两周内, 30天以内, 半年内: counted from today
_SPAN_WITHIN = re.compile(
    rf"(?P<n>\d{{1,3}}|{_CN}|半)\s*(?P<unit>个月|个季度|个?星期|个?礼拜|周|天|日|年)(?=\s*{_WITHIN})"
)
_SPAN_MONTHS = {"个月": 1, "个季度": 3, "年": 12}
_SPAN_DAYS = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}
# 截止6月, 截止明年6月: a month alone after a deadline word is its last day
_MONTH_ALONE = re.compile(rf"^{_YEAR}(?P<m>\d{{1,2}}|{_CN})月份?(?![\d日号底末])")
# 七一前, 春节前, 国庆前: the day before the day named (for a festival, its first day off)
_FESTIVALS = {
    "春节": "春节",
    "元旦": "元旦",
    "清明": "清明节",
    "五一": "劳动节",
    "劳动节": "劳动节",
    "端午": "端午节",
    "中秋": "中秋节",
    "国庆": "国庆节",
}
_FESTIVAL_BEFORE = re.compile(
    rf"{_YEAR}(?P<name>七一|建党节|{'|'.join(_FESTIVALS)})节?(?=\s*{_BEFORE})"
)
# within 2 weeks, within 30 days, end of Q1
_EN_WITHIN = re.compile(
    r"(?<![a-z])within\s+(?P<n>\d{1,3}|a|an|one|two|three|six)\s+(?P<unit>day|week|month|year)s?(?![a-z])",
    re.IGNORECASE,
)
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "six": 6}
_EN_QUARTER_END = re.compile(
    r"(?<![a-z])(?:the\s+)?end\s+of\s+q(?P<q>[1-4])(?:\s+(?P<year>\d{4}))?(?![a-z\d])",
    re.IGNORECASE,
)


def parse_commitment(text: str, today: date) -> tuple[str, date | None, bool]:
    """'/commit 完成村道硬化2公里 截止6月30日' -> (content, due date, personal?)."""
    with _deadline_errors():
        return _parse_commitment(text, today)


@contextmanager
def _deadline_errors() -> Iterator[None]:
    """An impossible date is answered with a deadline's examples: 昨天 never is one."""
    try:
        yield
    except DomainError as exc:
        if exc.key == "invalid_date":
            raise DomainError("invalid_due", **exc.params) from exc
        raise


def _parse_commitment(text: str, today: date) -> tuple[str, date | None, bool]:
    free, keyed = split_keyed(normalise(text))
    if m := _PERSONAL.match(free):
        free = free[m.end() :]
    personal = m is not None
    due = None
    if "due" in keyed:  # 截止：12月20日 完成… — what follows the date is the content's
        value = keyed["due"]  # 期限：3个月 is within three months
        found = (
            _find_due(value, today)
            or find_date(value, today, future=True)
            or _month_alone(value, today)
            or _span_within(value + "内", today)
        )
        if found is None:
            raise DomainError("invalid_date", text=value)
        due, free = found.day, f"{free} {_without(value, found)}"
    elif (found := _find_due(free, today)) is not None:
        due, free = found.day, _without(free, found)
    content = re.sub(r"\s+", " ", free).strip(" ,，;；。")
    return prose(content), due, personal


def _without(text: str, due: DateMatch) -> str:
    """The text with the deadline taken out, and the words that go with it (于…前完成)."""
    after = text[due.span[1] :].lstrip()
    before = _DUE_PREFIX.sub("", text[: due.span[0]])
    return before + after[_DUE_SUFFIX.match(after).end() :]  # type: ignore[union-attr]


# 12月28日已验收, 已于12月28日完成, 昨天完成: the day it was kept, said first or after 于
_KEPT_ON = re.compile(r"^\s*(?:已?于|已在|在)?\s*")


def fulfilled_day(evidence: str, today: date) -> date | None:
    """The day a /done note says the commitment was kept, if it starts by saying so."""
    text = normalise(evidence)
    lead = _KEPT_ON.match(text)
    start = lead.end() if lead else 0
    found = find_date(text[start:], today)
    return found.day if found is not None and found.span[0] == 0 else None


def parse_due(text: str, today: date) -> date | None:
    """A deadline on its own (the answer to 'by when?', or 截止: …): 6月30日, 年内, 七一前."""
    with _deadline_errors():
        return parse_date(text, today, future=True) or _parse_commitment(text, today)[1]


def _find_due(free: str, today: date) -> DateMatch | None:
    """The deadline: a date right after 截止/截至/期限 (by/due); else the earliest phrase only a
    deadline uses (28号前, 年内, 七一前); else the first date written out in words (6月30日,
    2026-06-30, June 30), never a bare 2.5 that is more likely a quantity."""
    for mark in _DUE_MARK.finditer(free):
        found = find_date(free[mark.end() :], today, future=True) or _month_alone(
            free[mark.end() :], today
        )
        if found is not None and found.span[0] == 0:
            offset = mark.end()
            return DateMatch(found.day, (mark.start(), offset + found.span[1]))
    for phrases in _DEADLINE_PHRASES:
        found = [d for find in phrases if (d := find(free, today)) is not None]
        if found:
            return min(found, key=lambda d: d.span[0])
    return find_date(free, today, future=True, short_forms=False)


def _month_alone(text: str, today: date) -> DateMatch | None:
    """截止6月: the end of June (next year's if June is over; 明年6月 as written)."""
    if not (m := _MONTH_ALONE.match(text)):
        return None
    month = _number(m["m"])
    if not 1 <= month <= 12:
        raise DomainError("invalid_date", text=m[0])
    period = Period.month(_year(m, today) or today.year, month)
    return DateMatch(_end_of(period, bool(_year(m, today)), today), m.span())


def _date_before(free: str, today: date) -> DateMatch | None:
    """6月30日前, 2026-12-20之前: a date written out, with a deadline word after it."""
    at = 0
    while (found := find_date(free[at:], today, future=True, short_forms=False)) is not None:
        start, end = found.span[0] + at, found.span[1] + at
        if re.match(rf"\s*(?:{_BEFORE}|{_WITHIN})", free[end:]):
            return DateMatch(found.day, (start, end))
        at = end
    return None


def _short_before(free: str, today: date) -> DateMatch | None:
    if m := _SHORT_BEFORE.search(free):
        return DateMatch(infer_year(int(m[1]), int(m[2]), today, m[0], True), m.span())
    return None


def _day_before(free: str, today: date) -> DateMatch | None:
    if m := _DAY_BEFORE.search(free):
        return DateMatch(day_alone(_number(m[1]), today, m[0], True), m.span())
    return None


def _month_before(free: str, today: date) -> DateMatch | None:
    """3月前: the last day before March begins; 明年3月前 the one in next year."""
    if not (m := _MONTH_BEFORE.search(free)):
        return None
    month, year = _number(m["m"] or m["cm"]), _year(m, today)
    if not 1 <= month <= 12:
        raise DomainError("invalid_date", text=m[0])
    first = date(year, month, 1) if year else infer_year(month, 1, today, m[0], True)
    return DateMatch(first - timedelta(days=1), m.span())


def _period_within(free: str, today: date) -> DateMatch | None:
    """明年上半年, 一季度末, 12月份内, 本季度内: the last day of that period."""
    if not (m := _PERIOD_WITHIN.search(free)):
        return None
    if m["unit"]:
        kind = "quarter" if m["unit"] == "季度" else "month"
        step = 1 if m["this"] and "下" in m["this"] else 0
        return DateMatch(Period.containing(kind, today).shift(step).end, m.span())
    year = _year(m, today)
    return DateMatch(_end_of(_named_period(m, year or today.year), bool(year), today), m.span())


def _year_within(free: str, today: date) -> DateMatch | None:
    """年内, 明年内: the last day of that year."""
    if not (m := _YEAR_WITHIN.search(free)):
        return None
    year = _year(m, today)
    return DateMatch(_end_of(Period.of_year(year or today.year), bool(year), today), m.span())


def _end_of(period: Period, year_written: bool, today: date) -> date:
    """The period's last day; a period already over is next year's, unless its year was
    written (then it is refused as past, as any deadline already gone by is)."""
    if period.end < today and not year_written:
        period = period.shift(12 // period.months)
    return period.end


def _named_period(m: re.Match[str], year: int) -> Period:
    if m["q"]:
        return Period.quarter(year, _number(m["q"]))
    if m["h"]:
        return Period(year, "half", 1 if m["h"] == "上" else 2)
    if m["m"] or m["cm"]:
        month = _number(m["m"] or m["cm"])
        if not 1 <= month <= 12:
            raise DomainError("invalid_date", text=m[0])
        return Period.month(year, month)
    return Period.of_year(year)


def _span_within(free: str, today: date) -> DateMatch | None:
    """3个月内, 两周内, 30天以内, 半年内 (six months), 半个月内 (fifteen days): from today."""
    if not (m := _SPAN_WITHIN.search(free)):
        return None
    half, unit = m["n"] == "半", m["unit"]
    if unit in _SPAN_MONTHS and not (half and unit == "个月"):
        months = _SPAN_MONTHS[unit] // 2 if half else _SPAN_MONTHS[unit] * _number(m["n"])
        return DateMatch(today + relativedelta(months=months), m.span())
    days = 15 if half and unit == "个月" else _SPAN_DAYS[unit.removeprefix("个")] * _number(m["n"])
    return DateMatch(today + timedelta(days=days), m.span())


def _festival_before(free: str, today: date) -> DateMatch | None:
    """七一前, 春节前, 明年国庆前: the day before, or before the festival's first day off."""
    if not (m := _FESTIVAL_BEFORE.search(free)):
        return None
    written = _year(m, today)
    for year in [written] if written else [today.year, today.year + 1]:
        first = _festival_start(m["name"], year)
        if first > today:
            return DateMatch(first - timedelta(days=1), m.span())
    raise DomainError("invalid_date", text=m[0])


def _festival_start(name: str, year: int) -> date:
    if name in ("七一", "建党节"):
        return date(year, 7, 1)
    return festival_days(year)[_FESTIVALS[name]][0]


def _english_within(free: str, today: date) -> DateMatch | None:
    """within 2 weeks, the end of Q1 (2027)."""
    if m := _EN_WITHIN.search(free):
        n = int(m["n"]) if m["n"].isdigit() else _EN_NUMBERS[m["n"].lower()]
        return DateMatch(today + relativedelta(**{f"{m['unit'].lower()}s": n}), m.span())
    if m := _EN_QUARTER_END.search(free):
        period = Period.quarter(int(m["year"]) if m["year"] else today.year, int(m["q"]))
        return DateMatch(_end_of(period, bool(m["year"]), today), m.span())
    return None


def _year(m: re.Match[str], today: date) -> int:
    """The year written before the phrase (2027年, 明年), or 0 if none was."""
    if m["year"]:
        year = int(m["year"])
        return year + 2000 if year < 100 else year
    if m["year_word"]:
        return today.year + _YEAR_WORDS[m["year_word"]]
    return 0


def _number(text: str) -> int:
    return cn_number(text) or 0


# a date with a deadline word after it (12月20日前) beats a period named in the content's
# words (完成年内目标 12月20日前); within each tier the earliest written wins
_DEADLINE_PHRASES = (
    (_date_before, _short_before, _day_before),
    (
        _month_before,
        _period_within,
        _year_within,
        _span_within,
        _festival_before,
        _english_within,
    ),
)
