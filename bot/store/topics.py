"""The phone <-> Telegram mapping: a forum topic per phone, and the messages that speak
for a phone (a reply to one texts that phone)."""

from __future__ import annotations

import sqlite3
import time

from bot.store.models import Topic
from bot.store.repo import SqliteRepo


class TopicsRepo(SqliteRepo):
    async def get(self, phone: str, chat_id: int) -> Topic | None:
        """The phone's topic in `chat_id`."""
        return await self._run(_get, phone, chat_id)

    async def set(self, phone: str, chat_id: int, thread_id: int, title: str) -> None:
        """The phone's topic from now on; a mapping of that topic to another phone is dropped."""
        await self._run(_set, phone, chat_id, thread_id, title)

    async def drop(self, phone: str, thread_id: int) -> None:
        """Forget a topic that Telegram says is gone (only that one: a newer mapping stays)."""
        await self._run(_drop, phone, thread_id)

    async def phone_for_topic(self, chat_id: int, thread_id: int) -> str | None:
        return await self._run(_phone_for_topic, chat_id, thread_id)

    async def link_message(self, chat_id: int, message_id: int, phone: str) -> None:
        """A Telegram message that speaks for `phone`."""
        await self._run(link_message, chat_id, message_id, phone)

    async def phone_for_message(self, chat_id: int, message_id: int) -> str | None:
        return await self._run(_phone_for_message, chat_id, message_id)


def _get(conn: sqlite3.Connection, phone: str, chat_id: int) -> Topic | None:
    row = conn.execute(
        "SELECT phone, chat_id, thread_id, title FROM threads WHERE phone = ? AND chat_id = ?", (phone, chat_id)
    ).fetchone()
    return Topic(row["phone"], row["chat_id"], row["thread_id"], row["title"]) if row else None


def _set(conn: sqlite3.Connection, phone: str, chat_id: int, thread_id: int, title: str) -> None:
    conn.execute("DELETE FROM threads WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id))
    conn.execute(
        "INSERT INTO threads(phone, chat_id, thread_id, title, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(phone) DO UPDATE SET chat_id = excluded.chat_id, thread_id = excluded.thread_id, "
        "title = excluded.title, created_at = excluded.created_at",
        (phone, chat_id, thread_id, title, time.time()),
    )


def _drop(conn: sqlite3.Connection, phone: str, thread_id: int) -> None:
    conn.execute("DELETE FROM threads WHERE phone = ? AND thread_id = ?", (phone, thread_id))


def _phone_for_topic(conn: sqlite3.Connection, chat_id: int, thread_id: int) -> str | None:
    row = conn.execute(
        "SELECT phone FROM threads WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id)
    ).fetchone()
    return row["phone"] if row else None


def link_message(conn: sqlite3.Connection, chat_id: int, message_id: int, phone: str) -> None:
    """Also part of the inbound repository's mark_forwarded transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO tg_messages(chat_id, message_id, phone) VALUES (?, ?, ?)",
        (chat_id, message_id, phone),
    )


def _phone_for_message(conn: sqlite3.Connection, chat_id: int, message_id: int) -> str | None:
    row = conn.execute(
        "SELECT phone FROM tg_messages WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
    ).fetchone()
    return row["phone"] if row else None
