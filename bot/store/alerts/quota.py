"""The per-phone hourly cap on alert SMS, and the summaries of what it held back.

A slot of the cap is a row of `alert_quota` (an alert's SMS, or a summary's when alert_id
is NULL); a phone the cap held an alert back from is a row of `alert_suppressed` until a
summary tells it. The helpers below also run inside the delivery repository's transactions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from bot.store.models import SuppressedAlert
from bot.store.repo import SqliteRepo

HOUR = 3600.0


class AlertQuotaRepo(SqliteRepo):
    async def held_phones(self, alert_id: int) -> set[str]:
        """Phones the hourly cap held this alert back from (they get a summary instead)."""
        return await self._run(held_phones, alert_id)

    async def release(self, alert_id: int) -> None:
        """Give back every cap slot an attempt reserved (it never reached the journal)."""
        await self._run(_release, alert_id)

    async def suppressed_due(self, max_per_hour: int, now: float) -> list[SuppressedAlert]:
        """Held-back alerts of phones whose hour has room again, by phone, oldest first."""
        return await self._run(_suppressed_due, max_per_hour, now)

    async def claim_summary(self, phones: Sequence[str], max_per_hour: int, now: float) -> list[str]:
        """Reserve a cap slot, at `now`, for a summary to each phone that still has room;
        returns those phones."""
        return await self._run(_claim_summary, list(phones), max_per_hour, now)

    async def mark_summarised(self, phones: Sequence[str], alert_ids: Sequence[int], send_id: int | None) -> None:
        """Link held-back alerts to the summary that tells them (None: undo, the summary did not go)."""
        await self._run(_mark_summarised, list(phones), list(alert_ids), send_id)

    async def release_summary_slots(self, phones: Sequence[str], at: float) -> None:
        """Give back the summary slots claim_summary reserved at `at` (the summary did not go)."""
        await self._run(_release_summary_slots, list(phones), at)

    async def prune(self, before: float) -> int:
        """Forget the slots taken before `before`; returns how many."""
        return await self._run(_prune, before)


# --- shared with the delivery repository -------------------------------------------------


def sent_within(conn: sqlite3.Connection, phone: str, since: float) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM alert_quota WHERE phone = ? AND at > ?",
                            (phone, since)).fetchone()[0])


def held_phones(conn: sqlite3.Connection, alert_id: int) -> set[str]:
    return {r["phone"] for r in conn.execute("SELECT phone FROM alert_suppressed WHERE alert_id = ?", (alert_id,))}


def take_slot(conn: sqlite3.Connection, phone: str, now: float, alert_id: int | None) -> None:
    conn.execute("INSERT INTO alert_quota(phone, at, alert_id) VALUES (?, ?, ?)", (phone, now, alert_id))


def hold_back(conn: sqlite3.Connection, phone: str, alert_id: int, now: float) -> None:
    conn.execute("INSERT OR IGNORE INTO alert_suppressed(phone, alert_id, at) VALUES (?, ?, ?)",
                 (phone, alert_id, now))


def release_phones(conn: sqlite3.Connection, alert_id: int, phones: Sequence[str]) -> None:
    """Give back the alert's slots of `phones` (an attempt certainly did not reach them)."""
    if phones:
        marks = ",".join("?" * len(phones))
        conn.execute(f"DELETE FROM alert_quota WHERE alert_id = ? AND phone IN ({marks})", (alert_id, *phones))


# --- the repository's own ------------------------------------------------------------------


def _release(conn: sqlite3.Connection, alert_id: int) -> None:
    conn.execute("DELETE FROM alert_quota WHERE alert_id = ?", (alert_id,))


def _suppressed_due(conn: sqlite3.Connection, max_per_hour: int, now: float) -> list[SuppressedAlert]:
    rows = conn.execute(
        "SELECT s.phone, s.alert_id, a.name, a.summary, a.labels, a.status FROM alert_suppressed s "
        "JOIN alerts a ON a.id = s.alert_id WHERE s.summary_send_id IS NULL "
        "AND (SELECT COUNT(*) FROM alert_quota q WHERE q.phone = s.phone AND q.at > ?) < ? "
        "ORDER BY s.phone, s.alert_id",
        (now - HOUR, max_per_hour),
    )
    return [SuppressedAlert(r["phone"], r["alert_id"], r["name"], r["summary"], json.loads(r["labels"]),
                            r["status"]) for r in rows]


def _claim_summary(conn: sqlite3.Connection, phones: list[str], max_per_hour: int, now: float) -> list[str]:
    taken = []
    for phone in phones:
        if sent_within(conn, phone, now - HOUR) < max_per_hour:
            take_slot(conn, phone, now, None)
            taken.append(phone)
    return taken


def _mark_summarised(conn: sqlite3.Connection, phones: list[str], alert_ids: list[int],
                     send_id: int | None) -> None:
    for phone in phones:
        for alert_id in alert_ids:
            conn.execute("UPDATE alert_suppressed SET summary_send_id = ? WHERE phone = ? AND alert_id = ?",
                         (send_id, phone, alert_id))


def _release_summary_slots(conn: sqlite3.Connection, phones: list[str], at: float) -> None:
    if not phones:
        return
    marks = ",".join("?" * len(phones))
    conn.execute(f"DELETE FROM alert_quota WHERE alert_id IS NULL AND at = ? AND phone IN ({marks})",
                 (at, *phones))


def _prune(conn: sqlite3.Connection, before: float) -> int:
    return conn.execute("DELETE FROM alert_quota WHERE at < ?", (before,)).rowcount
