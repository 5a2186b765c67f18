"""The platform-free router: an ``Incoming`` message in, ``Reply`` values out.

One database transaction per message: a DomainError (bad input, refusal) rolls it back and
becomes a reply with a hint; any other exception is logged with an error id and answered with
a short apology. Adapters only translate to and from their platform.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from bot import dialogs, render
from bot.commands import BY_NAME, BY_WORD, Command
from bot.handlers.commitments import CommitmentCommands
from bot.handlers.files import FileCommands
from bot.handlers.membership import MembershipCommands
from bot.handlers.questions import Questions
from bot.handlers.records import RecordCommands
from bot.handlers.status import StatusCommands
from bot.messages import COMMITMENT_STATUS, ZH, field_name, t
from bot.parsing import normalise
from bot.turn import MAX_MESSAGE, Choice, Incoming, Reply, Turn, split_long
from core import activities
from core.auth import Action, Actor, can, chat_binding, check_chat, resolve_actor
from core.errors import DomainError, Refused
from core.periods import Clock, local_today
from core.rules import Registry
from storage.db import session_scope
from storage.once import first_delivery, seen_before

log = logging.getLogger(__name__)
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?![A-Za-z_])(?:@[A-Za-z0-9_]+)?\s*")
_WORD = re.compile(
    "^(" + "|".join(sorted(map(re.escape, BY_WORD), key=len, reverse=True)) + r")(?:[\s:]+|$)"
)
# commands that change something without a natural key of their own: a redelivered message
# must not act twice (/log and /commit carry the message as the record's source key instead)
ACT_ONCE = frozenset({"undo", "edit", "done", "withdraw", "explain", "excuse", "unbindgroup"})
PUBLIC = frozenset({"help", "start", "whoami"})  # strangers may use these (and learn nothing)


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


class Router(
    RecordCommands,
    Questions,
    CommitmentCommands,
    StatusCommands,
    MembershipCommands,
    FileCommands,
):
    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        tz,
        clock: Clock,
        locale: str = ZH,
        dialog_minutes: int = 30,
        filing: activities.FilingRule | None = None,
        files_dir: Path = Path("data/files"),
        exports_dir: Path = Path("data/exports"),
    ):
        self.engine, self.registry, self.tz, self.clock = engine, registry, tz, clock
        self.locale, self.dialog_minutes = locale, dialog_minutes
        self.filing = filing or activities.FilingRule()
        self.files_dir, self.exports_dir = files_dir, exports_dir

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
        params = {key: render.worded(value, self.locale) for key, value in exc.params.items()}
        command = params.pop("command", None)
        own_example = t("example", self.locale, example=self.example(command)) if command else ""
        if "field" in params:
            name = params["field"]
            params["field"] = field_name(name, self.locale)
            choices = params.pop("choices", None)
            params["hint"] = own_example or render.missing_hint(name, self.locale)
            if choices:
                params["hint"] = t("choose", self.locale, choices=choices)
        if exc.key == "own_branch_only":  # /report 一村 is answered with /report's forms
            params["command"] = command or "status"
        if exc.key in ("unknown_type", "future_date"):  # /edit's error shows /edit's example
            params["example"] = own_example or t(
                "example", self.locale, example=self.example("log")
            )
        if exc.key in ("commitment_closed", "commitment_closed_as"):
            for key in ("status", "wanted"):
                if key in params:
                    params[key] = COMMITMENT_STATUS[self.locale][params[key]]
        if exc.key == "branch_only":
            params["town"] = render.worded(self.registry.of_category("town"), self.locale)
        if exc.key == "unknown_type" and "choices" not in params:
            params["choices"] = render.worded(list(self.registry), self.locale)
        return Reply(t(exc.key, self.locale, **params))

    def _dispatch(self, session: Session, incoming: Incoming) -> list[Reply]:
        text = normalise(incoming.text)
        if len(text) > MAX_MESSAGE:
            raise DomainError("message_too_long", limit=MAX_MESSAGE)
        if incoming.anonymous:
            return self._anonymous(incoming, text)
        actor = resolve_actor(session, incoming.platform, incoming.user_id)
        turn = Turn(session, incoming, actor, local_today(self.clock, self.tz))
        if incoming.button is not None:
            return self._press(turn)
        if incoming.files:
            return self._files(turn, text)
        if not text:
            return []
        if not text.startswith("/") and actor is not None:
            # an open question takes plain text first: "学习 党章" answers it, "撤销" drops it
            state, expired = dialogs.load(
                session, incoming.platform, incoming.chat_id, incoming.user_id, self.clock()
            )
            if state is not None:
                if not self._first_delivery(turn):
                    return []  # a redelivered answer must not answer the next question too
                return self._answer(turn, state, text)
            if seen_before(session, incoming.platform, incoming.chat_id, incoming.message_id):
                return []  # the redelivered last answer of a dialog that has since finished
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
        if command.name in PUBLIC:
            return getattr(self, f"_cmd_{command.name}")(turn)
        if actor is None:
            raise Refused("unknown_user")
        if command.name in ACT_ONCE and not self._first_delivery(turn):
            return [Reply(t("already_handled", self.locale))]
        dropped = command.name != "cancel" and self._drop_open_question(turn)
        check_chat(actor, chat_binding(session, incoming.platform, incoming.chat_id))
        if dropped and command.name == "undo":
            # sent while we were asking, /undo means "never mind this one", not "delete the
            # record saved before it"
            return [Reply(t("undo_dropped_question", self.locale))]
        try:
            replies = getattr(self, f"_cmd_{command.name}")(turn)
        except DomainError as exc:
            exc.params.setdefault("command", command.name)  # its own example makes the hint
            raise
        if dropped and replies:
            note = t("question_dropped", self.locale)
            replies[0] = replace(replies[0], text=f"{note}\n{replies[0].text}")
        return replies

    def _drop_open_question(self, turn: Turn) -> bool:
        """A new command ends the dialog it interrupts; whether a live one was open."""
        m = turn.incoming
        state, _ = dialogs.load(turn.session, m.platform, m.chat_id, m.user_id, self.clock())
        return state is not None and dialogs.clear(turn.session, m.platform, m.chat_id, m.user_id)

    def _anonymous(self, incoming: Incoming, text: str) -> list[Reply]:
        """Nobody to attribute a record or a reading to. Someone who used one of our commands
        (or sent a file in reply to us, to attach it) hears why nothing happens instead of
        silence; anything else is conversation, and an unknown command is another bot's."""
        command, _, _ = split_command(text, allow_words=False)
        if command is None and not (incoming.files and incoming.reply_to is not None):
            return []
        return [Reply(t("anonymous_sender", self.locale))]

    def _press(self, turn: Turn) -> list[Reply]:
        """A pressed button answers the question it was offered with, if that question is
        still open for this user; a stale, foreign or forged button changes nothing."""
        m = turn.incoming
        stale = [Reply(t("button_stale", self.locale), alert=True)]
        kind, _, rest = (m.button or "").partition(":")
        if kind == "s" and turn.actor is not None:  # a page of /status, read with own rights
            check_chat(turn.actor, chat_binding(turn.session, m.platform, m.chat_id))
            return self.press_status_page(turn, rest)
        token, _, index = rest.partition(":")
        if kind != "q" or not index.isdigit() or turn.actor is None:
            return stale
        state, _ = dialogs.load(turn.session, m.platform, m.chat_id, m.user_id, self.clock())
        choices = state.data.get("choices", []) if state is not None else []
        if state is None or state.data.get("token") != token or int(index) >= len(choices):
            return stale
        return self._answer(turn, state, choices[int(index)])

    def _first_delivery(self, turn: Turn) -> bool:
        m = turn.incoming
        if m.message_id is None:
            return True
        return first_delivery(turn.session, m.platform, m.chat_id, m.message_id, self.clock())

    def _help(self, actor: Actor | None) -> str:
        leader = bool(actor and actor.is_leader)
        writer = bool(actor and can(actor, Action.WRITE_BRANCH, actor.branch_id))
        return render.help_text(self.locale, writer=writer, leader=leader)

    def _no_command(self, turn: Turn) -> list[Reply]:
        if turn.incoming.is_group:
            return []  # ordinary group chatter is not for us
        if turn.actor is None:
            raise Refused("unknown_user")
        return [Reply(t("not_a_command", self.locale))]

    def _cmd_cancel(self, turn: Turn) -> list[Reply]:
        m = turn.incoming
        if dialogs.clear(turn.session, m.platform, m.chat_id, m.user_id):
            return [Reply(t("cancelled", self.locale))]
        return [Reply(t("nothing_to_cancel", self.locale))]


__all__ = ["Choice", "Incoming", "Reply", "Router", "split_command", "split_long"]
