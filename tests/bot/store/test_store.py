"""The store: migrations, the send journal, report matching, the process lock."""

from __future__ import annotations

import sqlite3

import pytest

from bot.store import SCHEMA_VERSION, SchemaTooNew, Store, StoreLocked
from sms_core.models import DeliveryReport, InboundSms


@pytest.fixture
async def store(tmp_path):
    s = await Store(tmp_path / "s.sqlite3").open()
    yield s
    await s.close()


async def test_new_store_is_at_the_current_schema_and_uses_wal(tmp_path, store):
    assert await store.schema_version() == SCHEMA_VERSION
    conn = sqlite3.connect(tmp_path / "s.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer smsbot"):
        await Store(path).open()


async def test_second_exclusive_open_is_refused_with_a_clear_message(tmp_path):
    first = await Store(tmp_path / "x.sqlite3", exclusive=True).open()
    try:
        with pytest.raises(StoreLocked, match="already running"):
            await Store(tmp_path / "x.sqlite3", exclusive=True).open()
    finally:
        await first.close()
    again = await Store(tmp_path / "x.sqlite3", exclusive=True).open()  # released on close
    await again.close()


async def test_reports_match_per_number_ids_and_count_a_number_once(store):
    sid = await store.sends.journal(origin="command", text="t", segments=2,
                                   numbers=["13800138000", "13800138001", "13800138002"])
    await store.sends.record_chunk(sid, 0, "accepted", 3, 0, ["a1", "a2", "a3"], None)
    await store.sends.finish(sid, "accepted")
    out = await store.sends.store_reports([
        DeliveryReport("a1", "13800138000", -1),  # not final
        DeliveryReport("a1", "13800138000", 10),
        DeliveryReport("a1", "13800138000", 10),  # second segment of a long SMS
        DeliveryReport("a2", "13800138001", 20),
        DeliveryReport("zz", "13900000000", 10),  # matches nothing: kept
    ])
    assert (out.matched, out.unmatched) == (4, 1)
    rec = await store.sends.get(sid)
    assert (rec.delivered, rec.failed, rec.waiting) == (1, 1, 1)
    assert await store.sends.unmatched_report_count() == 1
    assert await store.sends.report_count() == 5


async def test_reports_match_a_single_batch_id(store):
    sid = await store.sends.journal(origin="command", text="t", segments=1, numbers=["13800138000", "13800138001"])
    await store.sends.record_chunk(sid, 0, "accepted", 2, 0, ["B77"], None)
    await store.sends.store_reports([DeliveryReport("B77", "13800138000", 10), DeliveryReport("B77", "13800138001", 10)])
    rec = await store.sends.get(sid)
    assert rec.delivered == 2 and rec.waiting == 0


async def test_a_report_that_came_before_its_ids_were_recorded_is_matched_later(store):
    await store.sends.store_reports([DeliveryReport("late", "13800138000", 10)])
    sid = await store.sends.journal(origin="command", text="t", segments=1, numbers=["13800138000"])
    await store.sends.record_chunk(sid, 0, "accepted", 1, 0, ["late"], None)
    assert (await store.sends.get(sid)).delivered == 1
    assert await store.sends.unmatched_report_count() == 0


async def test_an_interrupted_send_has_its_chunk_in_flight_unknown_and_the_rest_not_sent(store):
    numbers = [f"139{i:08d}" for i in range(250)]
    sid = await store.sends.journal(origin="command", text="t", segments=1, numbers=numbers)
    await store.sends.start_chunk(sid, 0)
    await store.sends.record_chunk(sid, 0, "accepted", 100, 0, ["b1"], None)
    await store.sends.start_chunk(sid, 1)  # then the bot died, its request in flight
    assert await store.sends.settle_interrupted() == [sid]
    rec = await store.sends.get(sid)
    assert (rec.state, rec.accepted, rec.unknown) == ("partial", 100, 100)
    assert {(g.state, g.reason, g.count) for g in rec.outcomes} == {("unknown", "interrupted", 100),
                                                                     ("failed", "interrupted", 50)}
    assert rec.not_sent == tuple(numbers[200:])
    assert await store.sends.settle_interrupted() == []


async def test_a_send_interrupted_before_its_first_request_was_not_sent(store):
    sid = await store.sends.journal(origin="command", text="t", segments=1, numbers=["13800138000"])
    assert await store.sends.settle_interrupted() == [sid]
    rec = await store.sends.get(sid)
    assert rec.state == "failed" and rec.unknown == 0 and rec.not_sent == ("13800138000",)


async def test_inbound_is_stored_once_per_message_id(store):
    raw = await store.inbound.store_raw("inbound", "1|9;13800138000;hi")
    new = await store.inbound.store([InboundSms("9", "13800138000", "hi")], raw)
    again = await store.inbound.store([InboundSms("9", "13800138000", "hi")])
    assert len(new) == 1 and again == []
    assert await store.inbound.unparsed_raw() == []
    assert [m.text for m in await store.inbound.pending()] == ["hi"]


async def test_contacts_are_case_insensitive_and_groups_keep_order(store):
    assert await store.contacts.upsert("Alice", "13800138000") is True
    assert await store.contacts.upsert("alice", "13800138001") is False
    assert (await store.contacts.get("ALICE")).phone == "13800138001"
    await store.contacts.replace_group("oncall", ["Alice", "13900139000"])
    assert (await store.contacts.get_group("OnCall")).members == ("Alice", "13900139000")
    assert await store.contacts.delete_group("oncall") is True
    assert await store.contacts.get_group("oncall") is None


async def test_a_confirmation_closes_only_once(store):
    await store.confirmations.add("tok", 1, 2, "{}")
    assert await store.confirmations.close("tok", "confirmed") is True
    assert await store.confirmations.close("tok", "confirmed") is False


async def test_a_report_with_a_country_prefix_still_matches(store):
    sid = await store.sends.journal(origin="command", text="t", segments=1, numbers=["13800138000", "13800138001"])
    await store.sends.record_chunk(sid, 0, "accepted", 2, 0, ["B9"], None)
    out = await store.sends.store_reports([DeliveryReport("B9", "+8613800138000", 10),
                                     DeliveryReport("B9", "8613800138001", 20)])
    assert out.unmatched == 0
    rec = await store.sends.get(sid)
    assert (rec.delivered, rec.failed) == (1, 1)
