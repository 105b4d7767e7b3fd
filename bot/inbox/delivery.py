"""Inbound SMS into the inbox chat: each phone's backlog, in order, into its topic.

An SMS is marked forwarded only after Telegram accepted the message that holds
it. What Telegram refuses is handled where it belongs: HTML it cannot parse goes
again as plain text; a deleted topic is made again, a closed one reopened; a topic
that refuses, or an inbox that is no forum (any more), gets the backlog with
headers; a refusal of the whole chat ends the run (TelegramDelay); a refusal of
one phone's message sets that phone aside for ASIDE_FOR seconds while the others
go on. Nothing is dropped: an SMS not accepted stays pending.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.health import HealthState
from bot.i18n import Translator
from bot.inbox.packing import pack, plain_text, sender_label
from bot.inbox.topics import Topic, Topics, chat_wide
from bot.store import InboundRecord, Store
from bot.telegram.budget import BudgetBook
from bot.telegram.calls import MAX_BACKOFF, RoundCalls, TelegramDelay
from bot.telegram.ratelimit import COUNTED

log = logging.getLogger("bot.jobs.forward")  # the forward job's lines, under its name

PHONES_PER_RUN = 200
ASIDE_FOR = MAX_BACKOFF
"""Seconds a phone whose message Telegram refused even outside a topic waits, while the others go on."""


@dataclass
class Counts:
    """What one forward run did, and the chat whose budget ran out with work left."""

    sms: int = 0
    messages: int = 0
    topics: int = 0
    edits: int = 0
    done: set[int] = field(default_factory=set)
    short_of: int | None = None


class InboxDelivery:
    def __init__(self, store: Store, topics: Topics, budgets: BudgetBook, health: HealthState,
                 call: RoundCalls, *, language: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.topics = topics
        self.budgets = budgets
        self.health = health
        self.call = call
        self.language = language
        self.clock = clock
        self.need = 1
        """Slots the last run stopped for: a new phone's topic and its message need 2."""
        self._aside: dict[str, float] = {}  # phone -> when to try it again (see ASIDE_FOR)

    async def deliver(self, bot: Bot, inbox: int, counts: Counts) -> None:
        """Every phone with SMS pending, oldest first, while the inbox's budget lasts."""
        self.need = 1
        budget = self.budgets.for_chat(inbox)
        for phone in await self.store.inbound.pending_phones(PHONES_PER_RUN):
            if self._aside.get(phone, 0.0) > self.clock():
                continue
            if budget is not None and budget.available() == 0:
                counts.short_of = inbox
                return
            records = await self.store.inbound.pending_for_phone(phone)
            if records and not await self._phone(bot, inbox, phone, records, counts):
                counts.short_of = inbox
                return

    async def _phone(self, bot: Bot, inbox: int, phone: str, records: list[InboundRecord],
                     counts: Counts) -> bool:
        """Send one phone's backlog in order; False when the budget ran out (stop for this run)."""
        tr = Translator(self.language or "en")
        contact = await self.store.contacts.for_phone(phone)
        label = sender_label(phone, contact.name if contact else None)
        topic: Topic | None = None
        forum = await self.topics.is_forum(bot, inbox)
        if forum:
            topic = await self.topics.of_phone(phone, inbox)
            if topic is None:
                budget = self.budgets.for_chat(inbox)
                if budget is not None and budget.available() < 2:
                    self.need = 2
                    return False  # a topic and its first message, or neither for now
                self.budgets.try_spend(inbox)
                topic = await self._open(bot, inbox, phone, label, counts)
                forum = topic is not None
        messages = pack(records, tr, header_for=None if forum else label)
        repaired = reopened = plain = False
        i = 0
        while i < len(messages):
            packed = messages[i]
            if not self.budgets.try_spend(inbox):
                return False
            try:
                sent = await self._send(bot, inbox, packed.html, topic.topic_id if topic else None, plain=plain)
            except BadRequest as exc:
                problem = str(exc).lower()
                if "can't parse entities" in problem and not plain:
                    log.error("Telegram refused our HTML for SMS of %s (%s): sending it as plain text",
                              phone, exc)
                    plain = True
                    continue
                if topic is not None and "message thread not found" in problem and not repaired:
                    await self.topics.drop(topic)
                    repaired = True
                    if not self.budgets.try_spend(inbox):
                        return False
                    topic = await self._open(bot, inbox, phone, label, counts)
                    if topic is not None:
                        continue  # the same message again, into the new topic
                elif topic is not None and "not a forum" in problem:
                    self.topics.no_forum(inbox)
                    topic = None
                elif topic is not None and "topic_closed" in problem and not reopened:
                    reopened = True
                    if not self.budgets.try_spend(inbox):
                        return False
                    if await self.topics.reopen(bot, inbox, topic):
                        continue  # the same message again, into the reopened topic
                    topic = None
                elif topic is not None:
                    # the topic refuses it for a reason of its own: the chat itself, with a header
                    log.warning("the topic %d of %s refuses messages (%s): posting in the chat with a header",
                                topic.topic_id, phone, exc)
                    topic = None
                elif chat_wide(problem):
                    self.health.note_chat(inbox, f"Telegram refuses the bot's messages: {exc}")
                    raise TelegramDelay(f"Telegram refused an inbound SMS message: {exc}", MAX_BACKOFF) from None
                else:
                    # refused even in the chat itself, for this phone only: its SMS stay pending
                    # (nothing is lost) and wait a while; the other phones go on
                    log.error("Telegram refused the SMS of %s (%s): trying again in %.0f s, other phones go on",
                              phone, exc, ASIDE_FOR)
                    self._aside[phone] = self.clock() + ASIDE_FOR
                    return True
                # no topic for what is left (this run): the backlog goes with headers
                records = [r for r in records if r.id not in counts.done]
                messages = pack(records, tr, header_for=label)
                i = 0
                continue
            await self.store.inbound.mark_forwarded(packed.done, inbox, sent.message_id,
                                            topic.topic_id if topic else None, phone=phone)
            counts.sms += len(packed.done)
            counts.messages += 1
            counts.done.update(packed.done)
            i += 1
        return True

    async def _open(self, bot: Bot, inbox: int, phone: str, label: str, counts: Counts) -> Topic | None:
        topic = await self.topics.open(bot, inbox, phone, label)
        if topic is not None:
            counts.topics += 1
        return topic

    async def _send(self, bot: Bot, chat_id: int, text: str, topic_id: int | None, *,
                    plain: bool = False) -> Message:
        """One message into the inbox; a Forbidden answer (the bot removed) is noted for /healthz."""
        if plain:
            text = plain_text(text)

        def send() -> Awaitable[Message]:
            return bot.send_message(
                chat_id, text, parse_mode=None if plain else ParseMode.HTML, message_thread_id=topic_id,
                disable_web_page_preview=True, rate_limit_args=COUNTED)

        return await self.call(self.health.refusal_noted(chat_id, send))
