"""Acknowledging an alert by the code its SMS carried: once, by one person, for the group
that got it; its firing alerts stay silent for that group until they resolve."""

from __future__ import annotations

import sqlite3

from bot.store.alerts.rows import alert_record, must_get_alert
from bot.store.models import AlertRecord
from bot.store.repo import SqliteRepo


class AlertAcksRepo(SqliteRepo):
    async def open_by_code(self, code: int, now: float, open_ttl: float) -> AlertRecord | None:
        """The newest notification with `code` that still takes an ack (not closed, not acked,
        received less than `open_ttl` seconds before `now`)."""
        return await self._run(_open_by_code, code, now, open_ttl)

    async def latest_by_code(self, code: int, since: float) -> AlertRecord | None:
        """The newest notification given `code` and received after `since`, whatever became of
        it (acknowledged, resolved, expired): what a code that takes no ack stood for last. A
        code is never given again while its alert is open, nor soon after it closed."""
        return await self._run(_latest_by_code, code, since)

    async def phones(self, alert_id: int) -> set[str]:
        """Every phone any send of this alert was addressed to (who may acknowledge it)."""
        return await self._run(_phones, alert_id)

    async def ack(self, alert_id: int, by: str, now: float, expires_at: float | None = None) -> AlertRecord | None:
        """Mark an open alert acknowledged; its firing alerts are silenced for its group until they
        resolve (or until `expires_at`). None when it was already acknowledged or closed (two
        people at once)."""
        return await self._run(_ack, alert_id, by, now, expires_at)


def _open_by_code(conn: sqlite3.Connection, code: int, now: float, open_ttl: float) -> AlertRecord | None:
    row = conn.execute(
        "SELECT * FROM alerts WHERE code = ? AND closed_at IS NULL AND acked_at IS NULL AND received_at > ? "
        "ORDER BY id DESC LIMIT 1",
        (code, now - open_ttl),
    ).fetchone()
    return alert_record(row) if row else None


def _latest_by_code(conn: sqlite3.Connection, code: int, since: float) -> AlertRecord | None:
    row = conn.execute(
        "SELECT * FROM alerts WHERE code = ? AND received_at > ? ORDER BY id DESC LIMIT 1", (code, since)
    ).fetchone()
    return alert_record(row) if row else None


def _phones(conn: sqlite3.Connection, alert_id: int) -> set[str]:
    rows = conn.execute(
        "SELECT DISTINCT r.phone FROM recipients r JOIN sends s ON s.id = r.send_id WHERE s.alert_id = ?",
        (alert_id,),
    )
    return {r["phone"] for r in rows}


def _ack(conn: sqlite3.Connection, alert_id: int, by: str, now: float,
         expires_at: float | None) -> AlertRecord | None:
    cur = conn.execute(
        "UPDATE alerts SET acked_by = ?, acked_at = ?, closed_at = COALESCE(closed_at, ?), "
        "copy_version = copy_version + 1, "
        "state = CASE WHEN state IN ('stored', 'failed') THEN 'acked' ELSE state END "
        "WHERE id = ? AND acked_at IS NULL AND closed_at IS NULL",
        (by, now, now, alert_id),
    )
    if cur.rowcount == 0:
        return None
    fps = [r["fingerprint"] for r in conn.execute(
        "SELECT DISTINCT fingerprint FROM alert_items WHERE alert_id = ? AND status = 'firing' AND outcome = 'new'",
        (alert_id,),
    )]
    record = must_get_alert(conn, alert_id)
    conn.executemany(
        "INSERT OR REPLACE INTO alert_acks(group_name, fingerprint, alert_id, acked_by, acked_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(record.group_name, fp, alert_id, by, now, expires_at) for fp in fps],
    )
    return record
