"""The platform-free router: an ``Incoming`` message in, ``Reply`` values out.

One database transaction per message: a DomainError (bad input, refusal) rolls it back and
becomes a reply with a hint; any other exception is logged with an error id and answered with
a short apology. Adapters only translate to and from their platform.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import asdict, astuple, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot import dialogs, render
from bot.commands import BY_NAME, BY_WORD, Command
from bot.messages import COMMITMENT_STATUS, ZH, field_name, fmt_date, t
from bot.parsing import (
    cn_number,
    normalise,
    parse_activity,
    parse_commitment,
    parse_date,
    parse_period,
    take_counts,
    take_hours,
)
from core import activities, commitments
from core.activities import ActivityDraft, SourceKey
from core.auth import Action, Actor, can, chat_binding, check_chat, resolve_actor
from core.compliance import evaluate
from core.errors import DomainError, Refused
from core.periods import KIND_OF_MONTHS, Clock, Period, local_today, parse_period_key
from core.rules import ActivityType, Registry
from core.status import find_branch, status
from storage.db import session_scope
from storage.models import Activity, Branch, Org, PartyGroup
from storage.once import first_delivery

log = logging.getLogger(__name__)
MAX_MESSAGE = 4096  # Telegram's own limit; longer input is a paste gone wrong
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?![A-Za-z_])(?:@[A-Za-z0-9_]+)?\s*")
_WORD = re.compile(
    "^(" + "|".join(sorted(map(re.escape, BY_WORD), key=len, reverse=True)) + r")(?:[\s:]+|$)"
)
_PERIODISH = re.compile(r"\d|月|季|年|^[qQhH]\d")
# commands that change something without a natural key of their own: a redelivered message
# must not act twice (/log and /commit carry the message as the record's source key instead)
ACT_ONCE = frozenset({"undo", "edit", "done", "withdraw", "explain", "excuse"})
CANCEL_WORDS = frozenset({"取消", "撤销", "算了", "不记了", "退出", "cancel"})


@dataclass(frozen=True)
class Incoming:
    platform: str
    chat_id: str
    user_id: str
    text: str
    message_id: str | None = None
    is_group: bool = False


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    files: tuple[Path, ...] = ()


@dataclass
class Turn:
    """Everything a handler needs about the message being handled."""

    session: Session
    incoming: Incoming
    actor: Actor | None
    today: date
    args: str = ""
    command: Command | None = None

    @property
    def source(self) -> SourceKey | None:
        m = self.incoming
        return SourceKey(m.platform, m.chat_id, m.message_id) if m.message_id else None


def split_command(text: str, allow_words: bool = True) -> tuple[Command | None, str, str | None]:
    """(command, arguments, unknown command name).

    Accepts ``/log``, ``/log@Bot``, ``/log支委会`` and, where ``allow_words`` (private chats),
    a Chinese command word: ``记录 …`` or ``记录：…``. In a group, plain words are ordinary
    conversation (``撤销 刚才那个通知`` must not delete anything), so a slash is required.
    """
    if m := _COMMAND.match(text):
        name = m.group(1).lower()
        return BY_NAME.get(name), text[m.end() :], None if name in BY_NAME else name
    if allow_words and (m := _WORD.match(text)):
        return BY_WORD[m.group(1)], text[m.end() :], None
    return None, text, None


class Router:
    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        tz,
        clock: Clock,
        locale: str = ZH,
        dialog_minutes: int = 30,
        filing: activities.FilingRule | None = None,
    ):
        self.engine, self.registry, self.tz, self.clock = engine, registry, tz, clock
        self.locale, self.dialog_minutes = locale, dialog_minutes
        self.filing = filing or activities.FilingRule()

    # ------------------------------------------------------------------ entry point

    def handle(self, incoming: Incoming) -> list[Reply]:
        """Replies to one message, each short enough for any chat platform to send."""
        return [part for reply in self._handle(incoming) for part in split_long(reply)]

    def _handle(self, incoming: Incoming) -> list[Reply]:
        try:
            with session_scope(self.engine) as session:
                return self._dispatch(session, incoming)
        except DomainError as exc:
            return [self.error_reply(exc)]
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception(
                "error %s handling message %s in %s:%s",
                error_id,
                incoming.message_id,
                incoming.platform,
                incoming.chat_id,
            )
            return [Reply(t("internal_error", self.locale, error_id=error_id))]

    def error_reply(self, exc: DomainError) -> Reply:
        params = dict(exc.params)
        if isinstance(params.get("period"), Period):
            params["period"] = params["period"].label(self.locale)
        if "day" in params and isinstance(params["day"], date):
            params["day"] = fmt_date(params["day"], self.locale)
        if "field" in params:
            name = params["field"]
            params["field"] = field_name(name, self.locale)
            choices = params.pop("choices", None)
            params["hint"] = render.missing_hint(name, self.locale)
            if choices:
                params["hint"] = ("可选：" if self.locale == ZH else "Choose: ") + "、".join(
                    choices
                )
        if exc.key == "commitment_closed":
            params["status"] = COMMITMENT_STATUS[self.locale][params["status"]]
        if exc.key == "unknown_type" and "choices" not in params:
            params["choices"] = "、".join(tp.name for tp in self.registry)
        return Reply(t(exc.key, self.locale, **params))

    def _dispatch(self, session: Session, incoming: Incoming) -> list[Reply]:
        text = normalise(incoming.text)
        if not text:
            return []
        if len(text) > MAX_MESSAGE:
            raise DomainError("message_too_long", limit=MAX_MESSAGE)
        actor = resolve_actor(session, incoming.platform, incoming.user_id)
        turn = Turn(session, incoming, actor, local_today(self.clock, self.tz))
        if not text.startswith("/") and actor is not None:
            # an open question takes plain text first: "学习 党章" answers it, "撤销" drops it
            state, expired = dialogs.load(
                session, incoming.platform, incoming.chat_id, incoming.user_id, self.clock()
            )
            if state is not None:
                if not self._first_delivery(turn):
                    return []  # a redelivered answer must not answer the next question too
                return self._answer(turn, state, text)
            if expired:
                return [Reply(t("dialog_expired", self.locale))]
        command, args, unknown = split_command(text, allow_words=not incoming.is_group)
        if command is None:
            if unknown is not None:
                return [Reply(t("unknown_command", self.locale, text="/" + unknown))]
            return self._no_command(turn)
        turn.command, turn.args = command, args.strip()
        if command.name == "help":
            return [Reply(self._help(actor))]
        if actor is None:
            raise Refused("unknown_user")
        if command.name in ACT_ONCE and not self._first_delivery(turn):
            return [Reply(t("already_handled", self.locale))]
        if command.name != "cancel":
            dialogs.clear(session, incoming.platform, incoming.chat_id, incoming.user_id)
        check_chat(actor, chat_binding(session, incoming.platform, incoming.chat_id))
        return getattr(self, f"_cmd_{command.name}")(turn)

    def _first_delivery(self, turn: Turn) -> bool:
        m = turn.incoming
        if m.message_id is None:
            return True
        return first_delivery(turn.session, m.platform, m.chat_id, m.message_id, self.clock())

    def _help(self, actor: Actor | None) -> str:
        leader = bool(actor and actor.is_leader)
        writer = leader or bool(actor and can(actor, Action.WRITE_BRANCH, actor.branch_id))
        return render.help_text(self.locale, writer=writer, leader=leader)

    def _no_command(self, turn: Turn) -> list[Reply]:
        if turn.incoming.is_group:
            return []  # ordinary group chatter is not for us
        if turn.actor is None:
            raise Refused("unknown_user")
        return [Reply(t("not_a_command", self.locale))]

    # ------------------------------------------------------------------ logging records

    def _cmd_log(self, turn: Turn) -> list[Reply]:
        return self._log(turn, study=False)

    def _cmd_study(self, turn: Turn) -> list[Reply]:
        return self._log(turn, study=True)

    def _log(self, turn: Turn, study: bool) -> list[Reply]:
        parsed = parse_activity(turn.args, self.registry, turn.today)
        draft = activities.complete_attendance(parsed.draft)
        if parsed.unknown_type is not None:
            choices = self._type_choices(turn.actor, study)
            raise DomainError(
                "unknown_type",
                text=parsed.unknown_type,
                choices="、".join(c.label for c in choices),
            )
        t_ = self.registry.get(draft.type_code) if draft.type_code else None
        if study and t_ is not None and t_.category != "study":
            choices = "、".join(tp.name for tp in self.registry.of_category("study"))
            raise DomainError("not_study_type", text=t_.name, choices=choices)
        activities.check_can_log(turn.actor, t_)
        activities.check_values(draft, self.registry, turn.today)
        data = {"draft": dialogs.draft_to_json(draft), "study": study}
        if turn.source:
            data["source"] = list(astuple(turn.source))
        return self._continue_log(turn, draft, data)

    def _continue_log(self, turn: Turn, draft: ActivityDraft, data: dict) -> list[Reply]:
        """Ask for the next missing field, or save the record once nothing is missing."""
        assert turn.actor is not None
        missing = draft.missing(self.registry)
        t_ = self.registry.get(draft.type_code) if draft.type_code else None
        groups = activities.group_choices(turn.session, turn.actor, t_)
        if groups and not draft.group:
            missing.append("group")
        if missing:
            return [self._ask(turn, "log", data, draft, missing[0], groups)]
        m = turn.incoming
        dialogs.clear(turn.session, m.platform, m.chat_id, m.user_id)
        source = SourceKey(*data["source"]) if data.get("source") else None  # see _log
        logged = activities.log_activity(
            turn.session,
            self.registry,
            self.clock,
            turn.today,
            turn.actor,
            draft,
            source,
            self.filing,
        )
        return [self._logged_reply(turn, logged)]

    def _logged_reply(self, turn: Turn, logged: activities.Logged) -> Reply:
        a = logged.activity
        summary = self._summary(turn, a)
        if not logged.created:
            return Reply(t("logged_dup", self.locale, id=a.id))
        lines = [t("logged", self.locale, id=a.id, summary=summary)]
        if logged.late_by:
            lines.append(
                t("filed_late", self.locale, days=self.filing.working_days, late=logged.late_by)
            )
        if logged.same_day_as:
            lines.append(t("same_day", self.locale, id=logged.same_day_as))
        if logged.quorum_short:
            lines.append(t("quorum_short", self.locale, present=a.present, expected=a.expected))
        if logged.type.is_required and a.branch_id is not None:
            lines.append(self._progress(turn, logged.type, a.branch_id, a.held_on))
        return Reply("\n".join(lines))

    def _summary(self, turn: Turn, a: Activity) -> str:
        group = turn.session.get(PartyGroup, a.party_group_id) if a.party_group_id else None
        return render.activity_summary(a, self.registry, self.locale, group.name if group else None)

    def _progress(self, turn: Turn, t_: ActivityType, branch_id: int, day: date) -> str:
        """How the rule this record counts for stands now, e.g. ✅ 支部党员大会 1/1（2026年第一季度）."""
        unit = Period.containing(KIND_OF_MONTHS[t_.every_months], day)
        branch = turn.session.get(Branch, branch_id)
        assert branch is not None
        result = evaluate(
            turn.session, self.registry, branch.org_id, [(branch_id, branch.name)], unit, turn.today
        )
        rule = next(r for r in result.branches[0].rules if r.type.code == t_.code)
        return render.rule_line(rule, self.locale)

    # ------------------------------------------------------------------ guided questions

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
        picked = _pick(text, choices)
        if field_ == "type":
            found = self.registry.get(picked) if picked else self.registry.find(text)
            allowed = {c.value for c in self._type_choices(turn.actor, False)} | set(choices)
            return found.code if found and found.code in allowed else None
        if field_ == "group":
            return picked
        if field_ in ("held_on", "due"):
            day = parse_date(text, turn.today, future=field_ == "due")
            if day is not None and field_ == "due" and day < turn.today:
                raise DomainError("due_in_past", day=day)
            return day.isoformat() if field_ == "due" and day else day
        if field_ == "present":
            rest, counts = take_counts(text)
            bare = rest.strip()
            if not counts and (n := _small_number(bare)) is not None:
                counts = {"present": n}
            counts = asdict(activities.complete_attendance(ActivityDraft(**counts)))
            return {k: v for k, v in counts.items() if v is not None} if counts["present"] else None
        if field_ == "hours":
            rest, hours = take_hours(text)
            if hours is None and re.fullmatch(r"[0-9]{1,2}(?:\.[0-9]{1,2})?", rest.strip()):
                hours = float(rest.strip())
            return hours
        if field_ == "content":
            return text.strip() or None
        return None

    # ------------------------------------------------------------------ commitments

    def _cmd_commit(self, turn: Turn) -> list[Reply]:
        content, due, personal = parse_commitment(turn.args, turn.today)
        commitments.check_can_add(turn.actor)
        data: dict[str, Any] = {
            "content": content or None,
            "personal": personal,
            "due": due.isoformat() if due else None,
        }
        if turn.source:
            data["source"] = list(astuple(turn.source))
        return self._continue_commit(turn, data)

    def _continue_commit(self, turn: Turn, data: dict) -> list[Reply]:
        for field_ in ("content", "due"):
            if not data.get(field_):
                return [self._ask(turn, "commit", data, None, field_)]
        m = turn.incoming
        dialogs.clear(turn.session, m.platform, m.chat_id, m.user_id)
        source = SourceKey(*data["source"]) if data.get("source") else None  # see _log
        row, created = commitments.add(
            turn.session,
            self.clock,
            turn.today,
            turn.actor,
            data["content"],
            date.fromisoformat(data["due"]),
            data.get("personal", False),
            source,
        )
        if not created:
            return [Reply(t("committed_dup", self.locale, id=row.id))]
        assert turn.actor is not None
        owner = (
            t("owner_personal", self.locale, name=turn.actor.name)
            if row.owner_member_id
            else t("owner_branch", self.locale)
        )
        return [
            Reply(
                t(
                    "committed",
                    self.locale,
                    id=row.id,
                    owner=owner,
                    content=row.content,
                    due=fmt_date(row.due_on, self.locale),
                )
            )
        ]

    def _id_and_rest(self, turn: Turn, example: str) -> tuple[int, str]:
        m = re.match(r"#?(\d{1,9})\s*(.*)$", turn.args)
        if not m:
            raise DomainError("bad_id", example=example)
        return int(m.group(1)), m.group(2).strip()

    def _cmd_done(self, turn: Turn) -> list[Reply]:
        cid, evidence = self._id_and_rest(turn, "/done 3 已验收")
        row = commitments.fulfil(turn.session, self.clock, turn.today, turn.actor, cid, evidence)
        return [Reply(t("fulfilled", self.locale, id=row.id, content=row.content))]

    def _cmd_withdraw(self, turn: Turn) -> list[Reply]:
        cid, reason = self._id_and_rest(turn, "/withdraw 3 项目取消")
        row = commitments.withdraw(turn.session, self.clock, turn.actor, cid, reason)
        return [Reply(t("withdrawn", self.locale, id=row.id, content=row.content, reason=reason))]

    def _cmd_explain(self, turn: Turn) -> list[Reply]:
        cid, note = self._id_and_rest(turn, "/explain 3 资金未到位，明年续建")
        row = commitments.explain(turn.session, self.clock, turn.actor, cid, note)
        return [Reply(t("explained", self.locale, id=row.id, content=row.content, reason=note))]

    def _cmd_commitments(self, turn: Turn) -> list[Reply]:
        everything = turn.args.strip() in ("全部", "所有", "all")
        views = commitments.listing(turn.session, turn.today, turn.actor, everything)
        names = self._branch_names(turn) if turn.actor and turn.actor.reads_org else {}
        return [Reply(render.commitment_list(views, names, turn.today, self.locale))]

    def _branch_names(self, turn: Turn) -> dict[int, str]:
        from core.status import branches_of

        assert turn.actor is not None
        return {b.id: b.name for b in branches_of(turn.session, turn.actor.org_id) if b.id}

    # ------------------------------------------------------------------ reading

    def _cmd_status(self, turn: Turn) -> list[Reply]:
        period, branch_query, rule = self._status_args(turn)
        assert turn.actor is not None
        if branch_query is None and rule is None and turn.actor.reads_org:
            branch_query = self._bound_branch_name(turn)  # a leader in a branch's chat
        result = status(turn.session, self.registry, turn.today, turn.actor, period, branch_query)
        if rule is not None:
            return [Reply(self._rule_report(result, rule))]
        if len(result.branches) == 1 and (branch_query or not turn.actor.reads_org):
            b = result.branches[0]
            return [Reply(render.branch_status(b, result, self.registry, self.locale))]
        org = turn.session.get(Org, turn.actor.org_id)
        return [
            Reply(render.org_status(result, org.name if org else "", self.registry, self.locale))
        ]

    def _bound_branch_name(self, turn: Turn) -> str | None:
        binding = chat_binding(turn.session, turn.incoming.platform, turn.incoming.chat_id)
        branch = (
            turn.session.get(Branch, binding.branch_id) if binding and binding.branch_id else None
        )
        return branch.name if branch else None

    def _status_args(self, turn: Turn) -> tuple[Period, str | None, ActivityType | None]:
        period: Period | None = None
        branch: str | None = None
        rule: ActivityType | None = None
        for token in turn.args.split():
            if period is None and (p := parse_period(token, turn.today)) is not None:
                period = p
            elif (found := self.registry.find(token)) is not None:
                if not found.is_required or rule is not None:
                    raise DomainError("bad_status_args", text=token)  # counted, not required
                rule = found
            elif _PERIODISH.search(token):
                raise DomainError("bad_period", text=token)
            elif branch is None:
                branch = token
            else:
                raise DomainError("bad_status_args", text=token)
        return period or Period.containing("month", turn.today), branch, rule

    def _rule_report(self, result, rule: ActivityType) -> str:
        lines = [f"{render.type_name(rule, self.locale)} · {result.period.label(self.locale)}"]
        for b in result.branches:
            for r in b.rules:
                if r.type.code == rule.code:
                    lines.append(
                        f"{b.name}{': ' if self.locale != ZH else '：'}"
                        f"{render.rule_line(r, self.locale)}"
                    )
        return "\n".join(lines)

    def _cmd_list(self, turn: Turn) -> list[Reply]:
        rows = activities.recent(turn.session, turn.actor)
        show_branch = bool(turn.actor and turn.actor.reads_org)
        return [Reply(render.activity_list(rows, self.registry, show_branch, self.locale))]

    # ------------------------------------------------------------------ corrections

    def _cmd_undo(self, turn: Turn) -> list[Reply]:
        a = activities.undo_last(turn.session, self.clock, turn.actor)
        return [
            Reply(
                t(
                    "undone",
                    self.locale,
                    id=a.id,
                    summary=self._summary(turn, a),
                )
            )
        ]

    def _cmd_edit(self, turn: Turn) -> list[Reply]:
        try:
            record_id, rest = self._id_and_rest(turn, "/edit 12 地点:村委会")
        except DomainError as exc:
            raise DomainError("bad_edit") from exc
        parsed = parse_activity(rest, self.registry, turn.today, leftover_as_topic=False)
        if parsed.unknown_type is not None or parsed.leftover:
            raise DomainError("bad_edit")
        changes = {k: v for k, v in asdict(parsed.draft).items() if v is not None}
        if not changes:
            raise DomainError("bad_edit")
        a = activities.edit(
            turn.session, self.registry, self.clock, turn.today, turn.actor, record_id, changes
        )
        return [
            Reply(
                t(
                    "edited",
                    self.locale,
                    id=a.id,
                    summary=self._summary(turn, a),
                )
            )
        ]

    def _cmd_excuse(self, turn: Turn) -> list[Reply]:
        parts = turn.args.split(maxsplit=3)
        if len(parts) < 4:
            raise DomainError("bad_excuse")
        branch_q, type_q, period_q, reason = parts
        t_ = self.registry.find(type_q)
        period = parse_period(period_q, turn.today) or parse_period_key(period_q)
        if t_ is None or not t_.is_required or period is None:
            raise DomainError("bad_excuse")
        assert turn.actor is not None
        activities.check_can_excuse(turn.actor)
        branch = find_branch(turn.session, turn.actor.org_id, branch_q)
        row = activities.excuse(
            turn.session, self.clock, turn.today, turn.actor, branch, t_, period, reason
        )
        unit = parse_period_key(row.unit_key)
        assert unit is not None
        name = render.type_name(t_, self.locale)
        period_label = unit.label(self.locale)
        return [
            Reply(
                t(
                    "excused",
                    self.locale,
                    branch=branch.name,
                    period=period_label,
                    name=name,
                    reason=reason,
                )
            )
        ]

    # ------------------------------------------------------------------ misc

    def _cmd_cancel(self, turn: Turn) -> list[Reply]:
        m = turn.incoming
        if dialogs.clear(turn.session, m.platform, m.chat_id, m.user_id):
            return [Reply(t("cancelled", self.locale))]
        return [Reply(t("nothing_to_cancel", self.locale))]


def split_long(reply: Reply, limit: int = MAX_MESSAGE) -> list[Reply]:
    """Cut a long reply at line ends into messages of at most ``limit`` characters; choices
    and files stay with the last part, where the user reads on."""
    if len(reply.text) <= limit:
        return [reply]
    parts, current = [], ""
    for line in reply.text.split("\n"):
        while len(line) > limit:  # a single line longer than a message
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return [Reply(p) for p in parts[:-1]] + [Reply(parts[-1], reply.choices, reply.files)]


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
