"""Audit trail: who changed what, when, with the values before and after."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlmodel import Session, SQLModel

from core.periods import Clock
from storage.models import AuditEvent


def snapshot(row: SQLModel) -> dict[str, Any]:
    """A JSON-safe copy of a row's columns."""
    out: dict[str, Any] = {}
    for key, value in row.model_dump().items():
        out[key] = value.isoformat() if isinstance(value, date | datetime | time) else value
    return out


def record(
    session: Session,
    clock: Clock,
    actor_id: int | None,
    action: str,
    row: SQLModel,
    before: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            at=clock(),
            actor_member_id=actor_id,
            action=action,
            entity=type(row).__tablename__,
            entity_id=getattr(row, "id", None),
            before=before,
            after=snapshot(row),
        )
    )
