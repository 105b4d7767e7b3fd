"""An alert's copy in the alert chat: which copies are out of date, what they show, and
what Telegram last accepted."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from bot.store.alerts.delivery import recipient_states
from bot.store.alerts.rows import alert_record
from bot.store.models import AlertRecord, SendRecord
from bot.store.repo import SqliteRepo
from bot.store.sends import get_send


class AlertCopiesRepo(SqliteRepo):
    async def dirty(self, since: float, limit: int = 20) -> list[AlertRecord]:
        """Copies to post or edit, of alerts received after `since`: the alert changed, or the
        delivery counts of any of its sends did (copy_send_shown holds the sum of their status
        versions, see send_totals)."""
        return await self._run(_dirty, since, limit)

    async def send_totals(self, alert_id: int) -> SendRecord | None:
        """Every send of this alert as one: what the chat copy shows, so that each number's fate
        across attempts is told (an earlier attempt's "outcome unknown" and delivery counts too).

        The counts add up without double counting: a number is only in a later attempt when
        every earlier one certainly did not reach it (no acceptance, no reports there). The state
        is "accepted" when every number's last attempt was, "partial" when some were, else the
        last attempt's; the error is the last one given. `status_version` is the sum over the
        sends, so a report for any attempt moves it. One send is returned as it is.
        """
        return await self._run(_send_totals, alert_id)

    async def set_message(self, alert_id: int, chat_id: int, message_id: int, version: int,
                          send_version: int, now: float) -> None:
        """The copy was posted as `message_id`, showing `version` of the alert and `send_version`
        of its sends."""
        await self._run(_set_message, alert_id, chat_id, message_id, version, send_version, now)

    async def mark_shown(self, alert_id: int, version: int, send_version: int, now: float) -> None:
        """The copy was edited to show these versions (never moves them back)."""
        await self._run(_mark_shown, alert_id, version, send_version, now)

    async def touch(self, alert_id: int) -> None:
        """The copy must be shown again."""
        await self._run(_touch, alert_id)

    async def alert_for_send(self, send_id: int) -> AlertRecord | None:
        """The alert a send was an attempt of."""
        return await self._run(_alert_for_send, send_id)


def _dirty(conn: sqlite3.Connection, since: float, limit: int) -> list[AlertRecord]:
    rows = conn.execute(
        "SELECT a.* FROM alerts a "
        "WHERE a.received_at > ? AND (a.copy_version > a.copy_shown OR "
        "(a.copy_message_id IS NOT NULL AND a.send_id IS NOT NULL AND "
        "(SELECT SUM(s.status_version) FROM sends s WHERE s.alert_id = a.id) > a.copy_send_shown)) "
        "ORDER BY a.id LIMIT ?",
        (since, limit),
    )
    return [alert_record(r) for r in rows]


def _send_totals(conn: sqlite3.Connection, alert_id: int) -> SendRecord | None:
    ids = [r["id"] for r in conn.execute("SELECT id FROM sends WHERE alert_id = ? ORDER BY id", (alert_id,))]
    if not ids:
        return None
    latest = get_send(conn, ids[-1])
    if latest is None or len(ids) == 1:
        return latest
    sums = conn.execute(
        "SELECT SUM(accepted) AS accepted, SUM(rejected) AS rejected, SUM(status_version) AS version, "
        "MIN(created_at) AS created_at FROM sends WHERE alert_id = ?",
        (alert_id,),
    ).fetchone()
    numbers = conn.execute(
        "SELECT COUNT(DISTINCT r.phone) AS n, COALESCE(SUM(r.report_status = 10), 0) AS delivered, "
        "COALESCE(SUM(r.report_status = 20), 0) AS failed, COALESCE(SUM(r.state = 'unknown'), 0) AS unknown "
        "FROM recipients r JOIN sends s ON s.id = r.send_id WHERE s.alert_id = ?",
        (alert_id,),
    ).fetchone()
    state = latest.state
    if sums["accepted"]:
        last = recipient_states(conn, alert_id).values()
        state = "accepted" if all(s == "accepted" for s in last) else "partial"
    errored = conn.execute(
        "SELECT error, error_kind, error_arg FROM sends WHERE alert_id = ? AND error IS NOT NULL "
        "ORDER BY id DESC LIMIT 1",
        (alert_id,),
    ).fetchone()
    return replace(
        latest, created_at=sums["created_at"], state=state, accepted=sums["accepted"],
        rejected=sums["rejected"], recipients=numbers["n"], delivered=numbers["delivered"],
        failed=numbers["failed"], unknown=numbers["unknown"], status_version=sums["version"],
        error=errored["error"] if errored else None, error_kind=errored["error_kind"] if errored else None,
        error_arg=errored["error_arg"] if errored else None,
    )


def _set_message(conn: sqlite3.Connection, alert_id: int, chat_id: int, message_id: int, version: int,
                 send_version: int, now: float) -> None:
    conn.execute(
        "UPDATE alerts SET copy_chat_id = ?, copy_message_id = ?, copy_shown = MAX(copy_shown, ?), "
        "copy_send_shown = MAX(copy_send_shown, ?), copy_edited_at = ? WHERE id = ?",
        (chat_id, message_id, version, send_version, now, alert_id),
    )


def _mark_shown(conn: sqlite3.Connection, alert_id: int, version: int, send_version: int, now: float) -> None:
    conn.execute(
        "UPDATE alerts SET copy_shown = MAX(copy_shown, ?), copy_send_shown = MAX(copy_send_shown, ?), "
        "copy_edited_at = ? WHERE id = ?",
        (version, send_version, now, alert_id),
    )


def _touch(conn: sqlite3.Connection, alert_id: int) -> None:
    conn.execute("UPDATE alerts SET copy_version = copy_version + 1 WHERE id = ?", (alert_id,))


def _alert_for_send(conn: sqlite3.Connection, send_id: int) -> AlertRecord | None:
    row = conn.execute(
        "SELECT a.* FROM alerts a JOIN sends s ON s.alert_id = a.id WHERE s.id = ?", (send_id,)
    ).fetchone()
    return alert_record(row) if row else None
