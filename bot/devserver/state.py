"""The shared state every Bot API method and every test helper works on, behind one lock.

The HTTP server answers from its own thread while tests (sync or async) and the demo
terminal read and feed the double from theirs, so all of it sits behind one re-entrant
lock; ``changed()`` wakes whoever waits for something to happen.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from .files import StoredFile
from .limits import FloodLimits, Limit
from .model import Chat, Message, Topic, User
from .updates import UpdateQueue

__all__ = ["State"]


class State:
    """One bot's Telegram: identity, users, chats, commands, queries, updates and limits."""

    def __init__(
        self,
        token: str,
        *,
        bot_username: str,
        bot_first_name: str,
        privacy_mode: bool,
        group_limit: Limit | None,
        overall_limit: Limit | None,
        strict_ampersand: bool,
    ) -> None:
        self.lock = threading.RLock()
        self._cond = threading.Condition(self.lock)
        self._generation = 0
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self._defaults = (privacy_mode, strict_ampersand)
        self.updates = UpdateQueue(self.lock)
        self.limits = FloodLimits(group_limit, overall_limit)
        self._message_seq = itertools.count(1)
        self._unique_ids = itertools.count(4_000_000_000_000_000_001)
        self.clear()

    def clear(self) -> None:
        """Back to the settings given at construction, with no users, chats or updates."""
        with self.lock:
            #: Privacy mode: in groups where it is not admin, the bot sees commands,
            #: mentions and replies to itself only.
            self.privacy_mode, self.strict_ampersand = self._defaults
            self.users: dict[int, User] = {}
            self.chats: dict[int, Chat] = {}
            self.migrated: dict[int, int] = {}
            self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
            self.callbacks: dict[str, dict[str, Any]] = {}
            self.files: dict[str, StoredFile] = {}  # by file_id (files.py)
            self.updates.clear()
            self.limits.restore_defaults()

    # ------------------------------------------------------------------ identity

    @property
    def token(self) -> str:
        """The only token this server accepts; the digits before ":" are the bot's id."""
        return self._token

    @token.setter
    def token(self, value: str) -> None:
        bot_id, sep, secret = value.partition(":")
        if not (sep and bot_id.isdigit() and secret):
            raise ValueError("a bot token looks like '<digits>:<secret>'")
        self._token = value
        self.bot_id = int(bot_id)

    def unique_id(self) -> int:
        """A fresh number for callback query ids and file ids."""
        return next(self._unique_ids)

    # ------------------------------------------------------------------ change notification

    def changed(self) -> None:
        """Something changed: wake everyone blocked in ``wait_changed``."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    @property
    def generation(self) -> int:
        """A counter that ``changed()`` moves on."""
        with self._cond:
            return self._generation

    def wait_changed(self, generation: int, timeout: float) -> None:
        """Block until the state changed after ``generation`` was read, or ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: self._generation != generation, timeout=timeout)

    # ------------------------------------------------------------------ lookups and changes

    def get_chat(self, chat_id: int) -> Chat:
        """A known chat, or KeyError telling the test to add it."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id}: add_chat() it first")
        return chat

    def ensure_user(self, user_id: int) -> User:
        """A known user, or a new one named "User <id>"."""
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(user_id, f"User {user_id}", language_code="en")
        return user

    def new_message(self, chat: Chat, from_id: int, **fields: Any) -> Message:
        """Store a message under the chat's next id."""
        msg = Message(
            message_id=chat.next_message_id,
            from_id=from_id,
            date=int(time.time()),
            seq=next(self._message_seq),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages[msg.message_id] = msg
        return msg

    def create_topic(
        self, chat: Chat, name: str, icon_color: int, emoji_id: str | None, author: int
    ) -> Topic:
        """A topic and its ``forum_topic_created`` message, whose id is the thread id."""
        by_bot = author == self.bot_id
        msg = self.new_message(chat, author, service=True, by_bot=by_bot)
        created: dict[str, Any] = {"name": name, "icon_color": icon_color}
        if emoji_id:
            created["icon_custom_emoji_id"] = emoji_id
        msg.content = {"forum_topic_created": created}
        msg.thread_id = msg.message_id
        msg.is_topic_message = True
        topic = Topic(msg.message_id, name, icon_color, emoji_id, created_by_bot=by_bot)
        chat.topics[topic.thread_id] = topic
        return topic

    def bot_service_message(self, chat: Chat, topic: Topic, content: dict[str, Any]) -> None:
        """A service message the bot's topic change leaves in the topic."""
        self.new_message(
            chat,
            self.bot_id,
            service=True,
            by_bot=True,
            thread_id=topic.thread_id,
            is_topic_message=True,
            reply_to=topic.thread_id,
            content=content,
        )

    def bot_sees(self, chat: Chat, msg: Message) -> bool:
        """Whether Telegram would deliver this message to the bot (privacy mode)."""
        if chat.bot_gone:
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
