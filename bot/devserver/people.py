"""What people do in Telegram: write, send stickers and photos, press buttons, make and
close topics. Each lands in the chat and reaches the bot as an update when Telegram
would deliver it (privacy mode)."""

from __future__ import annotations

import copy
from typing import Any

from .markup import utf16_len
from .model import Chat, Message, place, remove_topic
from .shapes import message_json, record_json, topic_json, user_json
from .state import State

__all__ = [
    "close_topic",
    "command_entities",
    "create_topic",
    "delete_topic",
    "photo_content",
    "press_button",
    "push",
    "sticker_content",
]


def _deliver(state: State, chat: Chat, msg: Message) -> None:
    if state.bot_sees(chat, msg):
        state.updates.push("message", message_json(state, chat, msg))


def command_entities(text: str) -> list[dict[str, Any]] | None:
    """A ``bot_command`` entity for the first word of a text starting with "/"."""
    if not text.startswith("/"):
        return None
    first = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(first)}]


def sticker_content(state: State, emoji: str) -> dict[str, Any]:
    """The ``sticker`` field of a sticker message."""
    sticker = {
        "file_id": f"CAACAgIAAxkBAAE{state.unique_id()}",
        "file_unique_id": "AgADsticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
    }
    return {"sticker": sticker}


def photo_content(state: State, caption: str | None) -> dict[str, Any]:
    """The ``photo`` sizes (and ``caption``) of a photo message."""
    unique = state.unique_id()
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
    return content


def push(
    state: State,
    chat_id: int,
    user_id: int,
    *,
    content: dict[str, Any],
    text: str | None = None,
    entities: tuple[dict[str, Any], ...] = (),
    thread_id: int | None = None,
    reply_to: int | None = None,
) -> dict[str, Any]:
    """A person's message into a chat (a private chat opens when the user writes first)."""
    with state.lock:
        state.ensure_user(user_id)
        chat = state.chats.get(chat_id)
        if chat is None and chat_id == user_id:
            chat = state.chats[chat_id] = Chat(
                id=chat_id, type="private", title=None, bot_status="member"
            )
        if chat is None:
            raise KeyError(f"no chat {chat_id}: add_chat() it first")
        if chat.type == "private" and chat_id != user_id:
            raise ValueError("in a private chat only its user writes (chat id = user id)")
        if thread_id is not None:
            if not chat.is_forum:
                raise ValueError(f"chat {chat_id} is not a forum: no thread_id there")
            if chat.live_topic(thread_id) is None:
                raise ValueError(f"chat {chat_id} has no topic {thread_id}")
        if reply_to is not None:
            target = chat.messages.get(reply_to)
            if target is None or target.deleted:
                raise ValueError(f"chat {chat_id} has no message {reply_to} to reply to")
        thread, is_topic, reply, explicit = place(chat, thread_id, reply_to)
        if chat.type != "private":
            chat.members.setdefault(user_id, "member")
        msg = state.new_message(
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
        _deliver(state, chat, msg)
        state.changed()
        return record_json(state, chat, msg)


def press_button(
    state: State, chat_id: int, user_id: int, message_id: int, data: str, check_button: bool
) -> str:
    """A person presses an inline button under a bot message; returns the query id."""
    with state.lock:
        chat = state.get_chat(chat_id)
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
        state.ensure_user(user_id)
        query_id = str(state.unique_id())
        query = {
            "id": query_id,
            "from": user_json(state, user_id),
            "message": message_json(state, chat, msg),
            "chat_instance": str(abs(hash((chat_id, state.bot_id)))),
            "data": data,
        }
        state.callbacks[query_id] = {"query": query, "answered": False, "answer": None}
        state.updates.push("callback_query", query)
        state.changed()
        return query_id


def create_topic(
    state: State, chat_id: int, name: str, icon_color: int, user_id: int | None
) -> dict[str, Any]:
    """A topic made by a person (``user_id``) or by the bot (None); returns ForumTopic."""
    with state.lock:
        chat = state.get_chat(chat_id)
        if not chat.is_forum:
            raise ValueError(f"chat {chat_id} is not a forum")
        author = state.bot_id if user_id is None else state.ensure_user(user_id).id
        topic = state.create_topic(chat, name, icon_color, None, author)
        if author != state.bot_id:
            _deliver(state, chat, chat.messages[topic.thread_id])
        state.changed()
        return topic_json(topic)


def delete_topic(state: State, chat_id: int, thread_id: int) -> None:
    """A person deletes a topic: no update, later sends into it fail."""
    with state.lock:
        chat = state.get_chat(chat_id)
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise KeyError(f"chat {chat_id} has no topic {thread_id}")
        remove_topic(chat, topic)
        state.changed()


def close_topic(state: State, chat_id: int, thread_id: int, user_id: int | None) -> None:
    """A person closes a topic; with ``user_id`` its service message reaches the bot."""
    with state.lock:
        chat = state.get_chat(chat_id)
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise KeyError(f"chat {chat_id} has no topic {thread_id}")
        topic.closed = True
        if user_id is not None:
            msg = state.new_message(
                chat, state.ensure_user(user_id).id, service=True, thread_id=thread_id,
                is_topic_message=True, reply_to=thread_id, content={"forum_topic_closed": {}},
            )
            _deliver(state, chat, msg)
        state.changed()
