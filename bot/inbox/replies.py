"""Which phone a message written in the inbox chat answers, if any.

Routing is on `is_topic_message` + `message_thread_id`, never on
`reply_to_message` alone: in a forum every topic message "replies" to the topic's
creation message. Where the inbox has no topics, a Telegram reply to a forwarded
SMS (a message linked to its phone) is the reply.
"""

from __future__ import annotations

from telegram import Message

from bot.store import Store


def is_topic_root(msg: Message) -> bool:
    """In a forum topic every message 'replies' to the topic's first message: that is no reply."""
    reply = msg.reply_to_message
    return bool(msg.is_topic_message and reply is not None and reply.forum_topic_created is not None)


def topic_of(msg: Message | None) -> int | None:
    """The forum topic a message is in (None in General, or where the chat has no topics)."""
    return msg.message_thread_id if msg is not None and msg.is_topic_message else None


async def answered_phone(store: Store, msg: Message) -> str | None:
    """The phone a message in the inbox chat answers, or None when it answers no phone."""
    if msg.is_topic_message and msg.message_thread_id is not None:
        phone = await store.topics.phone_for_topic(msg.chat_id, msg.message_thread_id)
        if phone is not None:
            return phone
    reply = msg.reply_to_message
    if reply is not None and not is_topic_root(msg):
        return await store.topics.phone_for_message(msg.chat_id, reply.message_id)
    return None
