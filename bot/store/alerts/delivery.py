"""Sending alerts: which notification is due, taking it for one attempt (under the hourly
cap, never texting a phone an earlier attempt reached), and where the attempt left it."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.store.alerts import quota
from bot.store.alerts.rows import alert_record, must_get_alert
from bot.store.models import AlertClaim, AlertRecord
from bot.store.repo import SqliteRepo

_DUE_STATES = ("stored", "failed")
_CLOSING_STATES = ("refused", "gave_up", "error")


class AlertDeliveryRepo(SqliteRepo):
    async def next_due(self, now: float, after_id: int = 0) -> AlertRecord | None:
        """The first notification after `after_id` that is new, or failed and due again by `now`."""
        return await self._run(_next_due, now, after_id)

    async def next_retry_at(self) -> float | None:
        """When the earliest failed notification is due again; None when none is."""
        return await self._run(_next_retry_at)

    async def claim(self, alert_id: int, phones: Sequence[str], text: str, max_per_hour: int,
                    now: float) -> AlertClaim | None:
        """Take a due alert for one attempt: skip phones already reached, reserve a slot of the
        hourly cap for each phone under it, hold back the others. None when it is not due any more."""
        return await self._run(_claim, alert_id, list(phones), text, max_per_hour, now)

    async def set_send(self, alert_id: int, send_id: int) -> None:
        """The journaled send of the current attempt."""
        await self._run(_set_send, alert_id, send_id)

    async def finish(self, alert_id: int, state: str, now: float, *, error: str | None = None,
                     next_attempt_at: float | None = None, release: Sequence[str] = (),
                     count_attempt: bool = False) -> None:
        """Record where an alert stands after an attempt; `release` gives back the cap slots of
        phones the attempt certainly did not reach (they are tried again). `count_attempt`: an
        attempt that failed before it was claimed still counts towards giving up. A refused,
        given-up or failed-for-good alert takes no acks any more."""
        await self._run(_finish, alert_id, state, now, error, next_attempt_at, list(release), count_attempt)

    async def recipient_states(self, alert_id: int) -> dict[str, str]:
        """Phone -> its state in the latest send of this alert that included it (a phone is only
        in a later attempt when every earlier one certainly did not reach it)."""
        return await self._run(recipient_states, alert_id)


def recipient_states(conn: sqlite3.Connection, alert_id: int) -> dict[str, str]:
    """Also read by the copies repository."""
    rows = conn.execute(
        "SELECT r.phone, r.state FROM recipients r JOIN sends s ON s.id = r.send_id WHERE s.alert_id = ? "
        "ORDER BY s.id",
        (alert_id,),
    )
    return {r["phone"]: r["state"] for r in rows}


def _next_due(conn: sqlite3.Connection, now: float, after_id: int) -> AlertRecord | None:
    row = conn.execute(
        "SELECT * FROM alerts WHERE id > ? AND (state = 'stored' OR (state = 'failed' AND next_attempt_at <= ?)) "
        "ORDER BY id LIMIT 1",
        (after_id, now),
    ).fetchone()
    return alert_record(row) if row else None


def _next_retry_at(conn: sqlite3.Connection) -> float | None:
    row = conn.execute("SELECT MIN(next_attempt_at) FROM alerts WHERE state = 'failed'").fetchone()
    return row[0] if row else None


def _covered_phones(conn: sqlite3.Connection, alert_id: int) -> set[str]:
    """Phones an earlier attempt reached or may have reached: never texted this alert again."""
    rows = conn.execute(
        "SELECT r.phone FROM recipients r JOIN sends s ON s.id = r.send_id "
        "WHERE s.alert_id = ? AND r.state IN ('accepted', 'unknown', 'pending', 'sending')",
        (alert_id,),
    )
    return {r["phone"] for r in rows}


def _claim(conn: sqlite3.Connection, alert_id: int, phones: list[str], text: str, max_per_hour: int,
           now: float) -> AlertClaim | None:
    row = conn.execute("SELECT state FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    if row is None or row["state"] not in _DUE_STATES:
        return None
    done = _covered_phones(conn, alert_id)
    held = quota.held_phones(conn, alert_id)
    allowed: list[str] = []
    capped: list[str] = []
    for phone in phones:
        if phone in done or phone in held:
            continue
        if quota.sent_within(conn, phone, now - quota.HOUR) < max_per_hour:
            quota.take_slot(conn, phone, now, alert_id)
            allowed.append(phone)
        else:
            quota.hold_back(conn, phone, alert_id, now)
            capped.append(phone)
    conn.execute(
        "UPDATE alerts SET state = ?, text = ?, attempts = attempts + ?, suppressed = suppressed + ?, "
        "copy_version = copy_version + ? WHERE id = ?",
        ("sending" if allowed else row["state"], text, 1 if allowed else 0, len(capped),
         1 if capped else 0, alert_id),
    )
    return AlertClaim(must_get_alert(conn, alert_id), tuple(allowed), tuple(capped))


def _set_send(conn: sqlite3.Connection, alert_id: int, send_id: int) -> None:
    conn.execute("UPDATE alerts SET send_id = ? WHERE id = ?", (send_id, alert_id))


def _finish(conn: sqlite3.Connection, alert_id: int, state: str, now: float, error: str | None,
            next_attempt_at: float | None, release: list[str], count_attempt: bool) -> None:
    quota.release_phones(conn, alert_id, release)
    closing = state in _CLOSING_STATES
    conn.execute(
        "UPDATE alerts SET state = ?, error = ?, next_attempt_at = ?, copy_version = copy_version + 1, "
        "attempts = attempts + ?, "
        "closed_at = CASE WHEN ? THEN COALESCE(closed_at, ?) ELSE closed_at END WHERE id = ?",
        (state, error, next_attempt_at, 1 if count_attempt else 0, closing, now, alert_id),
    )
