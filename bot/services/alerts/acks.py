"""Acknowledging an alert by SMS: a recipient answers the alert's code ("1", "ack 1", "确认1").

`SmsAcks` is one of the poller's inbound hooks: it sees every SMS once it is
committed, at least once (the poller keeps a mark in the store), and acking is
idempotent, so an SMS handed over again after a crash changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from bot.services.alerts.service import AlertService
from bot.store import InboundRecord, Store

log = logging.getLogger(__name__)

_ACK_SMS = re.compile(r"^\s*(?:ack|ok|确认|收到)?\s*#?\s*(\d{1,6})\s*[.!。！]?\s*$", re.IGNORECASE)


def parse_ack_sms(text: str) -> int | None:
    """"1", " 1 ", "ack 1", "ACK #1", "确认1" -> 1; anything else is no ack."""
    m = _ACK_SMS.match(text or "")
    return int(m.group(1)) if m else None


class SmsAcks:
    """Inbound hook: an SMS that is an alert's code, from one of its recipients, acknowledges it."""

    def __init__(self, alerts: AlertService, store: Store) -> None:
        self.alerts = alerts
        self.store = store

    async def __call__(self, records: Sequence[InboundRecord]) -> None:
        for record in records:
            code = parse_ack_sms(record.text)
            if code is None:
                continue
            try:
                contact = await self.store.contacts.for_phone(record.phone)
                who = f"{contact.name} ({record.phone})" if contact else record.phone
                result = await self.alerts.ack(code, who, phone=record.phone)
            except Exception:  # one bad SMS must not keep the others from being acks
                log.exception("SMS ack from %s failed", record.phone)
                continue
            if result.outcome != "done":
                log.info("SMS '%s' from %s is no ack (%s)", record.text[:20], record.phone, result.outcome)
