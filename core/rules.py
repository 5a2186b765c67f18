"""The activity-type registry: codes, names and aliases (Chinese and English) and how often
each must be held.

Defaults follow ../shared/domain.md; every one of them can be changed in config.toml
(``[activities.<code>]``), because localities differ.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from core.config import ActivityTypeSettings

Category = Literal["required", "study", "town"]
Scope = Literal["branch", "group", "member"]

CHINA = ZoneInfo("Asia/Shanghai")  # the default time zone of an org


@dataclass(frozen=True)
class ActivityType:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    category: Category = "required"
    every_months: int = 1  # length of one rule unit: 1 month, 3 quarter, 6 half-year, 12 year
    min_count: int = 1  # records needed in each unit (per party group when scope == "group")
    scope: Scope = "branch"  # "member": coverage, every member at least once per unit
    enabled: bool = True
    en_name: str = ""
    en_aliases: tuple[str, ...] = ()  # what an English speaker types: "committee", "lecture"

    @property
    def labels(self) -> tuple[str, ...]:
        """Every name the type is found by, its own names first."""
        return tuple(
            x for x in (self.code, self.name, *self.aliases, self.en_name, *self.en_aliases) if x
        )

    @property
    def is_required(self) -> bool:
        return self.category == "required" and self.enabled


DEFAULT_TYPES: tuple[ActivityType, ...] = (
    ActivityType(
        "general_meeting",
        "支部党员大会",
        ("党员大会", "支部大会", "党员会", "全体党员大会", "支部党员会"),
        every_months=3,
        en_name="General meeting",
        en_aliases=("general meeting", "members meeting", "members' meeting", "branch meeting"),
    ),
    ActivityType(
        "committee_meeting",
        "支委会",
        ("支部委员会会议", "支部委员会", "支委会议", "支委会", "支委"),
        en_name="Committee meeting",
        en_aliases=("committee", "branch committee", "branch committee meeting"),
    ),
    ActivityType(
        "group_meeting",
        "党小组会",
        ("小组会", "党小组会议", "党小组"),
        scope="group",
        en_name="Party group meeting",
        en_aliases=("group meeting", "party group"),
    ),
    ActivityType(
        "party_lecture",
        "党课",
        ("上党课", "讲党课", "专题党课"),
        every_months=3,
        en_name="Party lecture",
        en_aliases=("lecture", "party class"),
    ),
    ActivityType(
        "theme_day",
        "主题党日",
        ("党日活动", "主题党日活动", "党日"),
        en_name="Theme day",
        en_aliases=("party day", "party theme day"),
    ),
    ActivityType(
        "org_life_meeting",
        "组织生活会",
        ("专题组织生活会", "组织生活"),
        every_months=12,
        en_name="Organisational life meeting",
        en_aliases=(
            "org life meeting",
            "org life",
            "organizational life meeting",
            "organisational life",
            "organizational life",
        ),
    ),
    ActivityType(
        "democratic_review",
        "民主评议党员",
        ("民主评议", "评议党员"),
        every_months=12,
        en_name="Democratic review",
        en_aliases=("democratic review of members", "member review"),
    ),
    ActivityType(
        "heart_talk",
        "谈心谈话",
        ("谈心", "谈话"),
        every_months=12,
        scope="member",
        en_name="Heart-to-heart talks",
        en_aliases=("heart-to-heart talk", "heart-to-heart", "heart talk", "heart talks"),
    ),
    ActivityType(
        "study_session",
        "集中学习",
        ("学习", "集体学习", "集中"),
        category="study",
        en_name="Group study",
        en_aliases=("study", "study session", "collective study"),
    ),
    ActivityType(
        "seminar",
        "交流研讨",
        ("研讨", "研讨交流", "交流"),
        category="study",
        en_name="Seminar",
        en_aliases=("study seminar", "discussion seminar"),
    ),
    ActivityType(
        "tutorial_report",
        "辅导报告",
        ("专题辅导", "报告会", "辅导"),
        category="study",
        en_name="Tutorial report",
        en_aliases=("tutorial", "tutorial lecture", "briefing"),
    ),
    ActivityType(
        "field_study",
        "外出观摩学习",
        ("观摩学习", "外出学习", "外出观摩"),
        category="study",
        en_name="Field study",
        en_aliases=("study visit", "field trip"),
    ),
    ActivityType(
        "town_meeting",
        "党建工作专题会议",
        ("党建专题会", "党建会议"),
        category="town",
        en_name="Party-building meeting",
    ),
    ActivityType("town_training", "专题培训", ("培训",), category="town", en_name="Training"),
    ActivityType(
        "town_research",
        "党建调研",
        ("调研",),
        category="town",
        en_name="Field research",
        en_aliases=("research",),
    ),
    ActivityType(
        "town_showcase",
        "观摩推进会",
        ("党建观摩推进会", "推进会"),
        category="town",
        en_name="Showcase meeting",
        en_aliases=("showcase",),
    ),
    ActivityType(
        "town_lecture",
        "为基层上党课",
        ("镇级党课", "书记党课"),
        category="town",
        en_name="Lecture for branches",
        en_aliases=("town lecture",),
    ),
    ActivityType(
        "town_interview",
        "约谈",
        ("约谈书记", "约谈党组织书记"),
        category="town",
        en_name="Accountability talk",
        en_aliases=("accountability talks",),
    ),
)


def normalise_name(text: str) -> str:
    """Compare names ignoring width, case and spaces (全角/半角, 'ＡＢ' == 'ab')."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def _label_key(text: str) -> str:
    """A type's name as compared: 'Heart-to-heart talks' == 'heart to heart talks'."""
    return normalise_name(text).replace("-", "")


def _after(text: str, compared: int) -> str:
    """``text`` as written after its first ``compared`` characters as compared (case, width,
    spaces and hyphens aside): 支委会研究2026-2027年计划 keeps its hyphen and its case."""
    seen = 0
    for i, char in enumerate(text):
        if seen >= compared:
            return text[i:]
        seen += len(_label_key(char))
    return ""


def _cuts_a_word(label: str, rest: str) -> bool:
    """支委会 starts 支委会学习党章, but 'committee' does not start 'committees': a name in
    Latin letters only matches whole words."""
    return bool(rest) and _is_latin(label[-1]) and _is_latin(rest[0])


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


class Registry:
    """Activity types by code, findable by Chinese or English name or alias."""

    def __init__(self, types: tuple[ActivityType, ...], tz: ZoneInfo = CHINA):
        self.tz = tz  # the org's time zone: where its days, months and quarters begin
        self._by_code = {t.code: t for t in types}
        self._by_name: dict[str, ActivityType] = {}
        self._most_words = 1
        for t in types:
            for label in t.labels:
                self._by_name.setdefault(_label_key(label), t)
                self._most_words = max(self._most_words, len(label.replace("-", " ").split()))

    @classmethod
    def from_settings(
        cls, overrides: dict[str, ActivityTypeSettings], tz: ZoneInfo = CHINA
    ) -> Registry:
        types = {t.code: t for t in DEFAULT_TYPES}
        for code, override in overrides.items():
            changes = {k: v for k, v in override.model_dump().items() if v is not None}
            for key in ("aliases", "en_aliases"):
                if key in changes:
                    changes[key] = tuple(changes[key])
            base = types.get(code) or ActivityType(code, changes["name"])
            types[code] = replace(base, **changes)
        return cls(tuple(types.values()), tz)

    def __iter__(self):
        return iter(t for t in self._by_code.values() if t.enabled)

    def get(self, code: str) -> ActivityType | None:
        return self._by_code.get(code)

    def find(self, label: str) -> ActivityType | None:
        found = self._by_name.get(_label_key(label))
        return found if found and found.enabled else None

    def match_words(self, words: list[str]) -> tuple[ActivityType, int] | None:
        """The type named by the first of ``words`` and how many words its name took; the
        longest name wins ('party group meeting' over 'party group')."""
        for n in range(min(len(words), self._most_words), 0, -1):
            if found := self.find(" ".join(words[:n])):
                return found, n
        return None

    def longest_prefix(self, text: str) -> tuple[ActivityType, str] | None:
        """The type whose name starts ``text`` (longest match wins) and the rest of the text."""
        norm = _label_key(text)
        best: tuple[int, ActivityType] | None = None
        for label, t in self._by_name.items():
            if (
                not t.enabled
                or not norm.startswith(label)
                or _cuts_a_word(label, norm[len(label) :])
            ):
                continue
            if best is None or len(label) > best[0]:
                best = (len(label), t)
        if best is None:
            return None
        return best[1], _after(text, best[0])

    def required(self) -> list[ActivityType]:
        return [t for t in self if t.is_required]

    def of_category(self, category: Category) -> list[ActivityType]:
        return [t for t in self if t.category == category]


DEFAULT_REGISTRY = Registry(DEFAULT_TYPES)
