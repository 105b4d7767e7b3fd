"""sendMessage: a text into a chat, a forum topic, or as a reply, within the flood limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import bad
from ..model import Chat, place
from ..shapes import message_json
from ..state import State
from .content import check_markup, parse_text
from .lookup import resolve_chat

__all__ = ["HANDLERS", "resolve_reply", "resolve_thread"]


def resolve_thread(chat: Chat, thread_id: Any) -> int | None:
    if thread_id is None or not chat.is_forum:
        return None  # Telegram ignores message_thread_id outside forums
    topic = chat.live_topic(int(thread_id))
    if topic is None:
        raise bad("message thread not found")
    if topic.closed and not chat.bot_manages_topics:
        raise bad("TOPIC_CLOSED")
    return topic.thread_id


def resolve_reply(chat: Chat, params: Mapping[str, Any]) -> int | None:
    reply = params.get("reply_parameters")
    allow = bool(params.get("allow_sending_without_reply"))
    target_id: Any = params.get("reply_to_message_id")
    if isinstance(reply, dict):
        target_id = reply.get("message_id")
        allow = allow or bool(reply.get("allow_sending_without_reply"))
        other = reply.get("chat_id")
        if other is not None and other != chat.id:
            raise bad("replies to other chats are not supported by this test double")
    if target_id is None:
        return None
    target = chat.messages.get(int(target_id))
    if target is None or target.deleted:
        if allow:
            return None
        raise bad("message to be replied not found")
    return target.message_id


def send_message(state: State, params: Mapping[str, Any]) -> Any:
    chat = resolve_chat(state, params)
    plain, entities, mode = parse_text(
        params.get("text"),
        params.get("parse_mode"),
        params.get("entities"),
        strict_ampersand=state.strict_ampersand,
    )
    thread_id = resolve_thread(chat, params.get("message_thread_id"))
    reply_to = resolve_reply(chat, params)
    markup = check_markup(params.get("reply_markup"))
    state.limits.spend(chat)
    thread, is_topic, reply, explicit = place(chat, thread_id, reply_to)
    msg = state.new_message(
        chat,
        state.bot_id,
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
    return message_json(state, chat, msg)


HANDLERS = {"sendMessage": send_message}
