"""AlertAcksRepo: an alert acknowledged by its code, once, for the group that got it."""

from __future__ import annotations

from store_alert_helpers import DAY, attempt, item, receive

from bot.store import Store

A, B = "13800138000", "13800138001"


async def test_a_code_finds_its_open_alert_until_it_is_too_old(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    assert alert.code == 1
    assert (await store.alert_acks.open_by_code(1, 10.0, DAY)).id == alert.id
    assert await store.alert_acks.open_by_code(1, DAY + 1, DAY) is None
    assert await store.alert_acks.open_by_code(2, 10.0, DAY) is None


async def test_an_alert_is_acknowledged_once_and_silenced_for_its_group(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    acked = await store.alert_acks.ack(alert.id, "alice", 5.0)
    assert acked is not None
    assert (acked.acked_by, acked.acked_at, acked.closed_at, acked.state) == ("alice", 5.0, 5.0, "acked")
    assert await store.alert_acks.ack(alert.id, "bob", 6.0) is None  # two people at once
    assert await store.alert_acks.open_by_code(1, 7.0, DAY) is None
    assert (await receive(store, [item()], 2000.0)).state == "acked"
    assert (await receive(store, [item()], 2000.0, group="dba")).state == "stored"


async def test_an_ack_with_an_end_silences_only_until_then(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    await store.alert_acks.ack(alert.id, "alice", 5.0, expires_at=1000.0)
    assert (await receive(store, [item()], 999.0, dedup_window=0.0)).state == "acked"
    assert (await receive(store, [item()], 1001.0, dedup_window=0.0)).state == "stored"


async def test_the_phones_of_an_alert_are_those_any_attempt_texted(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    assert await store.alert_acks.phones(alert.id) == set()
    await attempt(store, alert.id, [A], "refused")
    await attempt(store, alert.id, [A, B], "accepted")
    assert await store.alert_acks.phones(alert.id) == {A, B}
