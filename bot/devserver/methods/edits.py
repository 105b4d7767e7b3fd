"""Changing what the bot sent: editMessageText, editMessageReplyMarkup, deleteMessage."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ..errors import NOT_MODIFIED, bad
from ..model import Chat, Message
from ..shapes import message_json
from ..state import State
from .content import check_markup, parse_text
from .lookup import message_id, resolve_chat

__all__ = ["HANDLERS"]


def _editable(state: State, params: Mapping[str, Any]) -> tuple[Chat, Message]:
    chat = resolve_chat(state, params)
    msg = chat.messages.get(message_id(params))
    if msg is None or msg.deleted:
        raise bad("message to edit not found")
    if not msg.by_bot or msg.service:
        raise bad("message can't be edited")
    return chat, msg


def edit_message_text(state: State, params: Mapping[str, Any]) -> Any:
    chat, msg = _editable(state, params)
    if msg.text is None:
        raise bad("there is no text in the message to edit")
    plain, entities, mode = parse_text(
        params.get("text"),
        params.get("parse_mode"),
        params.get("entities"),
        strict_ampersand=state.strict_ampersand,
    )
    markup = check_markup(params.get("reply_markup"))
    if plain == msg.text and list(entities) == list(msg.entities) and markup == msg.reply_markup:
        raise bad(NOT_MODIFIED)
    state.limits.spend(chat)
    msg.text, msg.entities, msg.parse_mode = plain, entities, mode
    msg.raw_text = params["text"]
    msg.reply_markup = markup
    msg.edit_date = int(time.time())
    return message_json(state, chat, msg)


def edit_message_reply_markup(state: State, params: Mapping[str, Any]) -> Any:
    chat, msg = _editable(state, params)
    markup = check_markup(params.get("reply_markup"))
    if markup == msg.reply_markup:
        raise bad(NOT_MODIFIED)
    state.limits.spend(chat)
    msg.reply_markup = markup
    msg.edit_date = int(time.time())
    return message_json(state, chat, msg)


def delete_message(state: State, params: Mapping[str, Any]) -> Any:
    chat = resolve_chat(state, params)
    msg = chat.messages.get(message_id(params))
    if msg is None or msg.deleted:
        raise bad("message to delete not found")
    if not (msg.by_bot or chat.type == "private" or chat.bot_deletes_messages):
        raise bad("message can't be deleted")
    msg.deleted = True
    return True


HANDLERS = {
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
}
