"""Writes that must happen once even when a chat platform delivers a message twice, or two
processes race: insert inside a savepoint and, on a unique-key conflict, read back the row
that won."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

Row = TypeVar("Row", bound=SQLModel)


def insert_once(session: Session, row: Row, existing: Callable[[], Row | None]) -> tuple[Row, bool]:
    """(the row, True) if inserted now; (the row already there, False) otherwise."""
    if (found := existing()) is not None:
        return found, False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return found, False
    return row, True


def find_by_source(session: Session, model: type[Row], source: Any) -> Row | None:
    """The row a chat message (platform, chat, message id) already created, if any."""
    if source is None:
        return None
    return session.exec(
        select(model).where(
            model.source_platform == source.platform,  # type: ignore[attr-defined]
            model.source_chat == source.chat,  # type: ignore[attr-defined]
            model.source_message == source.message,  # type: ignore[attr-defined]
        )
    ).first()


@cache
def _handled_stmt():
    from storage.models import HandledMessage  # models import nothing from here

    return select(HandledMessage).where(
        HandledMessage.platform == bindparam("platform"),
        HandledMessage.chat_id == bindparam("chat"),
        HandledMessage.message_id == bindparam("message_id"),
    )


def _handled(session: Session, platform: str, chat: str, message_id: str):
    params = {"platform": platform, "chat": chat, "message_id": message_id}
    return session.execute(_handled_stmt(), params).scalars().first()


def first_delivery(session: Session, platform: str, chat: str, message_id: str, now) -> bool:
    """True the first time a chat message is seen (and remember it); False for a redelivery."""
    from storage.models import HandledMessage

    row = HandledMessage(platform=platform, chat_id=chat, message_id=message_id, handled_at=now)
    return insert_once(session, row, lambda: _handled(session, platform, chat, message_id))[1]


def seen_before(session: Session, platform: str, chat: str, message_id: str | None) -> bool:
    """Whether a message was already handled, without remembering this one."""
    return message_id is not None and _handled(session, platform, chat, message_id) is not None
