"""Finding what a call names: its chat (by id or @username) and its message id, with
Telegram's answers when the chat is unknown, upgraded, or the bot is not in it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ApiError, bad
from ..model import Chat
from ..state import State

__all__ = ["forbidden", "message_id", "resolve_chat"]


def forbidden(chat: Chat) -> ApiError:
    """The 403 for a chat the bot is not in (blocked, kicked, or left)."""
    if chat.type == "private":
        return ApiError(403, "Forbidden: bot was blocked by the user")
    kind = f"{chat.type} chat"
    if chat.bot_status == "kicked":
        return ApiError(403, f"Forbidden: bot was kicked from the {kind}")
    return ApiError(403, f"Forbidden: bot is not a member of the {kind}")


def resolve_chat(state: State, params: Mapping[str, Any]) -> Chat:
    """The chat ``chat_id`` names, where the bot is a member; else Telegram's error."""
    raw = params.get("chat_id")
    if raw is None or raw == "":
        raise bad("chat_id is empty")
    chat: Chat | None
    if isinstance(raw, str):
        name = raw.removeprefix("@").lower()
        chat = next(
            (c for c in state.chats.values() if (c.username or "").lower() == name), None
        )
    else:
        chat = state.chats.get(int(raw))
    if chat is None:
        if not isinstance(raw, str) and int(raw) in state.migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           migrate_to_chat_id=state.migrated[int(raw)])
        if isinstance(raw, int) and raw in state.users:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        raise bad("chat not found")
    if chat.bot_gone:
        raise forbidden(chat)
    return chat


def message_id(params: Mapping[str, Any]) -> int:
    """The ``message_id`` a call names (inline messages are not modelled)."""
    if params.get("inline_message_id"):
        raise bad("inline messages are not supported by this test double")
    found = params.get("message_id")
    if not isinstance(found, int):
        raise bad("message identifier is not specified")
    return found
