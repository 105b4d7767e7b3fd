"""The send journal: a send is written before the gateway is called, then its outcome, then
the delivery reports that come for it (SQL of the reports in reports.py)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence

from bot.store import reports as _reports
from bot.store.inbound import mark_raw
from bot.store.models import NumberOutcome, OutcomeGroup, Recipient, ReportOutcome, SendRecord
from bot.store.repo import SqliteRepo
from sms_core.models import DeliveryReport

CHUNK_SIZE = 100

NOT_SENT = ("failed", "refused")
"""Recipient states of numbers that certainly did not go out."""


class SendsRepo(SqliteRepo):
    """Sends with their recipients, chunks, status messages and delivery reports."""

    # -- the journal ---------------------------------------------------------------------
    async def journal(
        self, *, origin: str, text: str, segments: int, numbers: Sequence[str], chat_id: int | None = None,
        user_id: int | None = None, user_name: str | None = None, scheduled_at: str | None = None,
        alert_id: int | None = None, lang: str = "en", status_chat_id: int | None = None,
        status_thread_id: int | None = None,
    ) -> int:
        """Commit a send, its numbers in chunks of CHUNK_SIZE, before the gateway is called;
        returns its id. `status_chat_id` (and thread): where the send's status message is owed.
        It stays owed until Telegram accepted one (owed_statuses)."""
        return await self._run(_journal, origin, text, segments, list(numbers), chat_id, user_id, user_name,
                               scheduled_at, alert_id, lang, status_chat_id, status_thread_id)

    async def start_chunk(self, send_id: int, chunk: int) -> None:
        """The chunk's request is about to leave: from now on a crash leaves its outcome unknown.
        Committed before the request, so chunks still pending after a crash certainly never left."""
        await self._run(_start_chunk, send_id, chunk)

    async def record_chunk(self, send_id: int, chunk: int, state: str, accepted: int, rejected: int,
                           ids: Sequence[str], error: str | None, error_kind: str | None = None,
                           error_arg: str | None = None) -> None:
        """A chunk's outcome and the gateway's ids for it; its numbers keep the reason
        (`error_kind`, `error_arg`) unless accepted. Reports that came before are matched now."""
        await self._run(_record_chunk, send_id, chunk, state, accepted, rejected, list(ids), error,
                        error_kind, error_arg)

    async def finish(self, send_id: int, state: str, error: str | None = None,
                     error_kind: str | None = None, error_arg: str | None = None) -> None:
        """The send's final state; numbers of chunks never attempted share its fate."""
        await self._run(_finish, send_id, state, error, error_kind, error_arg)

    async def settle(self, send_id: int, reason: str, reason_arg: str | None = None,
                     error: str | None = None) -> str:
        """A send that stopped before every chunk's answer was recorded (a crash, an error): the
        chunk in flight has an unknown outcome, never retried; the chunks never started were not
        sent. Both keep `reason`. Returns the send's state, as its recipients now say."""
        return await self._run(_settle, send_id, reason, reason_arg, error)

    async def settle_interrupted(self) -> list[int]:
        """Settle the sends still pending from a run that died; returns their ids."""
        return await self._run(_settle_interrupted)

    # -- reading -------------------------------------------------------------------------
    async def get(self, send_id: int) -> SendRecord | None:
        return await self._run(get_send, send_id)

    async def history(self, phones: Sequence[str] | None = None, limit: int = 10) -> list[SendRecord]:
        """The newest sends first, all or those to any of `phones`."""
        return await self._run(_history, list(phones) if phones else None, limit)

    async def recipients(self, send_id: int) -> list[Recipient]:
        """The send's numbers in send order."""
        return await self._run(_recipients, send_id)

    async def numbers(self, send_id: int) -> list[NumberOutcome]:
        """The send's numbers in send order, each with its state, last report and reason."""
        return await self._run(_numbers, send_id)

    async def phone_outcomes(self, phone: str, limit: int = 10) -> list[NumberOutcome]:
        """What became of `phone` in each of its newest sends, newest first (the sends that
        history([phone], limit) returns, in the same order)."""
        return await self._run(_phone_outcomes, phone, limit)

    async def in_states(self, states: Sequence[str]) -> list[SendRecord]:
        return await self._run(_in_states, list(states))

    # -- status messages -----------------------------------------------------------------
    async def set_status_message(self, send_id: int, chat_id: int, message_id: int, thread_id: int | None,
                                 shown_version: int | None = None) -> None:
        await self._run(_set_status_message, send_id, chat_id, message_id, thread_id, shown_version)

    async def mark_status_shown(self, send_id: int, version: int) -> None:
        await self._run(_mark_status_shown, send_id, version)

    async def forgo_status(self, send_id: int) -> None:
        """No status message can be shown for this send (the chat refuses it): owed no more."""
        await self._run(_forgo_status, send_id)

    async def dirty_statuses(self, limit: int = 50) -> list[SendRecord]:
        """Sends whose status message Telegram shows out of date, least recently edited first."""
        return await self._run(_dirty_statuses, limit)

    async def dirty_status_count(self) -> int:
        """Status messages whose counts changed since Telegram last showed them (a metric)."""
        return await self._run(_dirty_status_count)

    async def owed_statuses(self, limit: int = 50) -> list[SendRecord]:
        """Sends whose status message is owed in a chat and was never accepted by Telegram (the
        answer hit an outage, or the bot stopped before it): the forward job posts them, oldest first."""
        return await self._run(_owed_statuses, limit)

    # -- delivery reports ------------------------------------------------------------------
    async def store_reports(self, reports: Sequence[DeliveryReport], raw_id: int | None = None,
                            problem: str | None = None) -> ReportOutcome:
        """Keep every report of a page and match those of known sends; with `raw_id`, mark the
        page's raw answer (as InboundRepo.mark_raw) in the same transaction."""
        return await self._run(_store_report_page, list(reports), raw_id, problem)

    async def unmatched_report_count(self) -> int:
        return await self._run(_reports.unmatched_count)

    async def report_count(self) -> int:
        return await self._run(_reports.count)


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


def _journal(conn: sqlite3.Connection, origin: str, text: str, segments: int, numbers: list[str],
             chat_id: int | None, user_id: int | None, user_name: str | None, scheduled_at: str | None,
             alert_id: int | None, lang: str, status_chat_id: int | None, status_thread_id: int | None) -> int:
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


def _start_chunk(conn: sqlite3.Connection, send_id: int, chunk: int) -> None:
    conn.execute("UPDATE recipients SET state = 'sending' WHERE send_id = ? AND chunk = ? AND state = 'pending'",
                 (send_id, chunk))


def _record_chunk(conn: sqlite3.Connection, send_id: int, chunk: int, state: str, accepted: int, rejected: int,
                  ids: list[str], error: str | None, error_kind: str | None, error_arg: str | None) -> None:
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
        _reports.rematch(conn, ids)


def _finish(conn: sqlite3.Connection, send_id: int, state: str, error: str | None, error_kind: str | None,
            error_arg: str | None) -> None:
    conn.execute(
        "UPDATE sends SET state = ?, error = COALESCE(?, error), error_kind = COALESCE(?, error_kind), "
        "error_arg = COALESCE(?, error_arg), status_version = status_version + 1 WHERE id = ?",
        (state, error, error_kind, error_arg, send_id),
    )
    conn.execute(
        "UPDATE recipients SET state = ? WHERE send_id = ? AND state = 'pending'",
        ("refused" if state in ("refused", "partial") else state, send_id),
    )


def _settle(conn: sqlite3.Connection, send_id: int, reason: str, reason_arg: str | None,
            error: str | None) -> str:
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


def _settle_interrupted(conn: sqlite3.Connection) -> list[int]:
    """The chunk in flight is unknown (never retried), the chunks never started are not sent
    (a sender may send them again)."""
    ids = [r["id"] for r in conn.execute("SELECT id FROM sends WHERE state = 'pending'")]
    for send_id in ids:
        _settle(conn, send_id, "interrupted", None, "interrupted: the bot stopped during the send")
    return ids


def get_send(conn: sqlite3.Connection, send_id: int) -> SendRecord | None:
    """Also read inside the alert repositories' transactions."""
    row = conn.execute(_SEND_SELECT + " WHERE s.id = ?", (send_id,)).fetchone()
    return _record(row) if row else None


def _history(conn: sqlite3.Connection, phones: list[str] | None, limit: int) -> list[SendRecord]:
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


def _recipients(conn: sqlite3.Connection, send_id: int) -> list[Recipient]:
    rows = conn.execute(
        "SELECT send_id, phone, chunk, state, report_status FROM recipients WHERE send_id = ? "
        "ORDER BY chunk, rowid",
        (send_id,),
    )
    return [Recipient(r["send_id"], r["phone"], r["chunk"], r["state"], r["report_status"]) for r in rows]


_NUMBER_SELECT = "SELECT send_id, phone, state, report_status, reported_at, reason, reason_arg FROM recipients"


def _outcome(row: sqlite3.Row) -> NumberOutcome:
    return NumberOutcome(row["send_id"], row["phone"], row["state"], row["report_status"], row["reported_at"],
                         row["reason"], row["reason_arg"])


def _numbers(conn: sqlite3.Connection, send_id: int) -> list[NumberOutcome]:
    rows = conn.execute(_NUMBER_SELECT + " WHERE send_id = ? ORDER BY chunk, rowid", (send_id,))
    return [_outcome(r) for r in rows]


def _phone_outcomes(conn: sqlite3.Connection, phone: str, limit: int) -> list[NumberOutcome]:
    rows = conn.execute(_NUMBER_SELECT + " WHERE phone = ? ORDER BY send_id DESC LIMIT ?", (phone, limit))
    return [_outcome(r) for r in rows]


def _in_states(conn: sqlite3.Connection, states: list[str]) -> list[SendRecord]:
    marks = ",".join("?" * len(states))
    rows = conn.execute(_SEND_SELECT + f" WHERE s.state IN ({marks}) ORDER BY s.id", states)
    return [_record(r) for r in rows]


def _set_status_message(conn: sqlite3.Connection, send_id: int, chat_id: int, message_id: int,
                        thread_id: int | None, shown_version: int | None) -> None:
    conn.execute(
        "UPDATE sends SET status_chat_id = ?, status_message_id = ?, status_thread_id = ?, "
        "status_shown = COALESCE(?, status_shown), status_edited_at = ? WHERE id = ?",
        (chat_id, message_id, thread_id, shown_version, time.time(), send_id),
    )


def _mark_status_shown(conn: sqlite3.Connection, send_id: int, version: int) -> None:
    conn.execute(
        "UPDATE sends SET status_shown = MAX(status_shown, ?), status_edited_at = ? WHERE id = ?",
        (version, time.time(), send_id),
    )


def _forgo_status(conn: sqlite3.Connection, send_id: int) -> None:
    conn.execute("UPDATE sends SET status_chat_id = NULL, status_thread_id = NULL "
                 "WHERE id = ? AND status_message_id IS NULL", (send_id,))


def _dirty_statuses(conn: sqlite3.Connection, limit: int) -> list[SendRecord]:
    rows = conn.execute(
        _SEND_SELECT + " WHERE s.status_message_id IS NOT NULL AND s.status_version > s.status_shown "
        "ORDER BY s.status_edited_at LIMIT ?",
        (limit,),
    )
    return [_record(r) for r in rows]


def _dirty_status_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute(
        "SELECT COUNT(*) FROM sends WHERE status_message_id IS NOT NULL AND status_version > status_shown"
    ).fetchone()[0])


def _owed_statuses(conn: sqlite3.Connection, limit: int) -> list[SendRecord]:
    rows = conn.execute(
        _SEND_SELECT + " WHERE s.status_chat_id IS NOT NULL AND s.status_message_id IS NULL "
        "ORDER BY s.id LIMIT ?",
        (limit,),
    )
    return [_record(r) for r in rows]


def _store_report_page(conn: sqlite3.Connection, reports: list[DeliveryReport], raw_id: int | None,
                       problem: str | None) -> ReportOutcome:
    out = _reports.store_reports(conn, reports)
    if raw_id is not None:
        mark_raw(conn, raw_id, problem)
    return out
