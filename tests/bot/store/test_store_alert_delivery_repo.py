"""AlertDeliveryRepo: what is due, one attempt at a time, never a phone texted twice."""

from __future__ import annotations

from store_alert_helpers import attempt, item, receive

from bot.store import Store

A, B = "13800138000", "13800138001"


async def test_new_notifications_are_due_in_order_and_failed_ones_when_their_time_comes(store: Store) -> None:
    first = await receive(store, [item("a")], 0.0)
    second = await receive(store, [item("b")], 1.0)
    await receive(store, [item("a")], 2.0)  # deduplicated: never due
    assert (await store.alert_delivery.next_due(10.0)).id == first.id
    assert (await store.alert_delivery.next_due(10.0, after_id=first.id)).id == second.id
    assert await store.alert_delivery.next_retry_at() is None
    await store.alert_delivery.finish(first.id, "failed", 10.0, error="timeout", next_attempt_at=70.0,
                                      count_attempt=True)
    assert await store.alert_delivery.next_retry_at() == 70.0
    assert (await store.alert_delivery.next_due(69.0)).id == second.id
    assert (await store.alert_delivery.next_due(70.0)).id == first.id
    failed = await store.alert_intake.get(first.id)
    assert (failed.state, failed.error, failed.attempts, failed.closed_at) == ("failed", "timeout", 1, None)


async def test_a_claim_takes_the_alert_for_one_attempt(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    claim = await store.alert_delivery.claim(alert.id, [A, B], "DiskFull on db1", 5, 1.0)
    assert claim is not None and claim.phones == (A, B) and claim.capped == ()
    assert (claim.alert.state, claim.alert.text, claim.alert.attempts) == ("sending", "DiskFull on db1", 1)
    assert await store.alert_delivery.claim(alert.id, [A, B], "again", 5, 2.0) is None  # not due now
    assert await store.alert_delivery.claim(alert.id + 1, [A], "none", 5, 2.0) is None


async def test_a_retry_skips_the_phones_an_earlier_attempt_reached(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    await store.alert_delivery.claim(alert.id, [A], "t", 5, 1.0)
    send_id = await attempt(store, alert.id, [A], "accepted")
    await store.alert_delivery.finish(alert.id, "failed", 2.0, next_attempt_at=3.0)
    retry = await store.alert_delivery.claim(alert.id, [A, B], "t", 5, 3.0)
    assert retry is not None and retry.phones == (B,)
    assert retry.alert.send_id == send_id
    await attempt(store, alert.id, [B], "refused", error="forbidden word")
    assert await store.alert_delivery.recipient_states(alert.id) == {A: "accepted", B: "refused"}


async def test_a_finished_attempt_gives_back_the_slots_of_phones_it_did_not_reach(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    await store.alert_delivery.claim(alert.id, [A, B], "t", 1, 1.0)
    assert await store.alert_quota.claim_summary([A, B], 1, 2.0) == []  # both used their hour
    await store.alert_delivery.finish(alert.id, "failed", 2.0, next_attempt_at=60.0, release=[B])
    assert await store.alert_quota.claim_summary([A, B], 1, 3.0) == [B]


async def test_an_alert_given_up_is_closed_and_takes_no_ack(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    await store.alert_delivery.finish(alert.id, "gave_up", 50.0, error="no route", count_attempt=True)
    closed = await store.alert_intake.get(alert.id)
    assert (closed.state, closed.closed_at, closed.attempts) == ("gave_up", 50.0, 1)
    assert await store.alert_acks.open_by_code(alert.code or 0, 60.0, 86400.0) is None
    assert await store.alert_delivery.next_due(100.0) is None
