"""Small named facts that outlive a restart (offsets, marks, the health probe)."""

from __future__ import annotations

import sqlite3

from bot.store.repo import SqliteRepo


class KvRepo(SqliteRepo):
    async def get(self, key: str) -> str | None:
        return await self._run(_get, key)

    async def set(self, key: str, value: str | None) -> None:
        """Store `value` under `key`; None forgets the key."""
        await self._run(_set, key, value)


def _get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else None


def _set(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM kv WHERE key = ?", (key,))
    else:
        conn.execute("INSERT OR REPLACE INTO kv(key, value) VALUES (?, ?)", (key, value))
