"""AlertQuotaRepo: the hourly cap per phone and the summaries of what it held back."""

from __future__ import annotations

from store_alert_helpers import HOUR, item, receive

from bot.store import Store, SuppressedAlert

A, B = "13800138000", "13800138001"


async def test_the_cap_holds_back_a_phone_that_used_its_hour(store: Store) -> None:
    assert await store.alert_quota.claim_summary([B], 1, 0.0) == [B]  # B's one slot this hour
    alert = await receive(store, [item()], 0.0)
    claim = await store.alert_delivery.claim(alert.id, [A, B], "t", 1, 1.0)
    assert claim is not None and (claim.phones, claim.capped) == ((A,), (B,))
    assert claim.alert.suppressed == 1
    assert await store.alert_quota.held_phones(alert.id) == {B}
    assert await store.alert_quota.suppressed_due(1, 100.0) == []  # B's hour is not over
    assert await store.alert_quota.suppressed_due(1, HOUR + 1) == [
        SuppressedAlert(B, alert.id, "DiskFull", "DiskFull on db1", {"alertname": "DiskFull"}, "firing")]


async def test_a_summary_tells_held_back_alerts_once_unless_undone(store: Store) -> None:
    await store.alert_quota.claim_summary([A], 1, 0.0)
    alert = await receive(store, [item()], 0.0)
    await store.alert_delivery.claim(alert.id, [A], "t", 1, 1.0)
    now = HOUR + 10
    assert await store.alert_quota.claim_summary([A], 1, now) == [A]
    assert await store.alert_quota.claim_summary([A], 1, now) == []  # the slot is taken
    await store.alert_quota.mark_summarised([A], [alert.id], 99)
    assert await store.alert_quota.suppressed_due(1, 3 * HOUR) == []
    await store.alert_quota.mark_summarised([A], [alert.id], None)  # the summary did not go
    await store.alert_quota.release_summary_slots([A], now)
    assert [d.alert_id for d in await store.alert_quota.suppressed_due(1, now)] == [alert.id]


async def test_released_and_pruned_slots_free_the_hour(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    await store.alert_delivery.claim(alert.id, [A, B], "t", 1, 1.0)
    await store.alert_quota.release(alert.id)  # the attempt never reached the journal
    assert await store.alert_quota.claim_summary([A, B], 1, 2.0) == [A, B]
    assert await store.alert_quota.prune(2.0) == 0
    assert await store.alert_quota.prune(3.0) == 2
    assert await store.alert_quota.claim_summary([A, B], 1, 4.0) == [A, B]
