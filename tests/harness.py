"""Runs the real bot (python-telegram-bot Application, our handlers and jobs) in the test's
event loop against two real HTTP servers on 127.0.0.1: the sandbox gateway and the
Bot API double. Nothing of ours is mocked.

Secrets get distinctive values so tests can search logs and chat for them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application, start_in_loop, stop_in_loop
from bot.devserver import BotApiServer
from bot.runtime import Parts, Runtime, runtime_of
from bot.store.schema import MIGRATIONS
from bot.telegram.budget import Rate
from config import Settings
from sms_core.sandbox import SandboxGateway, SandboxServer

BOT_TOKEN = "987654321:SECRET-bot-token-zz9Q"
GATEWAY_PASSWORD = "pw-S3CRET-xyz"
WEBHOOK_TOKEN = "hook-SECRET-q7-at-least-24-chars"  # SMSBOT_WEBHOOK_TOKEN needs 24 or more
SECRETS = (BOT_TOKEN, BOT_TOKEN.split(":", 1)[1], GATEWAY_PASSWORD, WEBHOOK_TOKEN)

TELEGRAM_WINDOW = 3.0
"""Seconds of Telegram's 20-messages-a-minute group window in these tests (20x faster): the bot
(SMSBOT_INBOX_RATE) and the double are set alike, so the limit is still enforced and respected,
but a test that sends ten answers into one chat does not wait half a minute. A test may pass
its own inbox_rate; the double follows it."""

TEAM_CHAT = -1001000000001
INBOX_CHAT = -1001000000002
ALERT_CHAT = -1001000000003
ADMIN = 1001
MEMBER = 1002
STRANGER = 6666


class Harness:
    """`overrides` are settings; `parts` the runtime's collaborators a test gives (a clock, a
    budget, inbound hooks: bot.runtime.Parts)."""

    def __init__(self, tmp_path: Path, *, parts: Parts | None = None, **overrides: Any) -> None:
        self.tmp_path = tmp_path
        self.parts = parts
        self.overrides = overrides
        self.sandbox = SandboxServer(SandboxGateway(username="team", password=GATEWAY_PASSWORD,
                                                    report_delay=0.2))
        self.api = BotApiServer(token=BOT_TOKEN)
        self.app: Any = None
        self.settings: Settings | None = None

    # -- lifecycle -----------------------------------------------------------
    async def start(self) -> Harness:
        self.sandbox.start()
        self.api.start()
        self.api.add_user(ADMIN, "Ada", username="ada", language_code="en")
        self.api.add_user(MEMBER, "Max", username="max", language_code="en")
        self.api.add_user(STRANGER, "Eve", username="eve", language_code="en")
        self.api.add_chat(TEAM_CHAT, type="supergroup", title="Ops team")
        self.api.add_chat(INBOX_CHAT, type="supergroup", title="SMS inbox", is_forum=True)
        self.api.add_chat(ALERT_CHAT, type="supergroup", title="Alerts")
        values: dict[str, Any] = {
            "telegram_token": BOT_TOKEN,
            "telegram_api_url": self.api.base_url,
            "gateway_url": self.sandbox.url,
            "gateway_username": "team",
            "gateway_password": GATEWAY_PASSWORD,
            "gateway_timeout": 2.0,
            "allowed_chat_ids": [TEAM_CHAT],
            "admin_user_ids": [ADMIN],
            "inbox_chat_id": INBOX_CHAT,
            "database_path": self.tmp_path / "smsbot.sqlite3",
            "poll_interval": 0.2,
            "http_listen": "127.0.0.1:0",
            "inbox_rate": f"20/{TELEGRAM_WINDOW:g}",
        }
        values.update(self.overrides)
        self.settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        rate = Rate.parse(self.settings.inbox_rate)
        self.api.set_rate_limits(group=(rate.limit, rate.window))
        self.app = build_application(self.settings, parts=self.parts)
        await start_in_loop(self.app, poll_timeout=1)
        return self

    async def stop(self) -> None:
        if self.app is not None:
            await stop_in_loop(self.app)
        self.api.stop()
        self.sandbox.stop()

    # -- conveniences ----------------------------------------------------------
    @property
    def runtime(self) -> Runtime:
        """The running bot's long-lived objects (bot/runtime.py)."""
        return runtime_of(self.app)

    @property
    def services(self) -> Runtime:
        """The same as `runtime` (the name older tests use)."""
        return self.runtime

    @property
    def gateway(self) -> SandboxGateway:
        return self.sandbox.gateway

    def say(self, text: str, *, chat: int = TEAM_CHAT, user: int = MEMBER, **kw: Any) -> dict[str, Any]:
        """A user types `text`; returns the pushed message."""
        return self.api.push_message(chat, user, text, **kw)

    def bot_messages(self, chat: int = TEAM_CHAT, **kw: Any) -> list[dict[str, Any]]:
        return self.api.sent_messages(chat, **kw)

    async def next_reply(self, chat: int = TEAM_CHAT, after: int = 0, timeout: float = 10.0,
                         **kw: Any) -> dict[str, Any]:
        """Wait for the bot's message number `after` (0-based) in `chat`; returns it."""
        msgs = await self.api.await_for(lambda: (m := self.bot_messages(chat, **kw)) and len(m) > after and m,
                                        timeout=timeout)
        return msgs[after]

    async def ask(self, text: str, *, chat: int = TEAM_CHAT, user: int = MEMBER, timeout: float = 10.0,
                  **kw: Any) -> dict[str, Any]:
        """Say something and wait for the bot's next message in that chat."""
        before = len(self.bot_messages(chat))
        self.say(text, chat=chat, user=user, **kw)
        return await self.next_reply(chat, after=before, timeout=timeout)

    async def until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        return await self.api.await_for(predicate, timeout=timeout)

    async def eventually(self, check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
        """Poll an async check (a store count, say) until it is truthy; returns its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := await check()):
            if loop.time() >= deadline:
                raise TimeoutError(f"{getattr(check, '__qualname__', check)} still false after {timeout} s")
            await asyncio.sleep(0.05)
        return result

    # -- waiting for the bot to have (not) acted: events, never a fixed time ---------------------
    # A count of finished runs includes the one in progress when the wait began, which may have
    # begun before the event the test caused: n runs prove what n - 1 full runs would have done.

    async def _runs(self, what: str, count: Callable[[], int], n: int, timeout: float,
                    wake: Callable[[], None] | None = None) -> None:
        target = count() + n

        async def done() -> bool:
            if wake is not None:
                wake()
            return count() >= target

        try:
            await self.eventually(done, timeout)
        except TimeoutError:
            raise TimeoutError(f"{what}: {count()} runs, waited for {target}") from None

    async def poll_runs(self, n: int, timeout: float = 20.0) -> None:
        """Until the poller has finished `n` more runs (the poll job, every poll_interval)."""
        poller = self.runtime.poller
        await self._runs("poll", lambda: poller.runs, n, timeout)

    async def forward_runs(self, n: int, timeout: float = 20.0) -> None:
        """Until the forwarder has finished `n` more passes (inbox, owed and edited statuses)."""
        forwarder = self.runtime.forwarder
        await self._runs("forward", lambda: forwarder.runs, n, timeout)

    async def dispatch_runs(self, n: int, timeout: float = 20.0) -> None:
        """Until the alert dispatcher's loop has finished `n` more passes over what is due
        (woken for them: idle, it sleeps up to 30 s)."""
        service = self.runtime.alerts.service
        await self._runs("alert dispatch", lambda: service.runs, n, timeout, wake=service.wake)

    async def copy_runs(self, n: int, timeout: float = 20.0) -> None:
        """Until the alert copies' loop has finished `n` more passes (woken for them)."""
        copies = self.runtime.alerts.copies
        await self._runs("alert copies", lambda: copies.runs, n, timeout, wake=copies.wake)

    def _newest_update_id(self) -> int:
        """The newest update the double has for the bot: still queued, or handed out by a
        getUpdates (logged before its answer leaves, so before the bot can confirm it)."""
        queued = [u["update_id"] for u in self.api.pending_updates()]
        handed = [u["update_id"] for c in self.api.calls("getUpdates") if c.ok for u in c.result or ()]
        return max(queued + handed, default=0)

    async def updates_handled(self, timeout: float = 10.0) -> None:
        """Until the bot has handled (every handler finished) each update people have made so far:
        what an answer or an SMS it did not give waits for."""
        newest = self._newest_update_id()
        handled = self.runtime.handled_updates
        try:
            await self.until(lambda: handled.newest_id >= newest, timeout)
        except TimeoutError:
            raise TimeoutError(f"update {newest} not handled; the newest handled is {handled.newest_id} "
                               f"({handled.count} in all)") from None


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def make_harness(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """For tests that need other settings: `h = await make_harness(confirm_threshold=0)`."""
    made: list[Harness] = []

    async def make(*, parts: Parts | None = None, **overrides: Any) -> Harness:
        h = Harness(tmp_path, parts=parts, **overrides)
        made.append(h)
        return await h.start()

    try:
        yield make
    finally:
        for h in made:
            await h.stop()


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, "a secret leaked"


def store_at_schema(path: Path, version: int, *statements: str) -> None:
    """A store file as an older smsbot left it: migrations 1..`version`, then `statements`
    (its rows), so that a test can open it with this smsbot and check the migration."""
    conn = sqlite3.connect(path)
    try:
        for script in MIGRATIONS[:version]:
            conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {version}")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def all_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(logging.Formatter().format(r) for r in caplog.records)


# --- two-way SMS (issue 5): harnesses set up before they start; reading the inbox ------------


@pytest.fixture
async def prepared_harness(tmp_path: Path) -> AsyncIterator[Callable[..., Harness]]:
    """A harness NOT yet started, for tests that queue gateway state before the first poll:
    `h = prepared_harness(poll_interval=3600); h.gateway.add_inbound(...); await h.start()`.
    Every harness made is stopped at the end (started or not)."""
    made: list[Harness] = []

    def make(*, parts: Parts | None = None, **overrides: Any) -> Harness:
        h = Harness(tmp_path, parts=parts, **overrides)
        made.append(h)
        return h

    try:
        yield make
    finally:
        for h in reversed(made):
            await h.stop()


def inbox_messages(h: Harness, thread_id: int | None = None) -> list[dict[str, Any]]:
    """The bot's messages in the inbox chat (one topic's with `thread_id`), oldest first."""
    return h.api.sent_messages(INBOX_CHAT, thread_id=thread_id)


def live_topics(h: Harness) -> list[dict[str, Any]]:
    """The inbox chat's topics that were not deleted."""
    return [t for t in h.api.topics(INBOX_CHAT) if not t["deleted"]]
