"""Router replies out to Telegram: HTML-escaped text, inline keyboards, files, downloads.

Every call goes through ``retrying``: PTB's AIORateLimiter already waits out ``RetryAfter``;
network hiccups (timeouts, resets) are retried here with exponential backoff. A reply that
still cannot be sent is logged and dropped: the record it confirms was committed before.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from bot.router import Router
from bot.telegram.convert import PLATFORM
from bot.turn import Choice, Download, Reply, split_long
from core.notify import Uncertain, Unreachable

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit
SEND_ATTEMPTS = 4
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def retrying(
    call: Callable[[], Awaitable[T]], attempts: int = SEND_ATTEMPTS, sends: bool = False
) -> T:
    """``call()``, again after a network error (RetryAfter is the rate limiter's business).
    A call that ``sends`` a message is not repeated after a timeout: Telegram may have
    delivered it already, and a member would read the answer twice."""
    retry = AsyncRetrying(
        retry=retry_if_exception(
            lambda exc: _transient(exc) and not (sends and isinstance(exc, TimedOut))
        ),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.5, max=8),
        reraise=True,
    )
    async for attempt in retry:
        with attempt:
            return await call()
    raise AssertionError("unreachable")  # AsyncRetrying either returns or re-raises


def _transient(exc: BaseException) -> bool:
    # PTB derives BadRequest from NetworkError, but a bad request fails the same way again
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """Buttons for the choices that carry callback data, three to a row (two when long)."""
    buttons = [
        InlineKeyboardButton(c.label, callback_data=c.data)
        for c in choices
        if c.data and len(c.data.encode()) <= MAX_CALLBACK_DATA
    ]
    if not buttons:
        return None
    width = 2 if max(len(b.text) for b in buttons) > 6 else 3
    return InlineKeyboardMarkup([buttons[i : i + width] for i in range(0, len(buttons), width)])


class Sender:
    def __init__(self, bot: Bot, router: Router):
        self.bot, self.router = bot, router

    async def send(
        self, chat_id: int, replies: Sequence[Reply], reply_to: int | None, group: bool
    ) -> None:
        for reply in replies:
            try:
                sent = await self._send_one(chat_id, reply, reply_to, group)
                if reply.record is not None:
                    await asyncio.to_thread(
                        self.router.message_sent,
                        PLATFORM,
                        str(chat_id),
                        str(sent.message_id),
                        reply,
                    )
                for path in reply.files:
                    await retrying(
                        lambda p=path: self.bot.send_document(chat_id, document=p), sends=True
                    )
            finally:  # the file is the record's, whether or not the answer got through
                for download in reply.downloads:
                    await self.fetch(download)

    async def _send_one(
        self, chat_id: int, reply: Reply, reply_to: int | None, group: bool
    ) -> Message:
        markup = keyboard(reply.choices)
        if markup is None and reply.asks and group:
            # with privacy mode on, the bot only hears replies to its own messages; "selective"
            # opens the reply box for the author of the message answered, if there is one
            markup = ForceReply(
                selective=bool(reply_to), input_field_placeholder=_placeholder(reply)
            )
        params = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        return await retrying(
            lambda: self.bot.send_message(
                chat_id,
                html.escape(reply.text, quote=False),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                reply_parameters=params,
                link_preview_options=NO_PREVIEW,
            ),
            sends=True,
        )

    async def fetch(self, download: Download) -> None:
        """Download an attached file next to the others of its record; report the outcome."""
        size: int | None = None
        try:
            tg_file = await retrying(lambda: self.bot.get_file(download.file_id))
            download.path.parent.mkdir(parents=True, exist_ok=True)
            await retrying(lambda: tg_file.download_to_drive(download.path))
            size = download.path.stat().st_size
        except Exception:
            log.exception("could not download file %s to %s", download.file_id, download.path)
        await asyncio.to_thread(self.router.file_saved, download, size)

    async def replace(self, chat_id: int, message_id: int, reply: Reply) -> None:
        """Show ``reply`` in place of the message whose button was pressed."""
        await retrying(
            lambda: self.bot.edit_message_text(
                html.escape(reply.text, quote=False),
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(reply.choices),
                link_preview_options=NO_PREVIEW,
            )
        )

    async def mark_pressed(self, chat_id: int, message_id: int, text: str, label: str) -> None:
        """Show which button was pressed and take the keyboard away."""
        await retrying(
            lambda: self.bot.edit_message_text(
                html.escape(f"{text}\n→ {label}", quote=False),
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=None,
            )
        )


def _placeholder(reply: Reply) -> str:
    return reply.text.split("\n", 1)[0][:64]


class TelegramNotifier:
    """Scheduled pushes from the outbox, through the same bot (and rate limiter) as replies."""

    platform = PLATFORM

    def __init__(self, bot: Bot):
        self.bot = bot

    async def send(self, chat_id: str, text: str, files: Sequence[str] = ()) -> str:
        """Send ``text`` (in parts at line ends if longer than Telegram allows), then each
        file that still exists; the id of the last text part."""
        message_id = ""
        for part in split_long(Reply(text)):
            message_id = await self._send_part(int(chat_id), part.text)
        for path in map(Path, files):
            if not path.exists():
                log.warning("push file %s is gone; sending the text without it", path)
                continue
            await retrying(
                lambda p=path: self.bot.send_document(int(chat_id), document=p), sends=True
            )
        return message_id

    async def _send_part(self, chat_id: int, text: str) -> str:
        try:
            sent = await retrying(
                lambda: self.bot.send_message(
                    chat_id,
                    html.escape(text, quote=False),
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                ),
                sends=True,
            )
        except Forbidden as exc:  # blocked by the user, or removed from the group
            raise Unreachable(str(exc)) from exc
        except TimedOut as exc:  # Telegram may well have it: do not send it again
            raise Uncertain(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Unreachable(str(exc)) from exc
            raise
        return str(sent.message_id)
