"""Raw poll answers, inbound SMS, and the phone <-> Telegram mapping (topics, messages)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from bot.store.models import InboundRecord, Thread
from bot.store.numbers import as_stored
from sms_core.models import InboundSms
from sms_core.redaction import redact


def store_raw(conn: sqlite3.Connection, endpoint: str, body: str) -> int:
    """The answer of a destructive read as received, before anything parses it, except for
    the gateway's password: an error page may echo the request URL, and nothing at rest (the
    store, its WAL, a backup of it) may hold the password. It is blanked in every form the
    redactor knows (plain, percent-encoded as UTF-8 or as the gateway's encoding, any
    `us_pwd=` value). A replay parses the same records, unless an SMS quoted the password."""
    cur = conn.execute(
        "INSERT INTO raw_answers(received_at, endpoint, body) VALUES (?, ?, ?)",
        (time.time(), endpoint, redact(body)),
    )
    return int(cur.lastrowid or 0)


def mark_raw(conn: sqlite3.Connection, raw_id: int, problem: str | None = None) -> None:
    conn.execute(
        "UPDATE raw_answers SET parsed = ?, problem = ? WHERE id = ?",
        (0 if problem else 1, problem, raw_id),
    )


def unparsed_raw(conn: sqlite3.Connection) -> list[tuple[int, str, str, str | None]]:
    rows = conn.execute("SELECT id, endpoint, body, problem FROM raw_answers WHERE parsed = 0 ORDER BY id")
    return [(r["id"], r["endpoint"], r["body"], r["problem"]) for r in rows]


def store_inbound(conn: sqlite3.Connection, messages: Sequence[InboundSms]) -> list[int]:
    """Insert new inbound SMS (a repeated (msg_id, phone) is ignored); returns the new row ids.

    The sender is stored as_stored: `+8613900001111` and `13900001111` are one phone, one topic."""
    now = time.time()
    new: list[int] = []
    for m in messages:
        cur = conn.execute(
            "INSERT OR IGNORE INTO inbound(received_at, msg_id, phone, text) VALUES (?, ?, ?, ?)",
            (now, m.msg_id, as_stored(m.phone), m.text),
        )
        if cur.rowcount:
            new.append(int(cur.lastrowid or 0))
    return new


def _inbound(row: sqlite3.Row) -> InboundRecord:
    return InboundRecord(row["id"], row["received_at"], row["msg_id"], row["phone"], row["text"], row["forwarded_at"])


def pending_inbound(conn: sqlite3.Connection, limit: int = 1000) -> list[InboundRecord]:
    rows = conn.execute(
        "SELECT * FROM inbound WHERE forwarded_at IS NULL ORDER BY id LIMIT ?", (limit,)
    )
    return [_inbound(r) for r in rows]


def pending_inbound_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM inbound WHERE forwarded_at IS NULL").fetchone()[0]


def mark_forwarded(
    conn: sqlite3.Connection, ids: Sequence[int], chat_id: int, message_id: int, thread_id: int | None
) -> None:
    now = time.time()
    conn.executemany(
        "UPDATE inbound SET forwarded_at = ?, tg_chat_id = ?, tg_message_id = ?, tg_thread_id = ? "
        "WHERE id = ? AND forwarded_at IS NULL",
        [(now, chat_id, message_id, thread_id, i) for i in ids],
    )


def inbound_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]


def recent_inbound(conn: sqlite3.Connection, phone: str, limit: int = 20) -> list[InboundRecord]:
    rows = conn.execute("SELECT * FROM inbound WHERE phone = ? ORDER BY id DESC LIMIT ?", (phone, limit))
    return [_inbound(r) for r in rows]


# --- topics and messages ------------------------------------------------------------------


def get_thread(conn: sqlite3.Connection, phone: str, chat_id: int) -> Thread | None:
    row = conn.execute(
        "SELECT phone, chat_id, thread_id, title FROM threads WHERE phone = ? AND chat_id = ?", (phone, chat_id)
    ).fetchone()
    return Thread(row["phone"], row["chat_id"], row["thread_id"], row["title"]) if row else None


def set_thread(conn: sqlite3.Connection, phone: str, chat_id: int, thread_id: int, title: str) -> None:
    conn.execute("DELETE FROM threads WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id))
    conn.execute(
        "INSERT INTO threads(phone, chat_id, thread_id, title, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(phone) DO UPDATE SET chat_id = excluded.chat_id, thread_id = excluded.thread_id, "
        "title = excluded.title, created_at = excluded.created_at",
        (phone, chat_id, thread_id, title, time.time()),
    )


def drop_thread(conn: sqlite3.Connection, phone: str, thread_id: int) -> None:
    """Forget a topic that Telegram says is gone (only that one: a newer mapping stays)."""
    conn.execute("DELETE FROM threads WHERE phone = ? AND thread_id = ?", (phone, thread_id))


def phone_for_thread(conn: sqlite3.Connection, chat_id: int, thread_id: int) -> str | None:
    row = conn.execute(
        "SELECT phone FROM threads WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id)
    ).fetchone()
    return row["phone"] if row else None


def link_message(conn: sqlite3.Connection, chat_id: int, message_id: int, phone: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO tg_messages(chat_id, message_id, phone) VALUES (?, ?, ?)",
        (chat_id, message_id, phone),
    )


def phone_for_message(conn: sqlite3.Connection, chat_id: int, message_id: int) -> str | None:
    row = conn.execute(
        "SELECT phone FROM tg_messages WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
    ).fetchone()
    return row["phone"] if row else None


# --- two-way SMS (poll, forward and reply jobs) ---------------------------------------------


def inbound_by_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> list[InboundRecord]:
    """The rows just stored, for the inbound hooks (alerts acknowledged by SMS)."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT * FROM inbound WHERE id IN ({marks}) ORDER BY id", list(ids))
    return [_inbound(r) for r in rows]


def pending_phones(conn: sqlite3.Connection, limit: int = 100) -> list[str]:
    """Phones with SMS not yet in Telegram, the one waiting longest first."""
    rows = conn.execute(
        "SELECT phone, MIN(id) AS first FROM inbound WHERE forwarded_at IS NULL "
        "GROUP BY phone ORDER BY first LIMIT ?",
        (limit,),
    )
    return [r["phone"] for r in rows]


def pending_for_phone(conn: sqlite3.Connection, phone: str, limit: int = 500) -> list[InboundRecord]:
    """One phone's backlog, oldest first: what the forward job joins into few messages."""
    rows = conn.execute(
        "SELECT * FROM inbound WHERE phone = ? AND forwarded_at IS NULL ORDER BY id LIMIT ?",
        (phone, limit),
    )
    return [_inbound(r) for r in rows]



def inbound_since(conn: sqlite3.Connection, after_id: int = 0, limit: int = 1000) -> list[InboundRecord]:
    """Inbound SMS in the order they were stored, forwarded or not (audits, tests)."""
    rows = conn.execute("SELECT * FROM inbound WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit))
    return [_inbound(r) for r in rows]


def texts_of_message(conn: sqlite3.Connection, chat_id: int, message_id: int) -> list[str]:
    """The SMS texts that a Telegram message of the forward job shows, oldest first ([] when it is
    none): what `/sms NUMBER` in reply to it should text, without header or times."""
    rows = conn.execute(
        "SELECT text FROM inbound WHERE tg_chat_id = ? AND tg_message_id = ? ORDER BY id", (chat_id, message_id)
    )
    return [r["text"] for r in rows]
