"""Guided questions for a record that is missing fields.

The state of a dialog (the draft so far and the field being asked) lives in the database,
keyed by platform + chat + user, so a restart in the middle of a question loses nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from core.activities import DRAFT_FIELDS, ActivityDraft
from storage.models import DialogState

_DATE_FIELDS = {"held_on"}
_TIME_FIELDS = {"start_time", "end_time"}


def draft_to_json(draft: ActivityDraft) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in asdict(draft).items():
        if value is not None:
            out[key] = value.isoformat() if isinstance(value, date | time) else value
    return out


def draft_from_json(data: dict[str, Any]) -> ActivityDraft:
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in DRAFT_FIELDS:
            continue
        if key in _DATE_FIELDS:
            value = date.fromisoformat(value)
        elif key in _TIME_FIELDS:
            value = time.fromisoformat(value)
        values[key] = value
    return ActivityDraft(**values)


_STATE = select(DialogState).where(
    DialogState.platform == bindparam("platform"),
    DialogState.chat_id == bindparam("chat"),
    DialogState.user_id == bindparam("user"),
)  # built once: looked up on nearly every message


def _state(session: Session, platform: str, chat: str, user: str) -> DialogState | None:
    params = {"platform": platform, "chat": chat, "user": user}
    return session.execute(_STATE, params).scalars().first()


def load(
    session: Session, platform: str, chat: str, user: str, now: datetime
) -> tuple[DialogState | None, bool]:
    """(the user's open dialog in this chat or None, whether one had just expired).
    An expired dialog is dropped, so the user is told about it once."""
    state = _state(session, platform, chat, user)
    if state is not None and state.expires_at <= now:
        session.delete(state)
        session.flush()
        return None, True
    return state, False


def save(
    session: Session,
    platform: str,
    chat: str,
    user: str,
    kind: str,
    data: dict[str, Any],
    now: datetime,
    minutes: int,
) -> DialogState:
    state = _state(session, platform, chat, user) or DialogState(
        platform=platform, chat_id=chat, user_id=user, kind=kind, expires_at=now
    )
    state.kind, state.data = kind, data
    state.expires_at = now + timedelta(minutes=minutes)
    session.add(state)
    session.flush()
    return state


def clear(session: Session, platform: str, chat: str, user: str) -> bool:
    state = _state(session, platform, chat, user)
    if state is None:
        return False
    session.delete(state)
    session.flush()
    return True
