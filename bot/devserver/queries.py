"""What tests read back from the chats: the bot's messages, a chat's messages and topics,
and a plain-text transcript."""

from __future__ import annotations

from typing import Any

from .render import render_transcript
from .shapes import record_json, topic_json
from .state import State

__all__ = ["chat_messages", "chat_topics", "sent_messages", "transcript"]


def sent_messages(
    state: State, chat_id: int | None = None, thread_id: int | None = None
) -> list[dict[str, Any]]:
    """Messages the bot sent that still exist, in the order they were sent, as they read now."""
    with state.lock:
        chats = [state.get_chat(chat_id)] if chat_id is not None else list(state.chats.values())
        out = []
        for chat in chats:
            for msg in chat.messages.values():
                if not msg.by_bot or msg.service or msg.deleted:
                    continue
                if thread_id is not None and msg.thread_id != thread_id:
                    continue
                out.append((msg.seq, record_json(state, chat, msg)))
        out.sort(key=lambda item: item[0])
        return [item[1] for item in out]


def chat_messages(state: State, chat_id: int, include_deleted: bool) -> list[dict[str, Any]]:
    """All messages of a chat (people's, the bot's, service messages), oldest first."""
    with state.lock:
        chat = state.get_chat(chat_id)
        return [
            record_json(state, chat, m)
            for m in chat.messages.values()
            if include_deleted or not m.deleted
        ]


def chat_topics(state: State, chat_id: int) -> list[dict[str, Any]]:
    """The chat's topics, deleted ones included (with ``deleted: True``)."""
    with state.lock:
        chat = state.get_chat(chat_id)
        return [
            {**topic_json(t), "closed": t.closed, "deleted": t.deleted}
            for t in chat.topics.values()
        ]


def transcript(state: State, chat_id: int) -> str:
    """A plain-text transcript of a chat: who wrote what, where, and the buttons."""
    with state.lock:
        chat = state.get_chat(chat_id)
        names = {t.thread_id: t.name for t in chat.topics.values()}
        header = state.users[chat.id].first_name if chat.type == "private" else chat.title
        kind = f"{chat.type}, forum" if chat.is_forum else chat.type
        records = [record_json(state, chat, m) for m in chat.messages.values() if not m.deleted]
        return render_transcript(f"{header} ({kind} {chat.id})", records, names, state.bot_id)
