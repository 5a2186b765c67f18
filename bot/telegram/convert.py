"""Telegram updates in, router types out: the only place that reads a Telegram Message."""

from __future__ import annotations

import re

from telegram import CallbackQuery, Chat, Message, User

from bot.turn import FileRef, Incoming

PLATFORM = "telegram"
_ADDRESSED = re.compile(r"^/[A-Za-z_]+@([A-Za-z0-9_]+)")


def display_name(user: User | None) -> str:
    if user is None:
        return ""
    return " ".join(p for p in (user.first_name, user.last_name) if p).strip()


def is_group(chat: Chat) -> bool:
    return chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def not_from_a_person(message: Message) -> bool:
    """Another bot's message, or a channel post Telegram copied into the channel's discussion
    group: nobody wrote it to us. A message sent on behalf of a chat (an anonymous admin, a
    channel) also comes "from" a bot, GroupAnonymousBot or Channel_Bot, yet a person wrote it."""
    if message.sender_chat is not None:
        return bool(message.is_automatic_forward)
    return message.from_user is None or message.from_user.is_bot


def for_another_bot(text: str, username: str | None) -> bool:
    """``/log@OtherBot`` in a group with several bots is not for us."""
    m = _ADDRESSED.match(text)
    return bool(m and username and m.group(1).lower() != username.lower())


def files_of(message: Message) -> tuple[FileRef, ...]:
    if message.photo:
        best = message.photo[-1]  # Telegram lists sizes smallest first
        return (
            FileRef(best.file_id, best.file_unique_id, "photo", None, "image/jpeg", best.file_size),
        )
    if (doc := message.document) is not None:
        return (
            FileRef(
                doc.file_id,
                doc.file_unique_id,
                "document",
                doc.file_name,
                doc.mime_type,
                doc.file_size,
            ),
        )
    return ()


def from_message(message: Message, bot_id: int) -> Incoming:
    reply = message.reply_to_message
    to_bot = reply is not None and reply.from_user is not None and reply.from_user.id == bot_id
    anonymous = message.sender_chat is not None
    sender = None if anonymous else message.from_user  # else a stand-in bot, not the writer
    return Incoming(
        PLATFORM,
        str(message.chat.id),
        str(sender.id) if sender else "",
        message.text or message.caption or "",
        message_id=str(message.message_id),
        is_group=is_group(message.chat),
        user_name=display_name(sender),
        reply_to=str(reply.message_id) if to_bot and reply is not None else None,
        files=files_of(message),
        can_attach=True,
        anonymous=anonymous,
    )


def from_press(query: CallbackQuery) -> Incoming | None:
    message = query.message
    if message is None:  # a button on an inline message or one too old to read
        return None
    return Incoming(
        PLATFORM,
        str(message.chat.id),
        str(query.from_user.id),
        "",
        is_group=is_group(message.chat),
        user_name=display_name(query.from_user),
        button=query.data or "",
        can_attach=True,
    )


def pressed_label(query: CallbackQuery) -> str | None:
    """The label of the button that was pressed, read back from the message's keyboard."""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None
