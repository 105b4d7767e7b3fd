"""Scheduled sends held until their time. Every move between states is one conditional
update, so a held send is released, cancelled or missed exactly once, never two of them."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence

from bot.store.models import HeldSend
from bot.store.repo import SqliteRepo


class ScheduledRepo(SqliteRepo):
    """Held sends: held -> releasing -> released, held -> cancelled, held -> missed."""

    async def hold(self, *, due_at: float, origin: str, chat_id: int, user_id: int, user_name: str | None,
                   lang: str, numbers: Sequence[str], text: str, segments: int,
                   status_chat_id: int | None = None, status_thread_id: int | None = None) -> int:
        """Commit a send to be made at `due_at` (epoch seconds); returns its id."""
        return await self._run(_hold, due_at, origin, chat_id, user_id, user_name, lang, list(numbers), text,
                               segments, status_chat_id, status_thread_id)

    async def set_status_message(self, held_id: int, chat_id: int, message_id: int,
                                 thread_id: int | None) -> None:
        """The message that says it is scheduled; it becomes the send's status when released."""
        await self._run(_set_status_message, held_id, chat_id, message_id, thread_id)

    async def get(self, held_id: int) -> HeldSend | None:
        return await self._run(_get, held_id)

    async def waiting(self, chat_id: int | None = None, limit: int = 50) -> list[HeldSend]:
        """Held sends (of one chat, or all), soonest first."""
        return await self._run(_waiting, chat_id, limit)

    async def due(self, now: float, limit: int = 50) -> list[HeldSend]:
        """Held sends whose time is `now` or earlier, oldest first."""
        return await self._run(_due, now, limit)

    async def claim(self, held_id: int) -> bool:
        """held -> releasing, committed before the send is journaled; False if it was not held
        (cancelled in the meantime)."""
        return await self._run(_move, held_id, "held", "releasing", None, None, None)

    async def link_send(self, held_id: int, send_id: int) -> None:
        """The journal entry the released send became (committed right after the journal's)."""
        await self._run(_link_send, held_id, send_id)

    async def mark_released(self, held_id: int) -> None:
        await self._run(_move, held_id, "releasing", "released", None, None, None)

    async def cancel(self, held_id: int, by: int, by_name: str | None, at: float) -> bool:
        """held -> cancelled; False if it was no longer held (being sent, sent, missed, cancelled)."""
        return await self._run(_move, held_id, "held", "cancelled", at, by, by_name)

    async def miss(self, held_id: int, at: float) -> bool:
        """held -> missed: its time passed too long ago; it is never sent."""
        return await self._run(_move, held_id, "held", "missed", at, None, None)

    async def untold(self, limit: int = 20) -> list[HeldSend]:
        """Missed sends whose asker was not told yet, oldest first."""
        return await self._run(_untold, limit)

    async def mark_told(self, held_id: int) -> None:
        await self._run(_mark_told, held_id)

    async def recover(self) -> tuple[list[int], list[int]]:
        """After a stop in the middle of a release: a send taken for sending but never journaled
        certainly did not reach the gateway (the journal is committed before any request) and is
        held again; one journaled is released (its journal entry says what became of it, and an
        interrupted one is settled as such, never sent again). Returns (held again, released)."""
        return await self._run(_recover)


_COLUMNS = ("due_at, origin, chat_id, user_id, user_name, lang, numbers, text, segments, "
            "status_chat_id, status_thread_id")


def _record(row: sqlite3.Row) -> HeldSend:
    return HeldSend(
        id=row["id"], created_at=row["created_at"], due_at=row["due_at"], origin=row["origin"],
        chat_id=row["chat_id"], user_id=row["user_id"], user_name=row["user_name"], lang=row["lang"],
        numbers=tuple(json.loads(row["numbers"])), text=row["text"], segments=row["segments"],
        status_chat_id=row["status_chat_id"], status_thread_id=row["status_thread_id"],
        status_message_id=row["status_message_id"], state=row["state"], send_id=row["send_id"],
        closed_at=row["closed_at"], closed_by=row["closed_by"], closed_by_name=row["closed_by_name"],
        told=bool(row["told"]),
    )


def _hold(conn: sqlite3.Connection, due_at: float, origin: str, chat_id: int, user_id: int, user_name: str | None,
          lang: str, numbers: list[str], text: str, segments: int, status_chat_id: int | None,
          status_thread_id: int | None) -> int:
    cur = conn.execute(
        f"INSERT INTO scheduled_sends(created_at, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (time.time(), due_at, origin, chat_id, user_id, user_name, lang, json.dumps(numbers), text, segments,
         status_chat_id, status_thread_id),
    )
    return int(cur.lastrowid or 0)


def _set_status_message(conn: sqlite3.Connection, held_id: int, chat_id: int, message_id: int,
                        thread_id: int | None) -> None:
    conn.execute("UPDATE scheduled_sends SET status_chat_id = ?, status_message_id = ?, status_thread_id = ? "
                 "WHERE id = ?", (chat_id, message_id, thread_id, held_id))


def _get(conn: sqlite3.Connection, held_id: int) -> HeldSend | None:
    row = conn.execute("SELECT * FROM scheduled_sends WHERE id = ?", (held_id,)).fetchone()
    return _record(row) if row else None


def _waiting(conn: sqlite3.Connection, chat_id: int | None, limit: int) -> list[HeldSend]:
    if chat_id is None:
        rows = conn.execute("SELECT * FROM scheduled_sends WHERE state = 'held' ORDER BY due_at, id LIMIT ?",
                            (limit,))
    else:
        rows = conn.execute("SELECT * FROM scheduled_sends WHERE state = 'held' AND chat_id = ? "
                            "ORDER BY due_at, id LIMIT ?", (chat_id, limit))
    return [_record(r) for r in rows]


def _due(conn: sqlite3.Connection, now: float, limit: int) -> list[HeldSend]:
    rows = conn.execute("SELECT * FROM scheduled_sends WHERE state = 'held' AND due_at <= ? "
                        "ORDER BY due_at, id LIMIT ?", (now, limit))
    return [_record(r) for r in rows]


def _move(conn: sqlite3.Connection, held_id: int, before: str, after: str, at: float | None,
          by: int | None, by_name: str | None) -> bool:
    return conn.execute(
        "UPDATE scheduled_sends SET state = ?, closed_at = COALESCE(?, closed_at), "
        "closed_by = COALESCE(?, closed_by), closed_by_name = COALESCE(?, closed_by_name) "
        "WHERE id = ? AND state = ?",
        (after, at, by, by_name, held_id, before),
    ).rowcount > 0


def _link_send(conn: sqlite3.Connection, held_id: int, send_id: int) -> None:
    conn.execute("UPDATE scheduled_sends SET send_id = ? WHERE id = ?", (send_id, held_id))


def _untold(conn: sqlite3.Connection, limit: int) -> list[HeldSend]:
    rows = conn.execute("SELECT * FROM scheduled_sends WHERE state = 'missed' AND told = 0 ORDER BY id LIMIT ?",
                        (limit,))
    return [_record(r) for r in rows]


def _mark_told(conn: sqlite3.Connection, held_id: int) -> None:
    conn.execute("UPDATE scheduled_sends SET told = 1 WHERE id = ?", (held_id,))


def _recover(conn: sqlite3.Connection) -> tuple[list[int], list[int]]:
    rows = conn.execute("SELECT id, send_id FROM scheduled_sends WHERE state = 'releasing' ORDER BY id").fetchall()
    again = [r["id"] for r in rows if r["send_id"] is None]
    released = [r["id"] for r in rows if r["send_id"] is not None]
    conn.executemany("UPDATE scheduled_sends SET state = 'held' WHERE id = ?", [(i,) for i in again])
    conn.executemany("UPDATE scheduled_sends SET state = 'released' WHERE id = ?", [(i,) for i in released])
    return again, released
