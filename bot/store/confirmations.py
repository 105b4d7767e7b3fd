"""The two guards against acting twice on one Telegram action: pending confirmations
(a button pressed once) and update claims (a redelivered update ignored)."""

from __future__ import annotations

import sqlite3
import time

from bot.store.models import Confirmation
from bot.store.repo import SqliteRepo


class ConfirmationsRepo(SqliteRepo):
    """Actions waiting for a person's button press, each closed exactly once."""

    async def add(self, token: str, chat_id: int, user_id: int, payload: str) -> None:
        """A new open confirmation; a token already used raises IntegrityError."""
        await self._run(_add, token, chat_id, user_id, payload)

    async def set_message(self, token: str, message_id: int) -> None:
        """The message that carries its buttons."""
        await self._run(_set_message, token, message_id)

    async def get(self, token: str) -> Confirmation | None:
        return await self._run(_get, token)

    async def close(self, token: str, state: str) -> bool:
        """Move an open confirmation to `state`; False if it was no longer open (a double click)."""
        return await self._run(_close, token, state)

    async def expired(self, older_than: float) -> list[Confirmation]:
        """Open confirmations created before `older_than` (epoch seconds)."""
        return await self._run(_expired, older_than)


class ClaimsRepo(SqliteRepo):
    """Telegram messages already acted on."""

    async def claim_message(self, chat_id: int, message_id: int) -> bool:
        """True the first time a Telegram message is acted on, False after.

        Telegram hands an update out again when the bot died before confirming it; the
        claim is committed before the SMS goes out, so a redelivered /sms never texts twice.
        """
        return await self._run(_claim_message, chat_id, message_id)


def _confirmation(row: sqlite3.Row) -> Confirmation:
    return Confirmation(row["token"], row["created_at"], row["chat_id"], row["user_id"],
                        row["message_id"], row["payload"], row["state"])


def _add(conn: sqlite3.Connection, token: str, chat_id: int, user_id: int, payload: str) -> None:
    conn.execute(
        "INSERT INTO confirmations(token, created_at, chat_id, user_id, payload) VALUES (?, ?, ?, ?, ?)",
        (token, time.time(), chat_id, user_id, payload),
    )


def _set_message(conn: sqlite3.Connection, token: str, message_id: int) -> None:
    conn.execute("UPDATE confirmations SET message_id = ? WHERE token = ?", (message_id, token))


def _get(conn: sqlite3.Connection, token: str) -> Confirmation | None:
    row = conn.execute("SELECT * FROM confirmations WHERE token = ?", (token,)).fetchone()
    return _confirmation(row) if row else None


def _close(conn: sqlite3.Connection, token: str, state: str) -> bool:
    return conn.execute(
        "UPDATE confirmations SET state = ? WHERE token = ? AND state = 'open'", (state, token)
    ).rowcount > 0


def _expired(conn: sqlite3.Connection, older_than: float) -> list[Confirmation]:
    rows = conn.execute(
        "SELECT * FROM confirmations WHERE state = 'open' AND created_at < ?", (older_than,)
    )
    return [_confirmation(r) for r in rows]


def _claim_message(conn: sqlite3.Connection, chat_id: int, message_id: int) -> bool:
    cur = conn.execute(
        "INSERT OR IGNORE INTO kv(key, value) VALUES (?, ?)", (f"msg:{chat_id}:{message_id}", str(time.time()))
    )
    return cur.rowcount > 0
