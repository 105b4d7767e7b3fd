"""Plain-text rendering of chats: the demo's terminal and readable test failures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["render_message", "render_transcript"]


def _author(message: Mapping[str, Any], bot_id: int | None) -> str:
    user = message.get("from") or {}
    name = str(user.get("first_name") or "?")
    if user.get("last_name"):
        name += f" {user['last_name']}"
    if user.get("id") == bot_id or user.get("is_bot"):
        return f"{name} [bot]"
    if user.get("username"):
        name += f" (@{user['username']})"
    return name


def _body(message: Mapping[str, Any]) -> str:
    if "forum_topic_created" in message:
        return f'created topic "{message["forum_topic_created"].get("name", "")}"'
    if "forum_topic_edited" in message:
        return f"edited topic {dict(message['forum_topic_edited'])}"
    if "forum_topic_closed" in message:
        return "closed the topic"
    if "forum_topic_reopened" in message:
        return "reopened the topic"
    if "sticker" in message:
        return f"[sticker {message['sticker'].get('emoji', '')}]".replace(" ]", "]")
    if "photo" in message:
        caption = message.get("caption")
        return f"[photo] {caption}" if caption else "[photo]"
    if "document" in message:
        name = message["document"].get("file_name") or "file"
        caption = message.get("caption")
        return f"[document {name}] {caption}" if caption else f"[document {name}]"
    text = message.get("text")
    return str(text) if text is not None else "[message]"


def render_message(
    message: Mapping[str, Any],
    topic_names: Mapping[int, str] | None = None,
    bot_id: int | None = None,
) -> str:
    """One message as text lines: id, topic, author, text, reply and buttons."""
    where = ""
    if message.get("is_topic_message") and message.get("message_thread_id") is not None:
        thread = message["message_thread_id"]
        name = (topic_names or {}).get(thread)
        where = f'[topic {thread} "{name}"] ' if name is not None else f"[topic {thread}] "
    edited = " (edited)" if message.get("edit_date") else ""
    body_lines = _body(message).splitlines() or [""]
    head = (
        f"#{message.get('message_id')} {where}{_author(message, bot_id)}{edited}: {body_lines[0]}"
    )
    lines = [head, *(f"    {line}" for line in body_lines[1:])]
    reply = message.get("reply_to_message")
    implicit = (
        message.get("is_topic_message")
        and reply is not None
        and reply.get("message_id") == message.get("message_thread_id")
    )
    if reply is not None and not implicit:
        lines.append(f"    -> reply to #{reply.get('message_id')}")
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in keyboard:
        lines.append("    " + " ".join(f"[{button.get('text', '')}]" for button in row))
    return "\n".join(lines)


def render_transcript(
    title: str,
    messages: Iterable[Mapping[str, Any]],
    topic_names: Mapping[int, str] | None = None,
    bot_id: int | None = None,
) -> str:
    """A whole chat: a title line, then each message in order."""
    body = [render_message(m, topic_names, bot_id) for m in messages]
    return "\n".join([f"== {title} ==", *body]) if body else f"== {title} ==\n(no messages)"
