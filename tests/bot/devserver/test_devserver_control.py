"""The test-side API: waiting, subscribing, transcripts, reset and loud setup mistakes."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from devserver_fixtures import ALICE, FORUM, GROUP

from bot.devserver import DEFAULT_TOKEN, BotApiServer, FakeTelegram


def test_sync_use_wait_for_subscribe_and_render() -> None:
    seen: list[str] = []
    with BotApiServer(token="777:other-token") as tg:
        unsubscribe = tg.subscribe(lambda call: seen.append(call.method))
        tg.add_chat(FORUM, is_forum=True, title="Inbox")
        thread = tg.add_topic(FORUM, "+8613800138000", user_id=ALICE)["message_thread_id"]
        tg.push_message(FORUM, ALICE, "first line\nsecond line", thread_id=thread)

        def send() -> None:
            httpx.post(
                f"{tg.base_url}{tg.token}/sendMessage",
                data={
                    "chat_id": str(FORUM),
                    "text": "from the bot",
                    "message_thread_id": str(thread),
                    "reply_markup": json.dumps(
                        {"inline_keyboard": [[{"text": "Stop", "callback_data": "stop"}]]}
                    ),
                },
            )

        threading.Thread(target=send).start()
        [message] = tg.wait_for(lambda: tg.sent_messages(FORUM), timeout=10)
        assert message["text"] == "from the bot"
        assert seen == ["sendMessage"]
        unsubscribe()
        with pytest.raises(TimeoutError, match="sendMessage -> 200"):
            tg.wait_for(lambda: len(tg.sent_messages()) > 1, timeout=0.2)
        transcript = tg.render_chat(FORUM)
    assert transcript.splitlines() == [
        f"== Inbox (supergroup, forum {FORUM}) ==",
        '#2 [topic 2 "+8613800138000"] User 4201: created topic "+8613800138000"',
        '#3 [topic 2 "+8613800138000"] User 4201: first line',
        "    second line",
        '#4 [topic 2 "+8613800138000"] smsbot [bot]: from the bot',
        "    [Stop]",
    ]


def test_reset_keeps_update_ids_growing() -> None:
    tg = FakeTelegram()
    tg.add_chat(GROUP)
    tg.push_message(GROUP, ALICE, "one")
    before = tg.pending_updates()[-1]["update_id"]
    tg.reset()
    assert tg.calls() == [] and tg.pending_updates() == []
    tg.add_chat(GROUP)
    tg.push_message(GROUP, ALICE, "two")
    assert tg.pending_updates()[0]["update_id"] > before
    assert tg.token == DEFAULT_TOKEN


def test_setup_mistakes_are_loud() -> None:
    tg = FakeTelegram()
    with pytest.raises(ValueError, match="negative"):
        tg.add_chat(12345, "supergroup")
    with pytest.raises(ValueError, match="only a supergroup"):
        tg.add_chat(-5, "group", is_forum=True)
    with pytest.raises(KeyError):
        tg.push_message(-999, ALICE, "nobody here")
    tg.add_chat(GROUP)
    with pytest.raises(ValueError, match="not a forum"):
        tg.push_message(GROUP, ALICE, "x", thread_id=3)
