"""Raw poll answers and inbound SMS: what a destructive read returned is kept before it is
parsed, and the SMS it held are stored with it in one transaction."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from bot.store.models import InboundRecord, RawAnswer
from bot.store.numbers import as_stored
from bot.store.repo import SqliteRepo
from bot.store.topics import link_message
from sms_core.models import InboundSms
from sms_core.redaction import redact


class InboundRepo(SqliteRepo):
    # -- raw answers ---------------------------------------------------------------------
    async def store_raw(self, endpoint: str, body: str) -> int:
        """The answer of a destructive read as received, before anything parses it, except for
        the gateway's password: an error page may echo the request URL, and nothing at rest (the
        store, its WAL, a backup of it) may hold the password. It is blanked in every form the
        redactor knows (plain, percent-encoded as UTF-8 or as the gateway's encoding, any
        `us_pwd=` value). A replay parses the same records, unless an SMS quoted the password.
        Returns the raw answer's id."""
        return await self._run(_store_raw, endpoint, body)

    async def probe_write(self) -> None:
        """A row into raw_answers and out again, committed: what a poll answer's first write
        does, so a full, read-only, locked or damaged store says so before a page is read."""
        await self._run(_probe_write)

    async def mark_raw(self, raw_id: int, problem: str | None = None) -> None:
        """Parsed; or, with `problem`, kept for a person (part of it could not be read)."""
        await self._run(mark_raw, raw_id, problem)

    async def unparsed_raw(self) -> list[RawAnswer]:
        """Raw answers not parsed yet, oldest first (replayed at start)."""
        return await self._run(_unparsed_raw)

    # -- inbound SMS ---------------------------------------------------------------------
    async def store(self, messages: Sequence[InboundSms], raw_id: int | None = None,
                    problem: str | None = None) -> list[int]:
        """Store the SMS of a page (a repeated (msg_id, phone) is ignored) and, in the same
        transaction, mark its raw answer as mark_raw does. Returns the new SMS's ids.

        The sender is stored as_stored: `+8613900001111` and `13900001111` are one phone, one topic."""
        return await self._run(_store_page, list(messages), raw_id, problem)

    async def pending(self, limit: int = 1000) -> list[InboundRecord]:
        """SMS not yet in Telegram, oldest first."""
        return await self._run(_pending, limit)

    async def pending_count(self) -> int:
        return await self._run(_pending_count)

    async def count(self) -> int:
        return await self._run(_count)

    async def mark_forwarded(self, ids: Sequence[int], chat_id: int, message_id: int,
                             thread_id: int | None, phone: str | None = None) -> None:
        """The SMS `ids` are shown by Telegram message `message_id`; with `phone`, that message
        speaks for the phone from now on (as TopicsRepo.link_message), in the same transaction."""
        await self._run(_mark_forwarded, list(ids), chat_id, message_id, thread_id, phone)

    async def by_ids(self, ids: Sequence[int]) -> list[InboundRecord]:
        """The rows just stored, for the inbound hooks (alerts acknowledged by SMS)."""
        return await self._run(_by_ids, list(ids))

    async def pending_phones(self, limit: int = 100) -> list[str]:
        """Phones with SMS not yet in Telegram, the one waiting longest first."""
        return await self._run(_pending_phones, limit)

    async def pending_for_phone(self, phone: str, limit: int = 500) -> list[InboundRecord]:
        """One phone's backlog, oldest first: what the forward job joins into few messages."""
        return await self._run(_pending_for_phone, phone, limit)

    async def since(self, after_id: int = 0, limit: int = 1000) -> list[InboundRecord]:
        """SMS in the order they were stored, forwarded or not (audits, tests)."""
        return await self._run(_since, after_id, limit)

    async def texts_of_message(self, chat_id: int, message_id: int) -> list[str]:
        """The SMS texts that a Telegram message of the forward job shows, oldest first ([] when it
        is none): what `/sms NUMBER` in reply to it should text, without header or times."""
        return await self._run(_texts_of_message, chat_id, message_id)


# --- raw answers -------------------------------------------------------------------------


def _store_raw(conn: sqlite3.Connection, endpoint: str, body: str) -> int:
    cur = conn.execute(
        "INSERT INTO raw_answers(received_at, endpoint, body) VALUES (?, ?, ?)",
        (time.time(), endpoint, redact(body)),
    )
    return int(cur.lastrowid or 0)


def _probe_write(conn: sqlite3.Connection) -> None:
    cur = conn.execute("INSERT INTO raw_answers(received_at, endpoint, body, parsed) "
                       "VALUES (?, 'probe', '', 1)", (time.time(),))
    conn.execute("DELETE FROM raw_answers WHERE id = ?", (cur.lastrowid,))
    conn.execute("INSERT OR REPLACE INTO kv(key, value) VALUES ('poll_probe', ?)", (str(time.time()),))


def mark_raw(conn: sqlite3.Connection, raw_id: int, problem: str | None = None) -> None:
    """Also part of the sends repository's store_report_page transaction."""
    conn.execute(
        "UPDATE raw_answers SET parsed = ?, problem = ? WHERE id = ?",
        (0 if problem else 1, problem, raw_id),
    )


def _unparsed_raw(conn: sqlite3.Connection) -> list[RawAnswer]:
    rows = conn.execute("SELECT id, endpoint, body, problem FROM raw_answers WHERE parsed = 0 ORDER BY id")
    return [RawAnswer(r["id"], r["endpoint"], r["body"], r["problem"]) for r in rows]


# --- inbound SMS -------------------------------------------------------------------------


def _store_page(conn: sqlite3.Connection, messages: list[InboundSms], raw_id: int | None,
                problem: str | None) -> list[int]:
    now = time.time()
    new: list[int] = []
    for m in messages:
        cur = conn.execute(
            "INSERT OR IGNORE INTO inbound(received_at, msg_id, phone, text) VALUES (?, ?, ?, ?)",
            (now, m.msg_id, as_stored(m.phone), m.text),
        )
        if cur.rowcount:
            new.append(int(cur.lastrowid or 0))
    if raw_id is not None:
        mark_raw(conn, raw_id, problem)
    return new


def _record(row: sqlite3.Row) -> InboundRecord:
    return InboundRecord(row["id"], row["received_at"], row["msg_id"], row["phone"], row["text"],
                         row["forwarded_at"])


def _pending(conn: sqlite3.Connection, limit: int) -> list[InboundRecord]:
    rows = conn.execute("SELECT * FROM inbound WHERE forwarded_at IS NULL ORDER BY id LIMIT ?", (limit,))
    return [_record(r) for r in rows]


def _pending_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM inbound WHERE forwarded_at IS NULL").fetchone()[0])


def _count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM inbound").fetchone()[0])


def _mark_forwarded(conn: sqlite3.Connection, ids: list[int], chat_id: int, message_id: int,
                    thread_id: int | None, phone: str | None) -> None:
    now = time.time()
    conn.executemany(
        "UPDATE inbound SET forwarded_at = ?, tg_chat_id = ?, tg_message_id = ?, tg_thread_id = ? "
        "WHERE id = ? AND forwarded_at IS NULL",
        [(now, chat_id, message_id, thread_id, i) for i in ids],
    )
    if phone is not None:
        link_message(conn, chat_id, message_id, phone)


def _by_ids(conn: sqlite3.Connection, ids: list[int]) -> list[InboundRecord]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT * FROM inbound WHERE id IN ({marks}) ORDER BY id", ids)
    return [_record(r) for r in rows]


def _pending_phones(conn: sqlite3.Connection, limit: int) -> list[str]:
    rows = conn.execute(
        "SELECT phone, MIN(id) AS first FROM inbound WHERE forwarded_at IS NULL "
        "GROUP BY phone ORDER BY first LIMIT ?",
        (limit,),
    )
    return [r["phone"] for r in rows]


def _pending_for_phone(conn: sqlite3.Connection, phone: str, limit: int) -> list[InboundRecord]:
    rows = conn.execute(
        "SELECT * FROM inbound WHERE phone = ? AND forwarded_at IS NULL ORDER BY id LIMIT ?",
        (phone, limit),
    )
    return [_record(r) for r in rows]


def _since(conn: sqlite3.Connection, after_id: int, limit: int) -> list[InboundRecord]:
    rows = conn.execute("SELECT * FROM inbound WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit))
    return [_record(r) for r in rows]


def _texts_of_message(conn: sqlite3.Connection, chat_id: int, message_id: int) -> list[str]:
    rows = conn.execute(
        "SELECT text FROM inbound WHERE tg_chat_id = ? AND tg_message_id = ? ORDER BY id", (chat_id, message_id)
    )
    return [r["text"] for r in rows]
