"""The outbox: scheduled messages are written first and delivered after, exactly once.

``enqueue`` stores a message under a unique key (job, target chat, period): a job that runs
twice for a period adds nothing the second time. ``Deliverer.deliver_due`` claims due rows one
by one with a conditional UPDATE (only one process can win a row), sends them through the
``Notifier`` of their platform, and records the outcome: sent with the platform's message id,
retried later with backoff, given up after ``max_attempts``, or skipped because the chat
blocked the bot or no longer exists (the chat is then marked and never tried again).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from core.notify import Notifier, Uncertain, Unreachable
from core.periods import Clock
from storage.db import session_scope
from storage.models import ChatBinding, OutboxMessage
from storage.once import insert_once
from storage.queries import skip_pending_pushes

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # a claim a crashed process left behind expires after this
LEASE_MARGIN = timedelta(seconds=30)  # a send must end this long before its claim does
BATCH = 50


@dataclass(frozen=True)
class Message:
    key: str
    job: str
    platform: str
    chat_id: str
    text: str
    files: tuple[str, ...] = ()


def enqueue(session: Session, clock: Clock, message: Message) -> bool:
    """Store ``message`` unless its key is already in the outbox; True if stored now."""
    now = clock()
    row = OutboxMessage(
        key=message.key,
        job=message.job,
        platform=message.platform,
        chat_id=message.chat_id,
        text=message.text,
        files=list(message.files) or None,
        next_attempt_at=now,
        created_at=now,
    )
    existing = lambda: session.exec(  # noqa: E731
        select(OutboxMessage).where(OutboxMessage.key == message.key)
    ).first()
    return insert_once(session, row, existing)[1]


def pending(session: Session, failed: bool = False) -> list[OutboxMessage]:
    status = ("failed",) if failed else ("pending",)
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.status).in_(status))
            .order_by(col(OutboxMessage.id))
        ).all()
    )


class Deliverer:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        notifiers: Mapping[str, Notifier],
        max_attempts: int = 5,
        worker: str | None = None,
        max_age: timedelta | None = None,
    ):
        self.engine, self.clock, self.notifiers = engine, clock, notifiers
        self.max_attempts, self.max_age = max_attempts, max_age
        self.worker = worker or uuid.uuid4().hex[:12]

    async def deliver_due(self) -> int:
        """Send every due row this process can claim; the number sent. Database work runs in
        a worker thread: a busy SQLite file must not stall the chat adapter's event loop."""
        sent, tried = 0, set()
        await asyncio.to_thread(self._expire_old)
        while ids := [i for i in await asyncio.to_thread(self._due_ids) if i not in tried]:
            for row_id in ids:
                tried.add(row_id)
                # claimed one at a time, right before sending: a row whose chat just turned
                # out unreachable, or that another process took over, is no longer pending
                if await asyncio.to_thread(self._claim, row_id):
                    sent += await self._deliver(row_id)
        return sent

    def _expire_old(self) -> None:
        """A push nobody could deliver in time (no adapter for its platform was running, or
        it kept failing) is stale: a month's reminder must not arrive weeks later."""
        if self.max_age is None:
            return
        with session_scope(self.engine) as session:
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == "pending",  # type: ignore[arg-type]
                    col(OutboxMessage.created_at) < self.clock() - self.max_age,
                )
                .values(status="skipped", last_error="too old to send")
            )

    def _due_ids(self) -> list[int]:
        now = self.clock()
        with session_scope(self.engine) as session:
            stmt = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == "pending",
                    col(OutboxMessage.platform).in_(list(self.notifiers)),
                    OutboxMessage.next_attempt_at <= now,
                    (col(OutboxMessage.claimed_until).is_(None))
                    | (col(OutboxMessage.claimed_until) < now),
                )
                .order_by(col(OutboxMessage.id))
                .limit(BATCH)
            )
            return [i for i in session.exec(stmt).all() if i is not None]

    def _claim(self, row_id: int) -> bool:
        now = self.clock()
        with session_scope(self.engine) as session:
            result = session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == row_id,
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= now,  # another process may have backed off
                    (col(OutboxMessage.claimed_until).is_(None))
                    | (col(OutboxMessage.claimed_until) < now),
                )
                .values(claimed_by=self.worker, claimed_until=now + LEASE)
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    async def _deliver(self, row_id: int) -> int:
        platform, chat, text, files = await asyncio.to_thread(self._content, row_id)
        record, sent = await self._send(row_id, platform, chat, text, files)
        await asyncio.to_thread(record)
        return int(sent)

    def _content(self, row_id: int) -> tuple[str, str, str, tuple[str, ...]]:
        with session_scope(self.engine) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            return row.platform, row.chat_id, row.text, tuple(row.files or ())

    async def _send(
        self, row_id: int, platform: str, chat: str, text: str, files: tuple[str, ...]
    ) -> tuple[Callable[[], None], bool]:
        """Send; return how to record the outcome, and whether it was sent. A send that may have arrived is never
        repeated: a duplicate in a group chat is worse than a reminder to check by hand."""
        try:
            # within the claim's lease: past it, another process may take the row over
            notifier = self.notifiers[platform]
            send = notifier.send(chat, text, files)
            message_id = await asyncio.wait_for(send, (LEASE - LEASE_MARGIN).total_seconds())
        except Unreachable as exc:
            return partial(self._finish, row_id, "skipped", str(exc), True), False
        except (Uncertain, TimeoutError) as exc:
            log.warning(
                "outbox %s to %s:%s may have been delivered: %r", row_id, platform, chat, exc
            )
            error = f"may have been delivered, not resent: {exc!r}"
            return partial(self._finish, row_id, "failed", error), False
        except Exception as exc:  # network, rate limits beyond the adapter's own retries
            log.warning("outbox %s to %s:%s failed: %s", row_id, platform, chat, exc)
            return partial(self._retry_later, row_id, f"{type(exc).__name__}: {exc}"), False
        return partial(self._finish, row_id, "sent", message_id=message_id), True

    def _finish(
        self,
        row_id: int,
        status: str,
        error: str | None = None,
        unreachable: bool = False,
        message_id: str | None = None,
    ) -> None:
        now = self.clock()
        with session_scope(self.engine) as session:
            row = self._mine(session, row_id, sent=status == "sent")
            if row is None:
                return
            row.status, row.message_id, row.claimed_until = status, message_id, None
            row.sent_at = now if status == "sent" else None
            row.last_error = error[:500] if error else None
            session.add(row)
            if unreachable:
                mark_unreachable(session, row.platform, row.chat_id, now)

    def _retry_later(self, row_id: int, error: str) -> None:
        now = self.clock()
        with session_scope(self.engine) as session:
            row = self._mine(session, row_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error, row.claimed_until = error[:500], None
            if row.attempts >= self.max_attempts:
                row.status = "failed"
            else:  # 1, 2, 4, 8 … minutes
                row.next_attempt_at = now + timedelta(minutes=2 ** (row.attempts - 1))
            session.add(row)

    def _mine(self, session: Session, row_id: int, sent: bool = False) -> OutboxMessage | None:
        """The row, if this process still holds its claim (a lease that ran out during a very
        slow send may have passed it to another process, whose outcome then counts). A row
        skipped while it was on its way (its group released) is still recorded if ``sent``:
        it did arrive; any other outcome leaves it skipped, never to be retried."""
        row = session.get(OutboxMessage, row_id)
        if row is None or row.claimed_by != self.worker:
            return None
        if row.status == "pending" or (sent and row.status == "skipped"):
            return row
        return None


def mark_unreachable(session: Session, platform: str, chat_id: str, now: datetime) -> None:
    """Stop pushing to a chat that blocked the bot or is gone; pending rows are skipped."""
    session.execute(
        update(ChatBinding)
        .where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)  # type: ignore[arg-type]
        .values(unreachable_at=now)
    )
    skip_pending_pushes(session, platform, chat_id, "chat unreachable")
