"""Files attached to records: the sign-in sheet, the minutes, a photo of the meeting.

The chat adapter fetches the bytes after the record of the attachment is committed, into
``files_dir/<record id>/``, so the ledger export can include them; until then ``path`` is empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from core import audit
from core.activities import get_for_write
from core.auth import Actor
from core.periods import Clock
from storage.models import Activity, Attachment, BotMessage
from storage.once import insert_once

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Upload:
    platform: str
    file_id: str
    unique_id: str
    kind: str
    name: str | None
    mime: str | None
    size: int | None


@dataclass(frozen=True)
class Attached:
    attachment: Attachment
    activity: Activity
    created: bool  # False when the same file was already attached to this record
    fetch: bool  # whether the adapter should download it now


def confirmed_record(session: Session, platform: str, chat: str, message_id: str) -> int | None:
    """The record a bot message confirmed, so a file sent in reply to it attaches there."""
    row = _confirmation(session, platform, chat, message_id)
    return row.activity_id if row else None


def _confirmation(session: Session, platform: str, chat: str, message_id: str) -> BotMessage | None:
    return session.exec(
        select(BotMessage).where(
            BotMessage.platform == platform,
            BotMessage.chat_id == chat,
            BotMessage.message_id == message_id,
        )
    ).first()


def remember_confirmation(
    session: Session, clock: Clock, platform: str, chat: str, message_id: str, activity_id: int
) -> None:
    row = BotMessage(
        platform=platform,
        chat_id=chat,
        message_id=message_id,
        activity_id=activity_id,
        sent_at=clock(),
    )
    insert_once(session, row, lambda: _confirmation(session, platform, chat, message_id))


def attach(
    session: Session,
    clock: Clock,
    actor: Actor | None,
    activity_id: int,
    upload: Upload,
    files_dir: Path,
) -> Attached:
    """Attach a file to a record the actor may change (others learn nothing of the record)."""
    activity = get_for_write(session, actor, activity_id)
    assert actor is not None  # get_for_write refuses strangers
    row = Attachment(
        activity_id=activity_id,
        platform=upload.platform,
        file_id=upload.file_id,
        file_unique_id=upload.unique_id,
        kind=upload.kind,
        name=upload.name,
        mime=upload.mime,
        size=upload.size,
        created_by=actor.member_id,
        created_at=clock(),
    )
    row, created = insert_once(session, row, lambda: _same_file(session, activity_id, upload))
    if created:
        row.path = str(files_dir / str(activity_id) / f"{row.id}-{safe_name(upload)}")
        session.add(row)
        session.flush()
        audit.record(session, clock, actor.member_id, "attach", row)
    fetch = created and (upload.size or 0) <= MAX_DOWNLOAD_BYTES
    return Attached(row, activity, created, fetch)


def _same_file(session: Session, activity_id: int, upload: Upload) -> Attachment | None:
    return session.exec(
        select(Attachment).where(
            Attachment.activity_id == activity_id,
            Attachment.platform == upload.platform,
            Attachment.file_unique_id == upload.unique_id,
        )
    ).first()


def safe_name(upload: Upload) -> str:
    """A file name safe on any file system, keeping Chinese; photos get one from their id."""
    name = Path(upload.name or "").name
    if not name:
        name = f"{upload.kind}-{upload.unique_id}.jpg"
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, ext) if dot else (name, "")
    stem = _UNSAFE.sub("_", stem).strip("._")
    # file systems limit names in bytes (255), and one CJK character takes three or four
    stem = stem.encode()[:150].decode(errors="ignore") or upload.kind
    ext = _UNSAFE.sub("", ext)[:10]
    return f"{stem}.{ext}" if ext else stem


def mark_saved(session: Session, attachment_id: int, size: int) -> None:
    row = session.get(Attachment, attachment_id)
    if row is not None:
        row.size = size
        session.add(row)


def forget_path(session: Session, attachment_id: int) -> None:
    """The download failed: keep the record of the file (its id) but no local copy."""
    row = session.get(Attachment, attachment_id)
    if row is not None:
        row.path = None
        session.add(row)


def of_record(session: Session, activity_id: int) -> list[Attachment]:
    return list(
        session.exec(
            select(Attachment)
            .where(Attachment.activity_id == activity_id)
            .order_by(col(Attachment.id))
        ).all()
    )
