"""A fake Telegram Bot API server for end-to-end tests.

``FakeTelegram`` is a stdlib HTTP server on 127.0.0.1 (random port, daemon thread) that speaks
enough of the Bot API for python-telegram-bot (PTB) to run against it unmodified, in-process or in
a subprocess: point ``base_url``/``base_file_url`` at it and use ``fake.token``. Tests build
inbound updates (``user_message``, ``anonymous_message``, ``press``, ``redeliver``), inspect
what the bot did (``calls``, ``messages``) and inject faults (``fail_next``, ``block_chat``).

The blocking ``wait_for*`` helpers are for tests whose bot runs elsewhere (a subprocess). Inside an
``async`` test whose bot shares the event loop, use the ``*_async`` twins, which wait in a worker
thread so the bot keeps running.

Simplifications: ``parse_mode`` is recorded but not applied (stored text keeps its markup and no
entities are returned); only inline keyboards are echoed back, as Telegram does.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

JSON = dict[str, Any]
ChatId = int | str
DEFAULT_TOKEN = "123456:TEST-token"
# How long the wait_for* helpers wait by default. They return as soon as what they wait for
# has happened, so this only bounds a failing test; it is generous because CI runs on a
# shared, noisy 2-vCPU machine where a reply that takes 0.5 s alone can take many seconds.
WAIT_SECONDS = 60.0
# Parameters that are always strings: never JSON-decode them ("42" must stay text, not an int).
STRING_PARAMS = frozenset(
    {"text", "caption", "data", "callback_query_id", "url", "secret_token", "parse_mode", "title"}
    | {"description", "short_description", "name", "file_id", "language_code", "action"}
)
GIFT_TYPES = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
# fields PTB requires in getChat's ChatFullInfo on top of the plain Chat
CHAT_FULL_INFO: JSON = {"accent_color_id": 0, "max_reaction_count": 11}
CHAT_FULL_INFO["accepted_gift_types"] = dict.fromkeys((*GIFT_TYPES, "gifts_from_channels"), False)
CHAT_METHOD_PREFIXES = ("send", "copy", "forward", "edit")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
# the stand-in senders Telegram puts in ``from`` of a message sent on behalf of a chat
GROUP_ANONYMOUS_BOT: JSON = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
CHANNEL_BOT: JSON = {
    "id": 136817688,
    "is_bot": True,
    "first_name": "Channel",
    "username": "Channel_Bot",
}
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
}


class ApiError(Exception):
    """A Bot API error response; raised inside method handlers."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, as it appears in the recorded call params."""

    filename: str | None
    content_type: str
    content: bytes


@dataclass
class StoredFile:
    """A file the fake can serve: registered by ``add_file`` or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    mime: str
    content: bytes


@dataclass
class _Fault:
    error: ApiError
    times: int


# ---------------------------------------------------------------- request parsing


def decode_param(name: str, value: str) -> Any:
    """PTB JSON-encodes non-string values into form fields; undo that where it parses."""
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def parse_params(content_type: str, body: bytes) -> JSON:
    """Parse a urlencoded, multipart or JSON request body into a parameter dict."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        return json.loads(body or b"{}")
    if kind == "multipart/form-data":
        return _parse_multipart(content_type, body)
    pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    return {name: decode_param(name, value) for name, value in pairs}


def _parse_multipart(content_type: str, body: bytes) -> JSON:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    params: JSON = {}
    for part in message.iter_parts():
        name = _utf8(part.get_param("name", header="content-disposition") or "")
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            params[name] = decode_param(name, content.decode("utf-8"))
        else:
            params[name] = UploadedFile(_utf8(filename), part.get_content_type(), content)
    return params


def _utf8(header_value: str) -> str:
    """httpx writes raw UTF-8 into part headers; the email parser hands it back surrogate-escaped."""
    return str(header_value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects
    # headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK stall every response by ~40 ms
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake = self.server.fake
        if url.path.startswith("/file/bot"):
            token, _, file_path = url.path.removeprefix("/file/bot").partition("/")
            content = fake.serve_file(unquote(token), unquote(file_path))
            if content is None:
                return self._reply(404, b"Not Found", "text/plain")
            return self._reply(200, content, "application/octet-stream")
        if not url.path.startswith("/bot"):
            return self._reply(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
        token, _, method = url.path.removeprefix("/bot").partition("/")
        params = {k: decode_param(k, v) for k, v in parse_qsl(url.query)}
        params.update(parse_params(self.headers.get("Content-Type", ""), body))
        status, payload = fake.handle_api(unquote(token), method, params)
        self._reply(status, json.dumps(payload, ensure_ascii=False).encode())

    def _reply(self, status: int, data: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeTelegram

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A bot that stops while its long poll is open hangs up on us: not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


# ---------------------------------------------------------------- the fake


class FakeTelegram:
    """A fake Bot API server with a test-facing API; see the module docstring."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, bot_username: str = "ZhibuTestBot") -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.bot_username = bot_username
        self.bot_user: JSON = {"id": self.bot_id, "is_bot": True, "first_name": "Zhibu Test"}
        self.bot_user["username"] = bot_username
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[tuple[str, JSON]] = []
        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._store: dict[tuple[ChatId, int], JSON] = {}  # every message, user- or bot-sent
        self._bot_sent: dict[ChatId, list[int]] = {}
        self._last_mid: dict[ChatId, int] = {}
        self._chats: dict[ChatId, JSON] = {}
        self._files: dict[str, StoredFile] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._blocked: set[ChatId] = set()
        self._callback_answers: list[JSON] = []
        self._callback_seq = 0
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: JSON = {}
        self._closing = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods = {
            n[5:].lower(): getattr(self, n) for n in dir(self) if n.startswith("_api_")
        }

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FakeTelegram:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-telegram", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeTelegram is not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------ HTTP entry points

    def handle_api(self, token: str, method: str, params: JSON) -> tuple[int, JSON]:
        """Run one Bot API call; returns (HTTP status, JSON body)."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        name = method.lower()
        with self._cond:
            self._calls.append((method, params))
            self._cond.notify_all()
            try:
                self._check_faults(name, params)
                result = self._methods.get(name, self._fallback)(params)
            except ApiError as err:
                return err.code, err.payload()
            finally:
                self._cond.notify_all()
        return 200, {"ok": True, "result": result}

    def serve_file(self, token: str, file_path: str) -> bytes | None:
        with self._cond:
            found = [f for f in self._files.values() if f.file_path == file_path]
        return found[0].content if token == self.token and found else None

    def _check_faults(self, name: str, params: JSON) -> None:
        queue = self._faults.get(name)
        if queue:
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            raise fault.error
        if name.startswith(CHAT_METHOD_PREFIXES) and params.get("chat_id") in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    # ------------------------------------------------------------ Bot API methods

    def _fallback(self, params: JSON) -> bool:
        """Any other method (close, logOut, setChatMenuButton, ...) is recorded and succeeds."""
        return True

    def _api_getMe(self, p: JSON) -> JSON:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False}

    def _api_getUpdates(self, p: JSON) -> list[JSON]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset, limit = int(p.get("offset") or 0), int(p.get("limit") or 100)
        allowed = p.get("allowed_updates") or []
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(p.get("timeout") or 0), 60.0)
        while True:
            ready = [u for u in self._updates if not allowed or set(u) & set(allowed)][:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                return copy.deepcopy(ready)
            self._cond.wait(remaining)

    def _api_setWebhook(self, p: JSON) -> bool:
        self.webhook = {"url": p.get("url", ""), "secret_token": p.get("secret_token"), **p}
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_deleteWebhook(self, p: JSON) -> bool:
        self.webhook = {}
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_getWebhookInfo(self, p: JSON) -> JSON:
        url = self.webhook.get("url", "")
        pending = len(self._updates) if url else 0
        return {"url": url, "has_custom_certificate": False, "pending_update_count": pending}

    def _api_sendMessage(self, p: JSON) -> JSON:
        text = p.get("text")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(str(text)) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._send(p, {"text": str(text)})

    def _api_sendPhoto(self, p: JSON) -> JSON:
        stored = self._file_param(p.get("photo"), "photo.jpg", "image/jpeg")
        return self._send(p, {"photo": [_photo_size(stored)], **_caption(p)})

    def _api_sendDocument(self, p: JSON) -> JSON:
        stored = self._file_param(p.get("document"), "document", "application/octet-stream")
        return self._send(p, {"document": _document(stored), **_caption(p)})

    def _api_editMessageText(self, p: JSON) -> JSON | bool:
        if p.get("inline_message_id"):
            return True
        msg = self._stored_for_edit(p)
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = self._inline_markup(p)
        if msg["text"] == p.get("text") and msg.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        msg["text"] = str(p.get("text"))
        return self._finish_edit(msg, markup)

    def _api_editMessageReplyMarkup(self, p: JSON) -> JSON | bool:
        if p.get("inline_message_id"):
            return True
        msg = self._stored_for_edit(p)
        markup = self._inline_markup(p)
        if msg.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        return self._finish_edit(msg, markup)

    def _api_deleteMessage(self, p: JSON) -> bool:
        key = (p.get("chat_id"), int(p.get("message_id") or 0))
        if self._store.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        if key[1] in self._bot_sent.get(key[0], []):
            self._bot_sent[key[0]].remove(key[1])
        return True

    def _api_answerCallbackQuery(self, p: JSON) -> bool:
        self._callback_answers.append(p)
        return True

    def _api_sendChatAction(self, p: JSON) -> bool:
        self._chat(p.get("chat_id"))
        return True

    def _api_getFile(self, p: JSON) -> JSON:
        stored = self._files.get(str(p.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    def _api_setMyCommands(self, p: JSON) -> bool:
        self.commands[_commands_key(p)] = list(p.get("commands") or [])
        return True

    def _api_getMyCommands(self, p: JSON) -> list[JSON]:
        return self.commands.get(_commands_key(p), [])

    def _api_deleteMyCommands(self, p: JSON) -> bool:
        self.commands.pop(_commands_key(p), None)
        return True

    def _api_getChat(self, p: JSON) -> JSON:
        return {**self._chat(p.get("chat_id")), **CHAT_FULL_INFO}

    # ------------------------------------------------------------ message helpers

    def _chat(self, chat_id: Any) -> JSON:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id > 0:
            chat: JSON = {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        else:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            chat = {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}
        self._chats[chat_id] = chat
        return chat

    def _new_message_id(self, chat_id: ChatId, wanted: int | None = None) -> int:
        mid = wanted if wanted is not None else self._last_mid.get(chat_id, 0) + 1
        self._last_mid[chat_id] = max(mid, self._last_mid.get(chat_id, 0))
        return mid

    def _send(self, p: JSON, content: JSON) -> JSON:
        chat, markup = self._chat(p.get("chat_id")), self._inline_markup(p)  # validate first
        msg: JSON = {"message_id": self._new_message_id(chat["id"]), "date": int(time.time())}
        msg.update(chat=copy.deepcopy(chat), **{"from": dict(self.bot_user)}, **content)
        reply_to = self._reply_target(chat["id"], p)
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        if markup is not None:
            msg["reply_markup"] = markup
        self._store[(chat["id"], msg["message_id"])] = msg
        self._bot_sent.setdefault(chat["id"], []).append(msg["message_id"])
        return copy.deepcopy(msg)

    def _reply_target(self, chat_id: ChatId, p: JSON) -> JSON | None:
        params = p.get("reply_parameters")
        mid = params.get("message_id") if isinstance(params, dict) else p.get("reply_to_message_id")
        target = self._store.get((chat_id, mid)) if isinstance(mid, int) else None
        if target is None:
            return None
        return {k: copy.deepcopy(v) for k, v in target.items() if k != "reply_to_message"}

    def _inline_markup(self, p: JSON) -> JSON | None:
        markup = p.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _stored_for_edit(self, p: JSON) -> JSON:
        msg = self._store.get((p.get("chat_id"), int(p.get("message_id") or 0)))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return msg

    def _finish_edit(self, msg: JSON, markup: JSON | None) -> JSON:
        if markup is None:
            msg.pop("reply_markup", None)
        else:
            msg["reply_markup"] = markup
        msg["edit_date"] = int(time.time())
        return copy.deepcopy(msg)

    # ------------------------------------------------------------ files

    def add_file(
        self, content: bytes, file_name: str = "photo.jpg", mime: str = "image/jpeg"
    ) -> str:
        """Register a downloadable file; returns its file_id."""
        with self._cond:
            n = len(self._files) + 1
            folder = "photos" if mime.startswith("image/") else "documents"
            suffix = PurePosixPath(file_name).suffix if file_name.isascii() else ""
            stored = StoredFile(
                f"FILE{n:04d}", f"U{n:04d}", f"{folder}/file_{n}{suffix}", file_name, mime, content
            )
            self._files[stored.file_id] = stored
            return stored.file_id

    def file(self, file_id: str) -> StoredFile:
        """The stored file (registered or uploaded by the bot) with this file_id."""
        with self._cond:
            return self._files[file_id]

    def _file_param(self, value: Any, default_name: str, default_mime: str) -> StoredFile:
        if isinstance(value, UploadedFile):
            mime = value.content_type or default_mime
            return self._files[self.add_file(value.content, value.filename or default_name, mime)]
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = PurePosixPath(urlsplit(value).path).name or default_name
            return self._files[self.add_file(b"", name, default_mime)]
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------ inbound updates

    def push_raw(self, update: JSON) -> JSON:
        """Queue an update as given (assigning an update_id if it has none) and wake pollers."""
        with self._cond:
            update = copy.deepcopy(update)
            update.setdefault("update_id", self._next_update_id)
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
            self._updates.append(update)
            self._cond.notify_all()
            return copy.deepcopy(update)

    def redeliver(self, update: JSON) -> JSON:
        """Queue the same content again under a new update_id, as Telegram does after a crash."""
        return self.push_raw({k: v for k, v in update.items() if k != "update_id"})

    def user_message(
        self,
        text: str | None = None,
        *,
        user_id: int,
        chat_id: int | None = None,
        chat_type: str = "private",
        chat_title: str = "测试支部群",
        first_name: str = "张三",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        reply_to_message_id: int | None = None,
        photo_file_id: str | None = None,
        document_file_id: str | None = None,
        caption: str | None = None,
        message_id: int | None = None,
        is_bot: bool = False,
    ) -> JSON:
        """Queue a message from a user (another bot, with ``is_bot``); returns the update."""
        user = _user(user_id, first_name, last_name, username, language_code, is_bot)
        with self._cond:
            chat = self._register_chat(chat_id, chat_type, chat_title, user)
            msg = self._message(chat, user, text, caption, message_id, reply_to_message_id)
            if photo_file_id is not None:
                msg["photo"] = [_photo_size(self._files[photo_file_id])]
            if document_file_id is not None:
                msg["document"] = _document(self._files[document_file_id])
            return self._queue(msg)

    def anonymous_message(
        self,
        text: str | None = None,
        *,
        chat_id: int,
        channel: JSON | None = None,
        chat_type: str = "supergroup",
        chat_title: str = "测试支部群",
        reply_to_message_id: int | None = None,
        photo_file_id: str | None = None,
        caption: str | None = None,
    ) -> JSON:
        """Queue what a group admin posts with "Remain anonymous" on: Telegram names the group
        as ``sender_chat`` and GroupAnonymousBot as ``from``. With ``channel`` (a chat dict), a
        post on behalf of that channel instead, from Channel_Bot. Returns the update."""
        with self._cond:
            chat = self._register_chat(chat_id, chat_type, chat_title, {})
            stand_in = CHANNEL_BOT if channel else GROUP_ANONYMOUS_BOT
            msg = self._message(chat, stand_in, text, caption, None, reply_to_message_id)
            msg["sender_chat"] = copy.deepcopy(channel or chat)
            if photo_file_id is not None:
                msg["photo"] = [_photo_size(self._files[photo_file_id])]
            return self._queue(msg)

    def _message(
        self,
        chat: JSON,
        sender: JSON,
        text: str | None,
        caption: str | None,
        message_id: int | None,
        reply_to_message_id: int | None,
    ) -> JSON:
        msg: JSON = {"message_id": self._new_message_id(chat["id"], message_id)}
        msg.update(date=int(time.time()), chat=copy.deepcopy(chat), **{"from": dict(sender)})
        msg.update(_message_content(text, caption))
        reply_to = self._reply_target(chat["id"], {"reply_to_message_id": reply_to_message_id})
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        return msg

    def _queue(self, msg: JSON) -> JSON:
        self._store[(msg["chat"]["id"], msg["message_id"])] = msg
        return self.push_raw({"message": msg})

    def press(
        self,
        message_id: int,
        data: str,
        *,
        user_id: int,
        chat_id: int,
        first_name: str = "张三",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> JSON:
        """Queue a callback_query for a button on a stored message; returns the update."""
        with self._cond:
            msg = self._store.get((chat_id, message_id))
            if msg is None:
                raise KeyError(f"no stored message {message_id} in chat {chat_id}")
            self._callback_seq += 1
            query = {
                "id": f"cq{self._callback_seq}",
                "from": _user(user_id, first_name, last_name, username, language_code),
                "message": copy.deepcopy(msg),
                "chat_instance": f"ci{chat_id}",
                "data": data,
            }
            return self.push_raw({"callback_query": query})

    def _register_chat(self, chat_id: int | None, chat_type: str, title: str, user: JSON) -> JSON:
        if chat_type == "private":
            fields = ("first_name", "last_name", "username")
            chat = {"id": chat_id or user["id"], "type": "private"}
            chat.update({k: user[k] for k in fields if k in user})
        elif chat_id is None:
            raise ValueError(f"a {chat_type} chat needs an explicit (negative) chat_id")
        else:
            chat = {"id": chat_id, "type": chat_type, "title": title}
        self._chats[chat["id"]] = chat
        return chat

    # ------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[tuple[str, JSON]]:
        with self._cond:
            return list(self._calls)

    def calls_of(self, method: str) -> list[JSON]:
        """Params of every call to ``method`` (case-insensitive), failed attempts included."""
        with self._cond:
            return [p for m, p in self._calls if m.lower() == method.lower()]

    def messages(self, chat_id: ChatId) -> list[JSON]:
        """Bot-sent messages still present in the chat, in order, with edits applied."""
        with self._cond:
            ids = self._bot_sent.get(chat_id, [])
            return [copy.deepcopy(self._store[(chat_id, mid)]) for mid in ids]

    def sent_count(self, chat_id: ChatId) -> int:
        """How many bot messages the chat holds: cheap enough for a benchmark's wait."""
        with self._cond:
            return len(self._bot_sent.get(chat_id, []))

    async def wait_for_count_async(
        self, chat_id: ChatId, n: int, timeout: float = WAIT_SECONDS
    ) -> None:
        what = f"{n} messages in {chat_id}"
        await asyncio.to_thread(self._wait, lambda f: f.sent_count(chat_id) >= n, timeout, what)

    def last_message(self, chat_id: ChatId) -> JSON | None:
        found = self.messages(chat_id)
        return found[-1] if found else None

    @property
    def callback_answers(self) -> list[JSON]:
        with self._cond:
            return list(self._callback_answers)

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._cond:
            return copy.deepcopy(self._updates)

    def dump_calls(self, last: int = 20) -> str:
        """The last calls (getUpdates left out) as readable lines, for failure messages."""
        calls = [(m, p) for m, p in self.calls if m.lower() != "getupdates"][-last:]
        lines = [
            f"  {m}({json.dumps(p, ensure_ascii=False, default=repr)[:300]})" for m, p in calls
        ]
        return "\n".join(lines) or "  (no calls)"

    # ------------------------------------------------------------ waiting

    def wait_for(
        self,
        predicate: Callable[[FakeTelegram], object],
        timeout: float = WAIT_SECONDS,
        what: str = "",
    ) -> None:
        """Block until ``predicate(fake)`` is truthy, else raise AssertionError with a call dump."""
        _refuse_in_event_loop("wait_for")
        self._wait(predicate, timeout, what)

    def wait_for_messages(
        self, chat_id: ChatId, n: int, timeout: float = WAIT_SECONDS
    ) -> list[JSON]:
        _refuse_in_event_loop("wait_for_messages")
        return self._wait_messages(chat_id, n, timeout)

    def wait_for_call(self, method: str, n: int = 1, timeout: float = WAIT_SECONDS) -> list[JSON]:
        _refuse_in_event_loop("wait_for_call")
        return self._wait_call(method, n, timeout)

    async def wait_for_async(
        self,
        predicate: Callable[[FakeTelegram], object],
        timeout: float = WAIT_SECONDS,
        what: str = "",
    ) -> None:
        await asyncio.to_thread(self._wait, predicate, timeout, what)

    async def wait_for_messages_async(
        self, chat_id: ChatId, n: int, timeout: float = WAIT_SECONDS
    ) -> list[JSON]:
        return await asyncio.to_thread(self._wait_messages, chat_id, n, timeout)

    async def wait_for_call_async(
        self, method: str, n: int = 1, timeout: float = WAIT_SECONDS
    ) -> list[JSON]:
        return await asyncio.to_thread(self._wait_call, method, n, timeout)

    def _wait(self, predicate: Callable[[FakeTelegram], object], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    label = what or getattr(predicate, "__name__", "predicate")
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {label}; last calls:\n"
                        + self.dump_calls()
                    )
                self._cond.wait(remaining)

    def _wait_messages(self, chat_id: ChatId, n: int, timeout: float) -> list[JSON]:
        self._wait(lambda f: len(f.messages(chat_id)) >= n, timeout, f"{n} messages in {chat_id}")
        return self.messages(chat_id)

    def _wait_call(self, method: str, n: int, timeout: float) -> list[JSON]:
        self._wait(lambda f: len(f.calls_of(method)) >= n, timeout, f"{n} x {method}")
        return self.calls_of(method)

    # ------------------------------------------------------------ faults and webhooks

    def fail_next(
        self,
        method: str,
        error_code: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with this Bot API error."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        text = description or DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
        error = ApiError(error_code, text.format(retry_after=retry_after), retry_after)
        with self._cond:
            self._faults.setdefault(method.lower(), []).append(_Fault(error, times))

    def block_chat(self, chat_id: ChatId) -> None:
        """From now on, sending to this chat fails with 403 "bot was blocked by the user"."""
        with self._cond:
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: ChatId) -> None:
        with self._cond:
            self._blocked.discard(chat_id)

    def post_to_webhook(self, update: JSON) -> int:
        """POST an update to the webhook registered by setWebhook; returns the HTTP status."""
        _refuse_in_event_loop("post_to_webhook")
        return self._post_to_webhook(update)

    async def post_to_webhook_async(self, update: JSON) -> int:
        return await asyncio.to_thread(self._post_to_webhook, update)

    def _post_to_webhook(self, update: JSON) -> int:
        url, secret = self.webhook.get("url"), self.webhook.get("secret_token")
        assert url, "no webhook registered (setWebhook was not called)"
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = json.dumps(update, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return err.code


# ---------------------------------------------------------------- small builders


def _user(
    user_id: int,
    first: str,
    last: str | None,
    username: str | None,
    lang: str | None,
    is_bot: bool = False,
) -> JSON:
    user = {"id": user_id, "is_bot": is_bot, "first_name": first, "last_name": last}
    user.update(username=username, language_code=lang)
    return {k: v for k, v in user.items() if v is not None}


def _message_content(text: str | None, caption: str | None) -> JSON:
    content: JSON = {}
    if text is not None:
        content["text"] = text
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2  # offsets count UTF-16 code units
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    if caption is not None:
        content["caption"] = caption
    return content


def _caption(p: JSON) -> JSON:
    return {"caption": str(p["caption"])} if p.get("caption") else {}


def _photo_size(stored: StoredFile) -> JSON:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": 800,
        "height": 600,
        "file_size": len(stored.content),
    }


def _document(stored: StoredFile) -> JSON:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.file_name,
        "mime_type": stored.mime,
        "file_size": len(stored.content),
    }


def _commands_key(p: JSON) -> tuple[str, str]:
    scope = p.get("scope")
    kind = scope.get("type", "default") if isinstance(scope, dict) else "default"
    return kind, str(p.get("language_code") or "")


def _refuse_in_event_loop(name: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        f"FakeTelegram.{name} blocks; inside a running event loop it would freeze an in-process "
        f"bot. Use `await fake.{name}_async(...)` instead."
    )


# ---------------------------------------------------------------- ports


def free_port() -> int:
    """A port free now and outside the kernel's ephemeral range, for a webhook server that
    binds it later (``zhibu run`` only after a startup of seconds, more on a busy machine):
    a port the kernel handed out with bind(0) could meanwhile be handed out again as the
    local end of some outgoing connection (PostgreSQL, HTTP), and the bind would fail."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768  # Linux's default
    candidates = list(range(max(1024, low - 12000), low))
    random.shuffle(candidates)
    for port in candidates[:200]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")


# ---------------------------------------------------------------- PTB helpers


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def builder_for(fake: FakeTelegram) -> ApplicationBuilder:
    """A PTB application builder pointed at the fake server."""
    return (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
    )


def build_echo_app(fake: FakeTelegram) -> Application:
    """The bare floor bot: replies to every text message with the same text."""
    app = builder_for(fake).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    return app


@asynccontextmanager
async def run_polling(app: Application, timeout: int = 1) -> AsyncIterator[Application]:
    """Initialize, start and poll ``app`` for the duration of the block; stop it cleanly after."""
    assert app.updater is not None, "the Application was built without an Updater"
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=timeout)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
