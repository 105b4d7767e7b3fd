"""Telegram's group limit through the real bot: answers at once while the group's window has
room, the forward job's backlog paced from the same budget, and no window ever over the limit.

The double answers 429 past 20 messages in any window into one group, as Telegram does (the
harness shortens Telegram's minute to TELEGRAM_WINDOW seconds, for the bot and the double alike;
a test that needs the real minute passes inbox_rate="20/60", and the double follows it).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from harness import ADMIN, INBOX_CHAT, MEMBER, TEAM_CHAT, TELEGRAM_WINDOW, inbox_messages
from telegram.error import RetryAfter

from bot.telegram.budget import Rate, pace
from bot.telegram.ratelimit import COUNTED, GroupRateLimiter

REAL_MINUTE = "20/60"


async def counted(counter: Any, n: int) -> bool:
    return await counter() == n


def _answers(h: Any, chat: int) -> list[Any]:
    return [c for c in h.api.calls("sendMessage") if c.ok and c.params.get("chat_id") == chat]


async def test_five_quick_commands_in_a_group_are_answered_without_a_pacing_gap(make_harness):
    """The tester's five commands: a pacer of one message per 3 s put the fifth answer 12.2 s
    after the first; the group's 20 a minute have room for all five at once."""
    h = await make_harness(inbox_rate=REAL_MINUTE)
    commands = ["/balance", "/contacts", "/groups", "/id", "/balance"]
    for command in commands:
        h.say(command, user=ADMIN)
    await h.until(lambda: len(_answers(h, TEAM_CHAT)) == 5, timeout=30)
    answers = _answers(h, TEAM_CHAT)
    one_pace = pace(Rate.parse(REAL_MINUTE))  # 3.05 s: a pacer lets one answer through in it
    assert sum(1 for a in answers if a.at - answers[0].at < one_pace) == 5
    texts = [a.params["text"] for a in answers]
    assert texts[0].startswith("Balance") and texts[4].startswith("Balance")  # in the order asked
    assert "Contacts" in texts[1] or "contacts" in texts[1]
    assert str(ADMIN) in texts[3]
    assert h.api.count_429() == 0


async def test_answers_beyond_the_groups_window_wait_for_it_in_order_and_meet_no_429(harness):
    commands = ["/id" if i % 3 else "/balance" for i in range(25)]
    for command in commands:
        harness.say(command, user=ADMIN)
    await harness.until(lambda: len(_answers(harness, TEAM_CHAT)) == 25, timeout=30)
    answers = _answers(harness, TEAM_CHAT)
    assert harness.api.count_429() == 0
    said = ["/balance" if a.params["text"].startswith("Balance") else "/id" for a in answers]
    assert said == commands  # in the order asked
    assert answers[20].at - answers[0].at >= TELEGRAM_WINDOW  # the 21st waited for the 1st to leave


async def test_a_backlog_of_100_sms_meets_no_429_and_the_inbox_is_still_answered(harness):
    phones = [f"1390000{p:04d}" for p in range(25)]
    for i in range(100):
        harness.gateway.add_inbound(phones[i % len(phones)], f"backlog #{i:03d}")
    store = harness.services.store
    await harness.eventually(lambda: counted(store.inbound.count, 100))
    for _ in range(5):  # the team talks in the inbox while it drains
        harness.say("/balance", chat=INBOX_CHAT, user=ADMIN)
    await harness.eventually(lambda: counted(store.inbound.pending_count, 0), timeout=60)
    await harness.until(lambda: len([m for m in inbox_messages(harness) if m["text"].startswith("Balance")]) == 5)
    assert harness.api.count_429() == 0
    shown = "\n".join(m["text"] for m in inbox_messages(harness))
    assert all(f"backlog #{i:03d}" in shown for i in range(100))


async def test_every_bot_message_into_a_group_is_counted_once_in_the_limiters_budget(make_harness):
    h = await make_harness(confirm_threshold=0, inbox_rate=REAL_MINUTE)  # nothing leaves the window
    h.gateway.configure(auto_reports=False)  # no status edits by the forward job in between
    limiter = h.app.bot.rate_limiter
    assert h.runtime.forwarder.budgets is limiter.budgets  # one budget, the limiter's
    inbox = limiter.budgets.for_chat(INBOX_CHAT)
    await h.ask("/balance", chat=INBOX_CHAT)  # a command answer
    question = await h.ask("/sms 13800138000 hello", chat=INBOX_CHAT)  # a confirm question...
    confirm = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    h.api.push_callback(INBOX_CHAT, MEMBER, question["message_id"], confirm)
    await h.until(lambda: inbox_messages(h)[-1]["text"].startswith("Sent to 1"))  # ...and its edit
    assert inbox.rolling.available() == 17
    h.gateway.add_inbound("13900001111", "an SMS")  # the forward job: a topic and a message
    await h.until(lambda: any("an SMS" in m["text"] for m in inbox_messages(h)))
    assert inbox.rolling.available() == 15  # spent by the job, not counted again by the limiter
    assert limiter.budgets.for_chat(TEAM_CHAT).rolling.available() == 20


# --- the limiter on its own: python-telegram-bot's public interface ---------------------------------


class Callback:
    """What python-telegram-bot hands the limiter: the request, to be called (here: answered)."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return {"ok": True}


async def _send(limiter: GroupRateLimiter, callback: Callback, chat: int, args: Any = None) -> Any:
    return await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat, "text": "x"}, args)


async def test_a_429_to_an_answer_is_waited_out_and_the_answer_sent_again():
    limiter = GroupRateLimiter(Rate(20, 60.0))
    await limiter.initialize()
    callback = Callback(RetryAfter(timedelta(seconds=0)))
    assert await _send(limiter, callback, TEAM_CHAT) == {"ok": True}
    assert callback.calls == 2
    group = limiter.budgets.for_chat(TEAM_CHAT)
    assert group is not None and group.rolling.available() == 18  # the refused one counted too
    await limiter.shutdown()


async def test_a_counted_call_is_not_counted_again_nor_retried_and_its_429_holds_the_group():
    limiter = GroupRateLimiter(Rate(20, 60.0))
    group = limiter.budgets.for_chat(INBOX_CHAT)
    assert group is not None and group.try_spend()  # the forward job spends, then calls
    callback = Callback(RetryAfter(timedelta(seconds=30)))
    with pytest.raises(RetryAfter):
        await _send(limiter, callback, INBOX_CHAT, COUNTED)
    assert callback.calls == 1  # the job ends its run and comes back when Telegram says
    assert group.rolling.available() == 19
    assert group.available() == 0 and group.wait_time() > 29  # nothing into the group meanwhile


async def test_answers_wait_in_order_for_the_window():
    limiter = GroupRateLimiter(Rate(2, 0.3))
    order: list[int] = []

    async def one(i: int) -> None:
        async def callback(*_: Any, **__: Any) -> bool:
            order.append(i)
            return True
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": TEAM_CHAT}, None)

    await asyncio.gather(*(one(i) for i in range(5)))
    assert order == [0, 1, 2, 3, 4]
