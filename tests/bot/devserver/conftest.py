"""The Bot API double, driven by python-telegram-bot itself over real HTTP on 127.0.0.1.

If PTB can talk to it (encode its requests, de_json its answers, map its errors to
the right exceptions), the bot's integration tests can trust it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from devserver_fixtures import ALICE, BOB, FORUM, GROUP
from telegram import Bot

from bot.devserver import BotApiServer


@pytest.fixture
def tg() -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        server.add_user(ALICE, "Alice", "alice")
        server.add_user(BOB, "Bob")
        server.add_chat(GROUP, "supergroup", "Team")
        server.add_chat(FORUM, "supergroup", "Inbox", is_forum=True)
        yield server


@pytest.fixture
async def bot(tg: BotApiServer) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url) as client:
        yield client
