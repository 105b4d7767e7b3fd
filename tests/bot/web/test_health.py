"""GET /healthz and /metrics tell the truth, over real HTTP against the real bot: a poll is healthy
only when a read succeeded (backoff, garbage and an unreachable gateway count against it), and a
chat that refuses the bot is a 503 with its reason. The health checker gets a clock of its own, so
that "60 s without a successful poll" needs no 60 s of waiting."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from harness import ALERT_CHAT, INBOX_CHAT, Harness, inbox_messages

from bot.web import HealthChecker, WebServer, build_web_app

PHONE = "13900001111"


class Clock:
    """The wall clock, moved forward at will."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


Probe = Callable[[str], Awaitable[httpx.Response]]


@pytest.fixture
async def health_of() -> AsyncIterator[Callable[[Harness, Clock], Awaitable[Probe]]]:
    """A /healthz and /metrics server on the bot's own services, with the checker on `clock`."""
    servers: list[WebServer] = []

    async def serve(h: Harness, clock: Clock) -> Probe:
        rt = h.runtime
        checker = HealthChecker(h.app.bot, rt.settings, rt.store, rt.health, clock=clock)
        server = WebServer(build_web_app(rt.settings, rt.store, None, checker), "127.0.0.1", 0)
        await server.start()
        servers.append(server)

        async def get(path: str) -> httpx.Response:
            async with httpx.AsyncClient(base_url=server.url) as client:
                return await client.get(path)

        return get

    try:
        yield serve
    finally:
        for server in servers:
            await server.stop()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def metric(text: str, name: str) -> float:
    [line] = [line for line in text.splitlines() if line.startswith(name + " ")]
    return float(line.split()[1])


async def fails_for(h: Harness, endpoint: str, times: int) -> Any:
    """Wait until `endpoint` failed `times` reads in a row, and the job ran five more times
    (runs that skip it while backing off included)."""
    poller = h.runtime.poller
    await h.until(lambda: poller.state[endpoint].failures >= times, timeout=20)
    runs = poller.runs
    await h.until(lambda: poller.runs >= runs + 5)
    return poller


async def test_a_gateway_gone_is_unhealthy_after_the_stale_period_with_its_reason(
        make_harness: Any, health_of: Any) -> None:
    h = await make_harness()
    clock = Clock()
    get = await health_of(h, clock)
    await h.until(lambda: h.runtime.health.last_poll_ok)
    assert (await get("/healthz")).status_code == 200
    h.sandbox.stop()
    gone_at = time.time()
    await fails_for(h, "inbound", 2)

    r = await get("/healthz")
    poll = r.json()["gateway_poll"]
    assert poll["last_ok"] <= gone_at  # runs that read nothing never count as a success
    assert "could not connect" in poll["error"]
    clock.ahead = 61.0
    r = await get("/healthz")
    assert r.status_code == 503
    problem = r.json()["gateway_poll"]["problem"]
    assert "no successful gateway poll for" in problem and "could not connect" in problem
    assert any("could not connect" in p for p in r.json()["problems"])
    text = (await get("/metrics")).text
    assert metric(text, "smsbot_healthy") == 0
    assert metric(text, 'smsbot_health_ok{part="gateway_poll"}') == 0
    assert metric(text, "smsbot_poll_lag_seconds") >= 60


async def test_a_gateway_answering_garbage_counts_against_health(make_harness: Any, health_of: Any) -> None:
    h = await make_harness()
    clock = Clock()
    get = await health_of(h, clock)
    await h.until(lambda: h.runtime.health.last_poll_ok)
    h.gateway.add_fault("garbage", count=10_000, endpoint="inbound", variant="html")
    garbage_from = time.time()
    await fails_for(h, "inbound", 2)

    assert h.runtime.health.last_poll_ok <= garbage_from  # the reports still read fine: not enough
    clock.ahead = 61.0
    r = await get("/healthz")
    assert r.status_code == 503 and "unexpected answer" in r.json()["gateway_poll"]["problem"]


async def test_a_gateway_never_reached_is_unhealthy_after_the_stale_period(
        make_harness: Any, health_of: Any) -> None:
    h = await make_harness(gateway_url=f"http://127.0.0.1:{closed_port()}")
    clock = Clock()
    get = await health_of(h, clock)
    await fails_for(h, "reports", 2)
    r = await get("/healthz")
    assert r.status_code == 200 and r.json()["gateway_poll"]["status"] == "not yet"
    assert h.runtime.health.last_poll_ok is None
    clock.ahead = 61.0
    r = await get("/healthz")
    assert r.status_code == 503
    assert "no successful gateway poll in" in r.json()["gateway_poll"]["problem"]


async def test_an_inbox_that_removed_the_bot_is_unhealthy_with_the_reason(
        make_harness: Any, health_of: Any) -> None:
    h = await make_harness()
    clock = Clock()
    get = await health_of(h, clock)
    h.gateway.add_inbound(PHONE, "before")
    await h.until(lambda: inbox_messages(h))
    r = await get("/healthz")
    assert r.status_code == 200 and r.json()["chats"]["inbox"] == {"ok": True, "chat_id": INBOX_CHAT}

    h.api.set_bot_rights(INBOX_CHAT, "kicked")
    h.gateway.add_inbound(PHONE, "after")  # the forward job's message is refused
    await h.eventually(lambda: _refused(get), timeout=15)
    r = await get("/healthz")
    assert r.status_code == 503
    assert "kicked" in r.json()["chats"]["inbox"]["problem"]
    assert any(p.startswith("chats: inbox chat") for p in r.json()["problems"])


async def _refused(get: Probe) -> bool:
    return (await get("/healthz")).status_code == 503


async def test_an_alert_chat_the_bot_left_is_found_by_the_probe(make_harness: Any, health_of: Any) -> None:
    # one poll every 100 s: a poll is stale after 300 s, so moving the clock 2 minutes is about chats only
    h = await make_harness(alert_chat_id=ALERT_CHAT, poll_interval=100)
    clock = Clock()
    get = await health_of(h, clock)
    await h.until(lambda: h.runtime.health.last_poll_ok)
    assert (await get("/healthz")).status_code == 200
    h.api.set_bot_rights(ALERT_CHAT, "left")
    assert (await get("/healthz")).status_code == 200  # Telegram is asked at most once a minute
    clock.ahead = 61.0
    r = await get("/healthz")
    assert r.status_code == 503
    assert "not a member" in r.json()["chats"]["alert"]["problem"]
    assert r.json()["gateway_poll"]["ok"] is True

    h.api.set_bot_rights(ALERT_CHAT, "administrator")
    clock.ahead = 122.0
    assert (await get("/healthz")).status_code == 200


async def test_an_inbox_forum_without_topic_rights_is_a_warning_not_a_failure(
        make_harness: Any, health_of: Any) -> None:
    h = await make_harness()
    h.api.set_bot_rights(INBOX_CHAT, "member", can_manage_topics=False)
    get = await health_of(h, Clock())
    await h.until(lambda: h.runtime.health.last_poll_ok)
    r = await get("/healthz")
    assert r.status_code == 200
    assert "Manage topics" in r.json()["chats"]["inbox"]["warning"]
