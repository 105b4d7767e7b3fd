"""What the store tells of each number of a send (SendsRepo.numbers, phone_outcomes) and the
names the address book gives numbers (ContactsRepo.names_for): what /history #ID and
/history NUMBER show."""

from __future__ import annotations

from bot.store import NumberOutcome, Store
from sms_core.models import DeliveryReport

A, B, C = "13800138000", "13800138001", "13800138002"


async def test_each_number_keeps_its_state_report_time_and_reason_in_send_order(store: Store) -> None:
    numbers = [f"139{i:08d}" for i in range(150)]
    sid = await store.sends.journal(origin="command", text="hi", segments=1, numbers=numbers)
    await store.sends.start_chunk(sid, 0)
    await store.sends.record_chunk(sid, 0, "accepted", 100, 0, [f"id{i}" for i in range(100)], None)
    await store.sends.start_chunk(sid, 1)
    await store.sends.record_chunk(sid, 1, "refused", 0, 0, [], "no credit", "insufficient_balance", None)
    await store.sends.finish(sid, "partial")
    await store.sends.store_reports([DeliveryReport("id0", numbers[0], 10), DeliveryReport("id1", numbers[1], 20)])

    out = await store.sends.numbers(sid)
    assert [n.phone for n in out] == numbers and {n.send_id for n in out} == {sid}
    delivered, failed, waiting = out[0], out[1], out[2]
    assert (delivered.state, delivered.report_status, delivered.reason) == ("accepted", 10, None)
    assert (failed.report_status, waiting.report_status, waiting.reported_at) == (20, None, None)
    assert delivered.reported_at is not None and failed.reported_at is not None
    assert {(n.state, n.reason) for n in out[100:]} == {("refused", "insufficient_balance")}
    assert await store.sends.numbers(sid + 1) == []


async def test_an_unknown_outcome_keeps_its_reason_code_and_argument(store: Store) -> None:
    sid = await store.sends.journal(origin="command", text="hi", segments=1, numbers=[A, B])
    await store.sends.start_chunk(sid, 0)
    await store.sends.record_chunk(sid, 0, "unknown", 0, 0, [], "HTTP 502", "http_status", "502")
    [a, b] = await store.sends.numbers(sid)
    assert (a.state, a.reason, a.reason_arg) == ("unknown", "http_status", "502") == (b.state, b.reason, b.reason_arg)


async def test_a_phone_outcomes_are_its_own_in_each_send_newest_first(store: Store) -> None:
    first = await store.sends.journal(origin="command", text="one", segments=1, numbers=[A, B])
    await store.sends.record_chunk(first, 0, "accepted", 2, 0, ["s1a", "s1b"], None)
    second = await store.sends.journal(origin="command", text="two", segments=1, numbers=[C])
    third = await store.sends.journal(origin="command", text="three", segments=1, numbers=[B, A])
    await store.sends.record_chunk(third, 0, "accepted", 2, 0, ["s3b", "s3a"], None)
    await store.sends.store_reports([DeliveryReport("s1b", B, 10), DeliveryReport("s3b", B, 20)])

    out = await store.sends.phone_outcomes(B)
    assert [(o.send_id, o.phone, o.report_status) for o in out] == [(third, B, 20), (first, B, 10)]
    assert [r.id for r in await store.sends.history([B])] == [o.send_id for o in out]
    assert [o.send_id for o in await store.sends.phone_outcomes(B, limit=1)] == [third]
    assert [o.send_id for o in await store.sends.phone_outcomes(C)] == [second]
    assert await store.sends.phone_outcomes("13999999999") == []
    assert all(isinstance(o, NumberOutcome) for o in out)


async def test_names_for_gives_each_known_number_its_oldest_contact(store: Store) -> None:
    await store.contacts.upsert("zoe", A)
    await store.contacts.upsert("adam", A)  # a later contact with the same number
    await store.contacts.upsert("bob", B)
    assert await store.contacts.names_for([A, B, C, A]) == {A: "zoe", B: "bob"}
    assert await store.contacts.names_for([]) == {}


async def test_names_for_takes_more_numbers_than_one_query_can_bind(store: Store) -> None:
    numbers = [f"139{i:08d}" for i in range(1200)]
    for i in (0, 600, 1199):
        await store.contacts.upsert(f"c{i}", numbers[i])
    assert await store.contacts.names_for(numbers) == {numbers[0]: "c0", numbers[600]: "c600", numbers[1199]: "c1199"}
