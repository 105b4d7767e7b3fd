"""Nobody outside can write a line of their own into the log or a row of their own into the audit
table: control characters and line separators from outside are escaped, over real HTTP and chat."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from alert_helpers import alerts_bot, web_url
from harness import STRANGER, WEBHOOK_TOKEN, Harness

from bot.logsetup import log_handler, setup_logging

FORGED = "2026-12-06 16:00:00,000 CRITICAL bot.security: FORGED"
# CR LF, a lone LF, NEL (U+0085), LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029), ESC, VT
BREAKS = ["%0d%0a", "%0a", "%c2%85", "%e2%80%a8", "%e2%80%a9", "%1b%0b"]


@pytest.fixture
def our_log() -> Iterator[io.StringIO]:
    """What the bot's own log handler writes (its formatter and filter), while the test runs."""
    setup_logging("INFO")  # what the bot does first (the harness's bot does it again)
    handler = log_handler()
    assert isinstance(handler, logging.StreamHandler)
    out = io.StringIO()
    before = handler.setStream(out)
    try:
        yield out
    finally:
        handler.setStream(before)


def forged_lines(text: str) -> list[str]:
    """Lines (split at every break Python knows: CR, LF, NEL, U+2028, ...) that pass for a record
    we did not write."""
    return [line for line in text.splitlines() if line.startswith(FORGED[:23])]


async def _post(h: Harness, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=web_url(h), timeout=30) as client:
        return await client.post(path, content=b'{"text": "x"}', headers=headers)


async def test_a_url_path_cannot_write_a_log_line_or_an_audit_row(make_harness: Any, our_log: io.StringIO) -> None:
    h = await alerts_bot(make_harness)
    refused = await _post(h, f"/alerts/x%0d%0a{FORGED.replace(' ', '%20')}", token=None)  # before the token
    assert refused.status_code == 401
    for brk in BREAKS:  # with the token: an unknown group, refused and audited every time
        r = await _post(h, f"/alerts/y{brk}{FORGED.replace(' ', '%20')}", token=WEBHOOK_TOKEN)
        assert r.status_code == 404, r.text
    await h.until(lambda: our_log.getvalue().count("FORGED") >= 1 + len(BREAKS))

    logged = our_log.getvalue()
    assert forged_lines(logged) == []
    for escaped in ("x\\r\\n2026-12-06", "y\\n2026", "y\\x852026", "y\\u20282026", "y\\u20292026", "y\\x1b\\x0b2026"):
        assert escaped in logged, escaped
    audited = [a.detail or "" for a in await h.services.store.audit_log.recent("webhook_refused")]
    assert len(audited) == 1 + len(BREAKS)
    for row in audited:
        assert len(row.splitlines()) == 1 and "FORGED" in row, row
    assert any("group x\\r\\n2026-12-06 16:00:00,000 CRITICAL" in row for row in audited)


async def test_chat_text_cannot_write_an_audit_row(make_harness: Any) -> None:
    h = await make_harness()
    h.api.add_chat(-1009999999999, type="supergroup", title="elsewhere")
    text = f"/sms\r\n{FORGED}\u2028{FORGED}"
    h.say(text, chat=-1009999999999, user=STRANGER)

    async def audited() -> list[str]:
        return [a.detail or "" for a in await h.services.store.audit_log.recent("stranger")]
    [row] = await h.eventually(audited)
    assert row == text[:64].replace("\r", "\\r").replace("\n", "\\n").replace("\u2028", "\\u2028")
    assert len(row.splitlines()) == 1


def test_a_traceback_keeps_its_lines_but_its_message_cannot_pass_for_a_record(our_log: io.StringIO) -> None:
    log = logging.getLogger("bot.test_log_forgery")
    try:
        raise ValueError(f"bad answer: 'x\r\n{FORGED}\n{FORGED}'")
    except ValueError:
        log.exception("it failed for %s", f"y\n{FORGED}")
    logged = our_log.getvalue()
    lines = logged.splitlines()
    assert lines[0].endswith(f"ERROR bot.test_log_forgery: it failed for y\\n{FORGED}")
    assert lines[1] == "Traceback (most recent call last):"  # our own traceback: still one frame a line
    # the message's lines that looked like records are indented; its CR is escaped
    assert f"ValueError: bad answer: 'x\\r\n  {FORGED}\n  {FORGED}'" in logged
    assert forged_lines(logged) == []
