"""The fake Bot API server works with the real python-telegram-bot library."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.e2e.fakebot import (
    FakeTelegram,
    UploadedFile,
    build_echo_app,
    builder_for,
    free_port,
    run_polling,
)

ROOT = Path(__file__).resolve().parents[2]
ALICE = 1001
GROUP = -1001234567890
# every byte value plus CRLF runs, to prove multipart parsing is binary-exact
BINARY = bytes(range(256)) + b"\r\n\r\n--\r\n" + bytes(range(255, -1, -1))


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def make_bot(fake: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(token or fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)


# ---------------------------------------------------------------- a small test bot


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"started {context.args}")


async def on_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = [[InlineKeyboardButton("一", callback_data="pick:1")]]
    await update.effective_message.reply_text("请选择", reply_markup=InlineKeyboardMarkup(keyboard))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("好的")
    await query.edit_message_text(f"已选择 {query.data}")


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.photo
    data = await (await context.bot.get_file(message.photo[-1].file_id)).download_as_bytearray()
    await message.reply_text(f"收到 {len(data)} 字节 {message.caption}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text
    await update.effective_message.reply_text(update.effective_message.text)


def build_app(fake: FakeTelegram) -> Application:
    app = builder_for(fake).build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("menu", on_menu))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


# ---------------------------------------------------------------- polling bot round trips


async def test_echo_round_trip(fake: FakeTelegram) -> None:
    async with run_polling(build_echo_app(fake)):
        fake.user_message("你好，支部", user_id=ALICE)
        [reply] = await fake.wait_for_messages_async(ALICE, 1)
    assert reply["text"] == "你好，支部"
    assert reply["from"]["username"] == "ZhibuTestBot"
    assert reply["chat"] == {"id": ALICE, "type": "private", "first_name": "张三"}
    assert reply["message_id"] == 2  # the user's message took id 1 in this chat
    assert fake.calls_of("getMe") and fake.calls_of("deleteWebhook")


async def test_command_with_bot_name_in_group(fake: FakeTelegram) -> None:
    async with run_polling(build_app(fake)):
        fake.user_message(
            "/start@OtherBot ignored", user_id=ALICE, chat_id=GROUP, chat_type="supergroup"
        )
        fake.user_message(
            "/start@ZhibuTestBot 一 二", user_id=ALICE, chat_id=GROUP, chat_type="supergroup"
        )
        [reply] = await fake.wait_for_messages_async(GROUP, 1)
    assert reply["text"] == "started ['一', '二']"
    assert reply["chat"]["type"] == "supergroup" and reply["chat"]["title"] == "测试支部群"
    assert reply["reply_to_message"]["text"] == "/start@ZhibuTestBot 一 二"  # quoted in groups
    assert len(fake.messages(GROUP)) == 1


async def test_messages_sent_on_behalf_of_a_chat_name_the_chat_not_a_person(
    fake: FakeTelegram,
) -> None:
    seen: list[Update] = []

    async def keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)

    app = builder_for(fake).build()
    app.add_handler(MessageHandler(filters.ALL, keep))
    channel = {"id": -1009999, "type": "channel", "title": "镇党委"}
    async with run_polling(app):
        fake.anonymous_message("/start", chat_id=GROUP)
        fake.anonymous_message("/start", chat_id=GROUP, channel=channel)
        await fake.wait_for_async(lambda f: len(seen) == 2, what="both messages")
    admin, via_channel = (u.effective_message for u in seen)
    assert admin and admin.sender_chat and admin.sender_chat.id == GROUP
    assert admin.from_user and admin.from_user.username == "GroupAnonymousBot"
    assert admin.from_user.is_bot and admin.chat.id == GROUP
    assert via_channel and via_channel.sender_chat and via_channel.sender_chat.id == -1009999
    assert via_channel.from_user and via_channel.from_user.username == "Channel_Bot"


async def test_callback_press_answers_and_edits(fake: FakeTelegram) -> None:
    async with run_polling(build_app(fake)):
        fake.user_message("/menu", user_id=ALICE)
        [menu] = await fake.wait_for_messages_async(ALICE, 1)
        assert menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "pick:1"
        fake.press(menu["message_id"], "pick:1", user_id=ALICE, chat_id=ALICE)
        await fake.wait_for_call_async("editMessageText")
    [answer] = fake.callback_answers
    assert answer["text"] == "好的" and answer["callback_query_id"] == "cq1"
    [edit] = fake.calls_of("editMessageText")
    assert edit["message_id"] == menu["message_id"] and edit["chat_id"] == ALICE
    [stored] = fake.messages(ALICE)
    assert stored["text"] == "已选择 pick:1" and "reply_markup" not in stored


async def test_photo_message_is_downloadable(fake: FakeTelegram, tmp_path: Path) -> None:
    file_id = fake.add_file(BINARY)
    async with run_polling(build_app(fake)) as app:
        fake.user_message(None, user_id=ALICE, photo_file_id=file_id, caption="会议照片")
        [reply] = await fake.wait_for_messages_async(ALICE, 1)
        target = tmp_path / "photo.jpg"
        await (await app.bot.get_file(file_id)).download_to_drive(target)
    assert reply["text"] == f"收到 {len(BINARY)} 字节 会议照片"
    assert target.read_bytes() == BINARY
    [get_file, *_] = fake.calls_of("getFile")
    assert get_file == {"file_id": file_id}


async def test_long_polling_returns_promptly(fake: FakeTelegram) -> None:
    async with run_polling(build_echo_app(fake), timeout=30):
        await fake.wait_for_call_async("getUpdates")  # a 30 s long poll is now parked
        started = time.monotonic()
        fake.user_message("在吗", user_id=ALICE)
        await fake.wait_for_messages_async(ALICE, 1, timeout=25)
        elapsed = time.monotonic() - started
    # the parked poll returned with the message, long before its 30 s were up (the margin is
    # for a loaded CI machine, where the round trip alone can take seconds)
    assert elapsed < 15
    assert any(p.get("timeout") == 30 for p in fake.calls_of("getUpdates"))


async def test_redelivery_reuses_message_id(fake: FakeTelegram) -> None:
    async with run_polling(build_echo_app(fake)):
        first = fake.user_message("签到", user_id=ALICE)
        await fake.wait_for_messages_async(ALICE, 1)
        again = fake.redeliver(first)
        await fake.wait_for_messages_async(ALICE, 2)
    assert again["update_id"] == first["update_id"] + 1
    assert again["message"] == first["message"]


async def test_webhook_delivery(fake: FakeTelegram) -> None:
    app = build_echo_app(fake)
    port = free_port()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        assert fake.webhook["url"] == f"http://127.0.0.1:{port}/hook"
        assert fake.webhook["secret_token"] == "s3cret"
        update = fake.user_message("经由 webhook", user_id=ALICE)
        assert await fake.post_to_webhook_async(update) == 200
        [reply] = await fake.wait_for_messages_async(ALICE, 1)
        fake.webhook["secret_token"] = "wrong"
        assert await fake.post_to_webhook_async(update) == 403
        await app.updater.stop()
        await app.stop()
    assert reply["text"] == "经由 webhook"


def test_subprocess_bot_and_blocking_waits(fake: FakeTelegram) -> None:
    script = (
        "import sys, types\n"
        "from tests.e2e.fakebot import build_echo_app\n"
        "urls = types.SimpleNamespace(token=sys.argv[1], base_url=sys.argv[2], base_file_url=sys.argv[3])\n"
        "build_echo_app(urls).run_polling(poll_interval=0, timeout=1)\n"
    )
    args = [sys.executable, "-c", script, fake.token, fake.base_url, fake.base_file_url]
    proc = subprocess.Popen(args, cwd=ROOT)
    try:
        fake.user_message("子进程", user_id=ALICE)
        # the subprocess imports python-telegram-bot first: slow on a loaded machine
        [reply] = fake.wait_for_messages(ALICE, 1, timeout=120)
        assert reply["text"] == "子进程"
    finally:
        proc.terminate()
        proc.wait(timeout=60)


# ---------------------------------------------------------------- direct Bot API calls


async def test_get_updates_offset_and_limit(fake: FakeTelegram) -> None:
    for text in ("一", "二", "三"):
        fake.user_message(text, user_id=ALICE)
    async with make_bot(fake) as bot:
        first = await bot.get_updates(limit=2, timeout=0)
        rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
        empty = await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in first if u.message] == ["一", "二"]
    assert [u.message.text for u in rest if u.message] == ["三"]
    assert empty == () and fake.pending_updates == []


# PTB's own RetryAfter constructor warns about int retry_after (deprecated since v22.2)
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after_surfaces(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 429, retry_after=7)
    async with make_bot(fake) as bot:
        with pytest.raises(RetryAfter, match="7"):
            await bot.send_message(ALICE, "刷屏")
        sent = await bot.send_message(ALICE, "再试一次")
    assert sent.text == "再试一次" and sent.message_id == 1
    assert len(fake.calls_of("sendmessage")) == 2  # failed attempts are recorded too


async def test_server_error_and_forbidden(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 500, times=2)
    fake.block_chat(ALICE)
    async with make_bot(fake) as bot:
        for _ in range(2):
            with pytest.raises(NetworkError, match="Internal Server Error"):
                await bot.send_message(ALICE, "hi")
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(ALICE, "hi")
        fake.unblock_chat(ALICE)
        await bot.send_message(ALICE, "hi")
    assert [m["text"] for m in fake.messages(ALICE)] == ["hi"]


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken, match="rejected"):
        async with make_bot(fake, token="999:nope") as bot:
            await bot.get_me()


async def test_uploads_and_string_params(fake: FakeTelegram) -> None:
    async with make_bot(fake) as bot:
        photo = await bot.send_photo(ALICE, photo=BINARY, caption="42")
        doc = await bot.send_document(ALICE, document=BINARY, filename='支部 "纪要".pdf')
        text = await bot.send_message(ALICE, "42", reply_to_message_id=photo.message_id)
    upload = fake.calls_of("sendPhoto")[0]["photo"]
    assert isinstance(upload, UploadedFile) and upload.content == BINARY
    assert photo.caption == "42" and fake.file(photo.photo[-1].file_id).content == BINARY
    assert doc.document is not None and doc.document.file_name == "支部 %22纪要%22.pdf"
    assert doc.document.mime_type == "application/pdf"
    assert text.text == "42" and text.reply_to_message is not None
    assert text.reply_to_message.message_id == photo.message_id


async def test_edit_errors_and_commands(fake: FakeTelegram) -> None:
    async with make_bot(fake) as bot:
        sent = await bot.send_message(GROUP, "原文")
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("原文", chat_id=GROUP, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="not found"):
            await bot.edit_message_text("新", chat_id=GROUP, message_id=99)
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(GROUP, "按钮", reply_markup=too_long)
        second = await bot.send_message(GROUP, "第二条")
        await bot.set_my_commands([("start", "开始")], language_code="zh")
        commands = await bot.get_my_commands(language_code="zh")
        chat = await bot.get_chat(GROUP)
    assert fake.commands == {("default", "zh"): [{"command": "start", "description": "开始"}]}
    assert [c.command for c in commands] == ["start"]
    assert chat.type == "supergroup"
    assert second.message_id == sent.message_id + 1  # a rejected send uses no message_id


async def test_sync_waits_refuse_event_loop_and_dump_calls(fake: FakeTelegram) -> None:
    with pytest.raises(RuntimeError, match="wait_for_messages_async"):
        fake.wait_for_messages(ALICE, 1)
    async with make_bot(fake) as bot:
        await bot.send_message(ALICE, "只有一条")
    with pytest.raises(AssertionError, match="只有一条"):
        await fake.wait_for_messages_async(ALICE, 2, timeout=0.2)
