"""Turning forgiving one-liners, Chinese first and English too, into drafts: dates, counts,
keyed fields, periods.

Everything is normalised first (NFKC: full-width digits, letters and colons become ASCII),
then recognised piece by piece; what is left over becomes the topic.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core.activities import ActivityDraft
from core.errors import DomainError
from core.periods import Period, parse_period_key
from core.rules import Registry

CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "日": 7,
    "天": 7,
}
_SEPARATORS = re.compile(r"[,，、;；。!！?？\s]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# English words for counts and dates (see take_counts and find_date)
_EN_COUNT_WORDS = {
    "expected": "expected",
    "present": "present",
    "attended": "present",
    "attending": "present",
    "attendance": "present",
    "attendees": "present",
    "participants": "present",
    "absent": "absent",
    "absentees": "absent",
    "on leave": "absent",
}
_EN_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_EN_MONTHS = {w: i for i, name in enumerate(_EN_MONTH_NAMES, 1) for w in (name, name[:3])}
_EN_MONTHS["sept"] = 9
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _alternatives(words) -> str:
    """A regex alternation that tries the longest word first ('march' before 'mar')."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NOT_AFTER_A_WORD = r"(?<![a-z\u4e00-\u9fff])"  # English keys stand apart: 学习notes: is prose


def _word_pattern(word: str) -> str:
    """An English word matches whole ('update' holds no 'date'), and not glued to Chinese
    before it (学习notes:精神 is a topic); Chinese has no spaces."""
    if word.isascii():
        return rf"{_NOT_AFTER_A_WORD}{re.escape(word)}(?![a-z])"
    return re.escape(word)


# keyed fields: "主题:…" runs until the next key or the end of the line
KEYS: dict[str, str] = {
    "主题": "topic",
    "议题": "topic",
    "题目": "topic",
    "内容": "topic",
    "主持人": "host",
    "主持": "host",
    "主讲人": "host",
    "主讲": "host",
    "时间": "when",  # 时间：11月28日 14:00-16:00 — read as if typed without the key
    "记录人": "recorder",
    "记录员": "recorder",
    "记录": "recorder",
    "地点": "place",
    "地址": "place",
    "备注": "notes",
    "说明": "notes",
    "小组": "group",
    "党小组": "group",
    "日期": "held_on",
    "时长": "hours",
    "学时": "hours",
    "截止": "due",
    "截止日期": "due",  # longer keys win: not 截止 + the meeting's 日期
    "截至日期": "due",
    "截止时间": "due",
    "到期日期": "due",
    "截至": "due",
    "期限": "due",
    # English keys, in any case
    "topic": "topic",
    "subject": "topic",
    "host": "host",
    "chair": "host",
    "recorder": "recorder",
    "place": "place",
    "venue": "place",
    "location": "place",
    "notes": "notes",
    "note": "notes",
    "group": "group",
    "party group": "group",
    "date": "held_on",
    "hours": "hours",
    "duration": "hours",
    "due": "due",
    "deadline": "due",
}


_KEY_RE = re.compile(
    "(" + "|".join(_word_pattern(k) for k in sorted(KEYS, key=len, reverse=True)) + r")\s*:"
    r"|(?:^|(?<=\s))(主题|题目|议题)\s+(?=\S)",  # 主题 党史学习: a topic key needs no colon
    re.IGNORECASE,
)


_CJK = r"[\u4e00-\u9fff]"
_WIDE = {",": "，", ";": "；", "(": "（", ")": "）"}
_NARROW_BY_CJK = re.compile(rf"(?<={_CJK})[,;()]|[,;()](?={_CJK})")


def prose(text: str) -> str:
    """Free text as it is kept: the Chinese punctuation that NFKC narrowed for parsing comes
    back beside Chinese words (资金未到位，明年续建), so the ledger reads as it was typed."""
    return _NARROW_BY_CJK.sub(lambda m: _WIDE[m[0]], text)


def normalise(text: str) -> str:
    """NFKC (全角 -> 半角), drop control characters, fold runs of spaces."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))
    return " ".join(text.split())


_LONG_FIELDS = frozenset({"topic", "notes"})  # free prose, up to the next key


def split_keyed(text: str) -> tuple[str, dict[str, str]]:
    """Separate ``key:value`` fields from the free text around them.

    A topic or a note runs until the next key; a name, place or date is one word, and what
    follows it goes back to the free text (``地点:村委会 14:00-16:00``); in English it may be
    several words (``host: Li Ming``), see ``_english_value``.
    """
    matches = list(_KEY_RE.finditer(text))
    if not matches:
        return text, {}
    fields: dict[str, str] = {}
    free = [text[: matches[0].start()]]
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end() : end].strip(" ,;，；、。")
        key = m[1] or m[2]
        name = KEYS[key.lower()]
        if name == "when":  # 时间：11月28日 14:00-16:00: the date and times, as if unkeyed
            free.append(value)
            continue
        if name == "hours" and (amount := _AMOUNT.match(value)):  # 时长: 2 小时
            value, rest = amount[0].strip(), value[amount.end() :]
            free.append(rest)
        elif name not in _LONG_FIELDS and name != "due":
            if key.isascii():
                value, rest = _english_value(value, name)
            else:  # 地点：村委会，应到16: a name or place ends at a space or a comma
                value, rest = _first_word(value)
            free.append(rest)
        if value:
            fields[name] = value
    return " ".join(free), fields


_LIST_END = re.compile(r"\s*[,;]")
_FIELD_END = re.compile(r"[\s,;、]")


def _first_word(value: str) -> tuple[str, str]:
    """A Chinese name or place and what follows it: up to a space or a comma."""
    m = _FIELD_END.search(value)
    return (value, "") if m is None else (value[: m.start()], value[m.end() :])


# a duration's value with its unit, spaces allowed: 2 小时, 1.5 hours, 90 分钟
_AMOUNT = re.compile(
    r"\d{1,4}(?:\.\d{1,2})?\s*(?:个?半?\s*(?:小时|钟头|分钟)|hours?|hrs?|h|minutes?|mins?)?(?![a-z])",
    re.IGNORECASE,
)


def _english_value(value: str, name: str) -> tuple[str, str]:
    """An English name or place and what follows it: words up to a comma, or up to what
    reads as a count, a duration or a date ('place: village hall 7 present yesterday')."""
    ends = [_LIST_END, _EN_COUNTS, _EN_PEOPLE, _HOURS, _MINUTES]
    if name != "held_on":
        ends += [
            _ISO,
            _MONTH_DAY_WORDS,
            _SHORT,
            _RELATIVE_RE,
            _EN_MONTH_DAY,
            _EN_DAYS_AGO,
            _EN_WEEKDAY,
        ]
    cut = min((m.start() for end in ends if (m := end.search(value))), default=len(value))
    return value[:cut].strip(" ,;"), value[cut:]


def cn_number(text: str) -> int | None:
    """'12', '十二', '二十三' -> int; None if it is not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in CN_DIGITS for c in text):
        return None
    if "十" not in text:
        return CN_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    return (CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0) if ones else 0)


# ---------------------------------------------------------------- dates

_ISO = re.compile(r"(?<!\d)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?")
_COMPACT = re.compile(r"(?<!\d)(20\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")  # 20261103
# a month or a day in words: 11, 十一, 三十一 (not 日, which is 7 only in 周日)
_MD = r"(\d{1,2}|[零一二两三四五六七八九十]{1,3})"
# 3月5日, 3月5, 十一月三日, 11 月 3 日
_MONTH_DAY_WORDS = re.compile(
    rf"(?<![\d.])(\d{{1,2}})\s*月\s*{_MD}\s*[日号]|(?<![\d.])(\d{{1,2}})月(\d{{1,2}})(?!\d)"
    # 十一月三日 only as a word of its own: 纪念九月三日抗战胜利 is a topic, not the date
    rf"|(?:^|(?<=[\s,，、;；:年]))([零一二两三四五六七八九十]{{1,3}})\s*月\s*{_MD}\s*[日号]"
    r"(?=$|[\s,，、;；。])"
)
# 3.5, 3/5, 11-3; never a head count (实到7/8, 7/8人) nor a piece of 2026/7/8 or 14:00
_NOT_AFTER_COUNT = "".join(rf"(?<!{w})" for w in ("实到", "出席", "参加", "参会", "到会", "人数"))
# 3.5亩, 1.5万元, 2.5公里: an amount, not a date (11.28上午 and 11.28召开 are dates)
_MEASURE = (
    r"(?:亩|万|元|公里|公斤|公顷|千米|米|斤|吨|户|千|百|亿|倍|%|平方|立方|间|栋|座|台|辆|株|棵)"
)
# not 2-4点, 1-6月, 第1-3章, 3.5小时: a unit after it makes it a range or an amount
_NOT_A_UNIT = (
    r"(?![\d./\-]|\s*[点时月日号季章节条项个次届期年岁份天周分]"
    r"|\s*[人名](?![\u4e00-\u9fff])|\s*[人名](?=参加|出席|到会|参会|缺席|请假))"
)  # 11-28 人居环境整治 is a date and a topic; 5-7 人 and 5-7人参加 are counts
_SHORT = re.compile(
    # 3.5亩, 1.5万元, 2.5公里: a Chinese word right after 3.5 makes it an amount
    rf"{_NOT_AFTER_COUNT}(?<![\d.:/\-第])(\d{{1,2}})[./](\d{{1,2}}){_NOT_A_UNIT}(?!\s*{_MEASURE})"
    # 11-3 only as a word of its own
    rf"|(?:^|(?<=[\s,，、;；:]))(\d{{1,2}})-(\d{{1,2}}){_NOT_A_UNIT}(?=$|[\s,，、;；。])"
)
# 本月3日, 上个月15号, 下月1日: a day of a month named relative to this one
_MONTH_WORDS = {"本": 0, "这个": 0, "当": 0, "上": -1, "上个": -1, "下": 1, "下个": 1}
_REL_MONTH_DAY = re.compile(
    r"(本|这个|当|上个?|下个?)月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]"
)
# 3号, 3日, 三号 standing as a word of their own (not 3号楼, 第3号文件)
_DAY_ONLY = re.compile(
    r"(?:^|(?<=[\s,，、;；:]))(\d{1,2}|[一二三四五六七八九十]{1,3})[日号]"
    r"(?=$|[\s,，、;；。]|上午|下午|晚上|中午|早上)"  # 28号下午
)
_RELATIVE = {
    "today": 0,
    "yesterday": 1,
    "the day before yesterday": 2,
    "day before yesterday": 2,
    "tomorrow": -1,
    "今天": 0,
    "今日": 0,
    "昨天": 1,
    "昨日": 1,
    "昨晚": 1,
    "前天": 2,
    "大前天": 3,
    "明天": -1,
    "后天": -2,
}
_RELATIVE_RE = re.compile(
    "|".join(_word_pattern(w) for w in sorted(_RELATIVE, key=len, reverse=True)), re.IGNORECASE
)
_DAYS_AGO = re.compile(r"(\d{1,3}|[一二三四五六七八九十]+)天前")
_WEEKDAY = re.compile(r"(上上|上|下下|下|本|这)?个?(?:周|星期|礼拜)([一二三四五六日天1-7])")
# March 5, Mar. 5th, 5 March, 5th of March 2026. A number right after a count word is a head
# count, never a day: "present 7 March 5" is 7 present on March 5.
_EN_MONTH = _alternatives(_EN_MONTHS)
_NOT_A_COUNT = "".join(rf"(?<!{w} )(?<!{w}: )" for w in _EN_COUNT_WORDS)
_EN_MONTH_DAY = re.compile(
    rf"(?:(?<![a-z])(?P<m1>{_EN_MONTH})(?![a-z])\.?\s*(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"|{_NOT_A_COUNT}(?<![\d.:/\-])(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?"
    rf"(?P<m2>{_EN_MONTH})(?![a-z])\.?)"
    r"(?![\d:])(?:,?\s*(?P<year>\d{4})(?!\d))?",
    re.IGNORECASE,
)
_EN_DAYS_AGO = re.compile(r"(?<![\d.])(\d{1,3})\s*days?\s+ago(?![a-z])", re.IGNORECASE)
_EN_WEEKDAY = re.compile(
    rf"(?<![a-z])(?:(last|this|next)\s+)?({_alternatives(_EN_WEEKDAYS)})(?![a-z])", re.IGNORECASE
)


_EN_ON = re.compile(r"(?<![a-z])on\s+$", re.IGNORECASE)


def _with_on(text: str, m: re.Match) -> tuple[int, int]:
    """The date's span with the 'on' before it ('held on March 5'), so the word is not left
    behind as the topic."""
    start, end = m.span()
    before = _EN_ON.search(text[:start])
    return (before.start() if before else start), end


def _make_date(year: int, month: int, day: int, raw: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise DomainError("invalid_date", text=raw) from exc


def infer_year(month: int, day: int, today: date, raw: str, future: bool) -> date:
    """A date written without a year: this year's, unless that reads wrong.

    A past event written in January about December means last December; a deadline
    written in November about June means next June.
    """
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
        raise DomainError("invalid_date", text=raw)
    try:
        this_year = date(today.year, month, day)
    except ValueError as exc:  # 2月29日 in a common year
        raise DomainError("no_such_day", year=today.year, month=month, day=day) from exc
    if future and this_year < today:
        return _same_day_in(this_year, today.year + 1, raw)
    if not future and this_year > today:
        last_year = _same_day_in(this_year, today.year - 1, raw)
        if (today - last_year).days <= 92:
            return last_year
    return this_year


def _same_day_in(day: date, year: int, raw: str) -> date:
    try:
        return day.replace(year=year)
    except ValueError as exc:
        raise DomainError("no_such_day", year=year, month=day.month, day=day.day) from exc


# a year written right before a date or an end: 明年6月底, 2028年3月5日, 明年(年)底, 2027年底
_YEAR_WORDS = {"今": 0, "本": 0, "明": 1, "后": 2, "去": -1}
_YEAR_BEFORE = re.compile(r"(?:(?<!\d)(\d{4}|\d{2})|([今本明后去]))年\s*$")
_YEAR_BEFORE_END = re.compile(r"(?:(?<!\d)(\d{4}|\d{2})|([今本明后去]))年?$")  # before 年底 itself
# 明/后/今… only starts a year word after one of these or a non-Chinese character: 说明年底 is
# 说明 + 年底, 落后年底 is 落后 + 年底, but 计划明年底 and 截止明年6月底 are next year's
_BEFORE_A_YEAR_WORD = (
    "截止",
    "截至",
    "期限",
    "计划",
    "争取",
    "力争",
    "预计",
    "确保",
    "拟",
    "定于",
    "于",
    "到",
    "在",
    "至",
    "将",
    "要",
    "前",
    "，",
    "：",
)

# a month in Chinese numerals (三月底) or a year word (明年) only as a word of its own or
# after one of those words: 统一月底前上报 is 统一 + 月底, 说明年内 is 说明 + 年内
CN_DATE_WORD_AT = (
    "(?:" + "|".join(f"(?<={w})" for w in ("年", *_BEFORE_A_YEAR_WORD)) + f"|(?<!{_CJK}))"
)
# 6月底, 三月底, 一季度末, 年底, 月底, 下个月底, 季度末: the last day of that month, year or
# quarter
_PERIOD_END = re.compile(
    rf"(?:(\d{{1,2}})月|{CN_DATE_WORD_AT}([一二三四五六七八九十]{{1,3}}|元)月"
    r"|(?<!每)(本|这个?|下个?|次)?月|年"
    rf"|(?:第|{CN_DATE_WORD_AT})([一二三四1-4])季度?|(?<!每)(本|这个?|下个?)?季度?)(?:底|末)"
)  # 每月底 is every month's end: no one day


def _period_end(m: re.Match[str], year: int | None, today: date, future: bool) -> date:
    """The last day of the month, year or quarter ``m`` names, in ``year`` if one was written."""
    if m[1] or m[2]:
        month = 1 if m[2] == "元" else _number(m[1] or m[2])  # 元月 is January
        if not 1 <= month <= 12:
            raise DomainError("invalid_date", text=m[0])
        if year is not None:
            return date(year, month, calendar.monthrange(year, month)[1])
        return infer_year(month, calendar.monthrange(today.year, month)[1], today, m[0], future)
    if m[4]:  # 一季度末: that quarter's end, next year's if a deadline's is already past
        quarter = Period.quarter(year or today.year, _number(m[4]))
        return quarter.shift(4).end if future and not year and quarter.end < today else quarter.end
    if m[0][0] == "年":
        return date(year if year is not None else today.year, 12, 31)
    kind = "quarter" if "季" in m[0] else "month"
    word = m[3] or m[5] or ""
    return Period.containing(kind, today).shift(1 if word[:1] in ("下", "次") else 0).end


def _written_year(text: str, at: int, pattern: re.Pattern[str], today: date) -> tuple[int, int]:
    """(the year written right before ``text[at:]``, where it starts), or (0, at) if none."""
    m = pattern.search(text[:at])
    if m is None:
        return 0, at
    if m[2]:
        before = text[: m.start()]
        cjk = before and "\u4e00" <= before[-1] <= "\u9fff"
        if cjk and not before.endswith(_BEFORE_A_YEAR_WORD):
            return 0, at  # 说明年底: the 明 belongs to 说明
        return today.year + _YEAR_WORDS[m[2]], m.start()
    year = int(m[1])
    return (year + 2000 if year < 100 else year), m.start()


# end of June, the end of the month, end of next quarter, end of this year
_EN_PERIOD_END = re.compile(
    r"(?<![a-z])(?:the\s+)?end\s+of\s+(?:(?:the|this)\s+|(next)\s+)?"
    rf"(month|quarter|year|{_EN_MONTH})(?![a-z])",
    re.IGNORECASE,
)


def _english_period_end(m: re.Match[str], today: date, future: bool) -> date:
    what = m[2].lower()
    if what in _EN_MONTHS:
        month = _EN_MONTHS[what]
        return infer_year(month, calendar.monthrange(today.year, month)[1], today, m[0], future)
    return Period.containing(what, today).shift(1 if m[1] else 0).end  # type: ignore[arg-type]


@dataclass
class DateMatch:
    day: date
    span: tuple[int, int]


def find_date(
    text: str, today: date, future: bool = False, short_forms: bool = True
) -> DateMatch | None:
    """The first date written in ``text`` (ISO, 2026年3月5日, 3月5日, 3.5, 3/5, 昨天, 上周五…,
    and in English: March 5, 5 March, yesterday, 3 days ago, last Friday, end of June).

    ``short_forms=False`` skips 3.5 and 3/5, which in prose are more often numbers (2.5公里).
    """
    if m := _ISO.search(text) or _COMPACT.search(text):
        return DateMatch(_make_date(int(m[1]), int(m[2]), int(m[3]), m[0]), m.span())
    if m := _PERIOD_END.search(text):
        year, at = 0, m.start()
        if m[1] or m[2] or m[4] or m[0][0] == "年":  # 明年6月底, 明年一季度末, 明年(年)底
            pattern = _YEAR_BEFORE if m[1] or m[2] or m[4] else _YEAR_BEFORE_END
            year, at = _written_year(text, m.start(), pattern, today)
        return DateMatch(_period_end(m, year or None, today, future), (at, m.end()))
    if m := _MONTH_DAY_WORDS.search(text):
        # 学习6月1日起施行的条例 11月28日 (or 昨天): a date inside prose yields to one
        # standing as a word of its own, then to a date word
        if _inside_prose(text, m.span()):
            alone = [
                d for d in _MONTH_DAY_WORDS.finditer(text) if not _inside_prose(text, d.span())
            ]
            if alone:
                return _month_day(text, alone[0], today, future)
            if said := _find_chinese_relative(text, today, future):
                return said
            if (short := _SHORT.search(text)) and not _inside_prose(text, short.span()):
                month, day = int(short[1] or short[3]), int(short[2] or short[4])
                return DateMatch(infer_year(month, day, today, short[0], future), short.span())
        return _month_day(text, m, today, future)
    if m := _REL_MONTH_DAY.search(text):
        return DateMatch(_day_of_month(m, today), m.span())
    # a date word (昨天) wins over a bare 7/8, which may well be a head count
    if found := _find_chinese_relative(text, today, future):
        return found
    if short_forms and (m := _DAY_ONLY.search(text)):  # 3号 7/8: the 7/8 may be a count
        return DateMatch(day_alone(_number(m[1]), today, m[0], future), m.span())
    if short_forms and (m := _SHORT.search(text)):
        month, day = int(m[1] or m[3]), int(m[2] or m[4])
        return DateMatch(infer_year(month, day, today, m[0], future), m.span())
    return _find_english_date(text, today, future)


def _inside_prose(text: str, span: tuple[int, int]) -> bool:
    """Chinese words on both sides: 学习6月1日起施行, not 6月1日 standing as a word."""
    start, end = span
    before, after = text[start - 1 : start] if start else "", text[end : end + 1]
    return all(re.fullmatch(r"[\u4e00-\u9fff]", c) for c in (before, after))


def _number(text: str) -> int:
    """12 or 十二 (the patterns that call this admit nothing else)."""
    return int(text) if text.isdigit() else cn_number(text) or 0


def _month_day(text: str, m: re.Match[str], today: date, future: bool) -> DateMatch:
    """3月5日, 十一月三日, 2026年3月5日: a year written before it is kept."""
    month, day = _number(m[1] or m[3] or m[5]), _number(m[2] or m[4] or m[6])
    year, at = _written_year(text, m.start(), _YEAR_BEFORE, today)
    if year:
        return DateMatch(_make_date(year, month, day, text[at : m.end()]), (at, m.end()))
    return DateMatch(infer_year(month, day, today, m[0], future), m.span())


def _day_of_month(m: re.Match[str], today: date) -> date:
    """本月3日, 上个月15号, 下月1日."""
    month = Period.containing("month", today).shift(_MONTH_WORDS[m[1]])
    return _make_date(month.start.year, month.start.month, _number(m[2]), m[0])


def day_alone(day: int, today: date, raw: str, future: bool) -> date:
    """3号: this month's 3rd, unless that is still to come (then last month's); as a deadline,
    this month's unless already past (then next month's)."""
    this = Period.containing("month", today)
    month = this.start
    if not future and day > today.day:
        month = this.shift(-1).start
    elif future and day < today.day:
        month = this.shift(1).start
    elif future and day > calendar.monthrange(month.year, month.month)[1]:
        month = this.shift(1).start  # 31号前 on 30 November: December's 31st
    return _make_date(month.year, month.month, day, raw)


def _find_chinese_relative(text: str, today: date, future: bool = False) -> DateMatch | None:
    """昨天, 三天前, 上周五 (and today, yesterday): before English month names, so a Chinese
    line's 昨天 is not beaten by a 'May' or '5 March' in its topic."""
    if m := _RELATIVE_RE.search(text):
        return DateMatch(today - timedelta(days=_RELATIVE[m[0].lower()]), m.span())
    if m := _DAYS_AGO.search(text):
        n = cn_number(m[1])
        if n is not None:
            return DateMatch(today - timedelta(days=n), m.span())
    if m := _WEEKDAY.search(text):
        return DateMatch(_weekday(m[1], m[2], today, future), m.span())
    return None


def _find_english_date(text: str, today: date, future: bool) -> DateMatch | None:
    if m := _EN_PERIOD_END.search(text):
        return DateMatch(_english_period_end(m, today, future), m.span())
    if m := _EN_MONTH_DAY.search(text):
        month, day = _EN_MONTHS[(m["m1"] or m["m2"]).lower()], int(m["d1"] or m["d2"])
        if m["year"]:
            return DateMatch(_make_date(int(m["year"]), month, day, m[0]), _with_on(text, m))
        return DateMatch(infer_year(month, day, today, m[0], future), _with_on(text, m))
    if m := _EN_DAYS_AGO.search(text):
        return DateMatch(today - timedelta(days=int(m[1])), m.span())
    if m := _EN_WEEKDAY.search(text):
        return DateMatch(_english_weekday(m[1], m[2], today, future), _with_on(text, m))
    return None


def _english_weekday(which: str | None, name: str, today: date, future: bool = False) -> date:
    """'this Friday' is this week's, like 本周五; 'Friday' the latest, today included;
    'last Friday' the latest before today."""
    target = _EN_WEEKDAYS.index(name.lower())
    if which and which.lower() in ("this", "next"):  # this week's, like 本周五; next week's
        week = 7 if which.lower() == "next" else 0
        return today - timedelta(days=today.weekday()) + timedelta(days=target + week)
    if future and not which:  # a deadline: the coming one
        return today + timedelta(days=(target - today.weekday()) % 7)
    back = (today.weekday() - target) % 7
    return today - timedelta(days=back or (7 if which else 0))


_WEEKS_AWAY = {"上上": -2, "上": -1, "本": 0, "这": 0, "下": 1, "下下": 2}


def _weekday(which: str | None, name: str, today: date, future: bool) -> date:
    target = (int(name) if name.isdigit() else CN_DIGITS[name]) - 1  # Monday = 0
    if which:
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(weeks=_WEEKS_AWAY[which], days=target)
    # bare 周五: the most recent Friday, today included; as a deadline, the coming one
    if future:
        return today + timedelta(days=(target - today.weekday()) % 7)
    return today - timedelta(days=(today.weekday() - target) % 7)


def parse_date(text: str, today: date, future: bool = False) -> date | None:
    found = find_date(normalise(text), today, future)
    return found.day if found else None


# ---------------------------------------------------------------- counts, hours, times

_N = r"(\d{1,4})(?![\d月./\-年日号:：])"  # a head count, never the start of a date or time
# 参加人数:8, 实到:7, 实出席14人 (but 应出席16人 is the expected count)
_PRESENT = (
    r"(?:(?<!应)(?:实到|实出席|实参会|出席|参加|参会|到会|到场)(?:人数)?|(?<![\u4e00-\u9fff])人数)"
    r"\s*:?\s*"
)
_PEOPLE = r"\s*(?:人|名)"
_TALLY_N = r"(\d{1,4})(?![\d月./\-年日号]|:\d)"  # 缺1：外出务工 (a reason may follow the colon)
_TOTAL = r"(?:(?:共计?|合计|一共|总共)\s*|党员)?"  # 共8人, 党员8名: as a bare 8人
_SAID_TOTAL = r"(?:(?:共计?|合计|一共|总共|全体)\s*|党员)"
# 缺席1人(外出务工), 缺席2人：张三请假，李四外出: the reason goes to the notes
_WHY = r"(?:\s*\((?P<why>[^()]{1,60})\)|\s*:\s*(?P<why_said>\S{1,60}))?"
_COUNT_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    # 实到7/8, 到会人数7/8, 7/8人: 7 present of 8 expected
    (("present", "expected"), re.compile(rf"{_PRESENT}(\d{{1,4}})\s*/\s*{_N}(?:{_PEOPLE})?")),
    # (not 11/28 人居环境整治: a date, and a topic that starts with 人)
    (
        ("present", "expected"),
        re.compile(rf"(?<![\d./\-])(\d{{1,4}})\s*/\s*(\d{{1,4}})(?:人|名|\s+[人名](?!{_CJK}))"),
    ),
    (
        ("expected",),
        re.compile(rf"应(?:到|出席|参会|参加)(?:会)?(?:人数)?\s*:?\s*{_N}(?:{_PEOPLE})?"),
    ),
    (("present",), re.compile(rf"{_PRESENT}{_N}(?:{_PEOPLE})?")),
    (
        ("present",),
        re.compile(rf"{_TOTAL}(\d{{1,4}}){_PEOPLE}(?:党员|同志)?(?:出席|参加|参会|到会|到场)"),
    ),
    (("absent",), re.compile(rf"(?:缺席|未到)(?:人数)?\s*:?\s*{_N}(?:{_PEOPLE})?{_WHY}")),
    (("absent",), re.compile(rf"(\d{{1,4}}){_PEOPLE}(?:缺席|未到){_WHY}")),
    # 应16 实14 缺2, 实到14缺2: the shorthand of a tally, as a word or right after a number
    (("expected",), re.compile(rf"(?:^|(?<=[\s,;]))应\s*{_TALLY_N}(?:{_PEOPLE})?")),
    (("present",), re.compile(rf"(?:^|(?<=[\s,;]))实\s*{_TALLY_N}(?:{_PEOPLE})?")),
    (("absent",), re.compile(rf"(?:^|(?<=[\s,;\d]))缺\s*{_TALLY_N}(?:{_PEOPLE})?{_WHY}")),
    # 缺席2人，其中请假1人: the one on leave is among the absent, said once more
    (("absent_on_leave",), re.compile(rf"(?:其中|含)\s*请假\s*:?\s*{_N}(?:{_PEOPLE})?{_WHY}")),
    (("absent_on_leave",), re.compile(rf"(?:其中|含)\s*(\d{{1,4}}){_PEOPLE}请假{_WHY}")),
    (("leave",), re.compile(rf"请假(?:人数)?\s*:?\s*{_N}(?:{_PEOPLE})?{_WHY}")),
    (("leave",), re.compile(rf"(\d{{1,4}}){_PEOPLE}请假{_WHY}")),
    # 8人, 共8人, 党员8名 — but not 慰问8名老党员 or 组织20名党员清扫村道, the topic's people
    # 共16人, 党员16名 standing as words: everyone (beside 实到14, the expected count)
    (("total",), re.compile(rf"(?<!{_CJK}){_SAID_TOTAL}(\d{{1,4}}){_PEOPLE}(?!{_CJK})")),
    # 8人 alone: those present; beside 实到14 it is the topic's (列席2人, 同意18人)
    (
        ("bare",),
        re.compile(rf"(?<![\d./])(\d{{1,4}}){_PEOPLE}(?:党员)?(?![\u4e00-\u9fff])"),
    ),
)
# English counts come either way round, "7 present" or "present 7", and are read left to
# right, so that in "7 present 1 absent" the 1 is never taken for "present 1".
_EN_COUNT_WORD = _alternatives(_EN_COUNT_WORDS)
_EN_PERSONS = r"(?:people|persons|members|comrades)"
# a head count, not a piece of 3/5, 14:00 or 2026-03-05 (but "present 7." ends a sentence)
_EN_N = r"(?<![\d.:/\-])(?P<{}>\d{{1,4}})(?!\d|[./\-:]\d)"
_EN_COUNTS = re.compile(
    _EN_N.format("n1")
    + rf"\s*(?:{_EN_PERSONS}\s+)?(?P<w1>{_EN_COUNT_WORD})(?![a-z])"
    + rf"|{_NOT_AFTER_A_WORD}(?P<w2>{_EN_COUNT_WORD})\s*:?\s*"
    + _EN_N.format("n2"),
    re.IGNORECASE,
)
_EN_PEOPLE = re.compile(_EN_N.format("n") + rf"\s*{_EN_PERSONS}(?![a-z])", re.IGNORECASE)
# 2小时, 1.5h, 2 hours, 1个半小时, 1小时30分钟, 1 hour 30 minutes; then 半小时, 90分钟 alone
_HOURS = re.compile(
    r"(?<![\d.])(\d{1,3}(?:\.\d{1,2})?)(?:\s*个)?((?<=[\d个])半)?\s*(?:小时|钟头|hours?|hrs?|h)(?![a-z])"
    r"(?:\s*(\d{1,2})\s*(?:分(?:钟)?|minutes?(?![a-z])|mins?(?![a-z])))?",
    re.IGNORECASE,
)
_HALF_HOUR = re.compile(r"半(?:个)?小时|(?<![a-z])half an hour(?![a-z])", re.IGNORECASE)
_MINUTES = re.compile(
    r"(?<![\d.])(\d{1,4})\s*(?:分钟|minutes?(?![a-z])|mins?(?![a-z]))", re.IGNORECASE
)
# 14:00-16:00 (下午2:00-4:00 is read with its 下午, below)
_TIME_RANGE = re.compile(
    r"(?<!上午)(?<!早上)(?<!中午)(?<!下午)(?<!晚上)"
    r"(\d{1,2}):(\d{2})\s*[-~到至]\s*(\d{1,2}):(\d{2})"
)


def _take(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " + text[span[1] :]


_CN_NUM = "零一二两三四五六七八九十"
_CN_BEFORE_UNIT = re.compile(
    rf"(?<![第{_CN_NUM}])([{_CN_NUM}]{{1,3}})(?=\s*个?半?\s*(?:人|名|小时|钟头|分钟))"
)
_CN_AFTER_WORD = re.compile(
    rf"(应到|实到|出席|参加|参会|到会|到场|缺席|请假|未到)\s*([{_CN_NUM}]{{1,3}})(?![{_CN_NUM}])"
)


def arabic_numbers(text: str) -> str:
    """五人 -> 5人, 两小时 -> 2小时, 应到十二 -> 应到12; 第一党小组 and 一村 stay as they are."""

    def unit(m: re.Match[str]) -> str:
        n = cn_number(m[1])
        return str(n) if n is not None else m[0]

    def word(m: re.Match[str]) -> str:
        n = cn_number(m[2])
        return f"{m[1]}{n}" if n is not None else m[0]

    return _CN_AFTER_WORD.sub(word, _CN_BEFORE_UNIT.sub(unit, text))


def take_counts_and_notes(text: str) -> tuple[str, dict[str, int], str | None]:
    """take_counts, and the note they make (请假1人（生病）), as /log keeps it."""
    refuse_guessed_numbers(text)
    text, counts, notes = _read_counts(text)
    return text, counts, prose(" ".join(notes)) if notes else None


def take_counts(text: str) -> tuple[str, dict[str, int]]:
    """Head counts: the first of each kind counts; those on leave (请假) are absent too."""
    text, counts, _ = _read_counts(text)
    return text, counts


# 16人应到 14人实到 2人缺席: numbers before their words. The style is the last count word's:
# with nothing after it (2人缺席), the line puts numbers first; with a number after it
# (应到8人 实到7人 缺席1人), words first, and 8人 实到 is no pair
_COUNT_WORDS = r"应到|应出席|应参会|实到|实出席|实参会|出席|参加|参会|到会|到场|缺席|未到|请假"
_LAST_COUNT_WORD = re.compile(rf"(?:{_COUNT_WORDS})(?!.*(?:{_COUNT_WORDS}))(?P<after>\s*:?\s*\d)?")
_COUNT_BEFORE_WORD = re.compile(
    rf"{_TOTAL}(?<![\d./])(\d{{1,4}}){_PEOPLE}\s*(?:党员|同志)?(?P<word>应到|应出席|应参会|实到|实出席|实参会"
    r"|出席|参加|参会|到会|到场)"
)
# 全体到会, 全部出席, 无人缺席 as words of their own: as many came as were expected (not the
# 全体党员参加 of 动员全体党员参加义务植树, the topic's)
_ALL_PRESENT = re.compile(
    r"(?:^|(?<=[\s,;]))(?:(?:全部|全体|全员)(?:党员|委员|人员)?(?:到会|到齐|出席|参会|参加)"
    r"|无人?缺席|全到)(?=$|[\s,;。])"
)


def _numbers_first(text: str) -> bool:
    last = _LAST_COUNT_WORD.search(text)
    return (
        last is not None
        and last["after"] is None
        and bool(re.search(rf"\d{{1,4}}{_PEOPLE}\s*$", text[: last.start()]))
    )


def _read_counts(text: str) -> tuple[str, dict[str, int], list[str]]:
    """take_counts, and what the notes should keep: 请假1人, 缺席1人（外出务工）."""
    text = arabic_numbers(text)
    counts: dict[str, int] = {}
    notes: list[str] = []
    if _numbers_first(text):
        while m := _COUNT_BEFORE_WORD.search(text):
            counts.setdefault("expected" if m["word"][0] == "应" else "present", int(m[1]))
            text = _take(text, m.span())
    all_present = _ALL_PRESENT.search(text)
    if all_present:
        text = _take(text, all_present.span())
    for names, pattern in _COUNT_PATTERNS:
        if names == ("bare",) and "present" in counts:
            continue  # left to the topic
        while (m := pattern.search(text)) is not None:
            for i, name in enumerate(names, 1):
                counts.setdefault(name, int(m[i]))
            why = m["why"] or m["why_said"] if "why" in pattern.groupindex else None
            if "why" in pattern.groupindex and (why or names[0] != "absent"):
                notes.append(_absence_note(names[0], int(m[1]), why))
            text = _take(text, m.span())
    counts.pop("absent_on_leave", None)  # in the notes only: counted with the absent already
    if (bare := counts.pop("bare", None)) is not None:
        counts.setdefault("present", bare)
    if (total := counts.pop("total", None)) is not None:
        # alone, 共16人 is who came; beside 实到14名, how many were expected
        counts.setdefault("expected" if "present" in counts else "present", total)
    if "leave" in counts:
        counts["absent"] = counts.get("absent", 0) + counts.pop("leave")
    if all_present and "expected" in counts:  # with no count, how many is asked
        counts.setdefault("present", counts["expected"])
    return _take_english_counts(text, counts), counts, notes


def _absence_note(kind: str, n: int, why: str | None) -> str:
    word = {"leave": "请假", "absent_on_leave": "其中请假"}.get(kind, "缺席")
    why = (why or "").strip(" ,;")  # 缺席1人：外出务工，实到7人: the comma is no part of it
    return f"{word}{n}人" + (f"（{why}）" if why else "")


def _take_english_counts(text: str, counts: dict[str, int]) -> str:
    """'expected 8 present 7', '8 expected 7 present', then '7 people': the first of each
    kind counts, as in Chinese."""
    for pattern in (_EN_COUNTS, _EN_PEOPLE):
        found = list(pattern.finditer(_hide_month_days(text)))
        for m in found:
            counts.setdefault(*_english_count(m))
        for m in reversed(found):  # from the end, so that the earlier spans stay put
            text = _take(text, m.span())
    return text


def _hide_month_days(text: str) -> str:
    """The text with 'March 5' blanked out, so that in 'March 5 present 7' the 5 stays a day."""
    return _EN_MONTH_DAY.sub(lambda m: "#" * len(m[0]), text)


def _english_count(m: re.Match[str]) -> tuple[str, int]:
    if m.re is _EN_PEOPLE:
        return "present", int(m["n"])
    return _EN_COUNT_WORDS[(m["w1"] or m["w2"]).lower()], int(m["n1"] or m["n2"])


def take_hours(text: str) -> tuple[str, float | None]:
    text = arabic_numbers(text)
    if m := _HOURS.search(text):
        hours = float(m[1]) + (0.5 if m[2] else 0) + (int(m[3]) / 60 if m[3] else 0)
        return _take(text, m.span()), round(hours, 2)
    if m := _HALF_HOUR.search(text):
        return _take(text, m.span()), 0.5
    if m := _MINUTES.search(text):
        return _take(text, m.span()), round(int(m[1]) / 60, 2)
    return text, None


# 下午2点到4点, 上午9点半至11点, 14点-16点: a 点 (or a colon) on both sides keeps 3-5月 out
_CN_CLOCK = (  # 2点, 2点半, 2点30, 2点5分, 14:30; not the 8 of 4点8人
    r"(上午|早上|中午|下午|傍晚|晚上|(?<![昨今前])晚|(?<![昨今前])早)?\s*(\d{1,2})"
    r"(?:[点时](半|\d{1,2}分|\d{2}(?!\s*[人名]))?|:(\d{2}))"
)
# the start may leave its 点 to the end: 下午2-4点, 14到16点
_CN_TIME_RANGE = re.compile(rf"(?<![\d第]){_CN_CLOCK}?\s*[-~到至—]\s*{_CN_CLOCK}")
# from 2pm to 4pm, 2-4pm, 9:30am-11am: the am/pm at the end makes it a time
_EN_TIME_RANGE = re.compile(
    r"(?<![a-z\d])(?:from\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*(?:-|to|–)\s*"
    r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)(?![a-z])",
    re.IGNORECASE,
)
# 下午两点到四点, 九点半至十一点: hours in Chinese numerals, only as a range of them
_CN_HOUR = rf"[{_CN_NUM}]{{1,3}}(?=[点时](?!间))"
_CN_NUMERAL_RANGE = re.compile(
    rf"(?<![{_CN_NUM}第])({_CN_HOUR})(\S{{1,2}}\s*[-~到至—]\s*)({_CN_HOUR})"
)
_AFTERNOON = ("下午", "傍晚", "晚上", "晚", "pm")
_NOON = "中午"  # 中午12点半 is 12:30, 中午1点 is 13:00


def take_time_range(text: str, prose: bool = True) -> tuple[str, tuple[time, time] | None]:
    """'14:00-16:00', '下午2点到4点', 'from 2pm to 4pm' -> the text without it, (start, end).
    ``prose=False``: only the unmistakable 14:00-16:00, which may be taken from anywhere,
    even a topic (讨论8点到12点值班安排 is a topic's own words)."""
    written = text  # returned as it was when no range is taken (讨论两点到四点值班安排)
    if prose:
        text = _CN_NUMERAL_RANGE.sub(_arabic_hours, text)
    forms = (
        ((_CN_TIME_RANGE, _read_cn_range), (_EN_TIME_RANGE, _read_en_range))
        if prose
        else ((_TIME_RANGE, _read_clock_range),)
    )
    for pattern, read in forms:
        for m in pattern.finditer(text):
            if _not_a_time_here(text, m, prose):
                continue
            try:
                return _take(text, m.span()), read(m)
            except ValueError as exc:
                raise DomainError("invalid_time", text=m[0]) from exc
    return written, None


_DAY_HALVES = {"昨晚": "昨天 晚上", "今晚": "今天 晚上", "今早": "今天 早上", "昨早": "昨天 早上"}
_DAY_AND_HALF = re.compile(r"(?:昨晚|今晚|今早|昨早)(?=\s*\d)")
_HALVES_OF_DAY = frozenset({"上午", "早上", "中午", "下午", "傍晚", "晚上"})
_HALF_BEFORE = re.compile(r"(?:上午|早上|中午|下午|傍晚|晚上|晚|早)\s*$")


# 下午3点, 晚上7点半开会, 14:30开始: a start with no end, standing as a word of its own
_START_TIME = re.compile(
    r"(?:^|(?<=[\s,;号日]))(?:(上午|早上|中午|下午|傍晚|晚上|晚)\s*"
    r"(?:(\d{1,2}|[一二两三四五六七八九十]{1,3})[点时](半|\d{1,2}分?)?|(\d{1,2}):(\d{2}))"
    r"|(\d{1,2}):(\d{2}))(?:开始|召开|开会)?(?=$|[\s,;])"
)


def take_start_time(text: str) -> tuple[str, time | None]:
    """'下午3点', '14:30开始' -> the text without it, the time the meeting began."""
    if not (m := _START_TIME.search(text)):
        return text, None
    try:
        if m[6]:  # 14:30
            return _take(text, m.span()), time(int(m[6]), int(m[7]))
        if m[4]:  # 下午3:00
            return _take(text, m.span()), _clock(m[1], m[4], int(m[5]))
        hour = str(cn_number(m[2]) or 0)  # 下午3点, 下午三点
        return _take(text, m.span()), _clock(m[1], hour, _cn_minutes(m[3], None))
    except ValueError as exc:
        raise DomainError("invalid_time", text=m[0]) from exc


def _arabic_hours(m: re.Match[str]) -> str:
    start, end = cn_number(m[1]), cn_number(m[3])
    if start is None or end is None or max(start, end) > 24:
        return m[0]
    return f"{start}{m[2]}{end}"


def _not_a_time_here(text: str, m: re.Match, prose: bool) -> bool:
    """A 14:00-16:00 with 晚上 before it is left to the reading that takes the 晚上 too;
    a 8点到12点 inside Chinese words (讨论8点到12点值班安排) is the words' own."""
    if not prose:
        return bool(_HALF_BEFORE.search(text[: m.start()]))
    return m.re is _CN_TIME_RANGE and _inside_prose(text, m.span())


def _read_clock_range(m: re.Match) -> tuple[time, time]:
    start, end = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
    return (start, end) if m[1].startswith("0") else _day_range(start, end)  # 06:00: as written


def _day_range(start: time, end: time) -> tuple[time, time]:
    """Hours said without 上午/下午: 2点到4点 is the afternoon (a branch meets at 2, not at
    night), 9点到1点 runs past noon, 6点到8点 and 8:30-11:30 are as written."""
    if 1 <= start.hour <= 6 and 1 <= end.hour <= 6 and start < end:
        return start.replace(hour=start.hour + 12), end.replace(hour=end.hour + 12)
    if end <= start and end.hour < 12 and end.hour + 12 > start.hour:
        return start, end.replace(hour=end.hour + 12)
    return start, end


def _read_cn_range(m: re.Match) -> tuple[time, time]:
    start_part, end_part = m.groups()[:4], m.groups()[4:]
    start = _clock(start_part[0], start_part[1], _cn_minutes(start_part[2], start_part[3]))
    end_half = end_part[0] or start_part[0]  # 下午2点到4点: the 4 is in the afternoon too
    end = _clock(end_half, end_part[1], _cn_minutes(end_part[2], end_part[3]))
    return (start, end) if end_half else _day_range(start, end)


def _cn_minutes(after_dian: str | None, after_colon: str | None) -> int:
    if after_colon:
        return int(after_colon)
    if after_dian == "半":
        return 30
    return int(after_dian.rstrip("分")) if after_dian else 0


def _read_en_range(m: re.Match) -> tuple[time, time]:
    end = _clock(m[6], m[4], int(m[5] or 0))
    if m[3]:
        return _clock(m[3], m[1], int(m[2] or 0)), end
    # 2-4pm: both in the afternoon; 10-12pm: the morning up to noon
    start = _clock(m[6], m[1], int(m[2] or 0))
    return (start if start < end else _clock("am", m[1], int(m[2] or 0))), end


def _clock(half: str | None, hour: str, minute: int) -> time:
    """An hour of the day as its half of the day says (下午2点, 中午1点, 2pm)."""
    h, half = int(hour), (half or "").lower()
    if (half in _AFTERNOON and h < 12) or (half == _NOON and 1 <= h <= 6):
        h += 12
    elif half == "am" and h == 12:
        h = 0
    return time(h, minute)


# the unit right after a number: 2小时, 7人 (but not the 人 of 11-28 人居环境整治)
_COUNT_OR_HOURS = (
    r"(?:个?半?(?:小时|钟头|分钟)|\s*(?:hours?|people)(?![a-z])"
    r"|\s*[人名](?![\u4e00-\u9fff])|\s*[人名](?=参加|出席|到会|参会|缺席|请假))"
)
# 出席-3人, 应到-5, -2小时: a minus sign right before a count or a duration
_NEGATIVE = re.compile(
    r"(?:应到|实到|出席|参加|参会|到会|到场|缺席|请假|未到|人数|(?<![\u4e00-\u9fff])[应实缺])"
    rf"\s*:?\s*[-−]\d|(?<![\d\w.\-])[-−]\d{{1,4}}(?:\.\d+)?{_COUNT_OR_HOURS}",
    re.IGNORECASE,
)
# 1-2小时, 5到7人: a range where one number is wanted (not the 11-28 of 2026-11-28)
_RANGE = re.compile(
    rf"(?<![\d.\-/])\d{{1,4}}(?:\.\d+)?\s*[-~到至—]\s*\d{{1,4}}(?:\.\d+)?{_COUNT_OR_HOURS}",
    re.IGNORECASE,
)


def refuse_guessed_numbers(text: str) -> None:
    """A negative count or duration, or a range of them, is refused rather than read as the
    number after the sign (出席-3人 is not 3 present, 1-2小时 is not 2 hours); a range in the
    topic's own words (慰问2-3名老党员) is the topic's."""
    if m := _NEGATIVE.search(text):
        raise DomainError("negative_number", text=m[0])
    for m in _RANGE.finditer(text):
        if not _inside_prose(text, m.span()):
            raise DomainError("number_range", text=m[0])


def read_hours(text: str) -> tuple[str, float | None]:
    """take_hours, or a bare number of hours (an answer to 'how long?', a 时长: value)."""
    refuse_guessed_numbers(text)
    rest, hours = take_hours(text)
    if hours is None and re.fullmatch(r"[0-9]{1,2}(?:\.[0-9]{1,2})?", rest.strip()):
        return "", float(rest.strip())
    return rest, hours


def _keyed_hours(value: str) -> float:
    """The value of 时长: / hours: as hours: 3, 2.5, 3小时, 90分钟."""
    rest, hours = read_hours(value)
    if hours is None or rest.strip():
        raise DomainError("unreadable_hours", text=value)
    return hours


# ---------------------------------------------------------------- activity lines


@dataclass
class ParsedActivity:
    draft: ActivityDraft
    unknown_type: str | None = None  # the word that stood where a type should be
    leftover: str = ""  # free text that was not recognised (the topic, unless kept apart)


def parse_activity(
    text: str, registry: Registry, today: date, leftover_as_topic: bool = True
) -> ParsedActivity:
    """Parse the arguments of /log, /study or /edit into a (possibly incomplete) draft."""
    # a time range is unmistakable, so it is taken even from inside a topic
    # 昨晚7点到9点: the day and the half of it, so that each is read
    text = _DAY_AND_HALF.sub(lambda m: _DAY_HALVES[m[0]], normalise(text))
    text, span = take_time_range(text, prose=False)
    free, keyed = split_keyed(text)
    if span is None:  # 下午2点到4点 only outside the topic
        free, span = take_time_range(free)
    refuse_guessed_numbers(free)
    values: dict[str, object] = {
        k: v
        for k, v in keyed.items()
        if k in ("topic", "host", "recorder", "place", "notes", "group")
    }
    if span:
        values["start_time"], values["end_time"] = span
    elif (found := take_start_time(free))[1] is not None:
        free, values["start_time"] = found
    free, hours = take_hours(free)
    if "hours" in keyed:  # 时长:3 / hours: 2.5
        hours = _keyed_hours(keyed["hours"])
    if hours is None and span and span[1] > span[0]:  # 14:00-16:00 lasted 2 hours
        start, end = (datetime.combine(date.min, t) for t in span)
        hours = round((end - start).total_seconds() / 3600, 2)
    if hours is not None:
        values["hours"] = hours
    free, counts, notes = _read_counts(free)
    values.update(counts)
    if "held_on" in keyed:  # 日期:3月6日
        day = parse_date(keyed["held_on"], today)
        if day is None:
            raise DomainError("invalid_date", text=keyed["held_on"])
        values["held_on"] = day
    elif (found := find_date(free, today)) and not _a_topics_date(free, found, registry):
        values["held_on"] = found.day
        free = _take(free, found.span)
    free = _drop_bare_ratio(free, values)
    free, type_code, unknown = _take_type(free, registry)
    if type_code:
        values["type_code"] = type_code
    # 第一党小组 as a word, not in 研究调整第一党小组组长; 一组, 2组 standing alone, for a
    # meeting held by party group (in 研究一组 二组 的分工 they are the topic's)
    by_group = (t := registry.get(type_code or "")) is not None and t.scope == "group"
    # 老年党小组, 机关党小组: a group by its name, as a word of its own, for such a meeting
    if m := re.search(
        r"第?[一二三四五六七八九十\d]+(?:党)?小组(?![\u4e00-\u9fff])"
        + (r"|(?:^|(?<=\s))第?[一二三四五六七八九十\d]{1,2}组(?=\s|$)" if by_group else "")
        + (r"|(?:^|(?<=\s))[\u4e00-\u9fff]{1,8}党小组(?=\s|$)" if by_group else ""),
        free,
    ):
        values.setdefault("group", m[0])
        free = _take(free, m.span())
    if "topic" in keyed and leftover_as_topic:  # never on /edit: it changes what it names
        notes += _peel_topic(values, today)
    for note in notes:
        _add_note(values, note)
    # 11.28上午, 昨天晚上: the half of a day, said beside a date, is no topic
    leftover = " ".join(w for w in _words(free) if w not in _HALVES_OF_DAY)
    if leftover and unknown is None and leftover_as_topic:
        if "topic" not in values:
            values["topic"] = leftover
        else:
            _add_note(values, leftover)
        leftover = ""
    for key in ("topic", "notes", "place", "host", "recorder"):
        if isinstance(values.get(key), str):
            values[key] = prose(values[key])  # type: ignore[arg-type]
    return ParsedActivity(ActivityDraft(**values), unknown, prose(leftover))  # type: ignore[arg-type]


def _a_topics_date(free: str, found: DateMatch, registry: Registry) -> bool:
    """A date in the middle of Chinese words (研究3.15消费维权宣传, 传达11月25日镇党委会议精神,
    传达前天镇里会议精神) is the topic's; right after the meeting's name (支委会6月1日召开)
    or starting a word, it is the meeting's. A topic's date is left alone and the day asked."""
    start = found.span[0]
    if not _inside_prose(free, found.span):
        return False
    word_start = max(free.rfind(" ", 0, start), free.rfind(",", 0, start)) + 1
    prefix = free[word_start:start]
    if not prefix:
        return False
    named = registry.longest_prefix(prefix)
    first = _take_type(free, registry)[1]  # the meeting's name is the first type named
    return named is None or bool(named[1].strip()) or named[0].code != first


def _add_note(values: dict[str, object], note: str) -> None:
    values["notes"] = f"{values.get('notes') or ''} {note}".strip()


_BARE_RATIO = re.compile(r"(?:^|(?<=\s))\d{1,4}/\d{1,4}(?=\s|$)")


def _drop_bare_ratio(free: str, values: dict[str, object]) -> str:
    """昨天 7/8: with the date known, a bare 7/8 is no date, and maybe a head count: rather
    than guess (or keep it as the topic), leave the count to be asked."""
    if "held_on" not in values or "present" in values:
        return free
    return _BARE_RATIO.sub(" ", free)


def _peel_topic(values: dict[str, object], today: date) -> list[str]:
    """主题:研究春耕 昨天 6人: the words at the end of a topic that give a date or a count the
    record still lacks are taken as such (from the end, up to the first that does not), if
    one of them is unmistakable (昨天, 3月5日, 实到6人): alone, a 5人 or a 7.1 is as likely the
    topic's own (走访困难党员 5人, 纪念建党 7.1) and stays in it. Returns their notes."""
    topic = str(values.pop("topic"))
    # words and what parts them (主题:研究秋收，昨天，应到8), so what stays reads as typed
    parts, taken, notes, sure = re.split(r"(\s*[,;、]\s*|\s+)", topic), {}, [], False
    while parts and (found := _field_word(parts[-1], {**values, **taken}, today)) is not None:
        fields, more, certain = found
        taken.update(fields)
        notes[:0] = more
        sure = sure or certain
        del parts[-2:]  # the word and the separator before it
    if not sure:
        values["topic"] = topic
        return []
    values.update(taken)
    if kept := "".join(parts).strip(" ,;、"):
        values["topic"] = kept
    return notes


def _whole_time_range(word: str) -> tuple[time, time] | None:
    rest, span = take_time_range(word)
    return span if span and not rest.strip() else None


# 实到6人 at the end of a topic is a count; 5人 or 3名 may well be the topic's own people
_COUNT_WORD = re.compile(r"应到|实到|出席|参加|参会|到会|缺席|请假|present|expected|absent", re.I)


def _field_word(word: str, values: dict[str, object], today: date):
    """({field: value}, notes, unmistakable) if ``word`` alone is a date or a count that
    ``values`` lacks; unmistakable: a date word or a month and day, a count with its word."""
    rest, counts, notes = _read_counts(word)
    if counts and not _words(rest):
        if counts.keys() & values.keys():
            return None
        return counts, notes, bool(_COUNT_WORD.search(word))
    if "start_time" not in values and (span := _whole_time_range(word)) is not None:
        return {"start_time": span[0], "end_time": span[1]}, [], True  # 下午2点到4点
    if "held_on" in values or (found := find_date(word, today)) is None:
        return None
    if found.span != (0, len(word)):
        return None
    return {"held_on": found.day}, [], find_date(word, today, short_forms=False) is not None


def _words(free: str) -> list[str]:
    """The words of what is left; punctuation left alone ('/', '。', 'present 7.') is not one."""
    return [t for t in _SEPARATORS.split(free) if re.search(r"\w", t)]


def _take_type(free: str, registry: Registry) -> tuple[str, str | None, str | None]:
    """Find an activity type anywhere in the text (longest name wins): a name of several words
    ('committee meeting'), or one that starts a word (支委会学习党章)."""
    tokens = _words(free)
    for i, token in enumerate(tokens):
        if named := registry.match_words(tokens[i:]):
            atype, n = named
            return " ".join(tokens[:i] + tokens[i + n :]), atype.code, None
        hit = registry.longest_prefix(token)
        if hit is not None:
            t, rest = hit
            tokens[i] = rest
            return " ".join(tokens), t.code, None
    if tokens:
        return "", None, tokens[0]
    return free, None, None


# ---------------------------------------------------------------- periods

_YEAR = r"(?:(\d{4}|\d{2})年)"  # 2026年, and 26年 as people write it
_CN_QUARTER = re.compile(rf"^{_YEAR}?(?:第)?([一二三四1-4])季度$")
_YEAR_MONTH = re.compile(rf"^{_YEAR}?(\d{{1,2}}|[一二三四五六七八九十]{{1,3}})月(?:份)?$")
_HALF = re.compile(rf"^{_YEAR}?([上下])半年$")
_YEAR_Q = re.compile(r"^(?:(\d{4})年?)?[qQ]([1-4])$")
_RELATIVE_PERIOD: dict[str, tuple[str, int]] = {
    "本月": ("month", 0),
    "这个月": ("month", 0),
    "当月": ("month", 0),
    "上月": ("month", -1),
    "上个月": ("month", -1),
    "本季度": ("quarter", 0),
    "本季": ("quarter", 0),
    "这季度": ("quarter", 0),
    "这个季度": ("quarter", 0),
    "上季度": ("quarter", -1),
    "上个季度": ("quarter", -1),
    "上季": ("quarter", -1),
    "上一季度": ("quarter", -1),
    "上一个季度": ("quarter", -1),
    "今年": ("year", 0),
    "本年": ("year", 0),
    "本年度": ("year", 0),
    "全年": ("year", 0),
    "去年": ("year", -1),
    "上年": ("year", -1),
    "上一年": ("year", -1),
    "前年": ("year", -2),
    # English, written without its spaces: "this month" -> "thismonth"
    "thismonth": ("month", 0),
    "lastmonth": ("month", -1),
    "thisquarter": ("quarter", 0),
    "lastquarter": ("quarter", -1),
    "thisyear": ("year", 0),
    "lastyear": ("year", -1),
}
# Q1 2026, H2 2026, March 2026, Mar: the labels of English replies, typed back
_Q_YEAR = re.compile(r"^q([1-4])(\d{4})?$")
_H_YEAR = re.compile(r"^(?:(\d{4})h([12])|h([12])(\d{4})?)$")
_EN_MONTH_YEAR = re.compile(rf"^({_EN_MONTH})\.?(\d{{4}})?$")


def parse_period(text: str, today: date) -> Period | None:
    """本月, 上月, 本季度, 今年, 2026Q1, 2026-03, 2026年3月, 2026年第一季度, 2025, 上半年 …"""
    s = normalise(text).replace(" ", "")
    if s.lower() in _RELATIVE_PERIOD:
        kind, shift = _RELATIVE_PERIOD[s.lower()]
        return Period.containing(kind, today).shift(shift)  # type: ignore[arg-type]
    if english := _english_period(s.lower(), today):
        return english
    if found := parse_period_key(s.removesuffix("度").removesuffix("年")):
        return found
    if m := _YEAR_Q.match(s):
        return Period.quarter(int(m[1]) if m[1] else today.year, int(m[2]))
    if m := _CN_QUARTER.match(s):
        return Period.quarter(_year(m[1], today), cn_number(m[2]) or int(m[2]))
    if m := _YEAR_MONTH.match(s):
        month = cn_number(m[2]) or 0
        return Period.month(_year(m[1], today), month) if 1 <= month <= 12 else None
    if m := _HALF.match(s):
        return Period(_year(m[1], today), "half", 1 if m[2] == "上" else 2)
    if m := re.match(r"^(\d{4})[./](\d{1,2})$", s):
        month = int(m[2])
        return Period.month(int(m[1]), month) if 1 <= month <= 12 else None
    return None


def _year(written: str | None, today: date) -> int:
    """The year of a period: this year if none is written; 26 is 2026."""
    if not written:
        return today.year
    return int(written) + (2000 if len(written) == 2 else 0)


def _english_period(s: str, today: date) -> Period | None:
    if m := _Q_YEAR.match(s):
        return Period.quarter(int(m[2]) if m[2] else today.year, int(m[1]))
    if m := _H_YEAR.match(s):
        year, half = (m[1], m[2]) if m[1] else (m[4], m[3])
        return Period(int(year) if year else today.year, "half", int(half))
    if m := _EN_MONTH_YEAR.match(s):
        return Period.month(int(m[2]) if m[2] else today.year, _EN_MONTHS[m[1]])
    return None


def take_period(words: list[str], today: date) -> tuple[Period, int] | None:
    """The period named by the first one or two of ``words`` ('本季度', 'this quarter',
    'Q1 2026') and how many words it took."""
    for n in (2, 1):
        if len(words) >= n and (found := parse_period(" ".join(words[:n]), today)):
            return found, n
    return None
