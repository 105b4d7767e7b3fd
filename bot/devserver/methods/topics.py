"""Forum topics: create, edit, close, reopen and delete, with Telegram's rights checks.

Each change leaves a service message in the topic and spends the flood budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import bad
from ..model import TOPIC_ICON_COLORS, Chat, Topic, remove_topic
from ..shapes import topic_json
from ..state import State
from .lookup import resolve_chat

__all__ = ["HANDLERS"]


def _forum_topic(
    state: State, params: Mapping[str, Any], *, manage: bool = True
) -> tuple[Chat, Topic]:
    chat = resolve_chat(state, params)
    if not chat.is_forum:
        raise bad("the chat is not a forum")
    topic = chat.live_topic(params.get("message_thread_id"))
    if topic is None:
        raise bad("message thread not found")
    if manage and not (chat.bot_manages_topics or topic.created_by_bot):
        raise bad("not enough rights to manage topics")
    return chat, topic


def create_forum_topic(state: State, params: Mapping[str, Any]) -> Any:
    chat = resolve_chat(state, params)
    if not chat.is_forum:
        raise bad("the chat is not a forum")
    if not chat.bot_manages_topics:
        raise bad("not enough rights to create a topic")
    name = str(params.get("name") or "").strip()
    if not name:
        raise bad("Title must be non-empty")  # tdlib's wording; long names are cut
    color = params.get("icon_color", TOPIC_ICON_COLORS[0])
    if color not in TOPIC_ICON_COLORS:
        raise bad("invalid icon_color specified")
    state.limits.spend(chat)
    topic = state.create_topic(
        chat, name[:128], color, params.get("icon_custom_emoji_id") or None, state.bot_id
    )
    return topic_json(topic)


def edit_forum_topic(state: State, params: Mapping[str, Any]) -> Any:
    chat, topic = _forum_topic(state, params)
    name = params.get("name")
    emoji = params.get("icon_custom_emoji_id")
    new_name = str(name).strip()[:128] if name is not None else topic.name
    new_emoji = (emoji or None) if emoji is not None else topic.icon_custom_emoji_id
    if name is not None and not new_name:
        raise bad("Title must be non-empty")
    if new_name == topic.name and new_emoji == topic.icon_custom_emoji_id:
        raise bad("TOPIC_NOT_MODIFIED")
    state.limits.spend(chat)
    edited: dict[str, Any] = {}
    if new_name != topic.name:
        edited["name"] = new_name
    if new_emoji != topic.icon_custom_emoji_id:
        edited["icon_custom_emoji_id"] = new_emoji or ""
    topic.name, topic.icon_custom_emoji_id = new_name, new_emoji
    state.bot_service_message(chat, topic, {"forum_topic_edited": edited})
    return True


def close_forum_topic(state: State, params: Mapping[str, Any]) -> Any:
    chat, topic = _forum_topic(state, params)
    if topic.closed:
        raise bad("TOPIC_NOT_MODIFIED")
    state.limits.spend(chat)
    topic.closed = True
    state.bot_service_message(chat, topic, {"forum_topic_closed": {}})
    return True


def reopen_forum_topic(state: State, params: Mapping[str, Any]) -> Any:
    chat, topic = _forum_topic(state, params)
    if not topic.closed:
        raise bad("TOPIC_NOT_MODIFIED")
    state.limits.spend(chat)
    topic.closed = False
    state.bot_service_message(chat, topic, {"forum_topic_reopened": {}})
    return True


def delete_forum_topic(state: State, params: Mapping[str, Any]) -> Any:
    chat, topic = _forum_topic(state, params, manage=False)
    if not chat.bot_deletes_messages:
        raise bad("not enough rights to delete a topic")
    state.limits.spend(chat)
    remove_topic(chat, topic)
    return True


HANDLERS = {
    "createForumTopic": create_forum_topic,
    "editForumTopic": edit_forum_topic,
    "closeForumTopic": close_forum_topic,
    "reopenForumTopic": reopen_forum_topic,
    "deleteForumTopic": delete_forum_topic,
}
