"""The Telegram adapter: python-telegram-bot's Application wired to the router.

It only translates: a message or a pressed button becomes an ``Incoming`` (convert.py), the
router decides everything in one database transaction (run in a worker thread, so the event
loop keeps polling and sending), and the replies go out through ``Sender`` (send.py).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

from telegram import Bot, CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import App, jobs_of
from bot.messages import t
from bot.router import Router
from bot.telegram import convert
from bot.telegram.menu import set_menus
from bot.telegram.send import Sender, TelegramNotifier, retrying
from bot.turn import Reply
from jobs.scheduler import Pushes

log = logging.getLogger(__name__)
UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
RATE_LIMIT_RETRIES = 3  # times a send is retried after Telegram's RetryAfter


class TelegramAdapter:
    def __init__(self, app: App, router: Router | None = None, pushes: bool = True):
        self.app, self.with_pushes = app, pushes and app.settings.jobs.enabled
        self.pushes: Pushes | None = None
        self.settings = app.settings
        self.router = router or app.router()
        self.locale = app.settings.locale
        self.username: str | None = app.settings.telegram.bot_username
        self.application = self._build()
        self.sender = Sender(self.application.bot, self.router)
        self._last_send: dict[int, asyncio.Task] = {}  # per chat, the newest reply in flight

    def _build(self) -> Application:
        tg = self.settings.telegram
        assert tg.token is not None
        builder = (
            ApplicationBuilder()
            .token(tg.token.get_secret_value())
            .base_url(tg.base_url)
            .base_file_url(tg.base_file_url)
            .get_updates_read_timeout(tg.poll_timeout_seconds + 10)
            .post_init(self.post_init)
            .post_stop(self.post_stop)
            .post_shutdown(self.post_shutdown)
        )
        if tg.rate_limit:
            builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        application = builder.build()
        wanted = filters.TEXT | filters.CAPTION | filters.PHOTO | filters.Document.ALL
        application.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & wanted, self.on_message)
        )
        application.add_handler(CallbackQueryHandler(self.on_press))
        application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate))
        application.add_error_handler(self.on_error)
        return application

    async def post_init(self, application: Application) -> None:
        """Learn our @username and set the command menus (PTB calls this before polling)."""
        me = await retrying(application.bot.get_me)
        self.username = self.username or me.username
        try:
            await set_menus(application.bot)
        except Exception:  # a missing menu is cosmetic: keep serving
            log.exception("could not set the command menus")
        if self.with_pushes:
            notifiers = {convert.PLATFORM: TelegramNotifier(application.bot)}
            jobs = jobs_of(self.app, frozenset(notifiers))
            self.pushes = Pushes(jobs, notifiers, self.settings.jobs.max_attempts)
            await self.pushes.start()

    async def post_stop(self, application: Application) -> None:
        """Before the bot's connection closes: no new pushes, the one under way finished."""
        if self.pushes is not None:
            await self.pushes.stop_and_wait()

    async def post_shutdown(self, application: Application) -> None:
        if self.pushes is not None:  # post_stop did it, unless the start never got that far
            self.pushes.stop()

    # ------------------------------------------------------------------ handlers

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or convert.not_from_a_person(message):
            return
        text = message.text or message.caption or ""
        if convert.for_another_bot(text, self.username):
            return
        incoming = convert.from_message(message, context.bot.id)
        replies = await asyncio.to_thread(self.router.handle, incoming)
        reply_to = message.message_id if incoming.is_group else None
        self._in_order(
            message.chat_id,
            lambda: self.sender.send(message.chat_id, replies, reply_to, incoming.is_group),
            update,
        )

    async def on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup with a new chat id: keep its binding."""
        message = update.effective_message
        if message is None:
            return
        old, new = message.chat_id, message.migrate_to_chat_id
        if new is None:  # the same event, seen from the new supergroup
            old, new = message.migrate_from_chat_id, message.chat_id
        if old is not None:
            await asyncio.to_thread(self.router.chat_moved, convert.PLATFORM, str(old), str(new))

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        incoming = convert.from_press(query)
        if incoming is None:
            await query.answer(t("button_stale", self.locale), show_alert=True)
            return
        replies = await asyncio.to_thread(self.router.handle, incoming)
        if replies and replies[0].alert:
            await query.answer(replies[0].text[:200], show_alert=True)
            return
        try:  # at once: Telegram gives up on a button whose answer is late
            await query.answer()
        except TelegramError:
            log.warning("could not answer button press %s", query.id, exc_info=True)
        chat_id = int(incoming.chat_id)
        self._in_order(
            chat_id, lambda: self._after_press(query, replies, incoming.is_group), update
        )

    async def _after_press(self, query: CallbackQuery, replies: list[Reply], group: bool) -> None:
        message = query.message
        assert message is not None  # from_press refused presses without one
        if replies and replies[0].edit:  # e.g. the next page of /status, in place
            await self.sender.replace(message.chat.id, message.message_id, replies[0])
            return
        label = convert.pressed_label(query)
        text = getattr(message, "text", None)
        if label and text:
            try:  # cosmetic: the answer below matters more
                await self.sender.mark_pressed(message.chat.id, message.message_id, text, label)
            except TelegramError:
                log.warning("could not mark the pressed button", exc_info=True)
        await self.sender.send(message.chat.id, replies, None, group)

    def _in_order(self, chat_id: int, send: Callable[[], Awaitable[None]], update: Update) -> None:
        """Send in the background, after the chat's earlier replies: the next update is
        worked on while this reply travels, and a chat still reads its answers in order."""
        previous = self._last_send.get(chat_id)

        async def after_previous() -> None:
            if previous is not None:
                await asyncio.wait([previous])  # its failure is reported on its own
            await send()

        task = self.application.create_task(after_previous(), update=update)
        self._last_send[chat_id] = task
        task.add_done_callback(lambda done: self._forget(chat_id, done))

    def _forget(self, chat_id: int, task: asyncio.Task) -> None:
        if self._last_send.get(chat_id) is task:
            del self._last_send[chat_id]

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what failed with the update id, and tell the user with an error id. The router
        has committed or rolled back by now: a failed reply never undoes a record."""
        error_id = uuid.uuid4().hex[:8]
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("error %s in update %s", error_id, update_id, exc_info=context.error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            return
        try:
            await context.bot.send_message(
                chat.id, t("send_failed", self.locale, error_id=error_id)
            )
        except Exception:  # the chat may be gone or the network down: logged above
            log.warning("could not send the apology for error %s", error_id)

    # ------------------------------------------------------------------ running

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM (PTB installs the handlers and shuts down cleanly)."""
        tg = self.settings.telegram
        if tg.webhook_url:
            secret = tg.webhook_secret.get_secret_value() if tg.webhook_secret else None
            self.application.run_webhook(
                listen=tg.webhook_listen,
                port=tg.webhook_port,
                url_path=urlparse(tg.webhook_url).path.lstrip("/"),
                webhook_url=tg.webhook_url,
                secret_token=secret,
                allowed_updates=UPDATES,
            )
        else:
            self.application.run_polling(
                poll_interval=0,
                timeout=tg.poll_timeout_seconds,
                allowed_updates=UPDATES,
            )
        return 0


async def bot_username(app: App) -> str | None:
    """The bot's @username for invitation links: from the settings, else asked of Telegram."""
    tg = app.settings.telegram
    if tg.bot_username or tg.token is None:
        return tg.bot_username
    bot = Bot(tg.token.get_secret_value(), base_url=tg.base_url, base_file_url=tg.base_file_url)
    async with bot:
        return (await bot.get_me()).username
