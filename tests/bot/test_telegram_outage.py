"""A fault that lasts is one log line, not one per attempt: getUpdates failing at the Bot API
double (in-process and under `smsbot run`), and the forward job with its table gone or damaged."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3

import pytest
from harness import ADMIN, BOT_TOKEN, GATEWAY_PASSWORD, MEMBER, TEAM_CHAT
from test_crash import Bot, _env, _until_up

from bot.devserver import BotApiServer
from sms_core.sandbox import SandboxGateway, SandboxServer

FAILURES = 4


def _outage_over(api: BotApiServer, before: int) -> bool:
    """FAILURES getUpdates answered 502 since call `before`, then one answered 200."""
    calls = api.calls("getUpdates")[before:]
    failed = [i for i, c in enumerate(calls) if c.status == 502]
    return len(failed) == FAILURES and any(c.ok for c in calls[failed[-1] + 1:])


def _since(caplog: pytest.LogCaptureFixture, start: int, name: str, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records[start:] if r.name == name and r.levelno == level]


def _with_traceback(records: list[logging.LogRecord], level: int) -> list[logging.LogRecord]:
    return [r for r in records if r.levelno >= level and (r.exc_info or r.exc_text)]


async def test_getupdates_failing_many_times_is_one_warning_and_one_recovery_line(harness, caplog):
    caplog.set_level(logging.DEBUG, logger="bot.telegram.updates")
    api = harness.api
    start, before = len(caplog.records), len(api.calls("getUpdates"))
    api.fail_next("getUpdates", 502, count=FAILURES)
    await harness.until(lambda: _outage_over(api, before), timeout=60)
    await harness.until(lambda: _since(caplog, start, "bot.telegram.updates", logging.INFO), timeout=10)

    [warning] = _since(caplog, start, "bot.telegram.updates", logging.WARNING)
    assert "getUpdates: Telegram gives no updates (NetworkError" in warning.getMessage()
    assert "next try in 1.0 s" in warning.getMessage()
    [recovery] = _since(caplog, start, "bot.telegram.updates", logging.INFO)
    assert f"Telegram gives updates again after {FAILURES} failure(s)" in recovery.getMessage()
    records = caplog.records[start:]
    assert _with_traceback(records, logging.INFO) == []  # the traceback at DEBUG only
    assert len(_with_traceback(_since(caplog, start, "bot.telegram.updates", logging.DEBUG), logging.DEBUG)) == FAILURES
    assert not [r for r in records if "polling for updates" in r.getMessage()]
    assert "Chat id" in (await harness.ask("/id"))["text"]  # and updates come through again


async def test_getupdates_failing_under_smsbot_run_is_one_warning_and_one_recovery_line(tmp_path):
    """`smsbot run` uses run_polling, which hands getUpdates failures to the error handlers."""
    sandbox = SandboxServer(SandboxGateway(username="team", password=GATEWAY_PASSWORD))
    api = BotApiServer(token=BOT_TOKEN)
    sandbox.start()
    api.start()
    api.add_user(MEMBER, "Max", username="max")
    api.add_user(ADMIN, "Ada", username="ada")
    api.add_chat(TEAM_CHAT, type="supergroup", title="Ops team")
    env = _env(api, sandbox, tmp_path / "smsbot.sqlite3")
    env["SMSBOT_LOG_LEVEL"] = "INFO"
    bot = Bot(env, tmp_path)
    try:
        bot.start()
        await _until_up(bot, sandbox.gateway)
        before = len(api.calls("getUpdates"))
        api.fail_next("getUpdates", 502, count=FAILURES)
        await api.await_for(lambda: _outage_over(api, before), timeout=60)
        await api.await_for(lambda: "Telegram gives updates again" in bot.output(), timeout=10)
        api.push_message(TEAM_CHAT, MEMBER, "/id")
        await api.await_for(lambda: api.sent_messages(TEAM_CHAT), timeout=10)
        assert bot.stop() == 0
    finally:
        if bot.proc is not None and bot.proc.poll() is None:
            bot.proc.kill()
        api.stop()
        sandbox.stop()
    lines = bot.log.read_text(errors="replace").splitlines()
    warnings = [line for line in lines if " WARNING bot.telegram.updates: getUpdates:" in line]
    assert len(warnings) == 1 and "NetworkError" in warnings[0], "\n".join(lines[-40:])
    assert len([line for line in lines if "Telegram gives updates again" in line]) == 1
    assert not [line for line in lines if "Traceback" in line or "error in update" in line], "\n".join(lines)


async def test_the_forward_job_failing_on_its_table_is_one_line_per_kind(harness, caplog):
    caplog.set_level(logging.INFO, logger="bot.jobs.forward")
    faults = harness.runtime.forwarder.run_faults
    start = len(caplog.records)
    store = harness.tmp_path / "smsbot.sqlite3"

    def alter(*statements: str) -> None:  # another connection, as an operator's mistake would be
        conn = sqlite3.connect(store, timeout=10)
        try:
            for statement in statements:
                conn.execute(statement)
            conn.commit()
        finally:
            conn.close()

    def lines(level: int) -> list[str]:
        return [r.getMessage() for r in _since(caplog, start, "bot.jobs.forward", level)]

    await asyncio.to_thread(alter, "ALTER TABLE inbound RENAME TO inbound_away")  # the table is gone
    await harness.eventually(lambda: _async(faults.failures >= 20), timeout=30)
    await asyncio.to_thread(alter, "CREATE TABLE inbound (x)")  # a table, but not the one it was
    await harness.until(lambda: len(lines(logging.ERROR)) == 2, timeout=30)
    await harness.eventually(lambda: _async(faults.failures >= 20), timeout=30)
    await asyncio.to_thread(alter, "DROP TABLE inbound", "ALTER TABLE inbound_away RENAME TO inbound")
    await harness.eventually(lambda: _async(not faults.failing), timeout=30)

    gone, damaged = lines(logging.ERROR)
    assert "forward run: failed (OperationalError: no such table: inbound)" in gone
    assert "no such column" in damaged and "next try in 0.2 s" in damaged
    [recovery] = [line for line in lines(logging.INFO) if "working again" in line]
    found = re.match(r"forward run: working again after (\d+) failure", recovery)
    assert found is not None and int(found.group(1)) >= 20, recovery
    forward = [r for r in caplog.records[start:] if r.name == "bot.jobs.forward"]
    assert _with_traceback(forward, logging.INFO) == []  # (the poll job's lines are its own)


async def _async(value: bool) -> bool:
    return value
