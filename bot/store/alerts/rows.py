"""Alert rows as records, shared by the alert repositories' SQL."""

from __future__ import annotations

import json
import sqlite3

from bot.store.errors import DatabaseError
from bot.store.models import AlertItemRecord, AlertRecord


def alert_record(row: sqlite3.Row) -> AlertRecord:
    return AlertRecord(
        id=row["id"], received_at=row["received_at"], source=row["source"],
        group_name=row["group_name"], fingerprint=row["fingerprint"], status=row["status"],
        name=row["name"], summary=row["summary"], labels=json.loads(row["labels"]),
        code=row["code"], state=row["state"], text=row["text"], send_id=row["send_id"],
        attempts=row["attempts"], next_attempt_at=row["next_attempt_at"], error=row["error"],
        suppressed=row["suppressed"], acked_by=row["acked_by"], acked_at=row["acked_at"],
        closed_at=row["closed_at"], copy_chat_id=row["copy_chat_id"],
        copy_message_id=row["copy_message_id"], copy_version=row["copy_version"],
        copy_shown=row["copy_shown"], copy_send_shown=row["copy_send_shown"],
        copy_edited_at=row["copy_edited_at"], resolved_at=row["resolved_at"],
    )


def item_record(row: sqlite3.Row) -> AlertItemRecord:
    return AlertItemRecord(row["alert_id"], row["position"], row["fingerprint"], row["status"],
                           row["name"], row["summary"], json.loads(row["labels"]), row["outcome"])


def get_alert(conn: sqlite3.Connection, alert_id: int) -> AlertRecord | None:
    row = conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    return alert_record(row) if row else None


def must_get_alert(conn: sqlite3.Connection, alert_id: int) -> AlertRecord:
    """The alert just written in this transaction."""
    record = get_alert(conn, alert_id)
    if record is None:
        raise DatabaseError(f"alert {alert_id} vanished inside its own transaction")
    return record


def alert_items(conn: sqlite3.Connection, alert_id: int) -> list[AlertItemRecord]:
    rows = conn.execute("SELECT * FROM alert_items WHERE alert_id = ? ORDER BY position", (alert_id,))
    return [item_record(r) for r in rows]
