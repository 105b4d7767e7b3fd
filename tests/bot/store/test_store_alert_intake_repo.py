"""AlertIntakeRepo: a webhook request committed with its dedup, ack and code decisions."""

from __future__ import annotations

from store_alert_helpers import DAY, HOUR, item, receive

from bot.store import Store


async def test_a_request_is_one_notification_per_group(store: Store) -> None:
    records = await store.alert_intake.receive(
        "alertmanager", [("oncall", [item("a"), item("b")]), ("dba", [item("a")])], now=10.0,
        dedup_window=900.0, send_resolved=True, open_ttl=DAY, code_reuse_after=HOUR)
    assert [(r.group_name, r.state, r.fingerprint, r.source) for r in records] == [
        ("oncall", "stored", "a", "alertmanager"), ("dba", "stored", "a", "alertmanager")]
    assert [r.code for r in records] == [1, 2]
    assert [(i.fingerprint, i.outcome) for i in await store.alert_intake.items(records[0].id)] == [
        ("a", "new"), ("b", "new")]
    assert await store.alert_intake.get(records[1].id) == records[1]


async def test_a_repeat_inside_the_window_is_deduplicated_for_its_group_only(store: Store) -> None:
    assert (await receive(store, [item()], 0.0)).state == "stored"
    repeat = await receive(store, [item()], 100.0)
    assert (repeat.state, repeat.code, repeat.closed_at) == ("deduplicated", None, 100.0)
    assert (await receive(store, [item()], 100.0, group="dba")).state == "stored"
    assert (await receive(store, [item()], 901.0)).state == "stored"


async def test_resolves_are_skipped_when_not_sent_and_close_what_they_resolve(store: Store) -> None:
    firing = await receive(store, [item()], 0.0)
    skipped = await receive(store, [item(status="resolved")], 10.0, send_resolved=False)
    assert skipped.state == "skipped"
    assert (await store.alert_intake.get(firing.id)).closed_at == 10.0


async def test_the_smallest_free_code_is_given_to_firing_news(store: Store) -> None:
    a, b = await receive(store, [item("a")], 0.0), await receive(store, [item("b")], 1.0)
    assert (a.code, b.code) == (1, 2)
    assert (await receive(store, [item("c", "resolved")], 2.0)).code is None  # nothing to acknowledge
    assert (await receive(store, [item("d")], 3.0)).code == 3


async def test_notifications_are_read_back_newest_first_by_state_and_counted(store: Store) -> None:
    first = await receive(store, [item("a")], 0.0)
    repeat = await receive(store, [item("a")], 1.0)
    last = await receive(store, [item("b")], 2.0)
    assert [r.id for r in await store.alert_intake.recent()] == [last.id, repeat.id, first.id]
    assert [r.id for r in await store.alert_intake.recent(limit=1)] == [last.id]
    assert [r.id for r in await store.alert_intake.in_state("stored")] == [first.id, last.id]
    assert await store.alert_intake.counts() == {"stored": 2, "deduplicated": 1}
    assert await store.alert_intake.get(last.id + 1) is None
    assert await store.alert_intake.items(last.id + 1) == []
