"""The send journal: a send is written before the gateway is called, then its outcome.

Delivery reports are stored as they come and matched to sends by (id, phone), for
both forms of the gateway's `d` field (one batch id, or one SMSID per number).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence

from bot.store.models import OutcomeGroup, Recipient, ReportOutcome, SendRecord
from bot.store.numbers import as_stored
from sms_core.models import DeliveryReport, ReportStatus

CHUNK_SIZE = 100

_SEND_SELECT = """
SELECT s.*,
  (SELECT COUNT(*) FROM recipients r WHERE r.send_id = s.id) AS n_recipients,
  (SELECT COUNT(*) FROM recipients r WHERE r.send_id = s.id AND r.report_status = 10) AS n_delivered,
  (SELECT COUNT(*) FROM recipients r WHERE r.send_id = s.id AND r.report_status = 20) AS n_failed,
  (SELECT COUNT(*) FROM recipients r WHERE r.send_id = s.id AND r.state = 'unknown') AS n_unknown,
  (SELECT json_group_array(json_array(g.state, g.reason, g.reason_arg, g.n)) FROM (
     SELECT r.state, r.reason, r.reason_arg, COUNT(*) AS n FROM recipients r
     WHERE r.send_id = s.id AND r.state IN ('unknown', 'failed', 'refused')
     GROUP BY r.state, r.reason, r.reason_arg) g) AS outcomes,
  (SELECT json_group_array(n.phone) FROM (
     SELECT r.phone FROM recipients r WHERE r.send_id = s.id AND r.state IN ('failed', 'refused')
     ORDER BY r.chunk, r.rowid) n) AS not_sent
FROM sends s
"""

NOT_SENT = ("failed", "refused")
"""Recipient states of numbers that certainly did not go out."""


def _record(row: sqlite3.Row) -> SendRecord:
    return SendRecord(
        id=row["id"], created_at=row["created_at"], origin=row["origin"], chat_id=row["chat_id"],
        user_id=row["user_id"], user_name=row["user_name"], text=row["text"],
        segments=row["segments"], scheduled_at=row["scheduled_at"], state=row["state"],
        error=row["error"], accepted=row["accepted"], rejected=row["rejected"],
        recipients=row["n_recipients"], delivered=row["n_delivered"], failed=row["n_failed"],
        unknown=row["n_unknown"], status_chat_id=row["status_chat_id"],
        status_message_id=row["status_message_id"], status_thread_id=row["status_thread_id"],
        status_version=row["status_version"], status_shown=row["status_shown"],
        status_edited_at=row["status_edited_at"], alert_id=row["alert_id"], lang=row["lang"],
        error_kind=row["error_kind"], error_arg=row["error_arg"],
        outcomes=tuple(OutcomeGroup(state, reason, arg, n) for state, reason, arg, n in json.loads(row["outcomes"])),
        not_sent=tuple(json.loads(row["not_sent"])),
    )


def journal_send(
    conn: sqlite3.Connection,
    *,
    origin: str,
    text: str,
    segments: int,
    numbers: Sequence[str],
    chat_id: int | None = None,
    user_id: int | None = None,
    user_name: str | None = None,
    scheduled_at: str | None = None,
    alert_id: int | None = None,
    lang: str = "en",
    status_chat_id: int | None = None,
    status_thread_id: int | None = None,
) -> int:
    """`status_chat_id` (and thread): where the send's status message is owed. It stays owed,
    status_message_id NULL, until Telegram accepted one (owed_status_sends)."""
    cur = conn.execute(
        "INSERT INTO sends(created_at, origin, chat_id, user_id, user_name, text, segments, "
        "scheduled_at, alert_id, lang, status_chat_id, status_thread_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (time.time(), origin, chat_id, user_id, user_name, text, segments, scheduled_at, alert_id, lang,
         status_chat_id, status_thread_id),
    )
    send_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO recipients(send_id, phone, chunk) VALUES (?, ?, ?)",
        [(send_id, phone, i // CHUNK_SIZE) for i, phone in enumerate(numbers)],
    )
    return send_id


def record_chunk(
    conn: sqlite3.Connection,
    send_id: int,
    chunk: int,
    state: str,
    accepted: int,
    rejected: int,
    ids: Sequence[str],
    error: str | None,
    error_kind: str | None = None,
    error_arg: str | None = None,
) -> None:
    """A chunk's outcome; its numbers keep the reason (`error_kind`, `error_arg`) unless accepted."""
    reason, arg = (None, None) if state == "accepted" else (error_kind, error_arg)
    conn.execute(
        "UPDATE recipients SET state = ?, reason = ?, reason_arg = ? WHERE send_id = ? AND chunk = ?",
        (state, reason, arg, send_id, chunk),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO send_ids(sms_id, send_id, chunk) VALUES (?, ?, ?)",
        [(i, send_id, chunk) for i in ids],
    )
    conn.execute(
        "UPDATE sends SET accepted = accepted + ?, rejected = rejected + ?, error = COALESCE(?, error), "
        "error_kind = COALESCE(?, error_kind), error_arg = COALESCE(?, error_arg), "
        "status_version = status_version + 1 WHERE id = ?",
        (accepted, rejected, error, error_kind, error_arg, send_id),
    )
    if ids:
        _rematch(conn, ids)


def finish_send(conn: sqlite3.Connection, send_id: int, state: str, error: str | None = None,
                error_kind: str | None = None, error_arg: str | None = None) -> None:
    conn.execute(
        "UPDATE sends SET state = ?, error = COALESCE(?, error), error_kind = COALESCE(?, error_kind), "
        "error_arg = COALESCE(?, error_arg), status_version = status_version + 1 WHERE id = ?",
        (state, error, error_kind, error_arg, send_id),
    )
    # Recipients of chunks never attempted (the send stopped early) share the send's fate.
    conn.execute(
        "UPDATE recipients SET state = ? WHERE send_id = ? AND state = 'pending'",
        ("refused" if state in ("refused", "partial") else state, send_id),
    )


def start_chunk(conn: sqlite3.Connection, send_id: int, chunk: int) -> None:
    """The chunk's request is about to leave: from now on a crash leaves its outcome unknown.
    Committed before the request, so chunks still `pending` after a crash certainly never left."""
    conn.execute("UPDATE recipients SET state = 'sending' WHERE send_id = ? AND chunk = ? AND state = 'pending'",
                 (send_id, chunk))


def settle_send(conn: sqlite3.Connection, send_id: int, reason: str, reason_arg: str | None = None,
                error: str | None = None) -> str:
    """A send that stopped before every chunk's answer was recorded (a crash, an error): the
    chunk in flight has an unknown outcome, never retried; the chunks never started were not
    sent. Both keep `reason`. Returns the send's state, as its recipients now say."""
    conn.execute("UPDATE recipients SET state = 'unknown', reason = ?, reason_arg = ? "
                 "WHERE send_id = ? AND state = 'sending'", (reason, reason_arg, send_id))
    conn.execute("UPDATE recipients SET state = 'failed', reason = ?, reason_arg = ? "
                 "WHERE send_id = ? AND state = 'pending'", (reason, reason_arg, send_id))
    states = {r[0] for r in conn.execute("SELECT DISTINCT state FROM recipients WHERE send_id = ?", (send_id,))}
    state = _overall(states)
    conn.execute(
        "UPDATE sends SET state = ?, error = COALESCE(error, ?), error_kind = COALESCE(error_kind, ?), "
        "error_arg = COALESCE(error_arg, ?), status_version = status_version + 1 WHERE id = ?",
        (state, error or reason, reason, reason_arg, send_id),
    )
    return state


def _overall(states: set[str]) -> str:
    """A send's state from its recipients' states (as the sending service words a whole send)."""
    if states <= {"accepted"}:
        return "accepted"
    if "accepted" in states:
        return "partial"
    if "unknown" in states:
        return "unknown"
    if states == {"failed"}:
        return "failed"
    return "refused"


def settle_interrupted_sends(conn: sqlite3.Connection) -> list[int]:
    """Sends still pending from a run that died: the chunk in flight is unknown (never retried),
    the chunks never started are not sent (a sender may send them again)."""
    ids = [r["id"] for r in conn.execute("SELECT id FROM sends WHERE state = 'pending'")]
    for send_id in ids:
        settle_send(conn, send_id, "interrupted", None, "interrupted: the bot stopped during the send")
    return ids


def set_status_message(
    conn: sqlite3.Connection, send_id: int, chat_id: int, message_id: int, thread_id: int | None,
    shown_version: int | None = None,
) -> None:
    conn.execute(
        "UPDATE sends SET status_chat_id = ?, status_message_id = ?, status_thread_id = ?, "
        "status_shown = COALESCE(?, status_shown), status_edited_at = ? WHERE id = ?",
        (chat_id, message_id, thread_id, shown_version, time.time(), send_id),
    )


def mark_status_shown(conn: sqlite3.Connection, send_id: int, version: int) -> None:
    conn.execute(
        "UPDATE sends SET status_shown = MAX(status_shown, ?), status_edited_at = ? WHERE id = ?",
        (version, time.time(), send_id),
    )


def get_send(conn: sqlite3.Connection, send_id: int) -> SendRecord | None:
    row = conn.execute(_SEND_SELECT + " WHERE s.id = ?", (send_id,)).fetchone()
    return _record(row) if row else None


def dirty_status_sends(conn: sqlite3.Connection, limit: int = 50) -> list[SendRecord]:
    rows = conn.execute(
        _SEND_SELECT + " WHERE s.status_message_id IS NOT NULL AND s.status_version > s.status_shown "
        "ORDER BY s.status_edited_at LIMIT ?",
        (limit,),
    )
    return [_record(r) for r in rows]


def owed_status_sends(conn: sqlite3.Connection, limit: int = 50) -> list[SendRecord]:
    """Sends whose status message is owed in a chat and was never accepted by Telegram (the
    answer hit an outage, or the bot stopped before it): the forward job posts them, oldest first."""
    rows = conn.execute(
        _SEND_SELECT + " WHERE s.status_chat_id IS NOT NULL AND s.status_message_id IS NULL "
        "ORDER BY s.id LIMIT ?",
        (limit,),
    )
    return [_record(r) for r in rows]


def forgo_status(conn: sqlite3.Connection, send_id: int) -> None:
    """No status message can be shown for this send (the chat refuses it): owed no more."""
    conn.execute("UPDATE sends SET status_chat_id = NULL, status_thread_id = NULL "
                 "WHERE id = ? AND status_message_id IS NULL", (send_id,))


def history(conn: sqlite3.Connection, phones: Sequence[str] | None = None, limit: int = 10) -> list[SendRecord]:
    if phones:
        marks = ",".join("?" * len(phones))
        rows = conn.execute(
            _SEND_SELECT + f" WHERE s.id IN (SELECT send_id FROM recipients WHERE phone IN ({marks})) "
            "ORDER BY s.id DESC LIMIT ?",
            (*phones, limit),
        )
    else:
        rows = conn.execute(_SEND_SELECT + " ORDER BY s.id DESC LIMIT ?", (limit,))
    return [_record(r) for r in rows]


def recipients_of(conn: sqlite3.Connection, send_id: int) -> list[Recipient]:
    rows = conn.execute(
        "SELECT send_id, phone, chunk, state, report_status FROM recipients WHERE send_id = ? "
        "ORDER BY chunk, rowid",
        (send_id,),
    )
    return [Recipient(r["send_id"], r["phone"], r["chunk"], r["state"], r["report_status"]) for r in rows]


def sends_by_state(conn: sqlite3.Connection, states: Iterable[str]) -> list[SendRecord]:
    states = list(states)
    marks = ",".join("?" * len(states))
    rows = conn.execute(_SEND_SELECT + f" WHERE s.state IN ({marks}) ORDER BY s.id", states)
    return [_record(r) for r in rows]


# --- delivery reports -------------------------------------------------------------


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
    send_id = row["send_id"]
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


def _rematch(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Reports that arrived before their send's ids were recorded (a crash in between)."""
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT id, sms_id, phone, status FROM reports WHERE send_id IS NULL AND sms_id IN ({marks})",
        list(ids),
    ).fetchall()
    for r in rows:
        _apply(conn, r["id"], r["sms_id"], r["phone"], r["status"])


def unmatched_report_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM reports WHERE send_id IS NULL").fetchone()[0]


def report_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]


# --- two-way SMS (forward job) --------------------------------------------------------


def dirty_status_count(conn: sqlite3.Connection) -> int:
    """Status messages whose counts changed since Telegram last showed them (a metric)."""
    return conn.execute(
        "SELECT COUNT(*) FROM sends WHERE status_message_id IS NOT NULL AND status_version > status_shown"
    ).fetchone()[0]
