"""The command menu Telegram shows next to the text box: Chinese by default, English for users
whose app is in English, one list for private chats and one for groups."""

from __future__ import annotations

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.commands import COMMANDS, Command

LANGUAGES = (("", "zh"), ("en", "en"))  # (language_code for Telegram, our description)


def menu(where: str, language: str) -> list[BotCommand]:
    """The commands of one chat kind ("private"/"group") with descriptions in ``language``."""
    return [
        BotCommand(c.name, _description(c, language))
        for c in COMMANDS
        if c.audience != "hidden" and c.where in ("any", where)
    ]


def _description(c: Command, language: str) -> str:
    text = c.en if language == "en" else c.zh
    return text[:256]  # Telegram's limit


async def set_menus(bot: Bot) -> None:
    scopes: tuple[tuple[str, BotCommandScope], ...] = (
        ("private", BotCommandScopeAllPrivateChats()),
        ("group", BotCommandScopeAllGroupChats()),
    )
    for where, scope in scopes:
        for code, language in LANGUAGES:
            await bot.set_my_commands(
                menu(where, language), scope=scope, language_code=code or None
            )
