"""How the double's records read as Telegram JSON: User, Chat, ForumTopic, Message,
ChatMember, and the stored form of a message the test helpers return."""

from __future__ import annotations

import copy
from typing import Any

from .model import Chat, Message, Topic
from .state import State

__all__ = [
    "bot_user_json",
    "chat_info_json",
    "chat_json",
    "member_json",
    "message_json",
    "record_json",
    "topic_json",
    "user_json",
]


def bot_user_json(state: State) -> dict[str, Any]:
    """The bot's User object, as getMe answers it."""
    return {
        "id": state.bot_id,
        "is_bot": True,
        "first_name": state.bot_first_name,
        "username": state.bot_username,
        "can_join_groups": True,
        "can_read_all_group_messages": not state.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
        "has_topics_enabled": False,
    }


def user_json(state: State, user_id: int) -> dict[str, Any]:
    """A User object (an unknown id becomes a known "User <id>")."""
    if user_id == state.bot_id:
        return {
            "id": state.bot_id,
            "is_bot": True,
            "first_name": state.bot_first_name,
            "username": state.bot_username,
        }
    user = state.ensure_user(user_id)
    out: dict[str, Any] = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    if user.last_name:
        out["last_name"] = user.last_name
    if user.username:
        out["username"] = user.username
    if user.language_code:
        out["language_code"] = user.language_code
    return out


def chat_json(state: State, chat: Chat) -> dict[str, Any]:
    """The Chat object messages carry; a private chat is named after its user."""
    if chat.type == "private":
        user = state.ensure_user(chat.id)
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


_GROUP_PERMISSIONS = {
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


def chat_info_json(state: State, chat: Chat) -> dict[str, Any]:
    """The ChatFullInfo object getChat answers."""
    out = chat_json(state, chat)
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
        out["permissions"] = dict(_GROUP_PERMISSIONS)
    return out


def topic_json(topic: Topic) -> dict[str, Any]:
    """A ForumTopic object."""
    out: dict[str, Any] = {
        "message_thread_id": topic.thread_id,
        "name": topic.name,
        "icon_color": topic.icon_color,
    }
    if topic.icon_custom_emoji_id:
        out["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
    return out


def message_json(state: State, chat: Chat, msg: Message, *, nested: bool = False) -> dict[str, Any]:
    """A Message object; the message it replies to is nested one level deep, as on Telegram."""
    out: dict[str, Any] = {
        "message_id": msg.message_id,
        "from": user_json(state, msg.from_id),
        "chat": chat_json(state, chat),
        "date": msg.date,
    }
    if msg.thread_id is not None:
        out["message_thread_id"] = msg.thread_id
    if msg.is_topic_message:
        out["is_topic_message"] = True
    if msg.reply_to is not None and not nested:
        target = chat.messages.get(msg.reply_to)
        if target is not None and not target.deleted:
            out["reply_to_message"] = message_json(state, chat, target, nested=True)
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


def record_json(state: State, chat: Chat, msg: Message) -> dict[str, Any]:
    """A message as the test helpers return it: the Message object plus ``raw_text``
    (as sent, e.g. HTML), ``parse_mode`` and ``deleted`` when it was deleted."""
    out = message_json(state, chat, msg)
    out["raw_text"] = msg.raw_text
    out["parse_mode"] = msg.parse_mode
    if msg.deleted:
        out["deleted"] = True
    return out


def _administrator(
    user: dict[str, Any], *, can_delete_messages: bool, can_manage_topics: bool
) -> dict[str, Any]:
    return {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": can_delete_messages,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
        "can_pin_messages": True,
        "can_manage_topics": can_manage_topics,
    }


def member_json(state: State, chat: Chat, user_id: int) -> dict[str, Any]:
    """A ChatMember object: the bot's rights as set for the chat, people's by their status."""
    user = user_json(state, user_id)
    if user_id == state.bot_id:
        status = chat.bot_status
        if status == "administrator":
            return _administrator(
                user,
                can_delete_messages=chat.can_delete_messages,
                can_manage_topics=chat.can_manage_topics,
            )
    else:
        status = chat.members.get(user_id, "left")
        if chat.type == "private" and user_id == chat.id:
            status = "member"
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "administrator":
        return _administrator(user, can_delete_messages=True, can_manage_topics=True)
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    if status in ("member", "left"):
        return {"status": status, "user": user}
    return {"status": "member", "user": user}
