"""The audit log: who did what, one line per row, never a secret."""

from __future__ import annotations

import sqlite3
import time

from bot.escaping import escape_controls
from bot.store.models import AuditRecord
from bot.store.repo import SqliteRepo
from sms_core.redaction import redact


class AuditRepo(SqliteRepo):
    async def record(self, kind: str, chat_id: int | None = None, user_id: int | None = None,
                     detail: str | None = None) -> None:
        """One audit row. The detail often quotes outside text (a URL path, chat text, an
        answer), so it is written on one line (control characters and line separators escaped:
        no row can pass for two) and with the gateway's password blanked in every form it takes."""
        await self._run(_record, kind, chat_id, user_id, detail)

    async def recent(self, kind: str | None = None, limit: int = 100) -> list[AuditRecord]:
        """The newest rows first, of one kind or of all."""
        return await self._run(_recent, kind, limit)


def _record(conn: sqlite3.Connection, kind: str, chat_id: int | None, user_id: int | None,
            detail: str | None) -> None:
    if detail is not None:
        detail = escape_controls(redact(detail))
    conn.execute(
        "INSERT INTO audit(at, kind, chat_id, user_id, detail) VALUES (?, ?, ?, ?, ?)",
        (time.time(), escape_controls(kind), chat_id, user_id, detail),
    )


def _recent(conn: sqlite3.Connection, kind: str | None, limit: int) -> list[AuditRecord]:
    if kind:
        rows = conn.execute("SELECT * FROM audit WHERE kind = ? ORDER BY id DESC LIMIT ?", (kind, limit))
    else:
        rows = conn.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
    return [AuditRecord(r["id"], r["at"], r["kind"], r["chat_id"], r["user_id"], r["detail"]) for r in rows]
