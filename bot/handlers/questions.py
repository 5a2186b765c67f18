"""Guided questions: asking for a missing field, understanding the answer, asking again."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, replace
from datetime import date

from bot import dialogs, render
from bot.commitment_parsing import parse_commitment, parse_due
from bot.messages import t
from bot.parsing import (
    cn_number,
    parse_date,
    prose,
    read_hours,
    take_counts_and_notes,
)
from bot.turn import Choice, Reply, RouterState, Turn
from core import activities, commitments
from core.activities import ActivityDraft
from core.auth import Actor
from core.errors import DomainError, Refused
from storage.models import Activity

CANCEL_WORDS = frozenset({"取消", "撤销", "算了", "不记了", "退出", "cancel"})
SAVE_WORDS = frozenset({"确认", "保存", "确定", "是", "好", "对", "ok", "yes", "y"})
OTHER_DATE, SKIP = "other_date", "skip"
SKIP_WORDS = ("跳过", "skip", "略", "无")
# the quick answers offered as buttons (or numbers in the console) for each question
QUICK_CHOICES = {
    "held_on": ("today", "yesterday", OTHER_DATE),
    "topic": (SKIP,),
    "confirm": ("save", "edit:type", "edit:held_on", "edit:present", "edit:topic", "cancel"),
}
# what going back to change one answer of a guided record forgets
# the notes an attendance answer makes (请假1人（生病）, 其中请假1人, 缺席1人（外出务工）)
_ATTENDANCE_NOTE = re.compile(r"\s*(?:其中)?(?:请假|缺席)\d+人(?:（[^）]*）)?")
EDIT_CLEARS = {
    "type": {"type_code": None, "group": None},
    "held_on": {"held_on": None},
    "present": {"present": None, "expected": None, "absent": None},
    "hours": {"hours": None},
    "topic": {"topic": None},
}


class Questions(RouterState):
    def _type_choices(self, actor: Actor | None, study: bool) -> list[Choice]:
        types = activities.loggable_types(self.registry, actor, study)
        return [Choice(render.type_name(tp, self.locale), tp.code) for tp in types]

    def _ask(
        self,
        turn: Turn,
        kind: str,
        data: dict,
        draft: ActivityDraft | None,
        field_: str,
        groups: list[str] | None = None,
        prefix: str = "",
        buttons: bool = True,
    ) -> Reply:
        choices = self._choices(turn, field_, data, groups) if buttons else []
        token = secrets.token_hex(4)  # a button from an earlier question no longer fits
        data = {**data, "awaiting": field_, "choices": [c.value for c in choices], "token": token}
        if draft is not None:
            data["draft"] = dialogs.draft_to_json(draft)
        m = turn.incoming
        dialogs.save(
            turn.session,
            m.platform,
            m.chat_id,
            m.user_id,
            kind,
            data,
            self.clock(),
            self.dialog_minutes,
        )
        question = self._question(field_, data, draft)
        text = f"{prefix}{question}\n{t('dialog_footer', self.locale)}"
        buttons_ = (Choice(c.label, c.value, f"q:{token}:{i}") for i, c in enumerate(choices))
        return Reply(text, tuple(buttons_), asks=True)

    def _choices(
        self, turn: Turn, field_: str, data: dict, groups: list[str] | None
    ) -> list[Choice]:
        if field_ == "type":
            return self._type_choices(turn.actor, data.get("study", False))
        if field_ == "group":
            return [Choice(g, g) for g in groups or []]
        keys = QUICK_CHOICES.get(field_, ())
        if field_ == "confirm" and data.get("study"):
            keys = (*keys[:3], "edit:hours", *keys[3:])
        return [Choice(t(f"choice_{k.replace(':', '_')}", self.locale), k) for k in keys]

    def _question(self, field_: str, data: dict, draft: ActivityDraft | None) -> str:
        if field_ == "confirm" and draft is not None:
            return t("ask_confirm", self.locale, summary=self._draft_summary(draft))
        key = {
            "type": "ask_study_type" if data.get("study") else "ask_type",
            "held_on": "ask_date",
            "present": "ask_present",
            "hours": "ask_hours",
            "group": "ask_group",
            "content": "ask_content",
            "topic": "ask_topic",
            "due": "ask_due",
        }[field_]
        return t(key, self.locale)

    def _answer(self, turn: Turn, state, text: str) -> list[Reply]:
        data = dict(state.data)
        field_ = data.get("awaiting", "")
        text = self._offered(text, data.get("choices", []), field_)
        if text.strip().lower() in CANCEL_WORDS:
            return self._cmd_cancel(turn)
        if field_ == "confirm":
            return self._confirm(turn, state.kind, data, text)
        if field_ == "held_on" and text == OTHER_DATE:
            prefix = t("ask_date_typed", self.locale) + "\n"
            return [self._reask(turn, state.kind, data, field_, prefix, buttons=False)]
        if field_ == "topic" and state.kind == "log" and text == SKIP:
            return self._continue_log(turn, _draft(data), {**data, "topic_asked": True})
        if state.kind == "commit" and field_ == "content":
            return self._answer_content(turn, data, text)
        try:
            value = self._parse_answer(turn, field_, text, data.get("choices", []))
        except DomainError as exc:
            return [self._reask(turn, state.kind, data, field_, self.error_reply(exc).text + "\n")]
        if value is None:
            prefix = t("ask_again", self.locale, text=text[:40], question="").strip() + "\n"
            return [self._reask(turn, state.kind, data, field_, prefix)]
        if state.kind == "commit":
            return self._continue_commit(turn, {**data, field_: value})
        draft = _draft(data)
        key = "type_code" if field_ == "type" else field_
        if isinstance(value, dict) and value.get("notes") and draft.notes:
            value = {**value, "notes": f"{draft.notes} {value['notes']}"}  # both kept
        draft = draft.merged(**(value if isinstance(value, dict) else {key: value}))
        draft = activities.complete_attendance(draft)
        try:
            activities.check_values(draft, self.registry, turn.today)
            return self._continue_log(turn, draft, data)
        except DomainError as exc:
            if isinstance(exc, Refused):  # not a wrong answer: nothing to ask again
                raise
            return [self._reask(turn, state.kind, data, field_, self.error_reply(exc).text + "\n")]

    def _offered(self, text: str, choices: list[str], field_: str) -> str:
        """The value of an offered quick answer typed by its number ('2', in the console) or by
        its label ('跳过', '改日期'); any other text as it is."""
        s = text.strip()
        if field_ not in QUICK_CHOICES:
            return text
        if re.fullmatch(r"[0-9]", s) and 1 <= int(s) <= len(choices):
            return choices[int(s) - 1]
        for value in choices:
            label = t(f"choice_{value.replace(':', '_')}", self.locale)
            if s.casefold() in (label.casefold(), label.lstrip("✅❌ ").casefold()):
                return value  # 'another day' is the button "Another day"
        return text

    def _reask(
        self, turn: Turn, kind: str, data: dict, field_: str, prefix: str, buttons: bool = True
    ) -> Reply:
        draft = _draft(data) if "draft" in data else None
        groups = data.get("choices") if field_ == "group" else None
        return self._ask(turn, kind, data, draft, field_, groups, prefix, buttons)

    def _confirm(self, turn: Turn, kind: str, data: dict, answer: str) -> list[Reply]:
        """The last step of a guided record: save it, or go back to change one answer."""
        draft = _draft(data)
        if answer.strip().lower() in SAVE_WORDS or answer == "save":
            return self._continue_log(turn, draft, {**data, "confirmed": True})
        field_ = answer.removeprefix("edit:")
        if field_ not in EDIT_CLEARS:
            prefix = t("ask_again", self.locale, text=answer[:40], question="").strip() + "\n"
            return [self._reask(turn, kind, data, "confirm", prefix)]
        data = {k: v for k, v in data.items() if k != "topic_asked" or field_ != "topic"}
        cleared = draft.merged(**EDIT_CLEARS[field_])
        if field_ == "present" and draft.notes:  # the new answer brings its own 请假/缺席 notes
            notes = _ATTENDANCE_NOTE.sub("", draft.notes).strip() or None
            cleared = replace(cleared, notes=notes)
        return self._continue_log(turn, cleared, data)

    def _draft_summary(self, draft: ActivityDraft) -> str:
        fields = {k: v for k, v in asdict(draft).items() if k != "group"}
        shown = Activity(**fields)  # never added to a session: only rendered
        return render.activity_summary(shown, self.registry, self.locale, draft.group)

    def _answer_content(self, turn: Turn, data: dict, text: str) -> list[Reply]:
        """What is promised, read as /commit reads it: a deadline written with it is taken
        too (修缮村活动室 截止12月20日), and there is nothing to skip."""
        try:
            content, due, personal = parse_commitment(text, turn.today)
            if due is not None and not data.get("due"):
                commitments.check_due(due, turn.today)
        except DomainError as exc:  # a deadline already past: asked again, with why
            prefix = self.error_reply(exc).text + "\n"
            return [self._reask(turn, "commit", data, "content", prefix)]
        if not content or content.lower() in SKIP_WORDS:
            prefix = t("ask_again", self.locale, text=text[:40], question="").strip() + "\n"
            return [self._reask(turn, "commit", data, "content", prefix)]
        answered = {**data, "content": content, "personal": data.get("personal") or personal}
        if due is not None and not data.get("due"):
            answered["due"] = due.isoformat()
        return self._continue_commit(turn, answered)

    def _parse_answer(self, turn: Turn, field_: str, text: str, choices: list[str]):
        """The value of one answered question, or None if it could not be understood."""
        if field_ == "type":
            return self._answer_type(turn, text, choices)
        if field_ == "group":
            return _pick(text, choices)
        parse = _ANSWER_PARSERS.get(field_)
        return parse(text, turn.today) if parse else None

    def _answer_type(self, turn: Turn, text: str, choices: list[str]) -> str | None:
        picked = _pick(text, choices)
        found = self.registry.get(picked) if picked else self.registry.find(text)
        allowed = {c.value for c in self._type_choices(turn.actor, False)} | set(choices)
        return found.code if found and found.code in allowed else None


def _answer_date(text: str, today: date) -> date | None:
    return parse_date(text, today)


def _answer_due(text: str, today: date) -> str | None:
    day = parse_due(text, today)  # 6月30日, and what only a deadline says: 12.20前, 年内
    if day is None:
        return None
    commitments.check_due(day, today)
    return day.isoformat()  # kept in the dialog's JSON until the commitment is made


def _answer_attendance(text: str, today: date) -> dict | None:
    rest, counts, notes = take_counts_and_notes(text)
    if not counts and (n := _small_number(rest.strip())) is not None:
        counts = {"present": n}
    # '7/8' asked how many came is 7 of 8, not a date as it might be elsewhere
    if not counts and (m := re.fullmatch(r"(\d{1,4})\s*/\s*(\d{1,4})", rest.strip())):
        counts = {"present": int(m.group(1)), "expected": int(m.group(2))}
    done = asdict(activities.complete_attendance(ActivityDraft(**counts, notes=notes)))
    return {k: v for k, v in done.items() if v is not None} if done["present"] else None


def _answer_hours(text: str, today: date) -> float | None:
    return read_hours(text)[1]


def _answer_text(text: str, today: date) -> str | None:
    """A topic or a commitment's words; 主题:X answers with X."""
    text = re.sub(r"^\s*(?:主题|题目|议题|topic)\s*:\s*", "", text, flags=re.IGNORECASE)
    return prose(text.strip()) or None


_ANSWER_PARSERS = {
    "topic": _answer_text,
    "held_on": _answer_date,
    "due": _answer_due,
    "present": _answer_attendance,
    "hours": _answer_hours,
    "content": _answer_text,
}


def _small_number(text: str) -> int | None:
    """'8' or '八' as an answer to 'how many?'."""
    if re.fullmatch(r"[0-9]{1,4}", text):
        return int(text)
    return cn_number(text) if text else None


def _draft(data: dict) -> ActivityDraft:
    return dialogs.draft_from_json(data.get("draft", {}))


def _pick(text: str, choices: list[str]) -> str | None:
    """A reply naming one of the offered choices, by number (1, 2 …) or by its value/name."""
    s = text.strip()
    if re.fullmatch(r"[0-9]{1,3}", s) and 1 <= int(s) <= len(choices):
        return choices[int(s) - 1]
    return s if s in choices else None
