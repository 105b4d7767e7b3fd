"""AlertCopiesRepo: which copies in the alert chat are out of date and what they show."""

from __future__ import annotations

from store_alert_helpers import attempt, item, receive

from bot.store import Store
from sms_core.models import DeliveryReport

A, B = "13800138000", "13800138001"
CHAT = -100500


async def test_news_needs_a_copy_until_telegram_shows_it(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    await receive(store, [item()], 1.0)  # deduplicated: no copy
    [dirty] = await store.alert_copies.dirty(since=-1.0)
    assert dirty.id == alert.id and dirty.copy_version > dirty.copy_shown
    await store.alert_copies.set_message(alert.id, CHAT, 42, dirty.copy_version, 0, 5.0)
    assert await store.alert_copies.dirty(since=-1.0) == []
    shown = await store.alert_intake.get(alert.id)
    assert (shown.copy_chat_id, shown.copy_message_id, shown.copy_edited_at) == (CHAT, 42, 5.0)
    assert await store.alert_copies.dirty(since=0.0) == []  # only alerts received after `since`


async def test_a_touched_or_changed_alert_needs_its_copy_edited(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    await store.alert_copies.set_message(alert.id, CHAT, 42, 1, 0, 5.0)
    await store.alert_copies.touch(alert.id)
    [dirty] = await store.alert_copies.dirty(since=-1.0)
    await store.alert_copies.mark_shown(dirty.id, dirty.copy_version, 0, 6.0)
    await store.alert_copies.mark_shown(dirty.id, 1, 0, 7.0)  # a late, older edit never moves it back
    assert await store.alert_copies.dirty(since=-1.0) == []
    await store.alert_acks.ack(alert.id, "alice", 8.0)
    assert [a.id for a in await store.alert_copies.dirty(since=-1.0)] == [alert.id]


async def test_a_delivery_report_makes_the_posted_copy_out_of_date(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    send_id = await attempt(store, alert.id, [A], "accepted")
    totals = await store.alert_copies.send_totals(alert.id)
    current = await store.alert_intake.get(alert.id)
    await store.alert_copies.set_message(alert.id, CHAT, 42, current.copy_version, totals.status_version, 5.0)
    assert await store.alert_copies.dirty(since=-1.0) == []
    await store.sends.store_reports([DeliveryReport(f"sms{send_id}", A, 10)])
    assert [a.id for a in await store.alert_copies.dirty(since=-1.0)] == [alert.id]
    assert (await store.alert_copies.send_totals(alert.id)).delivered == 1


async def test_the_copy_counts_every_attempt_once(store: Store) -> None:
    alert = await receive(store, [item()], 0.0)
    assert await store.alert_copies.send_totals(alert.id) is None
    first = await attempt(store, alert.id, [A], "accepted")
    assert await store.alert_copies.send_totals(alert.id) == await store.sends.get(first)
    second = await attempt(store, alert.id, [B], "refused", error="forbidden word")
    totals = await store.alert_copies.send_totals(alert.id)
    assert totals is not None and totals.id == second
    assert (totals.state, totals.recipients, totals.accepted, totals.rejected) == ("partial", 2, 1, 1)
    assert totals.error == "forbidden word"
    assert (await store.alert_copies.alert_for_send(first)).id == alert.id
    assert await store.alert_copies.alert_for_send(second + 1) is None
