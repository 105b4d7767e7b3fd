"""Receiving alerts: each webhook request is committed with its dedup, ack and code
decisions, one notification per contact group; and reading notifications back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from bot.store.alerts.rows import alert_items, alert_record, get_alert, must_get_alert
from bot.store.models import AlertItemIn, AlertItemRecord, AlertRecord
from bot.store.repo import SqliteRepo

# States in which a notification was, or will be, sent: a repeat inside the dedup window is dropped.
_COUNTS_FOR_DEDUP = ("stored", "sending", "sent", "partial", "failed", "unknown", "suppressed")


class AlertIntakeRepo(SqliteRepo):
    async def receive(self, source: str, batches: Sequence[tuple[str, Sequence[AlertItemIn]]], *, now: float,
                      dedup_window: float, send_resolved: bool, open_ttl: float,
                      code_reuse_after: float) -> list[AlertRecord]:
        """Commit one webhook request, a notification per (group, alerts) batch, all or nothing.

        Per alert: a resolve is skipped unless `send_resolved`; a firing alert the group
        acknowledged is silenced; one the group was texted in the same status within
        `dedup_window` seconds is deduplicated (unless its status turned since); the rest is
        news. A notification with firing news gets the smallest free ack code (see _free_code);
        a resolve closes the group's ack and the notifications with nothing left firing."""
        return await self._run(_receive, source, [(g, list(i)) for g, i in batches], now, dedup_window,
                               send_resolved, open_ttl, code_reuse_after)

    async def get(self, alert_id: int) -> AlertRecord | None:
        return await self._run(get_alert, alert_id)

    async def items(self, alert_id: int) -> list[AlertItemRecord]:
        """The alerts the notification carried, in the order received, with their outcomes."""
        return await self._run(alert_items, alert_id)

    async def recent(self, limit: int = 20) -> list[AlertRecord]:
        """The newest notifications first."""
        return await self._run(_recent, limit)

    async def in_state(self, state: str) -> list[AlertRecord]:
        return await self._run(_in_state, state)

    async def counts(self) -> dict[str, int]:
        """Notifications per state (states with none are left out)."""
        return await self._run(_counts)


def _recent(conn: sqlite3.Connection, limit: int) -> list[AlertRecord]:
    return [alert_record(r) for r in conn.execute("SELECT * FROM alerts ORDER BY id DESC LIMIT ?", (limit,))]


def _in_state(conn: sqlite3.Connection, state: str) -> list[AlertRecord]:
    return [alert_record(r) for r in conn.execute("SELECT * FROM alerts WHERE state = ? ORDER BY id", (state,))]


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {r["state"]: r["n"] for r in conn.execute("SELECT state, COUNT(*) AS n FROM alerts GROUP BY state")}


def _receive(conn: sqlite3.Connection, source: str, batches: list[tuple[str, list[AlertItemIn]]], now: float,
             dedup_window: float, send_resolved: bool, open_ttl: float,
             code_reuse_after: float) -> list[AlertRecord]:
    return [_insert_one(conn, source=source, group=group, items=items, now=now, dedup_window=dedup_window,
                        send_resolved=send_resolved, open_ttl=open_ttl, code_reuse_after=code_reuse_after)
            for group, items in batches]


def _duplicate(conn: sqlite3.Connection, group: str, item: AlertItemIn, since: float) -> bool:
    """Whether the group was texted this alert, in this status, since `since` -- and nothing of
    the other status came after that SMS. A firing after a resolve (or a resolve after a
    re-fire) is news, however soon: without it the phone's last SMS would say RESOLVED while
    the alert fires again."""
    marks = ",".join("?" * len(_COUNTS_FOR_DEDUP))
    last_sent = conn.execute(
        "SELECT MAX(a.id) FROM alert_items i JOIN alerts a ON a.id = i.alert_id "
        "WHERE a.group_name = ? AND i.fingerprint = ? AND i.status = ? AND i.outcome = 'new' "
        f"AND a.received_at > ? AND a.state IN ({marks})",
        (group, item.fingerprint, item.status, since, *_COUNTS_FOR_DEDUP),
    ).fetchone()[0]
    if last_sent is None:
        return False
    turned = conn.execute(
        "SELECT 1 FROM alert_items i JOIN alerts a ON a.id = i.alert_id "
        "WHERE a.group_name = ? AND i.fingerprint = ? AND i.status != ? AND i.alert_id > ? LIMIT 1",
        (group, item.fingerprint, item.status, last_sent),
    ).fetchone()
    return turned is None


def _acked(conn: sqlite3.Connection, group: str, fingerprint: str, now: float) -> bool:
    """Whether `group` acknowledged this alert: an ack answers for the team that got the SMS,
    never for another group the same alert pages."""
    row = conn.execute(
        "SELECT 1 FROM alert_acks WHERE group_name = ? AND fingerprint = ? "
        "AND (expires_at IS NULL OR expires_at > ?)",
        (group, fingerprint, now),
    ).fetchone()
    return row is not None


def _free_code(conn: sqlite3.Connection, now: float, open_ttl: float, reuse_after: float) -> int:
    """The smallest positive code not held by an open alert, nor by one that stopped taking acks
    (acknowledged, resolved, or past `open_ttl`) less than `reuse_after` ago.

    A code stops being acknowledgeable when its alert closes, not when it was received: an
    alert acked two hours after it fired must keep its code out of use for the hour after,
    or a recipient's late reply meant for it would acknowledge the next alert given that code.
    """
    rows = conn.execute(
        "SELECT code FROM alerts WHERE code IS NOT NULL AND received_at > ? AND "
        "(closed_at IS NULL OR closed_at > ? OR received_at > ?)",
        (now - open_ttl - reuse_after, now - reuse_after, now - reuse_after),
    )
    taken = {r["code"] for r in rows}
    code = 1
    while code in taken:
        code += 1
    return code


def _close_resolved(conn: sqlite3.Connection, group: str, fingerprint: str, now: float) -> None:
    """A resolved alert ends the group's ack, and resolves the group's notifications with
    nothing left firing: their code is free (if an ack had not freed it already) and their copy
    says so. Per group, like acks: each group is told of the resolve itself."""
    conn.execute("DELETE FROM alert_acks WHERE group_name = ? AND fingerprint = ?", (group, fingerprint))
    open_ids = [r["alert_id"] for r in conn.execute(
        "SELECT DISTINCT i.alert_id FROM alert_items i JOIN alerts a ON a.id = i.alert_id "
        "WHERE a.group_name = ? AND i.fingerprint = ? AND i.status = 'firing' AND i.outcome = 'new' "
        "AND a.resolved_at IS NULL",
        (group, fingerprint),
    )]
    for alert_id in open_ids:
        still_firing = conn.execute(
            "SELECT 1 FROM alert_items i WHERE i.alert_id = ? AND i.status = 'firing' AND i.outcome = 'new' "
            "AND NOT EXISTS (SELECT 1 FROM alert_items r JOIN alerts ra ON ra.id = r.alert_id "
            "WHERE ra.group_name = ? AND r.fingerprint = i.fingerprint "
            "AND r.status = 'resolved' AND r.alert_id > i.alert_id) LIMIT 1",
            (alert_id, group),
        ).fetchone()
        if still_firing is None:
            conn.execute("UPDATE alerts SET closed_at = COALESCE(closed_at, ?), resolved_at = ?, "
                         "copy_version = copy_version + 1 WHERE id = ?",
                         (now, now, alert_id))


def _insert_one(
    conn: sqlite3.Connection,
    *,
    source: str,
    group: str,
    items: Sequence[AlertItemIn],
    now: float,
    dedup_window: float,
    send_resolved: bool,
    open_ttl: float,
    code_reuse_after: float,
) -> AlertRecord:
    """Commit a notification and decide, per alert, whether it is news (to be sent) or not."""
    outcomes: list[str] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        key = (item.fingerprint, item.status)
        if item.status == "resolved" and not send_resolved:
            outcome = "skipped"
        elif item.status == "firing" and _acked(conn, group, item.fingerprint, now):
            outcome = "acked"
        elif key in seen or _duplicate(conn, group, item, now - dedup_window):
            outcome = "deduplicated"
        else:
            outcome = "new"
        seen.add(key)
        outcomes.append(outcome)
    new = [i for i, o in zip(items, outcomes, strict=True) if o == "new"]
    firing_new = [i for i in new if i.status == "firing"]
    lead = (firing_new or new or list(items))[0]
    if new:
        state = "stored"
    else:
        state = next((s for s in ("deduplicated", "acked") if s in outcomes), "skipped")
    code = _free_code(conn, now, open_ttl, code_reuse_after) if firing_new else None
    cur = conn.execute(
        "INSERT INTO alerts(received_at, source, group_name, fingerprint, status, name, summary, labels, "
        "code, state, closed_at, copy_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (now, source, group, lead.fingerprint, lead.status, lead.name, lead.summary,
         json.dumps(dict(lead.labels), ensure_ascii=False), code, state,
         None if code is not None else now, 1 if new else 0),
    )
    alert_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO alert_items(alert_id, position, fingerprint, status, name, summary, labels, outcome) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(alert_id, n, i.fingerprint, i.status, i.name, i.summary,
          json.dumps(dict(i.labels), ensure_ascii=False), o)
         for n, (i, o) in enumerate(zip(items, outcomes, strict=True))],
    )
    for fp in {i.fingerprint for i in items if i.status == "resolved"}:
        _close_resolved(conn, group, fp, now)
    return must_get_alert(conn, alert_id)
