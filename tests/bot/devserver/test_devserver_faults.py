"""Injected faults and delays, and the flood limits: what the bot's retry logic meets."""

from __future__ import annotations

import datetime as dtm
import warnings

import pytest
from devserver_fixtures import ALICE, FORUM, GROUP
from telegram import Bot
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.devserver import BotApiServer


def _seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is an int (deprecated) or a timedelta, by PTB's settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def test_injected_429_becomes_retry_after(tg: BotApiServer, bot: Bot) -> None:
    tg.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "hi")
    assert _seconds(caught.value) == 3
    assert tg.count_429() == 1
    call = tg.calls("sendMessage")[-1]
    assert call.status == 429 and call.description == "Too Many Requests: retry after 3"
    await bot.send_message(GROUP, "hi again")  # the fault was used up
    assert len(tg.sent_messages(GROUP)) == 1


async def test_injected_server_errors_become_network_errors(tg: BotApiServer, bot: Bot) -> None:
    tg.fail_next(None, 500, count=2)
    tg.fail_next("sendMessage", 502, "Bad Gateway")
    for _ in range(2):
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(GROUP, "hi")
        assert not isinstance(caught.value, BadRequest | RetryAfter)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(GROUP, "hi")
    assert [c.status for c in tg.calls("sendMessage")] == [500, 500, 502]
    assert tg.sent_messages() == []


async def test_injected_conflict_and_delay(tg: BotApiServer, bot: Bot) -> None:
    tg.fail_next("getUpdates", 409)
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    tg.delay_next("sendChatAction", 0.2)
    assert await bot.send_chat_action(GROUP, "typing") is True
    assert tg.calls("sendChatAction")[-1].ok


async def test_group_limit_refuses_the_21st_message(tg: BotApiServer, bot: Bot) -> None:
    for i in range(20):
        await bot.send_message(GROUP, f"message {i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "one too many")
    assert 1 <= _seconds(caught.value) <= 60
    assert tg.count_429() == 1
    # Another group has its own budget; the refused message was not stored.
    tg.add_chat(-100777, "group", "Other")
    await bot.send_message(-100777, "fine")
    assert len(tg.sent_messages(GROUP)) == 20


async def test_rate_limits_are_settable(tg: BotApiServer, bot: Bot) -> None:
    tg.set_rate_limits(group=(2, 60), overall=None)
    topic = await bot.create_forum_topic(FORUM, "Topic")  # topic creation counts
    await bot.send_message(FORUM, "one", message_thread_id=topic.message_thread_id)
    with pytest.raises(RetryAfter):
        await bot.edit_forum_topic(FORUM, topic.message_thread_id, name="Renamed")
    await bot.delete_message(FORUM, tg.sent_messages(FORUM)[0]["message_id"])  # never counted
    tg.set_rate_limits(group=None, overall=(2, 60))
    tg.add_chat(ALICE, "private")
    await bot.send_message(ALICE, "a")
    await bot.send_message(GROUP, "b")
    with pytest.raises(RetryAfter):
        await bot.send_message(ALICE, "c")
