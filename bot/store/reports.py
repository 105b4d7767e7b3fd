"""Delivery reports: every report is kept as it comes and matched to its send by (id, phone),
for both forms of the gateway's `d` field (one batch id, or one SMSID per number). SQL of
the sends repository (sends.py), kept apart for size."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from bot.store.models import ReportOutcome
from bot.store.numbers import as_stored
from sms_core.models import DeliveryReport, ReportStatus


def _better(current: int | None, new: int) -> bool:
    """Whether `new` should replace the recipient's last status (one count per number)."""
    if current is None or current == ReportStatus.PENDING:
        return True
    # Among final statuses, a failed part of a long SMS means the message did not arrive whole.
    return new == ReportStatus.FAILED and current != ReportStatus.FAILED


def _apply(conn: sqlite3.Connection, report_id: int, sms_id: str, phone: str, status: int) -> int | None:
    row = conn.execute(
        "SELECT r.send_id, r.report_status FROM send_ids i "
        "JOIN recipients r ON r.send_id = i.send_id AND r.phone = ? "
        "WHERE i.sms_id = ? ORDER BY r.send_id DESC LIMIT 1",
        (phone, sms_id),
    ).fetchone()
    if row is None:
        return None
    send_id: int = row["send_id"]
    conn.execute("UPDATE reports SET send_id = ?, processed = 1 WHERE id = ?", (send_id, report_id))
    if _better(row["report_status"], status):
        conn.execute(
            "UPDATE recipients SET report_status = ?, reported_at = ? WHERE send_id = ? AND phone = ?",
            (status, time.time(), send_id, phone),
        )
        conn.execute("UPDATE sends SET status_version = status_version + 1 WHERE id = ?", (send_id,))
    return send_id


def store_reports(conn: sqlite3.Connection, reports: Sequence[DeliveryReport]) -> ReportOutcome:
    """Keep every report; match those that belong to a known send. Unmatched ones stay, counted."""
    now = time.time()
    touched: set[int] = set()
    matched = 0
    for rep in reports:
        phone = as_stored(rep.phone)  # a gateway that echoes `+86…`, `0086…` or `86…` still matches
        cur = conn.execute(
            "INSERT INTO reports(received_at, sms_id, phone, status) VALUES (?, ?, ?, ?)",
            (now, rep.sms_id, phone, rep.status),
        )
        send_id = _apply(conn, int(cur.lastrowid or 0), rep.sms_id, phone, rep.status)
        if send_id is not None:
            matched += 1
            touched.add(send_id)
    return ReportOutcome(len(reports), matched, len(reports) - matched, tuple(sorted(touched)))


def rematch(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Reports that arrived before their send's ids were recorded (a crash in between)."""
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT id, sms_id, phone, status FROM reports WHERE send_id IS NULL AND sms_id IN ({marks})",
        list(ids),
    ).fetchall()
    for r in rows:
        _apply(conn, r["id"], r["sms_id"], r["phone"], r["status"])


def unmatched_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM reports WHERE send_id IS NULL").fetchone()[0])


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
