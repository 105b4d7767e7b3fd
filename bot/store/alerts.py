"""Alerts from monitoring systems: notifications, their alerts, dedup, acks and the hourly cap.

One row of `alerts` is one notification for one contact group, which becomes at
most one SMS; `alert_items` holds every alert it carried and what became of each
(sent, deduplicated, silenced by an ack, skipped). Decisions that must not race
(dedup, the ack code, the per-phone cap) are taken inside one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.store.models import SendRecord
from bot.store.sends import get_send

# States in which a notification was, or will be, sent: a repeat inside the dedup window is dropped.
_COUNTS_FOR_DEDUP = ("stored", "sending", "sent", "partial", "failed", "unknown", "suppressed")
_DUE_STATES = ("stored", "failed")


@dataclass(frozen=True, slots=True)
class AlertItemIn:
    """One alert as received, before the store decides its outcome."""

    fingerprint: str
    status: str  # firing | resolved
    name: str
    summary: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AlertItemRecord:
    alert_id: int
    position: int
    fingerprint: str
    status: str
    name: str
    summary: str
    labels: Mapping[str, str]
    outcome: str  # new | deduplicated | acked | skipped


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    received_at: float
    source: str
    group_name: str
    fingerprint: str
    status: str
    name: str
    summary: str
    labels: Mapping[str, str]
    code: int | None
    state: str
    text: str | None
    send_id: int | None
    attempts: int
    next_attempt_at: float | None
    error: str | None
    suppressed: int
    acked_by: str | None
    acked_at: float | None
    closed_at: float | None
    copy_chat_id: int | None
    copy_message_id: int | None
    copy_version: int
    copy_shown: int
    copy_send_shown: int
    copy_edited_at: float | None


@dataclass(frozen=True, slots=True)
class AlertClaim:
    """An alert taken for one send attempt: who gets it now, who the cap held back."""

    alert: AlertRecord
    phones: tuple[str, ...]
    capped: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SuppressedAlert:
    """An alert the cap held back from a phone, not yet told in a summary."""

    phone: str
    alert_id: int
    name: str
    summary: str
    labels: Mapping[str, str]
    status: str = "firing"  # a held-back resolution is summarised as resolved


def _record(row: sqlite3.Row) -> AlertRecord:
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
        copy_edited_at=row["copy_edited_at"],
    )


def _item(row: sqlite3.Row) -> AlertItemRecord:
    return AlertItemRecord(row["alert_id"], row["position"], row["fingerprint"], row["status"],
                           row["name"], row["summary"], json.loads(row["labels"]), row["outcome"])


def get_alert(conn: sqlite3.Connection, alert_id: int) -> AlertRecord | None:
    row = conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    return _record(row) if row else None


def alert_items(conn: sqlite3.Connection, alert_id: int) -> list[AlertItemRecord]:
    rows = conn.execute("SELECT * FROM alert_items WHERE alert_id = ? ORDER BY position", (alert_id,))
    return [_item(r) for r in rows]


def recent_alerts(conn: sqlite3.Connection, limit: int = 20) -> list[AlertRecord]:
    return [_record(r) for r in conn.execute("SELECT * FROM alerts ORDER BY id DESC LIMIT ?", (limit,))]


# --- receiving ----------------------------------------------------------------------------


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
    """A resolved alert ends the group's ack, and frees the code of the group's notifications
    with nothing left firing. Per group, like acks: each group is told of the resolve itself."""
    conn.execute("DELETE FROM alert_acks WHERE group_name = ? AND fingerprint = ?", (group, fingerprint))
    open_ids = [r["alert_id"] for r in conn.execute(
        "SELECT DISTINCT i.alert_id FROM alert_items i JOIN alerts a ON a.id = i.alert_id "
        "WHERE a.group_name = ? AND i.fingerprint = ? AND i.status = 'firing' AND i.outcome = 'new' "
        "AND a.closed_at IS NULL",
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
            conn.execute("UPDATE alerts SET closed_at = ?, copy_version = copy_version + 1 WHERE id = ?",
                         (now, alert_id))


def insert_alert(
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
    record = get_alert(conn, alert_id)
    assert record is not None
    return record


def insert_alerts(
    conn: sqlite3.Connection,
    source: str,
    batches: Sequence[tuple[str, Sequence[AlertItemIn]]],
    now: float,
    dedup_window: float,
    send_resolved: bool,
    open_ttl: float,
    code_reuse_after: float,
) -> list[AlertRecord]:
    """One webhook request, one notification per group, all or nothing."""
    return [insert_alert(conn, source=source, group=group, items=items, now=now, dedup_window=dedup_window,
                         send_resolved=send_resolved, open_ttl=open_ttl, code_reuse_after=code_reuse_after)
            for group, items in batches]


# --- sending ------------------------------------------------------------------------------


def next_due_alert(conn: sqlite3.Connection, now: float, after_id: int = 0) -> AlertRecord | None:
    row = conn.execute(
        "SELECT * FROM alerts WHERE id > ? AND (state = 'stored' OR (state = 'failed' AND next_attempt_at <= ?)) "
        "ORDER BY id LIMIT 1",
        (after_id, now),
    ).fetchone()
    return _record(row) if row else None


def next_retry_at(conn: sqlite3.Connection) -> float | None:
    row = conn.execute("SELECT MIN(next_attempt_at) FROM alerts WHERE state = 'failed'").fetchone()
    return row[0] if row else None


def covered_phones(conn: sqlite3.Connection, alert_id: int) -> set[str]:
    """Phones an earlier attempt reached or may have reached: never texted this alert again."""
    rows = conn.execute(
        "SELECT r.phone FROM recipients r JOIN sends s ON s.id = r.send_id "
        "WHERE s.alert_id = ? AND r.state IN ('accepted', 'unknown', 'pending', 'sending')",
        (alert_id,),
    )
    return {r["phone"] for r in rows}


def alert_recipient_states(conn: sqlite3.Connection, alert_id: int) -> dict[str, str]:
    """Phone -> its state in the latest send of this alert that included it (a phone is only
    in a later attempt when every earlier one certainly did not reach it)."""
    rows = conn.execute(
        "SELECT r.phone, r.state FROM recipients r JOIN sends s ON s.id = r.send_id WHERE s.alert_id = ? "
        "ORDER BY s.id",
        (alert_id,),
    )
    return {r["phone"]: r["state"] for r in rows}


def alert_send_totals(conn: sqlite3.Connection, alert_id: int) -> SendRecord | None:
    """Every send of this alert as one: what the chat copy shows, so that each number's fate
    across attempts is told (an earlier attempt's "outcome unknown" and delivery counts too).

    The counts add up without double counting: a number is only in a later attempt when
    every earlier one certainly did not reach it (no acceptance, no reports there). The state
    is "accepted" when every number's last attempt was, "partial" when some were, else the
    last attempt's; the error is the last one given. `status_version` is the sum over the
    sends, so a report for any attempt moves it. One send is returned as it is.
    """
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
        last = alert_recipient_states(conn, alert_id).values()
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


def held_phones(conn: sqlite3.Connection, alert_id: int) -> set[str]:
    """Phones the hourly cap held this alert back from (they get a summary instead)."""
    return {r["phone"] for r in conn.execute("SELECT phone FROM alert_suppressed WHERE alert_id = ?", (alert_id,))}


def release_alert_quota(conn: sqlite3.Connection, alert_id: int) -> None:
    """Give back every cap slot an attempt reserved (it never reached the journal)."""
    conn.execute("DELETE FROM alert_quota WHERE alert_id = ?", (alert_id,))


def _sent_within(conn: sqlite3.Connection, phone: str, since: float) -> int:
    return conn.execute("SELECT COUNT(*) FROM alert_quota WHERE phone = ? AND at > ?", (phone, since)).fetchone()[0]


def claim_alert(
    conn: sqlite3.Connection,
    alert_id: int,
    phones: Sequence[str],
    text: str,
    max_per_hour: int,
    now: float,
) -> AlertClaim | None:
    """Take a due alert for one attempt: skip phones already reached, reserve a slot of the
    hourly cap for each phone under it, hold back the others. None when it is not due any more."""
    row = conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    if row is None or row["state"] not in _DUE_STATES:
        return None
    done = covered_phones(conn, alert_id)
    held = held_phones(conn, alert_id)
    allowed: list[str] = []
    capped: list[str] = []
    for phone in phones:
        if phone in done or phone in held:
            continue
        if _sent_within(conn, phone, now - 3600) < max_per_hour:
            conn.execute("INSERT INTO alert_quota(phone, at, alert_id) VALUES (?, ?, ?)", (phone, now, alert_id))
            allowed.append(phone)
        else:
            conn.execute("INSERT OR IGNORE INTO alert_suppressed(phone, alert_id, at) VALUES (?, ?, ?)",
                         (phone, alert_id, now))
            capped.append(phone)
    conn.execute(
        "UPDATE alerts SET state = ?, text = ?, attempts = attempts + ?, suppressed = suppressed + ?, "
        "copy_version = copy_version + ? WHERE id = ?",
        ("sending" if allowed else row["state"], text, 1 if allowed else 0, len(capped),
         1 if capped else 0, alert_id),
    )
    record = get_alert(conn, alert_id)
    assert record is not None
    return AlertClaim(record, tuple(allowed), tuple(capped))


def set_alert_send(conn: sqlite3.Connection, alert_id: int, send_id: int) -> None:
    conn.execute("UPDATE alerts SET send_id = ? WHERE id = ?", (send_id, alert_id))


def finish_alert(
    conn: sqlite3.Connection,
    alert_id: int,
    state: str,
    now: float,
    *,
    error: str | None = None,
    next_attempt_at: float | None = None,
    release: Sequence[str] = (),
    count_attempt: bool = False,
) -> None:
    """Record where an alert stands after an attempt; `release` gives back the cap slots of
    phones the attempt certainly did not reach (they are tried again). `count_attempt`: an
    attempt that failed before it was claimed still counts towards giving up."""
    if release:
        marks = ",".join("?" * len(release))
        conn.execute(f"DELETE FROM alert_quota WHERE alert_id = ? AND phone IN ({marks})", (alert_id, *release))
    conn.execute(
        "UPDATE alerts SET state = ?, error = ?, next_attempt_at = ?, copy_version = copy_version + 1, "
        "attempts = attempts + ?, "
        "closed_at = CASE WHEN ? IN ('refused', 'gave_up', 'error') THEN COALESCE(closed_at, ?) "
        "ELSE closed_at END WHERE id = ?",
        (state, error, next_attempt_at, 1 if count_attempt else 0, state, now, alert_id),
    )


def alerts_in_state(conn: sqlite3.Connection, state: str) -> list[AlertRecord]:
    return [_record(r) for r in conn.execute("SELECT * FROM alerts WHERE state = ? ORDER BY id", (state,))]


def alert_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {r["state"]: r["n"] for r in conn.execute("SELECT state, COUNT(*) AS n FROM alerts GROUP BY state")}


# --- acknowledging ------------------------------------------------------------------------


def open_alert_by_code(conn: sqlite3.Connection, code: int, now: float, open_ttl: float) -> AlertRecord | None:
    row = conn.execute(
        "SELECT * FROM alerts WHERE code = ? AND closed_at IS NULL AND acked_at IS NULL AND received_at > ? "
        "ORDER BY id DESC LIMIT 1",
        (code, now - open_ttl),
    ).fetchone()
    return _record(row) if row else None


def alert_phones(conn: sqlite3.Connection, alert_id: int) -> set[str]:
    """Every phone any send of this alert was addressed to."""
    rows = conn.execute(
        "SELECT DISTINCT r.phone FROM recipients r JOIN sends s ON s.id = r.send_id WHERE s.alert_id = ?",
        (alert_id,),
    )
    return {r["phone"] for r in rows}


def ack_alert(conn: sqlite3.Connection, alert_id: int, by: str, now: float,
              expires_at: float | None) -> AlertRecord | None:
    """Mark an open alert acknowledged; its firing alerts are silenced for its group until they
    resolve. None when it was already acknowledged or closed (two people at once)."""
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
    record = get_alert(conn, alert_id)
    assert record is not None
    conn.executemany(
        "INSERT OR REPLACE INTO alert_acks(group_name, fingerprint, alert_id, acked_by, acked_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(record.group_name, fp, alert_id, by, now, expires_at) for fp in fps],
    )
    return record


# --- the chat copy ----------------------------------------------------------------------------


def dirty_alert_copies(conn: sqlite3.Connection, since: float, limit: int = 20) -> list[AlertRecord]:
    """Copies to post or edit: the alert changed, or the delivery counts of any of its sends did
    (copy_send_shown holds the sum of their status versions, see alert_send_totals)."""
    rows = conn.execute(
        "SELECT a.* FROM alerts a "
        "WHERE a.received_at > ? AND (a.copy_version > a.copy_shown OR "
        "(a.copy_message_id IS NOT NULL AND a.send_id IS NOT NULL AND "
        "(SELECT SUM(s.status_version) FROM sends s WHERE s.alert_id = a.id) > a.copy_send_shown)) "
        "ORDER BY a.id LIMIT ?",
        (since, limit),
    )
    return [_record(r) for r in rows]


def set_alert_copy(conn: sqlite3.Connection, alert_id: int, chat_id: int, message_id: int, version: int,
                   send_version: int, now: float) -> None:
    conn.execute(
        "UPDATE alerts SET copy_chat_id = ?, copy_message_id = ?, copy_shown = MAX(copy_shown, ?), "
        "copy_send_shown = MAX(copy_send_shown, ?), copy_edited_at = ? WHERE id = ?",
        (chat_id, message_id, version, send_version, now, alert_id),
    )


def mark_alert_copy_shown(conn: sqlite3.Connection, alert_id: int, version: int, send_version: int,
                          now: float) -> None:
    conn.execute(
        "UPDATE alerts SET copy_shown = MAX(copy_shown, ?), copy_send_shown = MAX(copy_send_shown, ?), "
        "copy_edited_at = ? WHERE id = ?",
        (version, send_version, now, alert_id),
    )


def touch_alert_copy(conn: sqlite3.Connection, alert_id: int) -> None:
    conn.execute("UPDATE alerts SET copy_version = copy_version + 1 WHERE id = ?", (alert_id,))


def alert_for_send(conn: sqlite3.Connection, send_id: int) -> AlertRecord | None:
    row = conn.execute(
        "SELECT a.* FROM alerts a JOIN sends s ON s.alert_id = a.id WHERE s.id = ?", (send_id,)
    ).fetchone()
    return _record(row) if row else None


# --- the hourly cap's summaries --------------------------------------------------------------


def suppressed_due(conn: sqlite3.Connection, max_per_hour: int, now: float) -> list[SuppressedAlert]:
    """Held-back alerts of phones whose hour has room again, oldest first."""
    rows = conn.execute(
        "SELECT s.phone, s.alert_id, a.name, a.summary, a.labels, a.status FROM alert_suppressed s "
        "JOIN alerts a ON a.id = s.alert_id WHERE s.summary_send_id IS NULL "
        "AND (SELECT COUNT(*) FROM alert_quota q WHERE q.phone = s.phone AND q.at > ?) < ? "
        "ORDER BY s.phone, s.alert_id",
        (now - 3600, max_per_hour),
    )
    return [SuppressedAlert(r["phone"], r["alert_id"], r["name"], r["summary"], json.loads(r["labels"]),
                            r["status"]) for r in rows]


def claim_summary(conn: sqlite3.Connection, phones: Sequence[str], max_per_hour: int, now: float) -> list[str]:
    """Reserve a cap slot for a summary to each phone that still has room; returns those phones."""
    taken = []
    for phone in phones:
        if _sent_within(conn, phone, now - 3600) < max_per_hour:
            conn.execute("INSERT INTO alert_quota(phone, at, alert_id) VALUES (?, ?, NULL)", (phone, now))
            taken.append(phone)
    return taken


def mark_summarised(conn: sqlite3.Connection, phones: Sequence[str], alert_ids: Sequence[int],
                    send_id: int | None) -> None:
    """Link held-back alerts to the summary that tells them (None: undo, the summary did not go)."""
    for phone in phones:
        for alert_id in alert_ids:
            conn.execute("UPDATE alert_suppressed SET summary_send_id = ? WHERE phone = ? AND alert_id = ?",
                         (send_id, phone, alert_id))


def release_summary_slots(conn: sqlite3.Connection, phones: Sequence[str], at: float) -> None:
    marks = ",".join("?" * len(phones))
    conn.execute(f"DELETE FROM alert_quota WHERE alert_id IS NULL AND at = ? AND phone IN ({marks})",
                 (at, *phones))


def prune_quota(conn: sqlite3.Connection, before: float) -> int:
    return conn.execute("DELETE FROM alert_quota WHERE at < ?", (before,)).rowcount
