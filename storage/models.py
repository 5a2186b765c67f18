"""SQLModel tables. Created only through Alembic migrations (storage/migrations)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

BRANCH_ROLES = ("secretary", "deputy", "committee", "member")
ORG_ROLES = ("leader", "admin")


def _utc_column(nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable, default=None)


class Org(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    created_at: datetime = _utc_column()


class Branch(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", index=True)
    name: str = Field(max_length=100)
    short_name: str | None = Field(default=None, max_length=50)
    created_at: datetime = _utc_column()


class PartyGroup(SQLModel, table=True):
    __tablename__ = "party_group"
    __table_args__ = (UniqueConstraint("branch_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    name: str = Field(max_length=100)


class Member(SQLModel, table=True):
    # active members per branch, counted from the index alone (/status coverage rules)
    __table_args__ = (Index("ix_member_org_active_branch", "org_id", "active", "branch_id"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id", index=True)
    party_group_id: int | None = Field(default=None, foreign_key="party_group.id")
    name: str = Field(max_length=100)
    branch_role: str | None = Field(default=None, max_length=20)
    org_role: str | None = Field(default=None, max_length=20)
    active: bool = True
    created_at: datetime = _utc_column()


class Identity(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    external_id: str = Field(max_length=100)
    member_id: int = Field(foreign_key="member.id", index=True)


class ChatBinding(SQLModel, table=True):
    __tablename__ = "chat_binding"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=100)
    org_id: int = Field(foreign_key="org.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id", index=True)
    # set when the platform says the bot was blocked or the chat is gone: pushes skip it
    unreachable_at: datetime | None = _utc_column(nullable=True)


class Activity(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint(
            "source_platform", "source_chat", "source_message", name="uq_activity_source"
        ),
        Index("ix_activity_branch_type_day", "branch_id", "type_code", "held_on"),
        Index("ix_activity_org_day", "org_id", "held_on"),
        Index("ix_activity_creator", "created_by", "id"),
        # each branch's latest record (/status silence) and one type over a long unit
        Index("ix_activity_branch_day", "branch_id", "held_on"),
        Index("ix_activity_org_type_day", "org_id", "type_code", "held_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id")
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    party_group_id: int | None = Field(default=None, foreign_key="party_group.id")
    type_code: str = Field(max_length=40)
    held_on: date
    start_time: time | None = None
    end_time: time | None = None
    place: str | None = Field(default=None, max_length=200)
    host: str | None = Field(default=None, max_length=100)
    recorder: str | None = Field(default=None, max_length=100)
    topic: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)
    expected: int | None = None
    present: int | None = None
    absent: int | None = None
    hours: float | None = None
    created_by: int = Field(foreign_key="member.id")
    created_at: datetime = _utc_column()
    source_platform: str | None = Field(default=None, max_length=20)
    source_chat: str | None = Field(default=None, max_length=100)
    source_message: str | None = Field(default=None, max_length=100)
    deleted_at: datetime | None = _utc_column(nullable=True)
    deleted_by: int | None = Field(default=None, foreign_key="member.id")


class Commitment(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint(
            "source_platform", "source_chat", "source_message", name="uq_commitment_source"
        ),
        Index("ix_commitment_branch_due", "branch_id", "due_on"),
        # the org's commitments made or falling due in a period (/status, 履诺率)
        Index("ix_commitment_org_made", "org_id", "made_on"),
        Index("ix_commitment_org_due", "org_id", "due_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id")
    branch_id: int = Field(foreign_key="branch.id")
    owner_member_id: int | None = Field(default=None, foreign_key="member.id")
    content: str = Field(max_length=500)
    made_on: date
    due_on: date
    status: str = Field(default="in_progress", max_length=20)
    fulfilled_on: date | None = None
    evidence: str | None = Field(default=None, max_length=1000)
    created_by: int = Field(foreign_key="member.id")
    created_at: datetime = _utc_column()
    source_platform: str | None = Field(default=None, max_length=20)
    source_chat: str | None = Field(default=None, max_length=100)
    source_message: str | None = Field(default=None, max_length=100)
    deleted_at: datetime | None = _utc_column(nullable=True)
    deleted_by: int | None = Field(default=None, foreign_key="member.id")


class Excusal(SQLModel, table=True):
    """A rule unit a leader excused (e.g. 防汛): counts neither as met nor as missed."""

    __table_args__ = (UniqueConstraint("branch_id", "type_code", "unit_key"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    type_code: str = Field(max_length=40)
    unit_key: str = Field(max_length=10)
    reason: str = Field(max_length=500)
    created_by: int = Field(foreign_key="member.id")
    created_at: datetime = _utc_column()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc_column()
    actor_member_id: int | None = Field(default=None, foreign_key="member.id")
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class DialogState(SQLModel, table=True):
    """A guided conversation in progress; kept in the database so a restart loses nothing."""

    __tablename__ = "dialog_state"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=100)
    user_id: str = Field(max_length=100)
    kind: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    expires_at: datetime = _utc_column()


class HandledMessage(SQLModel, table=True):
    """A chat message already acted on: a redelivered /undo or answer must not act twice."""

    __tablename__ = "handled_message"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=100)
    message_id: str = Field(max_length=100)
    handled_at: datetime = _utc_column()


class Invite(SQLModel, table=True):
    """A one-time code that binds whoever redeems it to a member and role (``/start CODE``).
    Only a hash of the code is kept: a copy of the database does not hand out memberships."""

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    org_id: int = Field(foreign_key="org.id")
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    role: str = Field(max_length=20)  # a branch role, or "leader" / "admin"
    member_name: str | None = Field(default=None, max_length=100)
    created_at: datetime = _utc_column()
    expires_at: datetime = _utc_column()
    used_at: datetime | None = _utc_column(nullable=True)
    used_by: int | None = Field(default=None, foreign_key="member.id")


class Attachment(SQLModel, table=True):
    """A photo or document attached to a record (sign-in sheet, minutes, a picture)."""

    __table_args__ = (UniqueConstraint("activity_id", "platform", "file_unique_id"),)
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    platform: str = Field(max_length=20)
    file_id: str = Field(max_length=300)
    file_unique_id: str = Field(max_length=100)
    kind: str = Field(max_length=20)  # photo / document
    name: str | None = Field(default=None, max_length=255)
    mime: str | None = Field(default=None, max_length=100)
    size: int | None = None
    path: str | None = Field(default=None, max_length=500)  # set once downloaded
    created_by: int = Field(foreign_key="member.id")
    created_at: datetime = _utc_column()


class BotMessage(SQLModel, table=True):
    """A message the bot sent that confirms a record: replying to it with a file attaches it."""

    __tablename__ = "bot_message"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=100)
    message_id: str = Field(max_length=100)
    activity_id: int = Field(foreign_key="activity.id")
    sent_at: datetime = _utc_column()


class OutboxMessage(SQLModel, table=True):
    """A message a scheduled job wants delivered. The unique ``key`` (job, target chat,
    period) makes a job that runs twice for the same period enqueue nothing the second time;
    a deliverer claims a row before sending, so two bot processes never both send it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    job: str = Field(max_length=40)
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=100)
    text: str = Field(sa_type=Text)
    # files sent after the text (the quarter's ledger and heatmap), as paths on this machine
    files: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(default="pending", max_length=10)  # pending/sent/failed/skipped
    attempts: int = 0
    next_attempt_at: datetime = _utc_column()
    claimed_by: str | None = Field(default=None, max_length=60)
    claimed_until: datetime | None = _utc_column(nullable=True)
    sent_at: datetime | None = _utc_column(nullable=True)
    message_id: str | None = Field(default=None, max_length=100)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _utc_column()
