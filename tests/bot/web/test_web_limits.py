"""What a client can hold of the HTTP server, over real sockets on loopback: a request head and a
body each have a deadline, open connections are capped, a sender that hangs up is not an error,
and the webhook keeps answering while many slow connections are open.

The deadlines are short here (WebLimits, a constructor argument); the tests wait for the server
to close a socket (read() returning at EOF), bounded by a timeout, never for a fixed time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from alert_helpers import alerts_bot, web_url
from harness import WEBHOOK_TOKEN, Harness, all_logged

from bot.web import HealthChecker, WebLimits, WebServer, build_web_app

BOUND = 20.0
"""Seconds after which a test gives up waiting for the server (the deadlines are ~1 s)."""

AUTH = f"Authorization: Bearer {WEBHOOK_TOKEN}\r\n".encode()


def head(path: str = "/alerts/oncall", *, length: int | None = 0, auth: bool = True) -> bytes:
    lines = [f"POST {path} HTTP/1.1\r\n".encode(), b"Host: 127.0.0.1\r\n", b"Content-Type: application/json\r\n"]
    if auth:
        lines.append(AUTH)
    if length is not None:
        lines.append(f"Content-Length: {length}\r\n".encode())
    return b"".join(lines) + b"\r\n"


@contextlib.asynccontextmanager
async def served(h: Harness, **limits: Any) -> AsyncIterator[WebServer]:
    """The bot's web app (the same services and alert service) on a server of our own with `limits`."""
    chosen = WebLimits(**limits)
    rt = h.runtime
    app = build_web_app(rt.settings, rt.store, rt.alerts.service,
                        HealthChecker(h.app.bot, rt.settings, rt.store, rt.health), limits=chosen)
    web = WebServer(app, "127.0.0.1", 0, limits=chosen)
    await web.start()
    try:
        yield web
    finally:
        await web.stop()


async def connect(web: WebServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", web.port)


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """All the server sends until it closes the connection; TimeoutError if it keeps it open."""
    return await asyncio.wait_for(reader.read(), BOUND)


async def response(reader: asyncio.StreamReader) -> bytes:
    """One whole response (head and Content-Length body), leaving the connection as it is."""
    top = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)
    length = next(int(line.split(b":", 1)[1]) for line in top.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return top + await asyncio.wait_for(reader.readexactly(length), BOUND)


async def audited(h: Harness) -> list[str]:
    return [a.detail or "" for a in await h.services.store.audit_log.recent("webhook_refused")]


# --- a sender that hangs up -------------------------------------------------------------------------


async def test_a_sender_that_hangs_up_mid_body_is_noted_at_info_and_audited_not_an_error(
        make_harness: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    h = await alerts_bot(make_harness)
    web = h.runtime.web
    _, writer = await connect(web)
    writer.write(head(length=1000) + b'{"text": "half an ')
    await writer.drain()
    writer.close()

    async def went_away() -> list[str]:
        return [a for a in await audited(h) if a.startswith("client went away")]
    [row] = await h.eventually(went_away)
    assert row == "client went away before its body was whole (from 127.0.0.1, group oncall)"
    assert not any("internal error" in a for a in await audited(h))
    ours = [r for r in caplog.records if r.name.startswith("bot.")]
    assert [r.levelname for r in ours if "went away" in r.getMessage()] == ["INFO"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Traceback" not in all_logged(caplog)
    r = await _post(h, web_url(h))  # and the webhook goes on
    assert r.status_code == 202
    assert await h.services.store.alert_intake.recent()


async def _post(h: Harness, url: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=BOUND) as client:
        return await client.post("/alerts/oncall", json={"text": "disk full on db-1"},
                                 headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"})


# --- deadlines --------------------------------------------------------------------------------------


async def test_the_bots_server_has_the_documented_limits(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    assert h.runtime.web.limits == WebLimits(
        head_timeout=10.0, body_timeout=15.0, keep_alive=5, max_connections=256, max_head_size=16 * 1024)


async def test_a_connection_that_sends_nothing_or_half_a_head_is_closed_at_the_head_deadline(
        make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    async with served(h, head_timeout=1.0) as web:
        silent = await connect(web)
        half = await connect(web)
        half[1].write(b"POST /alerts/oncall HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        await half[1].drain()
        assert await until_closed(silent[0]) == b""
        assert await until_closed(half[0]) == b""
        for _, writer in (silent, half):
            writer.close()
        assert (await _post(h, web.url)).status_code == 202  # and the server goes on


async def test_a_head_sent_a_byte_at_a_time_does_not_extend_its_deadline(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    async with served(h, head_timeout=1.0) as web:
        reader, writer = await connect(web)
        trickle = head(length=2) + b"{}"
        trickle = trickle.replace(b"Host:", b"X-Padding: " + b"p" * 400 + b"\r\nHost:")
        closed = asyncio.ensure_future(reader.read())
        sent = 0
        for sent in range(len(trickle)):  # bounded: the whole head would take ~50 s at this pace
            with contextlib.suppress(ConnectionError):
                writer.write(trickle[sent:sent + 1])
                await writer.drain()
            await asyncio.wait({closed}, timeout=0.1)  # the client's pace, not a proof
            if closed.done():
                break
        assert closed.done() and closed.result() == b"", "the server kept a trickled head open"
        assert sent < len(trickle) - 1  # closed before the head was whole
        writer.close()


async def test_a_request_after_a_response_has_the_same_head_deadline(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    async with served(h, head_timeout=1.0, keep_alive=30) as web:
        reader, writer = await connect(web)
        writer.write(head(length=2) + b"{}")  # answered (422: no known shape), the connection kept
        await writer.drain()
        assert (await response(reader)).startswith(b"HTTP/1.1 422")
        writer.write(b"POST /alerts/oncall HTTP/1.1\r\nHo")  # then half of the next head
        await writer.drain()
        assert await until_closed(reader) == b""  # at the head deadline, not at keep_alive's 30 s
        writer.close()


async def test_a_body_that_does_not_arrive_in_time_is_a_408_and_the_connection_is_closed(
        make_harness: Any, caplog: pytest.LogCaptureFixture) -> None:
    h = await alerts_bot(make_harness)
    async with served(h, body_timeout=1.0) as web:
        reader, writer = await connect(web)
        writer.write(head(length=100) + b'{"text": ')
        await writer.drain()
        answer = await until_closed(reader)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408") and b"connection: close" in answer.lower()
    assert b"the body did not arrive within 1 s (it had 9 bytes); send it whole at once" in answer
    assert any(a.startswith("408 the body did not arrive within 1 s") for a in await audited(h))
    assert "Traceback" not in all_logged(caplog)


async def test_a_head_over_the_size_limit_is_a_400_and_the_connection_is_closed(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    async with served(h, max_head_size=4096) as web:
        reader, writer = await connect(web)
        writer.write(head().replace(b"Host:", b"X-Big: " + b"b" * 5000 + b"\r\nHost:"))
        await writer.drain()
        answer = await until_closed(reader)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 400")


# --- many connections -------------------------------------------------------------------------------


async def test_the_webhook_answers_while_200_slow_connections_are_open(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    async with served(h, head_timeout=120.0) as web:  # the slow ones stay for the whole test
        slow = [await connect(web) for _ in range(200)]
        for _, writer in slow:
            writer.write(b"POST /alerts/oncall HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await asyncio.gather(*(writer.drain() for _, writer in slow))
        r = await _post(h, web.url)
        assert r.status_code == 202, r.text
        assert await h.services.store.alert_intake.recent()
        for _, writer in slow:  # they were open all along: each is served once its head is whole
            writer.write(b"Content-Length: 0\r\n\r\n")
        answers = await asyncio.gather(*(response(reader) for reader, _ in slow))
        assert {a.split(b"\r\n", 1)[0] for a in answers} == {b"HTTP/1.1 401 Unauthorized"}
        for _, writer in slow:
            writer.close()


async def test_a_connection_over_the_cap_gets_a_503_and_is_closed_at_once(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    async with served(h, max_connections=20, head_timeout=60.0, keep_alive=60) as web:
        held = [await connect(web) for _ in range(20)]
        for _, writer in held:  # answered: the server has taken each of them in
            writer.write(head(auth=False))
        answers = await asyncio.gather(*(response(reader) for reader, _ in held))
        assert all(a.startswith(b"HTTP/1.1 401") for a in answers)

        reader, writer = await connect(web)  # the 21st
        answer = await until_closed(reader)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 503") and b"too many open connections" in answer

        for _, w in held[:5]:  # room again: the webhook is served
            w.close()
        for _ in range(100):  # bounded: until the server has seen the five go
            reader, writer = await connect(web)
            writer.write(head(length=2) + b"{}")
            answer = await asyncio.wait_for(reader.readexactly(12), BOUND)
            writer.close()
            if answer != b"HTTP/1.1 503":
                break
            await asyncio.sleep(0.05)
        assert answer == b"HTTP/1.1 422"
        for _, w in held[5:]:
            w.close()
