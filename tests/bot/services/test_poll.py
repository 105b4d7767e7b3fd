"""Flow 2, poll: every answer committed before it is used, full pages drained, bad answers backed off."""

from __future__ import annotations

import asyncio

import pytest
from harness import inbox_messages

from bot import metrics
from bot.runtime import Parts
from bot.services.polling.poller import MAX_PAGES, backoff_delay, call_timeout
from bot.store import Store
from sms_core import Endpoint

PHONE = "13900001111"


async def _until(predicate, timeout: float = 15.0):
    """Await an async predicate (store queries) without a wall-clock assertion."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if loop.time() > deadline:
            raise TimeoutError(getattr(predicate, "__qualname__", "condition"))
        await asyncio.sleep(0.05)


def _polls(endpoint: str, result: str) -> float:
    return metrics.POLLS.labels(endpoint, result)._value.get()


async def test_full_pages_are_drained_in_one_run(prepared_harness):
    # One run only: the next one is an hour away, so whatever is stored came from the first.
    h = prepared_harness(poll_interval=3600)
    for i in range(130):
        h.gateway.add_inbound(PHONE if i % 2 else "13900002222", f"sms {i}")
    for i in range(250):
        h.gateway.add_report(str(7_000_000 + i), "13800000000", 10)
    await h.start()
    store = h.services.store

    async def drained() -> bool:
        return await store.inbound.count() == 130 and await store.sends.report_count() == 250

    await _until(drained)
    assert h.gateway.request_count("inbound") == 3  # 50 + 50 + 30: the third page was not full
    assert h.gateway.request_count("reports") == 3  # 100 + 100 + 50
    assert await store.sends.unmatched_report_count() == 250  # matching no send, and kept
    assert await store.inbound.unparsed_raw() == []
    await h.until(lambda: len([line for m in inbox_messages(h) for line in m["text"].split("\n")]) == 130)


async def test_busy_answers_back_off_and_lose_nothing(harness, caplog):
    busy_before = _polls("inbound", "busy")
    harness.gateway.add_fault("busy", count=3, endpoint="inbound")  # every attempt of one fetch
    harness.gateway.add_inbound(PHONE, "still here")
    await harness.until(lambda: inbox_messages(harness), timeout=20)
    assert _polls("inbound", "busy") == busy_before + 1
    assert "poll inbound: the gateway is busy" in caplog.text and "next try in" in caplog.text
    assert "still here" in inbox_messages(harness)[0]["text"]
    poller = harness.runtime.poller
    assert poller.state["inbound"].failures == 0  # reset by the next good answer
    assert harness.runtime.health.last_poll_error is None
    assert harness.runtime.health.last_poll_ok > 0


async def test_garbage_is_kept_raw_and_the_data_still_arrives(harness):
    harness.gateway.add_fault("garbage", endpoint="inbound", variant="html")
    harness.gateway.add_inbound(PHONE, "after the garbage")
    await harness.until(lambda: inbox_messages(harness), timeout=20)
    [(_raw_id, endpoint, body, problem)] = await harness.services.store.inbound.unparsed_raw()
    assert endpoint == Endpoint.INBOUND.value
    assert "Microsoft VBScript" in body
    assert "unexpected answer" in problem
    assert "after the garbage" in inbox_messages(harness)[0]["text"]


async def test_an_answer_cut_short_keeps_what_it_holds(harness, caplog):
    # the page is consumed at the gateway and answered cut short: the raw body is all there is
    harness.gateway.add_fault("garbage", endpoint="inbound", variant="truncated", process=True)
    harness.gateway.add_inbound(PHONE, "consumed")
    store = harness.services.store

    async def stored() -> bool:
        return await store.inbound.count() >= 1

    await _until(stored)
    assert "announced 2 records but sent 1" in caplog.text
    await harness.until(lambda: inbox_messages(harness))
    # the intact SMS reaches the team without the start of the record that was cut off
    text = inbox_messages(harness)[0]["text"]
    assert "我回复一条" in text and "1382" not in text
    # and the answer as received is kept for a person, with what was wrong with it
    [(_, endpoint, body, problem)] = await store.inbound.unparsed_raw()
    assert endpoint == Endpoint.INBOUND.value and body.endswith("|134,1382")
    assert "cut short" in problem


async def test_a_report_page_with_an_unreadable_record_applies_the_others(harness):
    # a status the vendor does not document (here the "2" left of a "20" cut short)
    store = harness.services.store
    garbage_before = _polls("reports", "garbage")
    harness.gateway.add_report("7000001", "13800000000", 10)
    harness.gateway.add_report("7000002", "13800000001", 2)
    harness.gateway.add_report("7000003", "13800000002", 20)

    async def stored() -> bool:
        return await store.sends.report_count() == 2

    await _until(stored)
    [(_, endpoint, body, problem)] = await store.inbound.unparsed_raw()
    assert endpoint == Endpoint.REPORTS.value and "7000002;13800000001;2|" in body
    assert "unreadable delivery report" in problem and "7000002" in problem
    assert _polls("reports", "garbage") == garbage_before + 1


async def test_a_raw_answer_left_unparsed_by_a_crash_is_parsed_at_the_next_start(prepared_harness, tmp_path, caplog):
    # what a kill between store_raw and store_inbound leaves behind
    async with Store(tmp_path / "smsbot.sqlite3") as store:
        await store.inbound.store_raw(Endpoint.INBOUND.value, "3|501;13900001111;left over|502;13900001111;second")
        await store.inbound.store_raw(Endpoint.REPORTS.value, "1|6408601;13800000000;10")
    h = prepared_harness()
    await h.start()
    await h.until(lambda: inbox_messages(h))
    store = h.services.store
    assert await store.inbound.unparsed_raw() == []
    assert await store.inbound.count() == 2 and await store.sends.report_count() == 1
    assert "announced 3 records but sent 2; keeping the 2 records" in caplog.text
    assert "left over" in inbox_messages(h)[0]["text"]


async def test_inbound_hooks_get_the_new_records_and_a_failing_hook_is_logged(make_harness, caplog):
    seen: list[list[str]] = []

    async def broken(records):
        raise RuntimeError("hook broke")

    async def ack(records):
        seen.append([r.text for r in records])

    harness = await make_harness(parts=Parts(inbound_hooks=(broken, ack)))
    harness.gateway.add_inbound(PHONE, "ACK 12")
    await harness.until(lambda: seen)
    assert seen == [["ACK 12"]]
    assert "inbound hook" in caplog.text and "hook broke" in caplog.text
    await harness.until(lambda: inbox_messages(harness))  # and the SMS still reaches the inbox


async def test_a_stalled_gateway_does_not_hang_the_stop(make_harness):
    h = await make_harness(gateway_timeout=0.3, poll_timeout=0.3)
    h.gateway.add_fault("stall", count=1000)
    await h.until(lambda: h.gateway.request_count() >= 2)  # a poll is waiting for an answer
    await asyncio.wait_for(h.stop(), 120)  # returns: every gateway call has a hard timeout


def test_backoff_doubles_and_is_capped():
    assert backoff_delay(10, 0) == 0
    assert [backoff_delay(10, n) for n in (1, 2, 3)] == [20, 40, 80]
    assert backoff_delay(10, 50) == 300
    assert backoff_delay(600, 3) == 600  # never shorter than one interval


def test_call_timeout_covers_every_attempt():
    assert call_timeout(15.0, 3, 0.5) == pytest.approx(3 * 30 + 0.5 + 1.0 + 1.0)
    assert call_timeout(2.0, 1, 0.5) == pytest.approx(5.0)
    assert MAX_PAGES >= 10
