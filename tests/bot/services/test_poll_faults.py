"""A gateway that crawls, answers garbage or is gone, against the real bot: slow pages get their own
read timeout, a read unanswered after it was sent is counted as a page that may be lost and never
repeated at once, and each fault is one log line, not one per attempt or per run."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from harness import Harness, inbox_messages

from bot import metrics
from sms_core import PageMaybeLost, SmsGateway
from sms_core.sandbox import SandboxServer

PHONE = "13900001111"


def maybe_lost(endpoint: str) -> float:
    return metrics.PAGES_MAYBE_LOST.labels(endpoint)._value.get()


def poll_warnings(caplog: pytest.LogCaptureFixture, subject: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.jobs.poll"
            and r.levelno >= logging.WARNING and r.getMessage().startswith(subject)]


async def poller_runs(h: Harness, n: int) -> Any:
    poller = h.runtime.poller
    await h.until(lambda: poller.runs >= n, timeout=20)
    return poller


async def test_a_poll_answer_slower_than_the_gateway_timeout_is_kept(prepared_harness: Any) -> None:
    # SMSBOT_GATEWAY_TIMEOUT 0.3 s; the polls wait SMSBOT_POLL_TIMEOUT (5 s) for their answer
    h = prepared_harness(gateway_timeout=0.3, poll_timeout=5, poll_interval=3600)
    for i in range(5):
        h.gateway.add_inbound(PHONE, f"slow page {i}")
    h.gateway.add_fault("slow", endpoint="inbound", delay=1.0)
    await h.start()
    await h.until(lambda: len([m for m in inbox_messages(h) if "slow page 4" in m["text"]]) == 1)
    assert all(f"slow page {i}" in inbox_messages(h)[0]["text"] for i in range(5))
    assert h.gateway.request_count("inbound") == 1


async def test_a_poll_unanswered_in_time_may_have_lost_a_page_and_is_not_asked_again_at_once(
        prepared_harness: Any, caplog: pytest.LogCaptureFixture) -> None:
    # the gateway hands the page out and answers after 1.5 s; the poll waits 0.5 s
    h = prepared_harness(poll_timeout=0.5, poll_interval=3600)
    for i in range(3):
        h.gateway.add_inbound(PHONE, f"consumed {i}")
    h.gateway.add_fault("slow", endpoint="inbound", delay=1.5)
    before = maybe_lost("inbound")
    await h.start()
    await poller_runs(h, 1)  # the next run is an hour away

    assert h.gateway.request_count("inbound") == 1  # not asked again within the run
    assert h.gateway.queued_inbound() == []  # the gateway did hand the page out
    assert maybe_lost("inbound") == before + 1
    [said] = poll_warnings(caplog, "poll inbound")
    assert "a page may have been lost" in said and "next try in" in said
    assert h.runtime.health.last_poll_ok is None  # no read succeeded
    assert "a page may have been lost" in h.runtime.health.last_poll_error


async def test_the_client_asks_a_destructive_read_once_and_the_balance_again(
        sandbox: SandboxServer) -> None:
    gateway = sandbox.gateway
    gateway.add_fault("slow", endpoint="inbound", delay=1.0)
    gateway.add_fault("slow", endpoint="balance", delay=1.0)
    async with SmsGateway(sandbox.url, gateway.username, gateway.password, timeout=0.3,
                          backoff=0.01) as gw:
        with pytest.raises(PageMaybeLost, match="a page may have been lost"):
            await gw.fetch_inbound_page()
        assert await gw.balance() == 10_000
        gateway.add_fault("slow", endpoint="reports", delay=1.0)
        page = await gw.fetch_report_page(read_timeout=5.0)  # its own, longer wait
    assert page.reports == ()
    assert gateway.request_count("inbound") == 1
    assert gateway.request_count("balance") == 2
    assert gateway.request_count("reports") == 1


async def test_a_gateway_answering_garbage_is_one_log_line_not_one_per_attempt(
        make_harness: Any, caplog: pytest.LogCaptureFixture) -> None:
    h = await make_harness()
    h.gateway.add_fault("garbage", count=10_000, endpoint="inbound", variant="html")
    poller = h.runtime.poller
    await h.until(lambda: poller.state["inbound"].failures >= 4, timeout=20)
    said = poll_warnings(caplog, "poll inbound")
    assert len(said) == 1 and "garbage" in said[0]
    assert not [r for r in caplog.records if r.name.startswith("sms_core") and r.levelno >= logging.INFO]

    h.gateway.clear_faults()
    h.gateway.add_inbound(PHONE, "after the garbage")
    await h.until(lambda: inbox_messages(h), timeout=30)
    assert "poll inbound: working again after" in caplog.text
