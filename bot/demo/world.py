"""What the demo runs on 127.0.0.1: the sandbox gateway, the local Telegram and the real bot.

The bot is built by bot.app.build_application and started the way `run_polling` starts it,
with the demo's own connection settings, chats, throwaway store and webhook token, so alerts
work with no setup: an "Alerts" chat gets the copies and a contact group @oncall holds the
demo phone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.devserver import BotApiServer, Call
from bot.runtime import Runtime, runtime_of
from config import Settings, load_settings
from sms_core.sandbox import SandboxGateway, SandboxServer

TEAM_CHAT = -1001000000001
INBOX_CHAT = -1001000000002
ALERT_CHAT = -1001000000003
DEMO_USER = 1001
DEMO_USER_NAME = "You"
DEMO_PHONE = "13800138000"
ALERT_GROUP = "oncall"
POLL_INTERVAL = 1.0
"""Seconds between gateway polls: short, so answers and delivery reports show quickly."""
REPORT_DELAY = 1.0
"""Seconds before the sandbox reports an SMS delivered."""


@dataclass(frozen=True)
class Place:
    """Where the demo user writes: a chat and, in the forum inbox, a topic."""

    chat_id: int
    topic_id: int | None = None


@dataclass(frozen=True)
class WebhookAnswer:
    """What the bot's alert webhook answered: the HTTP status and its JSON body."""

    status: int
    body: dict[str, Any]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class World:
    """The servers and the bot, started and stopped together."""

    def __init__(self, language_code: str) -> None:
        token = f"{secrets.randbelow(9 * 10**9) + 10**9}:demo-{secrets.token_urlsafe(24)}"
        self.sandbox = SandboxServer(SandboxGateway(username="demo", password=secrets.token_urlsafe(16),
                                                    report_delay=REPORT_DELAY))
        self.api = BotApiServer(token=token)
        self.language_code = language_code
        self.webhook_token = secrets.token_urlsafe(24)
        self.http_port = free_port()
        self.app: Any = None
        self._tmp = tempfile.TemporaryDirectory(prefix="smsbot-demo-")
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def alert_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/alerts/{ALERT_GROUP}"

    def settings(self) -> Settings:
        """The bot's settings: both servers, the demo's chats, a throwaway store, alerts on."""
        assert self.sandbox.gateway.password is not None
        return load_settings(  # a wrong SMSBOT_* in the environment is named, as elsewhere
            _env_file=None,
            telegram_token=self.api.token,
            telegram_api_url=self.api.base_url,
            gateway_url=self.sandbox.url,
            gateway_username=self.sandbox.gateway.username,
            gateway_password=self.sandbox.gateway.password,
            gateway_timeout=5.0,
            allowed_chat_ids=[TEAM_CHAT],
            admin_user_ids=[DEMO_USER],
            inbox_chat_id=INBOX_CHAT,
            alert_chat_id=ALERT_CHAT,
            webhook_token=self.webhook_token,
            database_path=Path(self._tmp.name) / "smsbot.sqlite3",
            poll_interval=POLL_INTERVAL,
            http_listen=f"127.0.0.1:{self.http_port}",
            log_level=os.environ.get("SMSBOT_LOG_LEVEL", "WARNING"),
        )

    async def start(self, on_call: Callable[[Call], None]) -> None:
        """Servers, chats, the bot (initialize, post_init, poll, start), then the @oncall group."""
        from bot.app import build_application, start_in_loop

        await asyncio.to_thread(self.sandbox.start)
        await asyncio.to_thread(self.api.start)
        self.set_language(self.language_code)
        self.api.add_chat(DEMO_USER, type="private")
        self.api.add_chat(TEAM_CHAT, type="supergroup", title="Ops team")
        self.api.add_chat(INBOX_CHAT, type="supergroup", title="SMS inbox", is_forum=True)
        self.api.add_chat(ALERT_CHAT, type="supergroup", title="Alerts")
        self._unsubscribe = self.api.subscribe(on_call)
        self.app = build_application(self.settings())
        await start_in_loop(self.app, poll_timeout=5)
        await self.runtime.store.contacts.replace_group(ALERT_GROUP, [DEMO_PHONE])

    async def stop(self) -> None:
        """Stop in the reverse order; each step runs even if an earlier one failed."""
        try:
            if self.app is not None:
                from bot.app import stop_in_loop

                await stop_in_loop(self.app)
        finally:
            if self._unsubscribe is not None:
                self._unsubscribe()
            try:
                await asyncio.to_thread(self.api.stop)
            finally:
                await asyncio.to_thread(self.sandbox.stop)
                self._tmp.cleanup()

    @property
    def runtime(self) -> Runtime:
        return runtime_of(self.app)

    def set_language(self, language_code: str) -> None:
        self.language_code = language_code
        self.api.add_user(DEMO_USER, DEMO_USER_NAME, username="you", language_code=language_code)

    def post(self, place: Place, text: str, *, reply_to: int | None = None) -> dict[str, Any]:
        """The demo user writes `text` there (as a reply to message `reply_to` of that chat)."""
        return self.api.push_message(place.chat_id, DEMO_USER, text, thread_id=place.topic_id,
                                     reply_to_message_id=reply_to)

    def live_topics(self) -> dict[int, str]:
        """The inbox's topics that still exist: topic id -> name."""
        return {t["message_thread_id"]: t["name"] for t in self.api.topics(INBOX_CHAT) if not t.get("deleted")}

    async def http_up(self) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.http_port), 1.0)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def send_alert(self, text: str) -> WebhookAnswer:
        """POST `{"text": ...}` to the bot's own alert webhook, as a monitoring script would.

        Raises httpx.HTTPError when the webhook cannot be reached; the error names no token.
        """
        async with httpx.AsyncClient(trust_env=False, timeout=10.0) as client:
            response = await client.post(self.alert_url, json={"text": text},
                                         headers={"Authorization": f"Bearer {self.webhook_token}"})
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text[:200]}
        return WebhookAnswer(response.status_code, body if isinstance(body, dict) else {"answer": body})
