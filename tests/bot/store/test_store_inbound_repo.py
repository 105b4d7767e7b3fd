"""InboundRepo: raw poll answers and the inbound SMS they held."""

from __future__ import annotations

from bot.store import RawAnswer, Store
from sms_core.models import InboundSms

INBOX = -100123
A, B = "13800138000", "13900139000"


async def test_a_raw_answer_is_kept_without_the_password_until_parsed(store: Store) -> None:
    raw_id = await store.inbound.store_raw("inbound", "Error: GET /x?us_pwd=Hunter2-secret failed")
    [raw] = await store.inbound.unparsed_raw()
    assert raw == RawAnswer(raw_id, "inbound", "Error: GET /x?us_pwd=*** failed", None)
    await store.inbound.mark_raw(raw_id)
    assert await store.inbound.unparsed_raw() == []


async def test_a_raw_answer_with_a_problem_stays_for_a_person(store: Store) -> None:
    raw_id = await store.inbound.store_raw("inbound", "1|garbage")
    await store.inbound.mark_raw(raw_id, "record 1 unreadable")
    [(got_id, _, _, problem)] = await store.inbound.unparsed_raw()
    assert (got_id, problem) == (raw_id, "record 1 unreadable")


async def test_a_page_is_stored_once_per_message_with_its_raw_answer_marked(store: Store) -> None:
    raw_id = await store.inbound.store_raw("inbound", "page")
    new = await store.inbound.store([InboundSms("9", A, "hi"), InboundSms("10", A, "there")], raw_id)
    again = await store.inbound.store([InboundSms("9", A, "hi")])
    assert len(new) == 2 and again == []
    assert await store.inbound.unparsed_raw() == []
    assert [m.text for m in await store.inbound.by_ids(new)] == ["hi", "there"]
    assert (await store.inbound.count(), await store.inbound.pending_count()) == (2, 2)


async def test_a_sender_is_stored_in_the_form_numbers_are_sent_to(store: Store) -> None:
    await store.inbound.store([InboundSms("1", "+86" + A, "a"), InboundSms("2", "0086" + A, "b"),
                               InboundSms("3", "10086", "c")])
    assert [m.phone for m in await store.inbound.since()] == [A, A, "10086"]


async def test_the_backlog_is_by_phone_longest_waiting_first(store: Store) -> None:
    await store.inbound.store([InboundSms("1", B, "b1"), InboundSms("2", A, "a1"), InboundSms("3", B, "b2")])
    assert await store.inbound.pending_phones() == [B, A]
    assert [m.text for m in await store.inbound.pending_for_phone(B)] == ["b1", "b2"]
    assert [m.text for m in await store.inbound.pending(limit=2)] == ["b1", "a1"]


async def test_forwarded_sms_leave_the_backlog_and_their_message_speaks_for_the_phone(store: Store) -> None:
    ids = await store.inbound.store([InboundSms("1", A, "first"), InboundSms("2", A, "second")])
    await store.inbound.mark_forwarded(ids, INBOX, 55, 7, phone=A)
    assert await store.inbound.pending() == [] and await store.inbound.pending_count() == 0
    assert all(m.forwarded_at is not None for m in await store.inbound.by_ids(ids))
    assert await store.inbound.texts_of_message(INBOX, 55) == ["first", "second"]
    assert await store.inbound.texts_of_message(INBOX, 56) == []
    assert await store.topics.phone_for_message(INBOX, 55) == A


async def test_an_sms_is_forwarded_once(store: Store) -> None:
    [sms] = await store.inbound.store([InboundSms("1", A, "hi")])
    await store.inbound.mark_forwarded([sms], INBOX, 55, None)
    await store.inbound.mark_forwarded([sms], INBOX, 60, None)  # a second run must not move it
    assert await store.inbound.texts_of_message(INBOX, 55) == ["hi"]
    assert await store.topics.phone_for_message(INBOX, 55) is None  # no phone given: no link


async def test_sms_since_an_id_come_in_the_order_stored(store: Store) -> None:
    ids = await store.inbound.store([InboundSms(str(n), A, f"m{n}") for n in range(5)])
    assert [m.id for m in await store.inbound.since(ids[1], limit=2)] == ids[2:4]
    assert await store.inbound.by_ids([]) == []
