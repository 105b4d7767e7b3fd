"""Alerts from monitoring systems, one repository per concern.

One row of `alerts` is one notification for one contact group, which becomes at most one
SMS; `alert_items` holds every alert it carried and what became of each (sent,
deduplicated, silenced by an ack, skipped). Decisions that must not race (dedup, the ack
code, the per-phone cap) are taken inside one transaction.

- intake.py    receiving a webhook: dedup, ack silencing, codes; reading alerts back
- delivery.py  sending: what is due, claiming an attempt, its outcome
- acks.py      acknowledging an alert by its code
- copies.py    the alert's copy in the alert chat
- quota.py     the per-phone hourly cap and the summaries of what it held back

The record types live in bot/store/models.py; they are named here too for the callers
that import them from this package.
"""

from bot.store.models import AlertClaim, AlertItemIn, AlertItemRecord, AlertRecord, SuppressedAlert

__all__ = ["AlertClaim", "AlertItemIn", "AlertItemRecord", "AlertRecord", "SuppressedAlert"]
