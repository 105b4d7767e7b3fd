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
    Topic,
)
from bot.store.repo import sqlite_errors
from bot.store.scheduled import ScheduledRepo
from bot.store.schema import SCHEMA_VERSION
from bot.store.sends import SendsRepo
from bot.store.topics import TopicsRepo

__all__ = [
    "ROOM_FOR_A_PAGE", "SCHEMA_VERSION", "AlertClaim", "AlertItemIn", "AlertItemRecord", "AlertRecord", "AuditRecord",
    "Confirmation", "Contact", "Database", "DatabaseError", "Group", "HeldSend", "InboundRecord", "IntegrityError",
    "NumberOutcome", "OperationalError", "OutcomeGroup", "RawAnswer", "Recipient", "ReportOutcome", "SchemaTooNew",
    "SendRecord", "Store", "StoreError", "StoreFull", "StoreLocked", "SuppressedAlert", "Topic",
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

