"""The control surface tests and the demo drive: set up chats, act as people, inject
faults, read what the bot did, and wait for it.

``FakeTelegram`` adds these helpers to ``api.BotApi``; ``server.BotApiServer`` puts it
behind real HTTP.  The work is done by the modules named in each section.
"""

from __future__ import annotations

import copy
from typing import Any

from . import files, people, queries
from .api import BotApi
from .limits import Limit
from .methods import canonical
from .methods.me import commands_key
from .model import TOPIC_ICON_COLORS, BotStatus, Chat, ChatType, User
from .shapes import chat_json, user_json

__all__ = ["FakeTelegram"]


class FakeTelegram(BotApi):
    """Everything a Bot API server knows about one bot, plus the helpers that feed and read it.

    Thread-safe; the HTTP layer (``BotApiServer``) calls ``dispatch`` from its own
    thread, tests call the helpers (``add_chat``, ``push_message``, ``calls`` ...) from theirs.
    """

    # ------------------------------------------------------------------ setup

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
        state = self._state
        with state.lock:
            state.users[user_id] = User(user_id, first_name, last_name, username, language_code)
            state.changed()
            return user_json(state, user_id)

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
        state = self._state
        with state.lock:
            if type == "private" and chat_id not in state.users:
                state.users[chat_id] = User(chat_id, title or f"User {chat_id}")
            chat = state.chats.get(chat_id)
            if chat is None:
                # In groups message 1 is the creation service message, and in forums
                # thread 1 is the General topic: real ids start later, never 1.
                chat = Chat(id=chat_id, type=type, title=None)
                chat.next_message_id = 1 if type == "private" else 2
                state.chats[chat_id] = chat
            chat.type = type
            chat.title = None if type == "private" else (title or f"Test {type} {chat_id}")
            chat.username = username
            chat.is_forum = is_forum
            chat.bot_status = bot_status
            chat.can_manage_topics = can_manage_topics
            state.changed()
            return chat_json(state, chat)

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> None:
        """A group upgraded to a supergroup (turning on Topics does it): calls naming the old
        id get 400 with `migrate_to_chat_id`, as Telegram answers."""
        with self._state.lock:
            self._state.migrated[int(chat_id)] = int(new_chat_id)
            self._state.chats.pop(int(chat_id), None)
            self._state.changed()

    def set_forum(self, chat_id: int, is_forum: bool) -> None:
        """Turn topics on or off in a supergroup (existing topics are kept)."""
        with self._state.lock:
            chat = self._state.get_chat(chat_id)
            if is_forum and chat.type != "supergroup":
                raise ValueError("only a supergroup can be a forum")
            chat.is_forum = is_forum
            self._state.changed()

    def set_bot_rights(
        self, chat_id: int, status: BotStatus, can_manage_topics: bool = True
    ) -> None:
        """Change the bot's membership (e.g. kick it, or take can_manage_topics away)."""
        with self._state.lock:
            chat = self._state.get_chat(chat_id)
            chat.bot_status = status
            chat.can_manage_topics = can_manage_topics
            self._state.changed()

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set a user's status in a chat ("creator", "administrator", "member", "left")."""
        with self._state.lock:
            chat = self._state.get_chat(chat_id)
            self._state.ensure_user(user_id)
            chat.members[user_id] = status
            self._state.changed()

    # ------------------------------------------------------------------ what people do

    def add_topic(
        self,
        chat_id: int,
        name: str,
        *,
        icon_color: int = TOPIC_ICON_COLORS[0],
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """A topic made by a person (``user_id``) or, by default, by the bot; returns ForumTopic."""
        return people.create_topic(self._state, chat_id, name, icon_color, user_id)

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Delete a topic as a person would: no update, later sends into it fail."""
        people.delete_topic(self._state, chat_id, thread_id)

    def close_topic(self, chat_id: int, thread_id: int, *, user_id: int | None = None) -> None:
        """Close a topic as a person would; with ``user_id`` its service message
        (``forum_topic_closed``) reaches the bot as an update. Later sends into it fail with
        TOPIC_CLOSED unless the bot may manage topics."""
        people.close_topic(self._state, chat_id, thread_id, user_id)

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
        if entities is None:
            entities = people.command_entities(text)
        return people.push(
            self._state,
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
        content = people.sticker_content(self._state, emoji)
        return people.push(
            self._state,
            chat_id,
            user_id,
            content=content,
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
        content = people.photo_content(self._state, caption)
        return people.push(
            self._state,
            chat_id,
            user_id,
            content=content,
            thread_id=thread_id,
            reply_to=reply_to_message_id,
        )

    def push_document(
        self,
        chat_id: int,
        user_id: int,
        content: bytes,
        file_name: str,
        *,
        mime_type: str | None = "text/csv",
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A person sends a file as a document, optionally with a caption (no ``text``); the
        bot can getFile its ``file_id`` and download it. A caption starting with "/" gets a
        ``bot_command`` caption entity, as Telegram gives it."""
        with self._state.lock:
            stored = files.store_file(self._state, content, file_name, mime_type)
        content_json: dict[str, Any] = {"document": files.document_json(stored)}
        if caption:
            content_json["caption"] = caption
            if entities := people.command_entities(caption):
                content_json["caption_entities"] = entities
        return people.push(
            self._state,
            chat_id,
            user_id,
            content=content_json,
            thread_id=thread_id,
            reply_to=reply_to_message_id,
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
        return people.press_button(self._state, chat_id, user_id, message_id, data, check_button)

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue any other update (e.g. ``my_chat_member``) verbatim; returns its update_id."""
        with self._state.lock:
            update_id = self._state.updates.push(kind, copy.deepcopy(payload))
            self._state.changed()
            return update_id

    # ------------------------------------------------------------------ faults and limits

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
        name = canonical(method) if method else None
        self._faults.fail(name, status, description, retry_after, count)

    def delay_next(self, method: str | None, seconds: float, count: int = 1) -> None:
        """Hold the next ``count`` answers to ``method`` (None: any) for ``seconds``."""
        self._faults.delay(canonical(method) if method else None, seconds, count)

    def clear_faults(self) -> None:
        """Forget pending failures and delays."""
        self._faults.clear()

    def set_rate_limits(
        self,
        group: Limit | None = (20, 60.0),
        overall: Limit | None = (30, 1.0),
    ) -> None:
        """Change (or with None switch off) the limits; forgets what was already spent."""
        with self._state.lock:
            self._state.limits.group_limit = group
            self._state.limits.overall_limit = overall
            self._state.limits.forget()

    def reset_rate_limits(self) -> None:
        """Forget recent sends, as if a minute had passed."""
        with self._state.lock:
            self._state.limits.forget()

    # ------------------------------------------------------------------ what tests read back

    def sent_messages(
        self, chat_id: int | None = None, thread_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Messages the bot sent and that still exist, in order, as they read now.

        Each is Telegram's Message object (``text`` is the plain text) plus
        ``raw_text`` (as sent, e.g. HTML) and ``parse_mode``.
        """
        return queries.sent_messages(self._state, chat_id, thread_id)

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """All messages of a chat (people's, the bot's, service messages), oldest first."""
        return queries.chat_messages(self._state, chat_id, include_deleted)

    def topics(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat's topics, deleted ones included (with ``deleted: True``)."""
        return queries.chat_topics(self._state, chat_id)

    def chat(self, chat_id: int) -> dict[str, Any]:
        """The Chat object of a known chat."""
        with self._state.lock:
            return chat_json(self._state, self._state.get_chat(chat_id))

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by the bot."""
        return self._state.updates.pending()

    def file_content(self, file_id: str) -> bytes:
        """The bytes of a file the bot uploaded or a person sent (KeyError when unknown)."""
        with self._state.lock:
            return self._state.files[file_id].content

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The bot's answerCallbackQuery parameters for a query, or None if unanswered."""
        with self._state.lock:
            entry = self._state.callbacks.get(query_id)
            return copy.deepcopy(entry["answer"]) if entry else None

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The command list set for a scope (default scope when None)."""
        with self._state.lock:
            return copy.deepcopy(self._state.commands.get(commands_key(scope, language_code), []))

    def render_chat(self, chat_id: int) -> str:
        """A plain-text transcript of a chat: who wrote what, where, and the buttons."""
        return queries.transcript(self._state, chat_id)
