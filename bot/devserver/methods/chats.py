"""Chats and their members: getChat, getChatMember, getChatAdministrators, sendChatAction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import bad
from ..shapes import chat_info_json, member_json
from ..state import State
from .lookup import resolve_chat

__all__ = ["HANDLERS"]


def get_chat(state: State, params: Mapping[str, Any]) -> Any:
    return chat_info_json(state, resolve_chat(state, params))


def get_chat_member(state: State, params: Mapping[str, Any]) -> Any:
    chat = resolve_chat(state, params)
    user_id = params.get("user_id")
    if not isinstance(user_id, int) or (user_id != state.bot_id and user_id not in state.users):
        raise bad("user not found")
    return member_json(state, chat, user_id)


def get_chat_administrators(state: State, params: Mapping[str, Any]) -> Any:
    chat = resolve_chat(state, params)
    if chat.type == "private":
        raise bad("there are no administrators in the private chat")
    admins = [
        member_json(state, chat, uid)
        for uid, status in chat.members.items()
        if status in ("creator", "administrator")
    ]
    if chat.bot_status == "administrator":
        admins.append(member_json(state, chat, state.bot_id))
    return admins


def send_chat_action(state: State, params: Mapping[str, Any]) -> Any:
    resolve_chat(state, params)
    if not params.get("action"):
        raise bad("wrong parameter action in request")
    return True


HANDLERS = {
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "sendChatAction": send_chat_action,
}
