"""The audit log, small key-value facts, and pending confirmations."""

from __future__ import annotations

import sqlite3
import time

from bot.escaping import escape_controls
from bot.store.models import AuditRecord, Confirmation
from sms_core.redaction import redact


def audit(conn: sqlite3.Connection, kind: str, chat_id: int | None, user_id: int | None, detail: str | None) -> None:
    """One audit row. The detail often quotes outside text (a URL path, chat text, an
    answer), so it is written on one line (control characters and line separators escaped:
    no row can pass for two) and with the gateway's password blanked in every form it takes."""
    if detail is not None:
        detail = escape_controls(redact(detail))
    conn.execute(
        "INSERT INTO audit(at, kind, chat_id, user_id, detail) VALUES (?, ?, ?, ?, ?)",
        (time.time(), escape_controls(kind), chat_id, user_id, detail),
    )


def audit_records(conn: sqlite3.Connection, kind: str | None = None, limit: int = 100) -> list[AuditRecord]:
    if kind:
        rows = conn.execute("SELECT * FROM audit WHERE kind = ? ORDER BY id DESC LIMIT ?", (kind, limit))
    else:
        rows = conn.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
    return [AuditRecord(r["id"], r["at"], r["kind"], r["chat_id"], r["user_id"], r["detail"]) for r in rows]


def kv_get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else None


def kv_set(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM kv WHERE key = ?", (key,))
    else:
        conn.execute("INSERT OR REPLACE INTO kv(key, value) VALUES (?, ?)", (key, value))


def add_confirmation(
    conn: sqlite3.Connection, token: str, chat_id: int, user_id: int, payload: str
) -> None:
    conn.execute(
        "INSERT INTO confirmations(token, created_at, chat_id, user_id, payload) VALUES (?, ?, ?, ?, ?)",
        (token, time.time(), chat_id, user_id, payload),
    )


def set_confirmation_message(conn: sqlite3.Connection, token: str, message_id: int) -> None:
    conn.execute("UPDATE confirmations SET message_id = ? WHERE token = ?", (message_id, token))


def get_confirmation(conn: sqlite3.Connection, token: str) -> Confirmation | None:
    row = conn.execute("SELECT * FROM confirmations WHERE token = ?", (token,)).fetchone()
    if row is None:
        return None
    return Confirmation(row["token"], row["created_at"], row["chat_id"], row["user_id"],
                        row["message_id"], row["payload"], row["state"])


def close_confirmation(conn: sqlite3.Connection, token: str, state: str) -> bool:
    """Move an open confirmation to `state`; False if it was no longer open (a double click)."""
    return conn.execute(
        "UPDATE confirmations SET state = ? WHERE token = ? AND state = 'open'", (state, token)
    ).rowcount > 0


def expired_confirmations(conn: sqlite3.Connection, older_than: float) -> list[Confirmation]:
    rows = conn.execute(
        "SELECT * FROM confirmations WHERE state = 'open' AND created_at < ?", (older_than,)
    )
    return [Confirmation(r["token"], r["created_at"], r["chat_id"], r["user_id"], r["message_id"],
                         r["payload"], r["state"]) for r in rows]


def claim_message(conn: sqlite3.Connection, chat_id: int, message_id: int) -> bool:
    """True the first time a Telegram message is acted on, False after.

    Telegram hands an update out again when the bot died before confirming it; the
    claim is committed before the SMS goes out, so a redelivered /sms never texts twice.
    """
    cur = conn.execute(
        "INSERT OR IGNORE INTO kv(key, value) VALUES (?, ?)", (f"msg:{chat_id}:{message_id}", str(time.time()))
    )
    return cur.rowcount > 0
