"""SendsRepo: the journal, chunk outcomes, status messages and delivery reports."""

from __future__ import annotations

from bot.store import Store
from sms_core.models import DeliveryReport

A, B, C = "13800138000", "13800138001", "13800138002"


async def test_a_journaled_send_is_pending_with_its_numbers_in_chunks_of_a_hundred(store: Store) -> None:
    numbers = [f"139{i:08d}" for i in range(150)]
    sid = await store.sends.journal(origin="command", text="hi", segments=2, numbers=numbers, chat_id=5,
                                    user_id=6, user_name="alice", lang="zh")
    send = await store.sends.get(sid)
    assert send is not None
    assert (send.state, send.recipients, send.segments, send.lang, send.user_name) == ("pending", 150, 2, "zh", "alice")
    recipients = await store.sends.recipients(sid)
    assert [r.phone for r in recipients] == numbers
    assert {r.chunk for r in recipients[:100]} == {0} and {r.chunk for r in recipients[100:]} == {1}
    assert await store.sends.get(sid + 1) is None


async def test_chunk_outcomes_add_up_and_the_numbers_keep_the_refusal(store: Store) -> None:
    numbers = [f"139{i:08d}" for i in range(150)]
    sid = await store.sends.journal(origin="command", text="hi", segments=1, numbers=numbers)
    await store.sends.start_chunk(sid, 0)
    await store.sends.record_chunk(sid, 0, "accepted", 100, 0, ["b1"], None)
    await store.sends.start_chunk(sid, 1)
    await store.sends.record_chunk(sid, 1, "refused", 0, 50, [], "no credit", "insufficient_balance", None)
    await store.sends.finish(sid, "partial")
    send = await store.sends.get(sid)
    assert (send.state, send.accepted, send.rejected, send.cost) == ("partial", 100, 50, 100)
    assert (send.error, send.error_kind) == ("no credit", "insufficient_balance")
    assert [(g.state, g.reason, g.count) for g in send.outcomes] == [("refused", "insufficient_balance", 50)]
    assert send.not_sent == tuple(numbers[100:])


async def test_a_send_stopped_mid_way_is_unknown_in_flight_and_not_sent_after(store: Store) -> None:
    numbers = [f"139{i:08d}" for i in range(250)]
    sid = await store.sends.journal(origin="command", text="t", segments=1, numbers=numbers)
    await store.sends.start_chunk(sid, 0)
    await store.sends.record_chunk(sid, 0, "accepted", 100, 0, ["b1"], None)
    await store.sends.start_chunk(sid, 1)
    assert await store.sends.settle(sid, "timeout") == "partial"
    send = await store.sends.get(sid)
    assert (send.unknown, send.error, send.error_kind) == (100, "timeout", "timeout")
    assert {(g.state, g.reason, g.count) for g in send.outcomes} == {("unknown", "timeout", 100),
                                                                      ("failed", "timeout", 50)}
    assert await store.sends.settle_interrupted() == []  # settled: no longer pending


async def test_sends_left_pending_by_a_dead_run_are_settled_as_interrupted(store: Store) -> None:
    done = await store.sends.journal(origin="command", text="t", segments=1, numbers=[A])
    await store.sends.finish(done, "accepted")
    left = await store.sends.journal(origin="command", text="t", segments=1, numbers=[B])
    assert await store.sends.settle_interrupted() == [left]
    assert (await store.sends.get(left)).state == "failed"
    assert [s.id for s in await store.sends.in_states(["failed", "accepted"])] == [done, left]


async def test_history_is_newest_first_and_can_ask_for_some_numbers(store: Store) -> None:
    first = await store.sends.journal(origin="command", text="1", segments=1, numbers=[A, B])
    second = await store.sends.journal(origin="command", text="2", segments=1, numbers=[C])
    assert [s.id for s in await store.sends.history()] == [second, first]
    assert [s.id for s in await store.sends.history([B])] == [first]
    assert [s.id for s in await store.sends.history(limit=1)] == [second]


async def test_a_status_message_is_owed_then_dirty_until_shown(store: Store) -> None:
    sid = await store.sends.journal(origin="command", text="t", segments=1, numbers=[A], status_chat_id=5)
    assert [s.id for s in await store.sends.owed_statuses()] == [sid]
    await store.sends.set_status_message(sid, 5, 77, None, shown_version=0)
    assert await store.sends.owed_statuses() == []
    await store.sends.finish(sid, "accepted")
    [dirty] = await store.sends.dirty_statuses()
    assert dirty.status_message_id == 77 and dirty.status_version > dirty.status_shown
    assert await store.sends.dirty_status_count() == 1
    await store.sends.mark_status_shown(sid, dirty.status_version)
    assert await store.sends.dirty_statuses() == [] and await store.sends.dirty_status_count() == 0


async def test_a_status_the_chat_refuses_is_owed_no_more(store: Store) -> None:
    sid = await store.sends.journal(origin="command", text="t", segments=1, numbers=[A], status_chat_id=5)
    await store.sends.forgo_status(sid)
    assert await store.sends.owed_statuses() == []
    assert (await store.sends.get(sid)).status_chat_id is None


async def test_reports_match_by_id_and_number_and_the_rest_are_kept(store: Store) -> None:
    sid = await store.sends.journal(origin="command", text="t", segments=2, numbers=[A, B, C])
    await store.sends.record_chunk(sid, 0, "accepted", 3, 0, ["x1", "x2", "x3"], None)
    out = await store.sends.store_reports([
        DeliveryReport("x1", A, 10), DeliveryReport("x1", A, 10), DeliveryReport("x2", "+86" + B, 20),
        DeliveryReport("zz", A, 10),
    ])
    assert (out.stored, out.matched, out.unmatched, out.touched_sends) == (4, 3, 1, (sid,))
    send = await store.sends.get(sid)
    assert (send.delivered, send.failed, send.waiting) == (1, 1, 1)
    assert [r.report_status for r in await store.sends.recipients(sid)] == [10, 20, None]
    assert (await store.sends.unmatched_report_count(), await store.sends.report_count()) == (1, 4)


async def test_a_report_before_its_ids_is_matched_when_they_are_recorded(store: Store) -> None:
    await store.sends.store_reports([DeliveryReport("early", A, 10)])
    sid = await store.sends.journal(origin="command", text="t", segments=1, numbers=[A])
    await store.sends.record_chunk(sid, 0, "accepted", 1, 0, ["early"], None)
    assert (await store.sends.get(sid)).delivered == 1
    assert await store.sends.unmatched_report_count() == 0


async def test_a_page_of_reports_marks_its_raw_answer_with_it(store: Store) -> None:
    parsed = await store.inbound.store_raw("report", "page one")
    doubtful = await store.inbound.store_raw("report", "page two")
    await store.sends.store_reports([DeliveryReport("a", A, 10)], parsed)
    await store.sends.store_reports([], doubtful, problem="line 3 unreadable")
    assert await store.inbound.unparsed_raw() == [(doubtful, "report", "page two", "line 3 unreadable")]
    assert await store.sends.report_count() == 1
