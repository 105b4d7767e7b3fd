"""The bot's durable store. All SQL of the project lives in this package.

`Store` opens and closes the database and holds one repository per aggregate; every
repository method runs one transaction on the store's own thread (see db.py), so the
event loop never blocks on disk and its effect is committed when it returns. What the
repositories promise, whatever the backend, is in interface.py:

    store.contacts        contacts and groups                   (ContactsRepo, contacts.py)
    store.sends           sends, their chunks, status messages and delivery reports
                                                                 (SendsRepo, sends.py, reports.py)
    store.scheduled       scheduled sends held until their time (ScheduledRepo, scheduled.py)
    store.inbound         raw poll answers and inbound SMS      (InboundRepo, inbound.py)
    store.topics          forum topics and messages per phone   (TopicsRepo, topics.py)
    store.confirmations   pending confirmations                 (ConfirmationsRepo, confirmations.py)
    store.claims          Telegram messages already acted on    (ClaimsRepo, confirmations.py)
    store.audit_log       the audit log                         (AuditRepo, audit.py)
    store.kv              small named facts                     (KvRepo, kv.py)
    store.alert_intake    receiving alerts, reading them back   (alerts/intake.py)
    store.alert_delivery  sending alerts                        (alerts/delivery.py)
    store.alert_acks      acknowledging alerts                  (alerts/acks.py)
    store.alert_copies    the alerts' copies in the alert chat  (alerts/copies.py)
    store.alert_quota     the hourly cap and its summaries      (alerts/quota.py)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.store import interface as api
from bot.store.alerts.acks import AlertAcksRepo
from bot.store.alerts.copies import AlertCopiesRepo
from bot.store.alerts.delivery import AlertDeliveryRepo
from bot.store.alerts.intake import AlertIntakeRepo
from bot.store.alerts.quota import AlertQuotaRepo
from bot.store.audit import AuditRepo
from bot.store.confirmations import ClaimsRepo, ConfirmationsRepo
from bot.store.contacts import ContactsRepo
from bot.store.db import Database
from bot.store.errors import (
    DatabaseError,
    IntegrityError,
    OperationalError,
    SchemaTooNew,
    StoreError,
    StoreFull,
    StoreLocked,
)
from bot.store.inbound import InboundRepo
from bot.store.kv import KvRepo
from bot.store.models import (
    AlertClaim,
    AlertItemIn,
    AlertItemRecord,
    AlertRecord,
    AuditRecord,
    Confirmation,
    Contact,
    Group,
    HeldSend,
    InboundRecord,
    NumberOutcome,
    OutcomeGroup,
    RawAnswer,
    Recipient,
    ReportOutcome,
    SendRecord,
    SuppressedAlert,
    Thread,
)
from bot.store.repo import sqlite_errors
from bot.store.scheduled import ScheduledRepo
from bot.store.schema import SCHEMA_VERSION
from bot.store.sends import SendsRepo
from bot.store.topics import TopicsRepo
from sms_core.models import DeliveryReport, InboundSms

__all__ = [
    "ROOM_FOR_A_PAGE", "SCHEMA_VERSION", "AlertClaim", "AlertItemIn", "AlertItemRecord", "AlertRecord", "AuditRecord",
    "Confirmation", "Contact", "Database", "DatabaseError", "Group", "HeldSend", "InboundRecord", "IntegrityError",
    "NumberOutcome", "OperationalError", "OutcomeGroup", "RawAnswer", "Recipient", "ReportOutcome", "SchemaTooNew",
    "SendRecord", "Store", "StoreError", "StoreFull", "StoreLocked", "SuppressedAlert", "Thread",
]

ROOM_FOR_A_PAGE = 1024 * 1024
"""Free bytes a destructive poll needs before it reads. A full page of 50 long SMS is about
150 KB as received (raw answer) and again as rows; the WAL holds a copy before it is
checkpointed, and a spool file may hold one more: a mebibyte covers that with a margin for
the rest of the bot."""


class Store:
    """Opens and closes the database; holds its repositories (see the module's docstring)."""

    def __init__(self, path: str | Path, *, exclusive: bool = False) -> None:
        self.db = Database(path, exclusive=exclusive)
        self.contacts: api.Contacts = ContactsRepo(self.db)
        self.sends: api.Sends = SendsRepo(self.db)
        self.scheduled: api.Scheduled = ScheduledRepo(self.db)
        self.inbound: api.Inbound = InboundRepo(self.db)
        self.topics: api.Topics = TopicsRepo(self.db)
        self.confirmations: api.Confirmations = ConfirmationsRepo(self.db)
        self.claims: api.Claims = ClaimsRepo(self.db)
        self.audit_log: api.AuditLog = AuditRepo(self.db)
        self.kv: api.KeyValues = KvRepo(self.db)
        self.alert_intake: api.AlertIntake = AlertIntakeRepo(self.db)
        self.alert_delivery: api.AlertDelivery = AlertDeliveryRepo(self.db)
        self.alert_acks: api.AlertAcks = AlertAcksRepo(self.db)
        self.alert_copies: api.AlertCopies = AlertCopiesRepo(self.db)
        self.alert_quota: api.AlertQuota = AlertQuotaRepo(self.db)

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
        with sqlite_errors():
            return await self.db.run(lambda c: int(c.execute("PRAGMA user_version").fetchone()[0]))

    async def check_writable(self) -> None:
        """Raise StoreError unless a write commits (used by /healthz and `smsbot check`)."""
        await self.kv.set("healthcheck", "ok")

    async def check_can_keep(self, room: int = ROOM_FOR_A_PAGE) -> None:
        """Raise unless a poll answer could be kept now: `room` bytes free on the filesystem
        (StoreFull) and a write to raw_answers committed (OperationalError and friends:
        full, read-only, locked, corrupt; StoreError: closed). The poller asks before every destructive read."""
        free = self.db.free_bytes()
        if free is not None and free < room:
            raise StoreFull(f"the disk is full: {free // 1024} KiB free where the store is, "
                            f"a poll needs {room // 1024} KiB")
        await self.inbound.probe_write()

    # facade kept until callers move to repositories
    async def upsert_contact(self, name: str, phone: str) -> bool:
        return await self.contacts.upsert(name, phone)

    async def delete_contact(self, name: str) -> bool:
        return await self.contacts.delete(name)

    async def get_contact(self, name: str) -> Contact | None:
        return await self.contacts.get(name)

    async def contact_for_phone(self, phone: str) -> Contact | None:
        return await self.contacts.for_phone(phone)

    async def list_contacts(self) -> list[Contact]:
        return await self.contacts.all()

    async def replace_group(self, name: str, members: Sequence[str]) -> bool:
        return await self.contacts.replace_group(name, members)

    async def delete_group(self, name: str) -> bool:
        return await self.contacts.delete_group(name)

    async def get_group(self, name: str) -> Group | None:
        return await self.contacts.get_group(name)

    async def list_groups(self) -> list[Group]:
        return await self.contacts.all_groups()

    async def groups_with_member(self, member: str) -> list[str]:
        return await self.contacts.groups_with_member(member)

    async def journal_send(self, **fields: object) -> int:
        return await self.sends.journal(**fields)  # type: ignore[arg-type]

    async def record_chunk(self, send_id: int, chunk: int, state: str, accepted: int, rejected: int,
                           ids: Sequence[str], error: str | None, error_kind: str | None = None,
                           error_arg: str | None = None) -> None:
        await self.sends.record_chunk(send_id, chunk, state, accepted, rejected, ids, error, error_kind, error_arg)

    async def finish_send(self, send_id: int, state: str, error: str | None = None,
                          error_kind: str | None = None, error_arg: str | None = None) -> None:
        await self.sends.finish(send_id, state, error, error_kind, error_arg)

    async def start_chunk(self, send_id: int, chunk: int) -> None:
        await self.sends.start_chunk(send_id, chunk)

    async def settle_send(self, send_id: int, reason: str, reason_arg: str | None = None,
                          error: str | None = None) -> str:
        return await self.sends.settle(send_id, reason, reason_arg, error)

    async def settle_interrupted_sends(self) -> list[int]:
        return await self.sends.settle_interrupted()

    async def set_status_message(self, send_id: int, chat_id: int, message_id: int,
                                 thread_id: int | None, shown_version: int | None = None) -> None:
        await self.sends.set_status_message(send_id, chat_id, message_id, thread_id, shown_version)

    async def mark_status_shown(self, send_id: int, version: int) -> None:
        await self.sends.mark_status_shown(send_id, version)

    async def get_send(self, send_id: int) -> SendRecord | None:
        return await self.sends.get(send_id)

    async def dirty_status_sends(self, limit: int = 50) -> list[SendRecord]:
        return await self.sends.dirty_statuses(limit)

    async def owed_status_sends(self, limit: int = 50) -> list[SendRecord]:
        return await self.sends.owed_statuses(limit)

    async def forgo_status(self, send_id: int) -> None:
        await self.sends.forgo_status(send_id)

    async def history(self, phones: Sequence[str] | None = None, limit: int = 10) -> list[SendRecord]:
        return await self.sends.history(phones, limit)

    async def recipients_of(self, send_id: int) -> list[Recipient]:
        return await self.sends.recipients(send_id)

    async def sends_by_state(self, states: Sequence[str]) -> list[SendRecord]:
        return await self.sends.in_states(states)

    async def store_reports(self, reports: Sequence[DeliveryReport]) -> ReportOutcome:
        return await self.sends.store_reports(reports)

    async def store_report_page(self, reports: Sequence[DeliveryReport], raw_id: int | None = None,
                                problem: str | None = None) -> ReportOutcome:
        return await self.sends.store_reports(reports, raw_id, problem)

    async def unmatched_report_count(self) -> int:
        return await self.sends.unmatched_report_count()

    async def report_count(self) -> int:
        return await self.sends.report_count()

    async def dirty_status_count(self) -> int:
        return await self.sends.dirty_status_count()

    async def store_raw(self, endpoint: str, body: str) -> int:
        return await self.inbound.store_raw(endpoint, body)

    async def mark_raw(self, raw_id: int, problem: str | None = None) -> None:
        await self.inbound.mark_raw(raw_id, problem)

    async def unparsed_raw(self) -> list[RawAnswer]:
        return await self.inbound.unparsed_raw()

    async def store_inbound(self, messages: Sequence[InboundSms], raw_id: int | None = None,
                            problem: str | None = None) -> list[int]:
        return await self.inbound.store(messages, raw_id, problem)

    async def pending_inbound(self, limit: int = 1000) -> list[InboundRecord]:
        return await self.inbound.pending(limit)

    async def pending_inbound_count(self) -> int:
        return await self.inbound.pending_count()

    async def inbound_count(self) -> int:
        return await self.inbound.count()

    async def mark_forwarded(self, ids: Sequence[int], chat_id: int, message_id: int,
                             thread_id: int | None, phone: str | None = None) -> None:
        await self.inbound.mark_forwarded(ids, chat_id, message_id, thread_id, phone)

    async def inbound_by_ids(self, ids: Sequence[int]) -> list[InboundRecord]:
        return await self.inbound.by_ids(ids)

    async def pending_phones(self, limit: int = 100) -> list[str]:
        return await self.inbound.pending_phones(limit)

    async def pending_for_phone(self, phone: str, limit: int = 500) -> list[InboundRecord]:
        return await self.inbound.pending_for_phone(phone, limit)

    async def inbound_since(self, after_id: int = 0, limit: int = 1000) -> list[InboundRecord]:
        return await self.inbound.since(after_id, limit)

    async def texts_of_message(self, chat_id: int, message_id: int) -> list[str]:
        return await self.inbound.texts_of_message(chat_id, message_id)

    async def get_thread(self, phone: str, chat_id: int) -> Thread | None:
        return await self.topics.get(phone, chat_id)

    async def set_thread(self, phone: str, chat_id: int, thread_id: int, title: str) -> None:
        await self.topics.set(phone, chat_id, thread_id, title)

    async def drop_thread(self, phone: str, thread_id: int) -> None:
        await self.topics.drop(phone, thread_id)

    async def phone_for_thread(self, chat_id: int, thread_id: int) -> str | None:
        return await self.topics.phone_for_thread(chat_id, thread_id)

    async def link_message(self, chat_id: int, message_id: int, phone: str) -> None:
        await self.topics.link_message(chat_id, message_id, phone)

    async def phone_for_message(self, chat_id: int, message_id: int) -> str | None:
        return await self.topics.phone_for_message(chat_id, message_id)

    async def audit(self, kind: str, chat_id: int | None = None, user_id: int | None = None,
                    detail: str | None = None) -> None:
        await self.audit_log.record(kind, chat_id, user_id, detail)

    async def audit_records(self, kind: str | None = None, limit: int = 100) -> list[AuditRecord]:
        return await self.audit_log.recent(kind, limit)

    async def kv_get(self, key: str) -> str | None:
        return await self.kv.get(key)

    async def kv_set(self, key: str, value: str | None) -> None:
        await self.kv.set(key, value)

    async def claim_message(self, chat_id: int, message_id: int) -> bool:
        return await self.claims.claim_message(chat_id, message_id)

    async def add_confirmation(self, token: str, chat_id: int, user_id: int, payload: str) -> None:
        await self.confirmations.add(token, chat_id, user_id, payload)

    async def set_confirmation_message(self, token: str, message_id: int) -> None:
        await self.confirmations.set_message(token, message_id)

    async def get_confirmation(self, token: str) -> Confirmation | None:
        return await self.confirmations.get(token)

    async def close_confirmation(self, token: str, state: str) -> bool:
        return await self.confirmations.close(token, state)

    async def expired_confirmations(self, older_than: float) -> list[Confirmation]:
        return await self.confirmations.expired(older_than)

    async def insert_alerts(self, source: str, batches: Sequence[tuple[str, Sequence[AlertItemIn]]], *,
                            now: float, dedup_window: float, send_resolved: bool, open_ttl: float,
                            code_reuse_after: float) -> list[AlertRecord]:
        return await self.alert_intake.receive(source, batches, now=now, dedup_window=dedup_window,
                                               send_resolved=send_resolved, open_ttl=open_ttl,
                                               code_reuse_after=code_reuse_after)

    async def get_alert(self, alert_id: int) -> AlertRecord | None:
        return await self.alert_intake.get(alert_id)

    async def alert_items(self, alert_id: int) -> list[AlertItemRecord]:
        return await self.alert_intake.items(alert_id)

    async def recent_alerts(self, limit: int = 20) -> list[AlertRecord]:
        return await self.alert_intake.recent(limit)

    async def alerts_in_state(self, state: str) -> list[AlertRecord]:
        return await self.alert_intake.in_state(state)

    async def alert_counts(self) -> dict[str, int]:
        return await self.alert_intake.counts()

    async def next_due_alert(self, now: float, after_id: int = 0) -> AlertRecord | None:
        return await self.alert_delivery.next_due(now, after_id)

    async def next_alert_retry_at(self) -> float | None:
        return await self.alert_delivery.next_retry_at()

    async def claim_alert(self, alert_id: int, phones: Sequence[str], text: str, max_per_hour: int,
                          now: float) -> AlertClaim | None:
        return await self.alert_delivery.claim(alert_id, phones, text, max_per_hour, now)

    async def set_alert_send(self, alert_id: int, send_id: int) -> None:
        await self.alert_delivery.set_send(alert_id, send_id)

    async def finish_alert(self, alert_id: int, state: str, now: float, *, error: str | None = None,
                           next_attempt_at: float | None = None, release: Sequence[str] = (),
                           count_attempt: bool = False) -> None:
        await self.alert_delivery.finish(alert_id, state, now, error=error, next_attempt_at=next_attempt_at,
                                         release=release, count_attempt=count_attempt)

    async def alert_recipient_states(self, alert_id: int) -> dict[str, str]:
        return await self.alert_delivery.recipient_states(alert_id)

    async def open_alert_by_code(self, code: int, now: float, open_ttl: float) -> AlertRecord | None:
        return await self.alert_acks.open_by_code(code, now, open_ttl)

    async def alert_phones(self, alert_id: int) -> set[str]:
        return await self.alert_acks.phones(alert_id)

    async def ack_alert(self, alert_id: int, by: str, now: float,
                        expires_at: float | None = None) -> AlertRecord | None:
        return await self.alert_acks.ack(alert_id, by, now, expires_at)

    async def dirty_alert_copies(self, since: float, limit: int = 20) -> list[AlertRecord]:
        return await self.alert_copies.dirty(since, limit)

    async def alert_send_totals(self, alert_id: int) -> SendRecord | None:
        return await self.alert_copies.send_totals(alert_id)

    async def set_alert_copy(self, alert_id: int, chat_id: int, message_id: int, version: int,
                             send_version: int, now: float) -> None:
        await self.alert_copies.set_message(alert_id, chat_id, message_id, version, send_version, now)

    async def mark_alert_copy_shown(self, alert_id: int, version: int, send_version: int, now: float) -> None:
        await self.alert_copies.mark_shown(alert_id, version, send_version, now)

    async def touch_alert_copy(self, alert_id: int) -> None:
        await self.alert_copies.touch(alert_id)

    async def alert_for_send(self, send_id: int) -> AlertRecord | None:
        return await self.alert_copies.alert_for_send(send_id)

    async def alert_held_phones(self, alert_id: int) -> set[str]:
        return await self.alert_quota.held_phones(alert_id)

    async def release_alert_quota(self, alert_id: int) -> None:
        await self.alert_quota.release(alert_id)

    async def suppressed_due(self, max_per_hour: int, now: float) -> list[SuppressedAlert]:
        return await self.alert_quota.suppressed_due(max_per_hour, now)

    async def claim_summary(self, phones: Sequence[str], max_per_hour: int, now: float) -> list[str]:
        return await self.alert_quota.claim_summary(phones, max_per_hour, now)

    async def mark_summarised(self, phones: Sequence[str], alert_ids: Sequence[int], send_id: int | None) -> None:
        await self.alert_quota.mark_summarised(phones, alert_ids, send_id)

    async def release_summary_slots(self, phones: Sequence[str], at: float) -> None:
        await self.alert_quota.release_summary_slots(phones, at)

    async def prune_alert_quota(self, before: float) -> int:
        return await self.alert_quota.prune(before)
