"""A stand-in Telegram: chats, topics, messages, updates, rate limits and a log of every call.

``FakeTelegram`` holds everything the Bot API would know and answers methods with
Telegram's JSON shapes and error texts; ``server.BotApiServer`` puts it behind
real HTTP.  All state sits behind one re-entrant lock because the HTTP server
runs in its own thread while tests (sync or async) and the demo terminal read
and feed it from theirs.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal, TypeVar

from .markup import EntityParseError, parse_html, utf16_len
from .render import render_transcript

__all__ = [
    "DEFAULT_TOKEN",
    "RATE_LIMITED_METHODS",
    "TOPIC_ICON_COLORS",
    "ApiError",
    "Call",
    "ChatType",
    "FakeTelegram",
    "decode_params",
]

_LOG = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST-token-not-real"
ChatType = Literal["private", "group", "supergroup"]
BotStatus = Literal["administrator", "member", "left", "kicked"]
#: The only colours Telegram accepts for a topic icon (``telegram.constants.ForumIconColor``).
TOPIC_ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
MAX_TEXT = 4096
MAX_CALLS_KEPT = 100_000
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
#: Methods that put something into a chat: they spend the per-group and overall budgets.
RATE_LIMITED_METHODS = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "createForumTopic",
        "editForumTopic",
        "closeForumTopic",
        "reopenForumTopic",
        "deleteForumTopic",
    }
)
_INT_PARAMS = frozenset(
    {
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "timeout",
        "icon_color",
        "user_id",
        "cache_time",
        "max_connections",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "only_if_banned",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
    }
)
_STR_PARAMS = frozenset(
    {
        "text",
        "caption",
        "name",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "action",
        "language_code",
        "icon_custom_emoji_id",
        "secret_token",
        "description",
        "short_description",
        "data",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True)
class Call:
    """One request the bot made and how it was answered: what tests assert on."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    description: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        """True when the call was answered 200."""
        return self.status == HTTPStatus.OK


class ApiError(Exception):
    """An error answer, with the real HTTP status python-telegram-bot maps to an exception."""

    def __init__(self, status: int, description: str, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends with this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return body


def _bad(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def _too_many(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def default_description(status: int, retry_after: int | None = None) -> str:
    """Telegram's text for an injected failure with no description of its own."""
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if status == 409:
        return _CONFLICT_POLL
    known = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    if status in known:
        return known[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def decode_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Turn form values (all strings) into the types Telegram reads them as.

    python-telegram-bot posts every non-string value JSON-encoded, so ``"5"`` is an
    int parameter and ``reply_markup`` is a JSON object; JSON bodies arrive typed.
    """
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if not isinstance(value, str):
            out[name] = value
        elif name == "chat_id":
            out[name] = int(value) if re.fullmatch(r"-?\d+", value.strip()) else value
        elif name in _INT_PARAMS:
            try:
                out[name] = int(value)
            except ValueError:
                raise _bad(f"invalid {name} specified") from None
        elif name in _BOOL_PARAMS:
            out[name] = value.strip().lower() in ("true", "1")
        elif name in _JSON_PARAMS or (name not in _STR_PARAMS and value[:1] in ("{", "[")):
            try:
                out[name] = json.loads(value)
            except ValueError:
                if name in _JSON_PARAMS:
                    raise _bad(f"can't parse {name} JSON object") from None
                out[name] = value
        else:
            out[name] = value
    return out


@dataclass
class _User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass
class _Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False
    created_by_bot: bool = False


@dataclass
class _Msg:
    message_id: int
    from_id: int
    date: int
    text: str | None = None
    raw_text: str | None = None
    parse_mode: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    thread_id: int | None = None
    is_topic_message: bool = False
    reply_to: int | None = None
    explicit_reply: bool = False
    reply_markup: dict[str, Any] | None = None
    content: dict[str, Any] = field(default_factory=dict)
    edit_date: int | None = None
    deleted: bool = False
    by_bot: bool = False
    service: bool = False
    seq: int = 0  # global order of creation, across chats


@dataclass
class _Chat:
    id: int
    type: ChatType
    title: str | None
    username: str | None = None
    is_forum: bool = False
    bot_status: BotStatus = "administrator"
    can_manage_topics: bool = True
    can_delete_messages: bool = True
    members: dict[int, str] = field(default_factory=dict)
    messages: dict[int, _Msg] = field(default_factory=dict)
    topics: dict[int, _Topic] = field(default_factory=dict)
    next_message_id: int = 1


@dataclass
class _Fault:
    method: str | None
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _Delay:
    method: str | None
    seconds: float
    remaining: int


class FakeTelegram:
    """Everything a Bot API server knows about one bot, answering like Telegram does.

    Thread-safe; the HTTP layer (``BotApiServer``) calls ``dispatch`` from its own
    thread, tests call the helpers (``add_chat``, ``push_message``, ``calls`` ...) from theirs.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "smsbot_test_bot",
        bot_first_name: str = "smsbot",
        privacy_mode: bool = True,
        group_limit: tuple[int, float] | None = (20, 60.0),
        overall_limit: tuple[int, float] | None = (30, 1.0),
        strict_ampersand: bool = True,
    ) -> None:
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._generation = 0
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.privacy_mode = privacy_mode
        #: (messages, seconds) into one group or supergroup; None turns the limit off.
        self.group_limit = group_limit
        #: (messages, seconds) over all chats; None turns the limit off.
        self.overall_limit = overall_limit
        #: Refuse an ``&`` that starts no entity (Telegram keeps it; see markup.py).
        self.strict_ampersand = strict_ampersand
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._message_seq = itertools.count(1)
        self._subscribers: list[Callable[[Call], None]] = []
        self._update_wakers: set[Callable[[], None]] = set()
        self._defaults = (privacy_mode, group_limit, overall_limit, strict_ampersand)
        self._clear()
        self._poll_seq = 0
        self._closing = False

    def reset(self) -> None:
        """Forget chats, users, messages, updates, calls, faults and settings (not the token).

        update_id keeps counting up, so a bot still polling with an old offset sees new
        updates: a session-wide server can be reset between tests.
        """
        with self._lock:
            self._clear()
            self._changed()

    def _clear(self) -> None:
        self.privacy_mode, self.group_limit, self.overall_limit, self.strict_ampersand = (
            self._defaults
        )
        self._users: dict[int, _User] = {}
        self._chats: dict[int, _Chat] = {}
        self._updates: list[dict[str, Any]] = []
        self._allowed_updates: list[str] = []
        self._webhook_url = ""
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._calls: list[Call] = []
        self._count_429 = 0
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._group_sent: dict[int, deque[float]] = {}
        self._overall_sent: deque[float] = deque()
        self._migrated: dict[int, int] = {}

    # ------------------------------------------------------------------ identity

    @property
    def token(self) -> str:
        """The only token this server accepts; others get 401."""
        return self._token

    @token.setter
    def token(self, value: str) -> None:
        bot_id, sep, secret = value.partition(":")
        if not (sep and bot_id.isdigit() and secret):
            raise ValueError("a bot token looks like '<digits>:<secret>'")
        self._token = value
        self.bot_id = int(bot_id)

    def bot_user(self) -> dict[str, Any]:
        """The bot's User object, as getMe answers it."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
            "has_topics_enabled": False,
        }

    # ------------------------------------------------------------------ setup helpers

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """Register a person who can write to the bot; returns the User object."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        with self._lock:
            self._users[user_id] = _User(user_id, first_name, last_name, username, language_code)
            self._changed()
            return self._user_json(user_id)

    def add_chat(
        self,
        chat_id: int,
        type: ChatType = "supergroup",
        title: str | None = None,
        *,
        is_forum: bool = False,
        bot_status: BotStatus = "administrator",
        can_manage_topics: bool = True,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Create (or reconfigure) a chat the bot is in; returns the Chat object.

        Group ids are negative and private chat ids are the user's id, as in Telegram:
        python-telegram-bot's rate limiter tells groups apart by the sign.
        """
        if type == "private":
            if chat_id <= 0:
                raise ValueError("a private chat's id is the user's (positive) id")
            if is_forum:
                raise ValueError("a private chat cannot be a forum")
            bot_status = "member" if bot_status == "administrator" else bot_status
        elif type in ("group", "supergroup"):
            if chat_id >= 0:
                raise ValueError("group and supergroup ids are negative (e.g. -1001234567890)")
            if is_forum and type != "supergroup":
                raise ValueError("only a supergroup can be a forum")
        else:
            raise ValueError(f"unsupported chat type {type!r}")
        with self._lock:
            if type == "private" and chat_id not in self._users:
                self._users[chat_id] = _User(chat_id, title or f"User {chat_id}")
            chat = self._chats.get(chat_id)
            if chat is None:
                # In groups message 1 is the creation service message, and in forums
                # thread 1 is the General topic: real ids start later, never 1.
                chat = _Chat(id=chat_id, type=type, title=None)
                chat.next_message_id = 1 if type == "private" else 2
                self._chats[chat_id] = chat
            chat.type = type
            chat.title = None if type == "private" else (title or f"Test {type} {chat_id}")
            chat.username = username
            chat.is_forum = is_forum
            chat.bot_status = bot_status
            chat.can_manage_topics = can_manage_topics
            self._changed()
            return self._chat_json(chat)

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> None:
        """A group upgraded to a supergroup (turning on Topics does it): calls naming the old
        id get 400 with `migrate_to_chat_id`, as Telegram answers."""
        with self._lock:
            self._migrated[int(chat_id)] = int(new_chat_id)
            self._chats.pop(int(chat_id), None)
            self._changed()

    def set_forum(self, chat_id: int, is_forum: bool) -> None:
        """Turn topics on or off in a supergroup (existing topics are kept)."""
        with self._lock:
            chat = self._get_chat(chat_id)
            if is_forum and chat.type != "supergroup":
                raise ValueError("only a supergroup can be a forum")
            chat.is_forum = is_forum
            self._changed()

    def set_bot_rights(
        self, chat_id: int, status: BotStatus, can_manage_topics: bool = True
    ) -> None:
        """Change the bot's membership (e.g. kick it, or take can_manage_topics away)."""
        with self._lock:
            chat = self._get_chat(chat_id)
            chat.bot_status = status
            chat.can_manage_topics = can_manage_topics
            self._changed()

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set a user's status in a chat ("creator", "administrator", "member", "left")."""
        with self._lock:
            chat = self._get_chat(chat_id)
            self._ensure_user(user_id)
            chat.members[user_id] = status
            self._changed()

    def add_topic(
        self,
        chat_id: int,
        name: str,
        *,
        icon_color: int = TOPIC_ICON_COLORS[0],
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """A topic made by a person (``user_id``) or, by default, by the bot; returns ForumTopic."""
        with self._lock:
            chat = self._get_chat(chat_id)
            if not chat.is_forum:
                raise ValueError(f"chat {chat_id} is not a forum")
            author = self.bot_id if user_id is None else self._ensure_user(user_id).id
            topic = self._create_topic(chat, name, icon_color, None, author)
            msg = chat.messages[topic.thread_id]
            if author != self.bot_id and self._bot_sees(chat, msg):
                self._queue("message", self._message_json(chat, msg))
            self._changed()
            return self._topic_json(topic)

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Delete a topic as a person would: no update, later sends into it fail."""
        with self._lock:
            chat = self._get_chat(chat_id)
            topic = chat.topics.get(thread_id)
            if topic is None:
                raise KeyError(f"chat {chat_id} has no topic {thread_id}")
            self._delete_topic(chat, topic)
            self._changed()

    def close_topic(self, chat_id: int, thread_id: int, *, user_id: int | None = None) -> None:
        """Close a topic as a person would; with ``user_id`` its service message
        (``forum_topic_closed``) reaches the bot as an update. Later sends into it fail with
        TOPIC_CLOSED unless the bot may manage topics."""
        with self._lock:
            chat = self._get_chat(chat_id)
            topic = chat.topics.get(thread_id)
            if topic is None:
                raise KeyError(f"chat {chat_id} has no topic {thread_id}")
            topic.closed = True
            if user_id is not None:
                msg = self._new_message(
                    chat, self._ensure_user(user_id).id, service=True, thread_id=thread_id,
                    is_topic_message=True, reply_to=thread_id, content={"forum_topic_closed": {}},
                )
                if self._bot_sees(chat, msg):
                    self._queue("message", self._message_json(chat, msg))
            self._changed()

    # ------------------------------------------------------------------ what people do

    def push_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A person writes ``text``; stored, and queued as an update if the bot may see it.

        A text starting with "/" gets a ``bot_command`` entity for its first word.
        """
        if entities is None and text.startswith("/"):
            first = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(first)}]
        return self._push(
            chat_id,
            user_id,
            text=text,
            entities=tuple(entities or ()),
            content={},
            thread_id=thread_id,
            reply_to=reply_to_message_id,
        )

    def push_sticker(
        self,
        chat_id: int,
        user_id: int,
        *,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        emoji: str = "👍",
    ) -> dict[str, Any]:
        """A person sends a sticker (a message with no text)."""
        sticker = {
            "file_id": f"CAACAgIAAxkBAAE{next(self._callback_ids)}",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._push(
            chat_id,
            user_id,
            content={"sticker": sticker},
            thread_id=thread_id,
            reply_to=reply_to_message_id,
        )

    def push_photo(
        self,
        chat_id: int,
        user_id: int,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A person sends a photo, optionally with a caption (no ``text``)."""
        unique = next(self._callback_ids)
        sizes = [
            {
                "file_id": f"AgACAgIAAxkBAAE{unique}{suffix}",
                "file_unique_id": f"AQAD{unique}{suffix}",
                "width": width,
                "height": width * 3 // 4,
                "file_size": width * 100,
            }
            for suffix, width in (("s", 90), ("m", 320), ("x", 1280))
        ]
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return self._push(
            chat_id, user_id, content=content, thread_id=thread_id, reply_to=reply_to_message_id
        )

    def push_callback(
        self,
        chat_id: int,
        user_id: int,
        message_id: int,
        data: str,
        *,
        check_button: bool = True,
    ) -> str:
        """A person presses an inline button under a bot message; returns the query id.

        With ``check_button`` the data must belong to a button of that message, since
        a Telegram client can only send what the keyboard offers.
        """
        with self._lock:
            chat = self._get_chat(chat_id)
            msg = chat.messages.get(message_id)
            if msg is None or msg.deleted or not msg.by_bot:
                raise KeyError(f"chat {chat_id} has no bot message {message_id}")
            if check_button:
                offered = [
                    button.get("callback_data")
                    for row in (msg.reply_markup or {}).get("inline_keyboard", [])
                    for button in row
                ]
                if data not in offered:
                    raise ValueError(
                        f"message {message_id} has no button with data {data!r}: {offered}"
                    )
            self._ensure_user(user_id)
            query_id = str(next(self._callback_ids))
            query = {
                "id": query_id,
                "from": self._user_json(user_id),
                "message": self._message_json(chat, msg),
                "chat_instance": str(abs(hash((chat_id, self.bot_id)))),
                "data": data,
            }
            self._callbacks[query_id] = {"query": query, "answered": False, "answer": None}
            self._queue("callback_query", query)
            self._changed()
            return query_id

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue any other update (e.g. ``my_chat_member``) verbatim; returns its update_id."""
        with self._lock:
            update_id = self._queue(kind, copy.deepcopy(payload))
            self._changed()
            return update_id

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str | None,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (None: any method) with an error.

        A 429 always carries ``retry_after`` (default 1), as Telegram's do.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or default_description(status, retry_after)
        with self._lock:
            self._faults.append(
                _Fault(_canonical(method) if method else None, status, text, retry_after, count)
            )

    def delay_next(self, method: str | None, seconds: float, count: int = 1) -> None:
        """Hold the next ``count`` answers to ``method`` (None: any) for ``seconds``."""
        with self._lock:
            self._delays.append(_Delay(_canonical(method) if method else None, seconds, count))

    def clear_faults(self) -> None:
        """Forget pending failures and delays."""
        with self._lock:
            self._faults.clear()
            self._delays.clear()

    def set_rate_limits(
        self,
        group: tuple[int, float] | None = (20, 60.0),
        overall: tuple[int, float] | None = (30, 1.0),
    ) -> None:
        """Change (or with None switch off) the limits; forgets what was already spent."""
        with self._lock:
            self.group_limit = group
            self.overall_limit = overall
            self.reset_rate_limits()

    def reset_rate_limits(self) -> None:
        """Forget recent sends, as if a minute had passed."""
        with self._lock:
            self._group_sent.clear()
            self._overall_sent.clear()

    # ------------------------------------------------------------------ queries

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call so far (or those of one method), oldest first."""
        with self._lock:
            if method is None:
                return list(self._calls)
            wanted = _canonical(method)
            return [c for c in self._calls if c.method == wanted]

    def count_429(self) -> int:
        """How many calls were answered 429, rate limits and injected faults alike."""
        with self._lock:
            return self._count_429

    def sent_messages(
        self, chat_id: int | None = None, thread_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Messages the bot sent and that still exist, in order, as they read now.

        Each is Telegram's Message object (``text`` is the plain text) plus
        ``raw_text`` (as sent, e.g. HTML) and ``parse_mode``.
        """
        with self._lock:
            chats = [self._get_chat(chat_id)] if chat_id is not None else list(self._chats.values())
            out = []
            for chat in chats:
                for msg in chat.messages.values():
                    if not msg.by_bot or msg.service or msg.deleted:
                        continue
                    if thread_id is not None and msg.thread_id != thread_id:
                        continue
                    out.append((msg.seq, self._record_json(chat, msg)))
            out.sort(key=lambda item: item[0])
            return [item[1] for item in out]

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """All messages of a chat (people's, the bot's, service messages), oldest first."""
        with self._lock:
            chat = self._get_chat(chat_id)
            return [
                self._record_json(chat, m)
                for m in chat.messages.values()
                if include_deleted or not m.deleted
            ]

    def topics(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat's topics, deleted ones included (with ``deleted: True``)."""
        with self._lock:
            chat = self._get_chat(chat_id)
            return [
                {**self._topic_json(t), "closed": t.closed, "deleted": t.deleted}
                for t in chat.topics.values()
            ]

    def chat(self, chat_id: int) -> dict[str, Any]:
        """The Chat object of a known chat."""
        with self._lock:
            return self._chat_json(self._get_chat(chat_id))

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by the bot."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The bot's answerCallbackQuery parameters for a query, or None if unanswered."""
        with self._lock:
            entry = self._callbacks.get(query_id)
            return copy.deepcopy(entry["answer"]) if entry else None

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The command list set for a scope (default scope when None)."""
        with self._lock:
            key = (_scope_key(scope), language_code or "")
            return copy.deepcopy(self._commands.get(key, []))

    def render_chat(self, chat_id: int) -> str:
        """A plain-text transcript of a chat: who wrote what, where, and the buttons."""
        with self._lock:
            chat = self._get_chat(chat_id)
            names = {t.thread_id: t.name for t in chat.topics.values()}
            header = self._users[chat.id].first_name if chat.type == "private" else chat.title
            kind = f"{chat.type}, forum" if chat.is_forum else chat.type
            records = [self._record_json(chat, m) for m in chat.messages.values() if not m.deleted]
            return render_transcript(f"{header} ({kind} {chat.id})", records, names, self.bot_id)

    # ------------------------------------------------------------------ waiting

    def subscribe(self, callback: Callable[[Call], None]) -> Callable[[], None]:
        """Call ``callback(call)`` (from the server thread) after every bot call; returns an unsubscribe."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Block until ``predicate()`` is truthy and return it; re-checked on every change."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                generation = self._generation
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(predicate, timeout))
            with self._cond:
                self._cond.wait_for(
                    lambda g=generation: self._generation != g, timeout=min(remaining, 0.5)
                )

    async def await_for(
        self,
        predicate: Callable[[], T],
        timeout: float = 10.0,  # noqa: ASYNC109 - mirrors wait_for on purpose
    ) -> T:
        """Like ``wait_for`` without blocking the event loop (polls every 10 ms)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if loop.time() >= deadline:
                raise TimeoutError(self._timeout_message(predicate, timeout))
            await asyncio.sleep(0.01)

    def describe_calls(self, last: int = 15) -> str:
        """The last calls, one a line, for failure messages."""
        with self._lock:
            calls = self._calls[-last:]
        lines = []
        for c in calls:
            params = {k: v for k, v in c.params.items() if k != "reply_markup"}
            line = f"  {c.method} -> {c.status}"
            if c.description:
                line += f" {c.description}"
            lines.append(f"{line} {json.dumps(params, ensure_ascii=False, default=str)[:200]}")
        return "\n".join(lines) or "  (no calls)"

    def _timeout_message(self, predicate: Callable[[], Any], timeout: float) -> str:
        name = getattr(predicate, "__qualname__", repr(predicate))
        return f"condition {name} not met within {timeout}s; last calls:\n{self.describe_calls()}"

    # ------------------------------------------------------------------ the API

    def dispatch(self, method: str, params: dict[str, Any]) -> Any:
        """Answer one Bot API call (not getUpdates' waiting part); raises ApiError."""
        handler = _HANDLERS.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        with self._lock:
            result = handler(self, params)
            self._changed()
            return result

    def record(
        self,
        method: str,
        params: dict[str, Any],
        status: int,
        description: str | None = None,
        result: Any = None,
    ) -> Call:
        """Log a call as answered and tell waiters and subscribers."""
        call = Call(
            method=_canonical(method),
            params=params,
            status=status,
            at=time.time(),
            description=description,
            result=copy.deepcopy(result),
        )
        with self._lock:
            self._calls.append(call)
            if len(self._calls) > MAX_CALLS_KEPT:
                del self._calls[: len(self._calls) - MAX_CALLS_KEPT]
            if status == 429:
                self._count_429 += 1
            subscribers = list(self._subscribers)
            self._changed()
        for callback in subscribers:
            try:
                callback(call)
            except Exception:
                _LOG.exception("devserver subscriber failed")
        return call

    def take_fault(self, method: str) -> ApiError | None:
        """The injected failure for this call, if one is pending."""
        name = _canonical(method)
        with self._lock:
            for fault in self._faults:
                if fault.method in (None, name):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return ApiError(fault.status, fault.description, fault.retry_after)
        return None

    def take_delay(self, method: str) -> float:
        """Seconds to hold this call's answer (0 when none is pending)."""
        name = _canonical(method)
        with self._lock:
            for delay in self._delays:
                if delay.method in (None, name):
                    delay.remaining -= 1
                    if delay.remaining <= 0:
                        self._delays.remove(delay)
                    return delay.seconds
        return 0.0

    # getUpdates is answered in two halves: the server waits, this part reads the queue.

    def begin_poll(self, waker: Callable[[], None]) -> int:
        """Start a getUpdates: supersedes the previous one (which then answers 409)."""
        with self._lock:
            self._poll_seq += 1
            wakers = list(self._update_wakers)
            self._update_wakers.add(waker)
        for wake in wakers:
            wake()
        return self._poll_seq

    def end_poll(self, waker: Callable[[], None]) -> None:
        """Stop waking a finished getUpdates."""
        with self._lock:
            self._update_wakers.discard(waker)

    def poll_superseded(self, seq: int) -> bool:
        """True when a newer getUpdates started after the one numbered ``seq``."""
        with self._lock:
            return seq != self._poll_seq

    def waiting_polls(self) -> int:
        """How many getUpdates are waiting right now (they are logged only when answered)."""
        with self._lock:
            return len(self._update_wakers)

    @property
    def closing(self) -> bool:
        """True while the server shuts down: waiting getUpdates answer at once."""
        return self._closing

    def take_updates(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Confirm updates below ``offset`` and return the next ``limit`` ones."""
        with self._lock:
            if self._webhook_url:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            offset = params.get("offset")
            if isinstance(offset, int) and offset != 0:
                if offset < 0:
                    del self._updates[: max(0, len(self._updates) + offset)]
                else:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
            allowed = params.get("allowed_updates")
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed]
            if self._allowed_updates:
                wanted = set(self._allowed_updates)
                self._updates = [u for u in self._updates if _update_kind(u) in wanted]
            limit = params.get("limit") or 100
            limit = max(1, min(100, int(limit)))
            return copy.deepcopy(self._updates[:limit])

    # ------------------------------------------------------------------ internals

    def _changed(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def _get_chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id}: add_chat() it first")
        return chat

    def _ensure_user(self, user_id: int) -> _User:
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = _User(user_id, f"User {user_id}", language_code="en")
        return user

    def _queue(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        for wake in list(self._update_wakers):
            wake()
        return update_id

    def _wake_pollers(self) -> None:
        with self._lock:
            wakers = list(self._update_wakers)
        for wake in wakers:
            wake()

    def _user_json(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            return {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": self.bot_first_name,
                "username": self.bot_username,
            }
        user = self._ensure_user(user_id)
        out: dict[str, Any] = {"id": user.id, "is_bot": False, "first_name": user.first_name}
        if user.last_name:
            out["last_name"] = user.last_name
        if user.username:
            out["username"] = user.username
        if user.language_code:
            out["language_code"] = user.language_code
        return out

    def _chat_json(self, chat: _Chat) -> dict[str, Any]:
        if chat.type == "private":
            user = self._ensure_user(chat.id)
            out: dict[str, Any] = {"id": chat.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                out["last_name"] = user.last_name
            if user.username:
                out["username"] = user.username
            return out
        out = {"id": chat.id, "type": chat.type, "title": chat.title}
        if chat.username:
            out["username"] = chat.username
        if chat.is_forum:
            out["is_forum"] = True
        return out

    def _topic_json(self, topic: _Topic) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_thread_id": topic.thread_id,
            "name": topic.name,
            "icon_color": topic.icon_color,
        }
        if topic.icon_custom_emoji_id:
            out["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
        return out

    def _message_json(self, chat: _Chat, msg: _Msg, *, nested: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self._user_json(msg.from_id),
            "chat": self._chat_json(chat),
            "date": msg.date,
        }
        if msg.thread_id is not None:
            out["message_thread_id"] = msg.thread_id
        if msg.is_topic_message:
            out["is_topic_message"] = True
        if msg.reply_to is not None and not nested:
            target = chat.messages.get(msg.reply_to)
            if target is not None and not target.deleted:
                out["reply_to_message"] = self._message_json(chat, target, nested=True)
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = [dict(e) for e in msg.entities]
        out.update(copy.deepcopy(msg.content))
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        if msg.reply_markup is not None:
            out["reply_markup"] = copy.deepcopy(msg.reply_markup)
        return out

    def _record_json(self, chat: _Chat, msg: _Msg) -> dict[str, Any]:
        out = self._message_json(chat, msg)
        out["raw_text"] = msg.raw_text
        out["parse_mode"] = msg.parse_mode
        if msg.deleted:
            out["deleted"] = True
        return out

    def _member_json(self, chat: _Chat, user_id: int) -> dict[str, Any]:
        user = self._user_json(user_id)
        if user_id == self.bot_id:
            status = chat.bot_status
            if status == "administrator":
                return {
                    "status": "administrator",
                    "user": user,
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": chat.can_delete_messages,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                    "can_manage_topics": chat.can_manage_topics,
                }
        else:
            status = chat.members.get(user_id, "left")
            if chat.type == "private" and user_id == chat.id:
                status = "member"
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
                "can_manage_topics": True,
            }
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        if status in ("member", "left"):
            return {"status": status, "user": user}
        return {"status": "member", "user": user}

    def _forbidden(self, chat: _Chat) -> ApiError:
        if chat.type == "private":
            return ApiError(403, "Forbidden: bot was blocked by the user")
        kind = f"{chat.type} chat"
        if chat.bot_status == "kicked":
            return ApiError(403, f"Forbidden: bot was kicked from the {kind}")
        return ApiError(403, f"Forbidden: bot is not a member of the {kind}")

    def _resolve_chat(self, params: Mapping[str, Any], *, member: bool = True) -> _Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat: _Chat | None
        if isinstance(raw, str):
            name = raw.removeprefix("@").lower()
            chat = next(
                (c for c in self._chats.values() if (c.username or "").lower() == name), None
            )
        else:
            chat = self._chats.get(int(raw))
        if chat is None:
            if not isinstance(raw, str) and int(raw) in self._migrated:
                raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                               migrate_to_chat_id=self._migrated[int(raw)])
            if isinstance(raw, int) and raw in self._users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise _bad("chat not found")
        if member and chat.bot_status in ("left", "kicked"):
            raise self._forbidden(chat)
        return chat

    def _message_id(self, params: Mapping[str, Any]) -> int:
        if params.get("inline_message_id"):
            raise _bad("inline messages are not supported by this test double")
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad("message identifier is not specified")
        return message_id

    def _parse_text(
        self, text: Any, parse_mode: Any, entities: Any
    ) -> tuple[str, tuple[dict[str, Any], ...], str | None]:
        """Validate a text as Telegram does; return plain text, entities, parse mode."""
        if not isinstance(text, str) or text == "":
            raise _bad("message text is empty")
        mode = parse_mode if isinstance(parse_mode, str) and parse_mode else None
        if mode is not None and mode.lower() not in ("html", "markdown", "markdownv2"):
            raise _bad(f"unsupported parse_mode {mode!r}")
        if mode is not None and mode.lower() == "html":
            try:
                parsed = parse_html(text, strict_ampersand=self.strict_ampersand)
            except EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
            plain, found = parsed.text, parsed.entities
        else:
            # Markdown is not parsed: the text is kept as sent.
            plain = text
            found = tuple(dict(e) for e in entities) if isinstance(entities, list) else ()
        if not plain.strip():
            raise _bad("message text is empty")
        if len(plain) > MAX_TEXT:
            raise _bad("message is too long")
        return plain, found, mode

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        """Validate an inline keyboard; only those are attached to the message."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None  # reply keyboards are shown to people, not stored on the message
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad("BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and not (1 <= len(str(data).encode("utf-8")) <= 64):
                    raise _bad("BUTTON_DATA_INVALID")
                actions = [k for k in button if k != "text"]
                if len(actions) != 1:
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
        return copy.deepcopy(markup) if any(rows) else None

    def _resolve_thread(self, chat: _Chat, thread_id: Any) -> int | None:
        if thread_id is None or not chat.is_forum:
            return None  # Telegram ignores message_thread_id outside forums
        topic = chat.topics.get(int(thread_id))
        if topic is None or topic.deleted:
            raise _bad("message thread not found")
        if topic.closed and not (chat.bot_status == "administrator" and chat.can_manage_topics):
            raise _bad("TOPIC_CLOSED")
        return topic.thread_id

    def _resolve_reply(self, chat: _Chat, params: Mapping[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        allow = bool(params.get("allow_sending_without_reply"))
        target_id: Any = params.get("reply_to_message_id")
        if isinstance(reply, dict):
            target_id = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
            other = reply.get("chat_id")
            if other is not None and other != chat.id:
                raise _bad("replies to other chats are not supported by this test double")
        if target_id is None:
            return None
        target = chat.messages.get(int(target_id))
        if target is None or target.deleted:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return target.message_id

    def _place(
        self, chat: _Chat, thread_id: int | None, reply_to: int | None
    ) -> tuple[int | None, bool, int | None, bool]:
        """Where a new message goes: (thread id, is topic message, reply_to, explicit reply).

        In a topic, a message that replies to nothing points at the topic's creation
        message; in the General topic a reply carries a thread id that is no topic.
        """
        explicit = reply_to is not None
        if chat.is_forum:
            if thread_id is None and reply_to is not None:
                target = chat.messages[reply_to]
                if target.is_topic_message:
                    thread_id = target.thread_id
                else:
                    return target.thread_id or target.message_id, False, reply_to, True
            if thread_id is not None:
                return thread_id, True, reply_to if explicit else thread_id, explicit
        return None, False, reply_to, explicit

    def _new_message(self, chat: _Chat, from_id: int, **fields: Any) -> _Msg:
        msg = _Msg(
            message_id=chat.next_message_id,
            from_id=from_id,
            date=int(time.time()),
            seq=next(self._message_seq),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages[msg.message_id] = msg
        return msg

    def _spend(self, chat: _Chat) -> None:
        """Count one message against Telegram's limits, or refuse it with 429."""
        now = time.monotonic()
        group_queue: deque[float] | None = None
        if self.group_limit and chat.type in ("group", "supergroup"):
            most, period = self.group_limit
            group_queue = self._group_sent.setdefault(chat.id, deque())
            while group_queue and group_queue[0] <= now - period:
                group_queue.popleft()
            if len(group_queue) >= most:
                raise _too_many(max(1, math.ceil(group_queue[0] + period - now)))
        if self.overall_limit:
            most, period = self.overall_limit
            while self._overall_sent and self._overall_sent[0] <= now - period:
                self._overall_sent.popleft()
            if len(self._overall_sent) >= most:
                raise _too_many(max(1, math.ceil(self._overall_sent[0] + period - now)))
        if group_queue is not None:
            group_queue.append(now)
        self._overall_sent.append(now)

    def _bot_sees(self, chat: _Chat, msg: _Msg) -> bool:
        """Whether Telegram would deliver this message to the bot (privacy mode)."""
        if chat.bot_status in ("left", "kicked"):
            return False
        if chat.type == "private" or not self.privacy_mode or chat.bot_status == "administrator":
            return True
        text = msg.text or msg.content.get("caption") or ""
        if text.startswith("/") or f"@{self.bot_username}".lower() in text.lower():
            return True
        if msg.explicit_reply and msg.reply_to is not None:
            target = chat.messages.get(msg.reply_to)
            return target is not None and target.by_bot
        return False

    def _push(
        self,
        chat_id: int,
        user_id: int,
        *,
        content: dict[str, Any],
        text: str | None = None,
        entities: tuple[dict[str, Any], ...] = (),
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            self._ensure_user(user_id)
            chat = self._chats.get(chat_id)
            if chat is None and chat_id == user_id:
                chat = self._chats[chat_id] = _Chat(
                    id=chat_id, type="private", title=None, bot_status="member"
                )
            if chat is None:
                raise KeyError(f"no chat {chat_id}: add_chat() it first")
            if chat.type == "private" and chat_id != user_id:
                raise ValueError("in a private chat only its user writes (chat id = user id)")
            if thread_id is not None:
                if not chat.is_forum:
                    raise ValueError(f"chat {chat_id} is not a forum: no thread_id there")
                topic = chat.topics.get(thread_id)
                if topic is None or topic.deleted:
                    raise ValueError(f"chat {chat_id} has no topic {thread_id}")
            if reply_to is not None:
                target = chat.messages.get(reply_to)
                if target is None or target.deleted:
                    raise ValueError(f"chat {chat_id} has no message {reply_to} to reply to")
            thread, is_topic, reply, explicit = self._place(chat, thread_id, reply_to)
            if chat.type != "private":
                chat.members.setdefault(user_id, "member")
            msg = self._new_message(
                chat,
                user_id,
                text=text,
                raw_text=text,
                entities=entities,
                thread_id=thread,
                is_topic_message=is_topic,
                reply_to=reply,
                explicit_reply=explicit,
                content=copy.deepcopy(content),
            )
            if self._bot_sees(chat, msg):
                self._queue("message", self._message_json(chat, msg))
            self._changed()
            return self._record_json(chat, msg)

    def _create_topic(
        self, chat: _Chat, name: str, icon_color: int, emoji_id: str | None, author: int
    ) -> _Topic:
        msg = self._new_message(chat, author, service=True, by_bot=author == self.bot_id)
        created: dict[str, Any] = {"name": name, "icon_color": icon_color}
        if emoji_id:
            created["icon_custom_emoji_id"] = emoji_id
        msg.content = {"forum_topic_created": created}
        msg.thread_id = msg.message_id
        msg.is_topic_message = True
        topic = _Topic(
            msg.message_id, name, icon_color, emoji_id, created_by_bot=author == self.bot_id
        )
        chat.topics[topic.thread_id] = topic
        return topic

    def _delete_topic(self, chat: _Chat, topic: _Topic) -> None:
        topic.deleted = True
        for msg in chat.messages.values():
            if msg.thread_id == topic.thread_id and msg.is_topic_message:
                msg.deleted = True

    def _service(self, chat: _Chat, topic: _Topic, content: dict[str, Any]) -> None:
        self._new_message(
            chat,
            self.bot_id,
            service=True,
            by_bot=True,
            thread_id=topic.thread_id,
            is_topic_message=True,
            reply_to=topic.thread_id,
            content=content,
        )

    def _forum_topic(
        self, params: Mapping[str, Any], *, manage: bool = True
    ) -> tuple[_Chat, _Topic]:
        chat = self._resolve_chat(params)
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        thread_id = params.get("message_thread_id")
        topic = chat.topics.get(thread_id) if isinstance(thread_id, int) else None
        if topic is None or topic.deleted:
            raise _bad("message thread not found")
        admin = chat.bot_status == "administrator" and chat.can_manage_topics
        if manage and not (admin or topic.created_by_bot):
            raise _bad("not enough rights to manage topics")
        return chat, topic

    # ---- method handlers (called under the lock with decoded params)

    def _get_me(self, params: Mapping[str, Any]) -> Any:
        return self.bot_user()

    def _true(self, params: Mapping[str, Any]) -> Any:
        return True

    def _set_webhook(self, params: Mapping[str, Any]) -> Any:
        url = params.get("url") or ""
        if url and not str(url).startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self._webhook_url = str(url)
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._wake_pollers()
        return True

    def _delete_webhook(self, params: Mapping[str, Any]) -> Any:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: Mapping[str, Any]) -> Any:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _get_updates_now(self, params: Mapping[str, Any]) -> Any:
        return self.take_updates(params)

    def _send_message(self, params: Mapping[str, Any]) -> Any:
        chat = self._resolve_chat(params)
        plain, entities, mode = self._parse_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        thread_id = self._resolve_thread(chat, params.get("message_thread_id"))
        reply_to = self._resolve_reply(chat, params)
        markup = self._check_markup(params.get("reply_markup"))
        self._spend(chat)
        thread, is_topic, reply, explicit = self._place(chat, thread_id, reply_to)
        msg = self._new_message(
            chat,
            self.bot_id,
            text=plain,
            raw_text=params["text"],
            parse_mode=mode,
            entities=entities,
            thread_id=thread,
            is_topic_message=is_topic,
            reply_to=reply,
            explicit_reply=explicit,
            reply_markup=markup,
            by_bot=True,
        )
        return self._message_json(chat, msg)

    def _editable(self, params: Mapping[str, Any]) -> tuple[_Chat, _Msg]:
        chat = self._resolve_chat(params)
        msg = chat.messages.get(self._message_id(params))
        if msg is None or msg.deleted:
            raise _bad("message to edit not found")
        if not msg.by_bot or msg.service:
            raise _bad("message can't be edited")
        return chat, msg

    def _edit_message_text(self, params: Mapping[str, Any]) -> Any:
        chat, msg = self._editable(params)
        if msg.text is None:
            raise _bad("there is no text in the message to edit")
        plain, entities, mode = self._parse_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        markup = self._check_markup(params.get("reply_markup"))
        if (
            plain == msg.text
            and list(entities) == list(msg.entities)
            and markup == msg.reply_markup
        ):
            raise _bad(NOT_MODIFIED)
        self._spend(chat)
        msg.text, msg.entities, msg.parse_mode = plain, entities, mode
        msg.raw_text = params["text"]
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        return self._message_json(chat, msg)

    def _edit_message_reply_markup(self, params: Mapping[str, Any]) -> Any:
        chat, msg = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == msg.reply_markup:
            raise _bad(NOT_MODIFIED)
        self._spend(chat)
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        return self._message_json(chat, msg)

    def _delete_message(self, params: Mapping[str, Any]) -> Any:
        chat = self._resolve_chat(params)
        msg = chat.messages.get(self._message_id(params))
        if msg is None or msg.deleted:
            raise _bad("message to delete not found")
        admin = chat.bot_status == "administrator" and chat.can_delete_messages
        if not (msg.by_bot or chat.type == "private" or admin):
            raise _bad("message can't be deleted")
        msg.deleted = True
        return True

    def _answer_callback_query(self, params: Mapping[str, Any]) -> Any:
        entry = self._callbacks.get(str(params.get("callback_query_id", "")))
        if entry is None or entry["answered"]:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        entry["answered"] = True
        entry["answer"] = {k: v for k, v in params.items() if k != "callback_query_id"}
        return True

    def _set_my_commands(self, params: Mapping[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        clean = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _COMMAND_RE.fullmatch(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": description})
        self._commands[(_scope_key(params.get("scope")), params.get("language_code") or "")] = clean
        return True

    def _get_my_commands(self, params: Mapping[str, Any]) -> Any:
        key = (_scope_key(params.get("scope")), params.get("language_code") or "")
        return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, params: Mapping[str, Any]) -> Any:
        self._commands.pop(
            (_scope_key(params.get("scope")), params.get("language_code") or ""), None
        )
        return True

    def _create_forum_topic(self, params: Mapping[str, Any]) -> Any:
        chat = self._resolve_chat(params)
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        if not (chat.bot_status == "administrator" and chat.can_manage_topics):
            raise _bad("not enough rights to create a topic")
        name = str(params.get("name") or "").strip()
        if not name:
            raise _bad("Title must be non-empty")  # tdlib's wording; long names are cut
        color = params.get("icon_color", TOPIC_ICON_COLORS[0])
        if color not in TOPIC_ICON_COLORS:
            raise _bad("invalid icon_color specified")
        self._spend(chat)
        topic = self._create_topic(
            chat, name[:128], color, params.get("icon_custom_emoji_id") or None, self.bot_id
        )
        return self._topic_json(topic)

    def _edit_forum_topic(self, params: Mapping[str, Any]) -> Any:
        chat, topic = self._forum_topic(params)
        name = params.get("name")
        emoji = params.get("icon_custom_emoji_id")
        new_name = str(name).strip()[:128] if name is not None else topic.name
        new_emoji = (emoji or None) if emoji is not None else topic.icon_custom_emoji_id
        if name is not None and not new_name:
            raise _bad("Title must be non-empty")
        if new_name == topic.name and new_emoji == topic.icon_custom_emoji_id:
            raise _bad("TOPIC_NOT_MODIFIED")
        self._spend(chat)
        edited: dict[str, Any] = {}
        if new_name != topic.name:
            edited["name"] = new_name
        if new_emoji != topic.icon_custom_emoji_id:
            edited["icon_custom_emoji_id"] = new_emoji or ""
        topic.name, topic.icon_custom_emoji_id = new_name, new_emoji
        self._service(chat, topic, {"forum_topic_edited": edited})
        return True

    def _close_forum_topic(self, params: Mapping[str, Any]) -> Any:
        chat, topic = self._forum_topic(params)
        if topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        self._spend(chat)
        topic.closed = True
        self._service(chat, topic, {"forum_topic_closed": {}})
        return True

    def _reopen_forum_topic(self, params: Mapping[str, Any]) -> Any:
        chat, topic = self._forum_topic(params)
        if not topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        self._spend(chat)
        topic.closed = False
        self._service(chat, topic, {"forum_topic_reopened": {}})
        return True

    def _delete_forum_topic(self, params: Mapping[str, Any]) -> Any:
        chat, topic = self._forum_topic(params, manage=False)
        if not (chat.bot_status == "administrator" and chat.can_delete_messages):
            raise _bad("not enough rights to delete a topic")
        self._spend(chat)
        self._delete_topic(chat, topic)
        return True

    def _api_get_chat(self, params: Mapping[str, Any]) -> Any:
        chat = self._resolve_chat(params)
        out = self._chat_json(chat)
        out.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        if chat.type != "private":
            out["permissions"] = {
                "can_send_messages": True,
                "can_send_audios": True,
                "can_send_documents": True,
                "can_send_photos": True,
                "can_send_videos": True,
                "can_send_video_notes": True,
                "can_send_voice_notes": True,
                "can_send_polls": True,
                "can_send_other_messages": True,
                "can_add_web_page_previews": True,
                "can_change_info": False,
                "can_invite_users": True,
                "can_pin_messages": False,
                "can_manage_topics": False,
            }
        return out

    def _get_chat_member(self, params: Mapping[str, Any]) -> Any:
        chat = self._resolve_chat(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int) or (user_id != self.bot_id and user_id not in self._users):
            raise _bad("user not found")
        return self._member_json(chat, user_id)

    def _get_chat_administrators(self, params: Mapping[str, Any]) -> Any:
        chat = self._resolve_chat(params)
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        admins = [
            self._member_json(chat, uid)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(self._member_json(chat, self.bot_id))
        return admins

    def _send_chat_action(self, params: Mapping[str, Any]) -> Any:
        self._resolve_chat(params)
        if not params.get("action"):
            raise _bad("wrong parameter action in request")
        return True


def _scope_key(scope: Any) -> str:
    if not scope:
        return "default"
    return json.dumps(scope, sort_keys=True)


def _update_kind(update: Mapping[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")


_H = Callable[[FakeTelegram, Mapping[str, Any]], Any]
_HANDLER_TABLE: dict[str, _H] = {
    "getMe": FakeTelegram._get_me,
    "logOut": FakeTelegram._true,
    "close": FakeTelegram._true,
    "setWebhook": FakeTelegram._set_webhook,
    "deleteWebhook": FakeTelegram._delete_webhook,
    "getWebhookInfo": FakeTelegram._get_webhook_info,
    "getUpdates": FakeTelegram._get_updates_now,
    "sendMessage": FakeTelegram._send_message,
    "editMessageText": FakeTelegram._edit_message_text,
    "editMessageReplyMarkup": FakeTelegram._edit_message_reply_markup,
    "deleteMessage": FakeTelegram._delete_message,
    "answerCallbackQuery": FakeTelegram._answer_callback_query,
    "setMyCommands": FakeTelegram._set_my_commands,
    "getMyCommands": FakeTelegram._get_my_commands,
    "deleteMyCommands": FakeTelegram._delete_my_commands,
    "setMyDescription": FakeTelegram._true,
    "setMyShortDescription": FakeTelegram._true,
    "createForumTopic": FakeTelegram._create_forum_topic,
    "editForumTopic": FakeTelegram._edit_forum_topic,
    "closeForumTopic": FakeTelegram._close_forum_topic,
    "reopenForumTopic": FakeTelegram._reopen_forum_topic,
    "deleteForumTopic": FakeTelegram._delete_forum_topic,
    "getChat": FakeTelegram._api_get_chat,
    "getChatMember": FakeTelegram._get_chat_member,
    "getChatAdministrators": FakeTelegram._get_chat_administrators,
    "sendChatAction": FakeTelegram._send_chat_action,
}
_HANDLERS = {name.lower(): handler for name, handler in _HANDLER_TABLE.items()}
_CANONICAL = {name.lower(): name for name in _HANDLER_TABLE}
assert RATE_LIMITED_METHODS <= set(_HANDLER_TABLE)


def _canonical(method: str) -> str:
    """Telegram method names are case-insensitive; log them as documented."""
    return _CANONICAL.get(method.lower(), method)
