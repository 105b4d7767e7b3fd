"""The bot's durable store (SQLite). All SQL of the project lives in this package.

`Store` is the typed, async face of it: every method runs one transaction on the
store's own thread (see db.py), so the event loop never blocks on disk and every
method's effect is committed when it returns.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from bot.store import audit as _audit
from bot.store import contacts as _contacts
from bot.store import inbound as _inbound
from bot.store import sends as _sends
from bot.store.db import Database
from bot.store.errors import SchemaTooNew, StoreError, StoreFull, StoreLocked
from bot.store.models import (
    AuditRecord,
    Confirmation,
    Contact,
    Group,
    InboundRecord,
    OutcomeGroup,
    Recipient,
    ReportOutcome,
    SendRecord,
    Thread,
)
from bot.store.schema import SCHEMA_VERSION
from sms_core.models import DeliveryReport, InboundSms

__all__ = [
    "ROOM_FOR_A_PAGE",
    "SCHEMA_VERSION",
    "AuditRecord",
    "Confirmation",
    "Contact",
    "Database",
    "Group",
    "InboundRecord",
    "OutcomeGroup",
    "Recipient",
    "ReportOutcome",
    "SchemaTooNew",
    "SendRecord",
    "Store",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "Thread",
]

ROOM_FOR_A_PAGE = 1024 * 1024
"""Free bytes a destructive poll needs before it reads. A full page of 50 long SMS is about
150 KB as received (raw answer) and again as rows; the WAL holds a copy before it is
checkpointed, and a spool file may hold one more: a mebibyte covers that with a margin for
the rest of the bot."""


def _probe_write(conn) -> None:  # type: ignore[no-untyped-def]
    """A row into raw_answers and out again, committed: what a poll answer's first write does."""
    cur = conn.execute("INSERT INTO raw_answers(received_at, endpoint, body, parsed) "
                       "VALUES (?, 'probe', '', 1)", (time.time(),))
    conn.execute("DELETE FROM raw_answers WHERE id = ?", (cur.lastrowid,))
    _audit.kv_set(conn, "poll_probe", str(time.time()))


class Store:
    def __init__(self, path: str | Path, *, exclusive: bool = False) -> None:
        self.db = Database(path, exclusive=exclusive)

    async def open(self) -> Store:
        await self.db.open()
        return self

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        return await self.db.run(lambda c: c.execute("PRAGMA user_version").fetchone()[0])

    async def check_writable(self) -> None:
        """Raise StoreError unless a write commits (used by /healthz and `smsbot check`)."""
        await self.db.run(_audit.kv_set, "healthcheck", "ok")

    async def check_can_keep(self, room: int = ROOM_FOR_A_PAGE) -> None:
        """Raise unless a poll answer could be kept now: `room` bytes free on the filesystem
        (StoreFull) and a write to raw_answers committed (sqlite3.Error: full, read-only,
        locked, corrupt; StoreError: closed). The poller asks before every destructive read."""
        free = self.db.free_bytes()
        if free is not None and free < room:
            raise StoreFull(f"the disk is full: {free // 1024} KiB free where the store is, "
                            f"a poll needs {room // 1024} KiB")
        await self.db.run(_probe_write)

    # -- contacts and groups -------------------------------------------------
    async def upsert_contact(self, name: str, phone: str) -> bool:
        return await self.db.run(_contacts.upsert_contact, name, phone)

    async def delete_contact(self, name: str) -> bool:
        return await self.db.run(_contacts.delete_contact, name)

    async def get_contact(self, name: str) -> Contact | None:
        return await self.db.run(_contacts.get_contact, name)

    async def contact_for_phone(self, phone: str) -> Contact | None:
        return await self.db.run(_contacts.contact_for_phone, phone)

    async def list_contacts(self) -> list[Contact]:
        return await self.db.run(_contacts.list_contacts)

    async def replace_group(self, name: str, members: Sequence[str]) -> bool:
        return await self.db.run(_contacts.replace_group, name, list(members))

    async def delete_group(self, name: str) -> bool:
        return await self.db.run(_contacts.delete_group, name)

    async def get_group(self, name: str) -> Group | None:
        return await self.db.run(_contacts.get_group, name)

    async def list_groups(self) -> list[Group]:
        return await self.db.run(_contacts.list_groups)

    async def groups_with_member(self, member: str) -> list[str]:
        return await self.db.run(_contacts.groups_with_member, member)

    # -- sends ---------------------------------------------------------------------
    async def journal_send(self, **fields: object) -> int:
        """See sends.journal_send for the fields; the send is committed before the gateway is called."""
        return await self.db.run(lambda c: _sends.journal_send(c, **fields))  # type: ignore[arg-type]

    async def record_chunk(self, send_id: int, chunk: int, state: str, accepted: int, rejected: int,
                           ids: Sequence[str], error: str | None, error_kind: str | None = None,
                           error_arg: str | None = None) -> None:
        await self.db.run(_sends.record_chunk, send_id, chunk, state, accepted, rejected, list(ids), error,
                          error_kind, error_arg)

    async def finish_send(self, send_id: int, state: str, error: str | None = None,
                          error_kind: str | None = None, error_arg: str | None = None) -> None:
        await self.db.run(_sends.finish_send, send_id, state, error, error_kind, error_arg)

    async def start_chunk(self, send_id: int, chunk: int) -> None:
        """Committed right before the chunk's request (see sends.start_chunk)."""
        await self.db.run(_sends.start_chunk, send_id, chunk)

    async def settle_send(self, send_id: int, reason: str, reason_arg: str | None = None,
                          error: str | None = None) -> str:
        return await self.db.run(_sends.settle_send, send_id, reason, reason_arg, error)

    async def settle_interrupted_sends(self) -> list[int]:
        return await self.db.run(_sends.settle_interrupted_sends)

    async def set_status_message(self, send_id: int, chat_id: int, message_id: int,
                                 thread_id: int | None, shown_version: int | None = None) -> None:
        await self.db.run(_sends.set_status_message, send_id, chat_id, message_id, thread_id, shown_version)

    async def mark_status_shown(self, send_id: int, version: int) -> None:
        await self.db.run(_sends.mark_status_shown, send_id, version)

    async def get_send(self, send_id: int) -> SendRecord | None:
        return await self.db.run(_sends.get_send, send_id)

    async def dirty_status_sends(self, limit: int = 50) -> list[SendRecord]:
        return await self.db.run(_sends.dirty_status_sends, limit)

    async def owed_status_sends(self, limit: int = 50) -> list[SendRecord]:
        return await self.db.run(_sends.owed_status_sends, limit)

    async def forgo_status(self, send_id: int) -> None:
        await self.db.run(_sends.forgo_status, send_id)

    async def history(self, phones: Sequence[str] | None = None, limit: int = 10) -> list[SendRecord]:
        return await self.db.run(_sends.history, list(phones) if phones else None, limit)

    async def recipients_of(self, send_id: int) -> list[Recipient]:
        return await self.db.run(_sends.recipients_of, send_id)

    async def sends_by_state(self, states: Sequence[str]) -> list[SendRecord]:
        return await self.db.run(_sends.sends_by_state, list(states))

    async def store_reports(self, reports: Sequence[DeliveryReport]) -> ReportOutcome:
        return await self.db.run(_sends.store_reports, list(reports))

    async def unmatched_report_count(self) -> int:
        return await self.db.run(_sends.unmatched_report_count)

    async def report_count(self) -> int:
        return await self.db.run(_sends.report_count)

    # -- raw answers, inbound, topics ---------------------------------------------------
    async def store_raw(self, endpoint: str, body: str) -> int:
        return await self.db.run(_inbound.store_raw, endpoint, body)

    async def mark_raw(self, raw_id: int, problem: str | None = None) -> None:
        await self.db.run(_inbound.mark_raw, raw_id, problem)

    async def unparsed_raw(self) -> list[tuple[int, str, str, str | None]]:
        return await self.db.run(_inbound.unparsed_raw)

    async def store_inbound(self, messages: Sequence[InboundSms], raw_id: int | None = None,
                            problem: str | None = None) -> list[int]:
        """Store the SMS of a page and, in the same transaction, mark its raw answer parsed
        (or, with `problem`, kept for a person: part of it could not be read)."""
        def tx(conn):  # type: ignore[no-untyped-def]
            new = _inbound.store_inbound(conn, list(messages))
            if raw_id is not None:
                _inbound.mark_raw(conn, raw_id, problem)
            return new

        return await self.db.run(tx)

    async def store_report_page(self, reports: Sequence[DeliveryReport], raw_id: int | None = None,
                                problem: str | None = None) -> ReportOutcome:
        """As store_inbound, for the reports of a page."""
        def tx(conn):  # type: ignore[no-untyped-def]
            out = _sends.store_reports(conn, list(reports))
            if raw_id is not None:
                _inbound.mark_raw(conn, raw_id, problem)
            return out

        return await self.db.run(tx)

    async def pending_inbound(self, limit: int = 1000) -> list[InboundRecord]:
        return await self.db.run(_inbound.pending_inbound, limit)

    async def pending_inbound_count(self) -> int:
        return await self.db.run(_inbound.pending_inbound_count)

    async def inbound_count(self) -> int:
        return await self.db.run(_inbound.inbound_count)

    async def mark_forwarded(self, ids: Sequence[int], chat_id: int, message_id: int,
                             thread_id: int | None, phone: str | None = None) -> None:
        def tx(conn):  # type: ignore[no-untyped-def]
            _inbound.mark_forwarded(conn, list(ids), chat_id, message_id, thread_id)
            if phone is not None:
                _inbound.link_message(conn, chat_id, message_id, phone)

        await self.db.run(tx)

    async def get_thread(self, phone: str, chat_id: int) -> Thread | None:
        return await self.db.run(_inbound.get_thread, phone, chat_id)

    async def set_thread(self, phone: str, chat_id: int, thread_id: int, title: str) -> None:
        await self.db.run(_inbound.set_thread, phone, chat_id, thread_id, title)

    async def drop_thread(self, phone: str, thread_id: int) -> None:
        await self.db.run(_inbound.drop_thread, phone, thread_id)

    async def phone_for_thread(self, chat_id: int, thread_id: int) -> str | None:
        return await self.db.run(_inbound.phone_for_thread, chat_id, thread_id)

    async def link_message(self, chat_id: int, message_id: int, phone: str) -> None:
        await self.db.run(_inbound.link_message, chat_id, message_id, phone)

    async def phone_for_message(self, chat_id: int, message_id: int) -> str | None:
        return await self.db.run(_inbound.phone_for_message, chat_id, message_id)

    async def texts_of_message(self, chat_id: int, message_id: int) -> list[str]:
        return await self.db.run(_inbound.texts_of_message, chat_id, message_id)

    # -- two-way SMS -------------------------------------------------------------------------
    async def inbound_by_ids(self, ids: Sequence[int]) -> list[InboundRecord]:
        return await self.db.run(_inbound.inbound_by_ids, list(ids))

    async def pending_phones(self, limit: int = 100) -> list[str]:
        return await self.db.run(_inbound.pending_phones, limit)

    async def pending_for_phone(self, phone: str, limit: int = 500) -> list[InboundRecord]:
        return await self.db.run(_inbound.pending_for_phone, phone, limit)

    async def dirty_status_count(self) -> int:
        return await self.db.run(_sends.dirty_status_count)

    async def inbound_since(self, after_id: int = 0, limit: int = 1000) -> list[InboundRecord]:
        return await self.db.run(_inbound.inbound_since, after_id, limit)

    # -- audit, facts, confirmations --------------------------------------------------------
    async def audit(self, kind: str, chat_id: int | None = None, user_id: int | None = None,
                    detail: str | None = None) -> None:
        await self.db.run(_audit.audit, kind, chat_id, user_id, detail)

    async def audit_records(self, kind: str | None = None, limit: int = 100) -> list[AuditRecord]:
        return await self.db.run(_audit.audit_records, kind, limit)

    async def kv_get(self, key: str) -> str | None:
        return await self.db.run(_audit.kv_get, key)

    async def kv_set(self, key: str, value: str | None) -> None:
        await self.db.run(_audit.kv_set, key, value)

    async def claim_message(self, chat_id: int, message_id: int) -> bool:
        return await self.db.run(_audit.claim_message, chat_id, message_id)

    async def add_confirmation(self, token: str, chat_id: int, user_id: int, payload: str) -> None:
        await self.db.run(_audit.add_confirmation, token, chat_id, user_id, payload)

    async def set_confirmation_message(self, token: str, message_id: int) -> None:
        await self.db.run(_audit.set_confirmation_message, token, message_id)

    async def get_confirmation(self, token: str) -> Confirmation | None:
        return await self.db.run(_audit.get_confirmation, token)

    async def close_confirmation(self, token: str, state: str) -> bool:
        return await self.db.run(_audit.close_confirmation, token, state)

    async def expired_confirmations(self, older_than: float) -> list[Confirmation]:
        return await self.db.run(_audit.expired_confirmations, older_than)

    # -- alerts (issue 6; SQL in bot/store/alerts.py, values there too) ------------------------
    async def insert_alerts(self, source: str, batches: Sequence[tuple[str, Sequence[_alerts.AlertItemIn]]], *,
                            now: float, dedup_window: float, send_resolved: bool, open_ttl: float,
                            code_reuse_after: float) -> list[_alerts.AlertRecord]:
        """Commit one webhook request (a notification per group) with its dedup and ack decisions."""
        return await self.db.run(_alerts.insert_alerts, source, [(g, list(i)) for g, i in batches], now,
                                 dedup_window, send_resolved, open_ttl, code_reuse_after)

    async def get_alert(self, alert_id: int) -> _alerts.AlertRecord | None:
        return await self.db.run(_alerts.get_alert, alert_id)

    async def alert_items(self, alert_id: int) -> list[_alerts.AlertItemRecord]:
        return await self.db.run(_alerts.alert_items, alert_id)

    async def recent_alerts(self, limit: int = 20) -> list[_alerts.AlertRecord]:
        return await self.db.run(_alerts.recent_alerts, limit)

    async def next_due_alert(self, now: float, after_id: int = 0) -> _alerts.AlertRecord | None:
        return await self.db.run(_alerts.next_due_alert, now, after_id)

    async def next_alert_retry_at(self) -> float | None:
        return await self.db.run(_alerts.next_retry_at)

    async def claim_alert(self, alert_id: int, phones: Sequence[str], text: str, max_per_hour: int,
                          now: float) -> _alerts.AlertClaim | None:
        return await self.db.run(_alerts.claim_alert, alert_id, list(phones), text, max_per_hour, now)

    async def set_alert_send(self, alert_id: int, send_id: int) -> None:
        await self.db.run(_alerts.set_alert_send, alert_id, send_id)

    async def finish_alert(self, alert_id: int, state: str, now: float, *, error: str | None = None,
                           next_attempt_at: float | None = None, release: Sequence[str] = (),
                           count_attempt: bool = False) -> None:
        await self.db.run(lambda c: _alerts.finish_alert(c, alert_id, state, now, error=error,
                                                         next_attempt_at=next_attempt_at, release=list(release),
                                                         count_attempt=count_attempt))

    async def alert_recipient_states(self, alert_id: int) -> dict[str, str]:
        return await self.db.run(_alerts.alert_recipient_states, alert_id)

    async def alert_send_totals(self, alert_id: int) -> SendRecord | None:
        """Every send of the alert summed into one record, for its chat copy."""
        return await self.db.run(_alerts.alert_send_totals, alert_id)

    async def alert_held_phones(self, alert_id: int) -> set[str]:
        return await self.db.run(_alerts.held_phones, alert_id)

    async def release_alert_quota(self, alert_id: int) -> None:
        await self.db.run(_alerts.release_alert_quota, alert_id)

    async def alerts_in_state(self, state: str) -> list[_alerts.AlertRecord]:
        return await self.db.run(_alerts.alerts_in_state, state)

    async def alert_counts(self) -> dict[str, int]:
        return await self.db.run(_alerts.alert_counts)

    async def open_alert_by_code(self, code: int, now: float, open_ttl: float) -> _alerts.AlertRecord | None:
        return await self.db.run(_alerts.open_alert_by_code, code, now, open_ttl)

    async def alert_phones(self, alert_id: int) -> set[str]:
        return await self.db.run(_alerts.alert_phones, alert_id)

    async def ack_alert(self, alert_id: int, by: str, now: float,
                        expires_at: float | None = None) -> _alerts.AlertRecord | None:
        return await self.db.run(_alerts.ack_alert, alert_id, by, now, expires_at)

    async def dirty_alert_copies(self, since: float, limit: int = 20) -> list[_alerts.AlertRecord]:
        return await self.db.run(_alerts.dirty_alert_copies, since, limit)

    async def set_alert_copy(self, alert_id: int, chat_id: int, message_id: int, version: int,
                             send_version: int, now: float) -> None:
        await self.db.run(_alerts.set_alert_copy, alert_id, chat_id, message_id, version, send_version, now)

    async def mark_alert_copy_shown(self, alert_id: int, version: int, send_version: int, now: float) -> None:
        await self.db.run(_alerts.mark_alert_copy_shown, alert_id, version, send_version, now)

    async def touch_alert_copy(self, alert_id: int) -> None:
        await self.db.run(_alerts.touch_alert_copy, alert_id)

    async def alert_for_send(self, send_id: int) -> _alerts.AlertRecord | None:
        return await self.db.run(_alerts.alert_for_send, send_id)

    async def suppressed_due(self, max_per_hour: int, now: float) -> list[_alerts.SuppressedAlert]:
        return await self.db.run(_alerts.suppressed_due, max_per_hour, now)

    async def claim_summary(self, phones: Sequence[str], max_per_hour: int, now: float) -> list[str]:
        return await self.db.run(_alerts.claim_summary, list(phones), max_per_hour, now)

    async def mark_summarised(self, phones: Sequence[str], alert_ids: Sequence[int], send_id: int | None) -> None:
        await self.db.run(_alerts.mark_summarised, list(phones), list(alert_ids), send_id)

    async def release_summary_slots(self, phones: Sequence[str], at: float) -> None:
        await self.db.run(_alerts.release_summary_slots, list(phones), at)

    async def prune_alert_quota(self, before: float) -> int:
        return await self.db.run(_alerts.prune_quota, before)


from bot.store import alerts as _alerts  # noqa: E402  (alerts section; kept apart from the imports above)
