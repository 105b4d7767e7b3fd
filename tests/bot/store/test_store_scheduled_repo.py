"""ScheduledRepo: a held send is released, cancelled or missed once, and a stop mid-release
leaves nothing that could be sent twice."""

from __future__ import annotations

from bot.store import Store

A, B = "13800138000", "13800138001"


async def _hold(store: Store, due_at: float, chat_id: int = 5, **kw: object) -> int:
    values: dict = {"origin": "command", "chat_id": chat_id, "user_id": 7, "user_name": "@max", "lang": "zh",
                    "numbers": [A, B], "text": "later", "segments": 2, **kw}
    return await store.scheduled.hold(due_at=due_at, **values)


async def test_a_held_send_keeps_what_is_to_be_sent_and_is_waiting_until_due(store: Store) -> None:
    held_id = await _hold(store, 1000.0, status_chat_id=5, status_thread_id=None)
    await store.scheduled.set_status_message(held_id, 5, 42, 9)
    held = await store.scheduled.get(held_id)
    assert held is not None
    assert (held.numbers, held.text, held.segments, held.cost, held.lang, held.user_name) == (
        (A, B), "later", 2, 4, "zh", "@max")
    assert (held.state, held.status_message_id, held.status_thread_id, held.send_id) == ("held", 42, 9, None)
    assert await store.scheduled.due(999.0) == []
    assert [h.id for h in await store.scheduled.due(1000.0)] == [held_id]
    assert await store.scheduled.get(held_id + 1) is None


async def test_waiting_lists_a_chats_held_sends_soonest_first(store: Store) -> None:
    late = await _hold(store, 3000.0)
    soon = await _hold(store, 2000.0)
    other_chat = await _hold(store, 1000.0, chat_id=6)
    gone = await _hold(store, 500.0)
    await store.scheduled.cancel(gone, 7, "@max", 10.0)
    assert [h.id for h in await store.scheduled.waiting(5)] == [soon, late]
    assert [h.id for h in await store.scheduled.waiting()] == [other_chat, soon, late]
    assert [h.id for h in await store.scheduled.waiting(5, limit=1)] == [soon]


async def test_a_cancelled_send_cannot_be_claimed_and_a_claimed_one_cannot_be_cancelled(store: Store) -> None:
    first, second = await _hold(store, 1.0), await _hold(store, 1.0)
    assert await store.scheduled.cancel(first, 8, "@ada", 50.0) is True
    assert await store.scheduled.cancel(first, 8, "@ada", 51.0) is False  # the double click
    assert await store.scheduled.claim(first) is False
    cancelled = await store.scheduled.get(first)
    assert (cancelled.state, cancelled.closed_by, cancelled.closed_by_name, cancelled.closed_at) == (
        "cancelled", 8, "@ada", 50.0)

    assert await store.scheduled.claim(second) is True
    assert await store.scheduled.cancel(second, 8, "@ada", 52.0) is False
    assert await store.scheduled.miss(second, 52.0) is False
    assert await store.scheduled.due(100.0) == []
    await store.scheduled.mark_released(second)
    assert (await store.scheduled.get(second)).state == "released"


async def test_a_missed_send_is_untold_until_told(store: Store) -> None:
    held_id = await _hold(store, 1.0)
    assert await store.scheduled.miss(held_id, 2000.0) is True
    assert [h.id for h in await store.scheduled.untold()] == [held_id]
    await store.scheduled.mark_told(held_id)
    assert await store.scheduled.untold() == []
    assert (await store.scheduled.get(held_id)).told is True


async def test_recover_holds_again_what_never_reached_the_journal_and_releases_what_did(store: Store) -> None:
    never_journaled, journaled, waiting = await _hold(store, 1.0), await _hold(store, 1.0), await _hold(store, 1.0)
    await store.scheduled.claim(never_journaled)
    await store.scheduled.claim(journaled)
    send_id = await store.sends.journal(origin="command", text="later", segments=2, numbers=[A, B])
    await store.scheduled.link_send(journaled, send_id)
    assert await store.scheduled.recover() == ([never_journaled], [journaled])
    assert (await store.scheduled.get(never_journaled)).state == "held"
    after = await store.scheduled.get(journaled)
    assert (after.state, after.send_id) == ("released", send_id)
    assert (await store.scheduled.get(waiting)).state == "held"
    assert await store.scheduled.recover() == ([], [])
