"""Telegram's group limit through the real bot: paced without a burst, and counted in one place.

The double answers 429 past 20 messages in any window into one group (the harness
shortens Telegram's minute to TELEGRAM_WINDOW seconds, for the bot and the double alike).
"""

from __future__ import annotations

from harness import INBOX_CHAT, MEMBER, TEAM_CHAT, inbox_messages

from bot.jobs.budget import Rate
from bot.jobs.forward import Forwarder
from bot.ratelimit import pace


class FrozenClock:
    def __call__(self) -> float:
        return 0.0


async def test_a_burst_of_commands_in_one_group_is_paced_and_meets_no_429(harness):
    """A leaky bucket would let 20 answers through at once and the 21st would get a 429 that
    pauses every request of the bot; paced, no window holds more than 20."""
    for _ in range(25):
        harness.say("/balance")
    await harness.until(lambda: len(harness.bot_messages()) == 25, timeout=30)
    assert harness.api.count_429() == 0
    assert all(m["text"].startswith("Balance") for m in harness.bot_messages())


def test_the_pace_follows_the_inbox_rate():
    assert round(pace(Rate(20, 60.0)), 3) == 3.05  # one message per 3 s, and the budget's margin
    assert round(pace(Rate(20, 3.0)), 4) == 0.1525


async def test_every_bot_message_into_a_group_counts_against_the_forward_budget_once(make_harness):
    h = await make_harness(confirm_threshold=0)
    h.gateway.configure(auto_reports=False)  # no status edits by the forward job in between
    forwarder = Forwarder(Rate(20, 60.0), clock=FrozenClock())  # nothing expires
    h.services.extras["forwarder"] = forwarder
    inbox = forwarder.budgets.for_chat(INBOX_CHAT)
    await h.ask("/balance", chat=INBOX_CHAT)  # a command answer
    question = await h.ask("/sms 13800138000 hello", chat=INBOX_CHAT)  # a confirm question...
    confirm = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    h.api.push_callback(INBOX_CHAT, MEMBER, question["message_id"], confirm)
    await h.until(lambda: inbox_messages(h)[-1]["text"].startswith("Sent to 1"))  # ...and its edit
    assert inbox.available() == 17
    h.gateway.add_inbound("13900001111", "an SMS")  # the forward job: a topic and a message
    await h.until(lambda: any("an SMS" in m["text"] for m in inbox_messages(h)))
    assert inbox.available() == 15  # counted once, by the job itself
    assert forwarder.budgets.for_chat(TEAM_CHAT).available() == 20
