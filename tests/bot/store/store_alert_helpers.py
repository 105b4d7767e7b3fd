"""Alerts as a webhook would hand them to the store, for the alert repositories' tests."""

from __future__ import annotations

from bot.store import AlertItemIn, AlertRecord, Store

HOUR = 3600.0
DAY = 86400.0


def item(fingerprint: str = "fp1", status: str = "firing", name: str = "DiskFull") -> AlertItemIn:
    return AlertItemIn(fingerprint, status, name, f"{name} on db1", {"alertname": name})


async def receive(store: Store, items: list[AlertItemIn], now: float, group: str = "oncall", *,
                  dedup_window: float = 900.0, send_resolved: bool = True) -> AlertRecord:
    """One webhook request for one group; its notification."""
    [record] = await store.alert_intake.receive("alertmanager", [(group, items)], now=now,
                                                dedup_window=dedup_window, send_resolved=send_resolved,
                                                open_ttl=DAY, code_reuse_after=HOUR)
    return record


async def attempt(store: Store, alert_id: int, phones: list[str], state: str, error: str | None = None) -> int:
    """A journaled send of the alert to `phones`, all of which ended `state` (accepted or refused)."""
    send_id = await store.sends.journal(origin="alert", text="t", segments=1, numbers=phones, alert_id=alert_id)
    accepted = len(phones) if state == "accepted" else 0
    await store.sends.record_chunk(send_id, 0, state, accepted, len(phones) - accepted,
                                   [f"sms{send_id}"] if accepted else [], error)
    await store.sends.finish(send_id, state)
    await store.alert_delivery.set_send(alert_id, send_id)
    return send_id
