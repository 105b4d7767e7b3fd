"""What the double knows about Telegram's world: users, chats, messages and forum topics.

Plain mutable records, changed only under the lock of ``state.State``; the rules that
need nothing but a chat (where a new message goes, the bot's rights) live here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "TOPIC_ICON_COLORS",
    "BotStatus",
    "Chat",
    "ChatType",
    "Message",
    "Topic",
    "User",
    "place",
    "remove_topic",
]

ChatType = Literal["private", "group", "supergroup"]
BotStatus = Literal["administrator", "member", "left", "kicked"]
#: The only colours Telegram accepts for a topic icon (``telegram.constants.ForumIconColor``).
TOPIC_ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False
    created_by_bot: bool = False


@dataclass
class Message:
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
class Chat:
    id: int
    type: ChatType
    title: str | None
    username: str | None = None
    is_forum: bool = False
    bot_status: BotStatus = "administrator"
    can_manage_topics: bool = True
    can_delete_messages: bool = True
    members: dict[int, str] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    next_message_id: int = 1

    @property
    def bot_manages_topics(self) -> bool:
        """The bot is an administrator allowed to manage topics."""
        return self.bot_status == "administrator" and self.can_manage_topics

    @property
    def bot_deletes_messages(self) -> bool:
        """The bot is an administrator allowed to delete others' messages."""
        return self.bot_status == "administrator" and self.can_delete_messages

    @property
    def bot_gone(self) -> bool:
        """The bot left or was kicked: it can neither read nor write here."""
        return self.bot_status in ("left", "kicked")

    def live_topic(self, thread_id: Any) -> Topic | None:
        """The topic with this thread id unless it does not exist or was deleted."""
        topic = self.topics.get(thread_id) if isinstance(thread_id, int) else None
        return None if topic is None or topic.deleted else topic


def place(
    chat: Chat, thread_id: int | None, reply_to: int | None
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


def remove_topic(chat: Chat, topic: Topic) -> None:
    """Delete a topic and every message in it."""
    topic.deleted = True
    for msg in chat.messages.values():
        if msg.thread_id == topic.thread_id and msg.is_topic_message:
            msg.deleted = True
