"""The Runtime: one typed object holds what the bot keeps open, from post_init to post_shutdown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness import Harness

from bot.runtime import runtime_of
from bot.services.confirmations import Question, with_topic
from bot.services.sending import Origin, PreparedSend
from bot.store import Store


async def test_handlers_and_jobs_reach_one_runtime_whose_parts_share_their_collaborators(
        harness: Harness) -> None:
    runtime = runtime_of(harness.app)
    assert runtime is harness.runtime
    assert runtime.forwarder.budgets is runtime.budgets is harness.app.bot.rate_limiter.budgets
    assert runtime.sending.address_book is runtime.address_book
    assert runtime.alerts.service.address_book is runtime.address_book
    assert runtime.status_messages.sending is runtime.sending
    assert runtime.scheduled.sending is runtime.sending and runtime.scheduled.store is runtime.store
    assert runtime.confirmations.balance is runtime.balance
    assert runtime.poller.health is runtime.health
    assert "runtime" in harness.app.bot_data and len(harness.app.bot_data) == 1


async def test_the_stop_closes_the_runtime_and_frees_the_store(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    await h.start()
    app = h.app
    await h.stop()
    h.app = None
    with pytest.raises(LookupError):
        runtime_of(app)
    again = Store(tmp_path / "smsbot.sqlite3", exclusive=True)  # a second bot would refuse while open
    await again.open()
    await again.close()


async def test_a_runtime_that_cannot_open_closes_what_it_had_opened(make_harness: Any, tmp_path: Path) -> None:
    first = await make_harness()
    (tmp_path / "second").mkdir()
    second = Harness(tmp_path / "second", http_listen=f"127.0.0.1:{first.runtime.web.port}")
    with pytest.raises(Exception, match="SMSBOT_HTTP_LISTEN"):
        await second.start()
    try:
        assert "runtime" not in second.app.bot_data
        store = Store(tmp_path / "second" / "smsbot.sqlite3", exclusive=True)  # closed again
        await store.open()
        await store.close()
    finally:
        await second.stop()


def test_a_confirm_question_keeps_its_send_and_its_asker() -> None:
    prepared = PreparedSend(("13800138000", "13700137000"), "hello", 1, datetime(2031, 1, 2, 3, 4, tzinfo=UTC))
    origin = Origin("reply", -100, 7, "@ada", lang="zh", status_chat_id=-100, status_topic_id=42)
    question = Question.from_json(Question(prepared, origin).to_json(), -100, 7)
    assert question == Question(prepared, origin)


def test_a_question_asked_before_topics_were_kept_takes_the_topic_of_its_message() -> None:
    payload = json.dumps({"numbers": ["13800138000"], "text": "hi", "segments": 1, "at": None,
                          "origin": "command", "lang": "en", "user_name": "@max"})
    question = with_topic(Question.from_json(payload, -100, 7), 9)
    assert question.prepared == PreparedSend(("13800138000",), "hi", 1)
    assert question.origin == Origin("command", -100, 7, "@max", lang="en", status_chat_id=-100,
                                     status_topic_id=9)
