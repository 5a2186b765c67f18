"""Photos and documents for records: sent with the caption ``/attach 12`` or as a reply to the
bot's confirmation of the record."""

from __future__ import annotations

import re
from pathlib import Path

from bot import render
from bot.messages import t
from bot.turn import Download, FileRef, Reply, RouterState, Turn
from core import attachments
from core.errors import DomainError, Refused
from storage.db import session_scope
from storage.models import Attachment

_ATTACH = re.compile(r"^/attach(?:@[A-Za-z0-9_]+)?(?![A-Za-z_])\s*(.*)$", re.IGNORECASE)


class FileCommands(RouterState):
    def _files(self, turn: Turn, caption: str) -> list[Reply]:
        """A message carrying files: attach them where the caption or the reply points."""
        record_id = self._target_record(turn, caption)
        if record_id is None and turn.incoming.is_group:
            return []  # photos in a group are conversation unless addressed to us
        if turn.actor is None:
            raise Refused("unknown_user")
        if record_id is None:
            raise DomainError("attach_where")
        return [self._attach_all(turn, record_id)]

    def _target_record(self, turn: Turn, caption: str) -> int | None:
        m = turn.incoming
        if match := _ATTACH.match(caption):
            turn.args = match.group(1)
            return turn.id_and_rest(self.example("attach"))[0]
        if m.reply_to is None:
            return None
        return attachments.confirmed_record(turn.session, m.platform, m.chat_id, m.reply_to)

    def _attach_all(self, turn: Turn, record_id: int) -> Reply:
        m = turn.incoming
        done, downloads = [], []
        for ref in m.files:
            attached = attachments.attach(
                turn.session,
                self.clock,
                turn.actor,
                record_id,
                _upload(m.platform, ref),
                self.files_dir,
            )
            done.append(attached)
            row = attached.attachment
            if attached.fetch and row.path and row.id is not None:
                downloads.append(Download(row.id, row.file_id, Path(row.path)))
        if not any(a.created for a in done):
            return Reply(t("attach_dup", self.locale, id=record_id), record=record_id)
        names = render.worded(
            [_label(a.attachment, self.locale) for a in done if a.created], self.locale
        )
        text = t("attached", self.locale, id=record_id, names=names)
        if any(a.created and not a.fetch for a in done):
            text += "\n" + t("attach_too_big", self.locale)
        return Reply(text, record=record_id, downloads=tuple(downloads))

    def _cmd_attach(self, turn: Turn) -> list[Reply]:
        raise DomainError("attach_needs_file")

    # ------------------------------------------------------------------ adapter callbacks

    def file_saved(self, download: Download, size: int | None) -> None:
        """The adapter fetched a file (``size`` bytes), or could not (``size`` None)."""
        with session_scope(self.engine) as session:
            if size is None:
                attachments.forget_path(session, download.attachment_id)
            else:
                attachments.mark_saved(session, download.attachment_id, size)

    def message_sent(self, platform: str, chat: str, message_id: str, reply: Reply) -> None:
        """Remember which record a sent message confirms, so a file in reply attaches to it."""
        if reply.record is None:
            return
        with session_scope(self.engine) as session:
            attachments.remember_confirmation(
                session, self.clock, platform, chat, message_id, reply.record
            )


def _upload(platform: str, ref: FileRef) -> attachments.Upload:
    return attachments.Upload(
        platform, ref.file_id, ref.unique_id, ref.kind, ref.name, ref.mime, ref.size
    )


def _label(row: Attachment, locale: str) -> str:
    return row.name or t("photo", locale)
