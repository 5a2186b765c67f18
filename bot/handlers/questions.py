"""Guided questions: asking for a missing field, understanding the answer, asking again."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date

from bot import dialogs, render
from bot.messages import t
from bot.parsing import (
    cn_number,
    parse_date,
    take_counts,
    take_hours,
)
from bot.turn import Choice, Reply, RouterState, Turn
from core import activities, commitments
from core.activities import ActivityDraft
from core.auth import Actor
from core.errors import DomainError

CANCEL_WORDS = frozenset({"取消", "撤销", "算了", "不记了", "退出", "cancel"})


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
    ) -> Reply:
        choices: list[Choice] = []
        if field_ == "type":
            choices = self._type_choices(turn.actor, data.get("study", False))
        elif field_ == "group":
            choices = [Choice(g, g) for g in groups or []]
        data = {**data, "awaiting": field_, "choices": [c.value for c in choices]}
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
        question = self._question(field_, data)
        text = f"{prefix}{question}\n{t('dialog_footer', self.locale)}"
        return Reply(text, tuple(choices))

    def _question(self, field_: str, data: dict) -> str:
        key = {
            "type": "ask_study_type" if data.get("study") else "ask_type",
            "held_on": "ask_date",
            "present": "ask_present",
            "hours": "ask_hours",
            "group": "ask_group",
            "content": "ask_content",
            "due": "ask_due",
        }[field_]
        return t(key, self.locale)

    def _answer(self, turn: Turn, state, text: str) -> list[Reply]:
        if text.strip().lower() in CANCEL_WORDS:
            return self._cmd_cancel(turn)
        data = dict(state.data)
        field_ = data.get("awaiting", "")
        try:
            value = self._parse_answer(turn, field_, text, data.get("choices", []))
        except DomainError as exc:
            return [self._reask(turn, state.kind, data, field_, self.error_reply(exc).text + "\n")]
        if value is None:
            prefix = t("ask_again", self.locale, text=text[:40], question="").strip() + "\n"
            return [self._reask(turn, state.kind, data, field_, prefix)]
        if state.kind == "commit":
            return self._continue_commit(turn, {**data, field_: value})
        draft = dialogs.draft_from_json(data.get("draft", {}))
        key = "type_code" if field_ == "type" else field_
        draft = draft.merged(**(value if isinstance(value, dict) else {key: value}))
        draft = activities.complete_attendance(draft)
        try:
            activities.check_values(draft, self.registry, turn.today)
            return self._continue_log(turn, draft, data)
        except DomainError as exc:
            if exc.key in ("forbidden", "unknown_user"):
                raise
            return [self._reask(turn, state.kind, data, field_, self.error_reply(exc).text + "\n")]

    def _reask(self, turn: Turn, kind: str, data: dict, field_: str, prefix: str) -> Reply:
        draft = dialogs.draft_from_json(data["draft"]) if "draft" in data else None
        groups = data.get("choices") if field_ == "group" else None
        return self._ask(turn, kind, data, draft, field_, groups, prefix)

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
    day = parse_date(text, today, future=True)
    if day is None:
        return None
    commitments.check_due(day, today)
    return day.isoformat()  # kept in the dialog's JSON until the commitment is made


def _answer_attendance(text: str, today: date) -> dict | None:
    rest, counts = take_counts(text)
    if not counts and (n := _small_number(rest.strip())) is not None:
        counts = {"present": n}
    done = asdict(activities.complete_attendance(ActivityDraft(**counts)))
    return {k: v for k, v in done.items() if v is not None} if done["present"] else None


def _answer_hours(text: str, today: date) -> float | None:
    rest, hours = take_hours(text)
    if hours is None and re.fullmatch(r"[0-9]{1,2}(?:\.[0-9]{1,2})?", rest.strip()):
        hours = float(rest.strip())
    return hours


def _answer_text(text: str, today: date) -> str | None:
    return text.strip() or None


_ANSWER_PARSERS = {
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


def _pick(text: str, choices: list[str]) -> str | None:
    """A reply naming one of the offered choices, by number (1, 2 …) or by its value/name."""
    s = text.strip()
    if re.fullmatch(r"[0-9]{1,3}", s) and 1 <= int(s) <= len(choices):
        return choices[int(s) - 1]
    return s if s in choices else None
