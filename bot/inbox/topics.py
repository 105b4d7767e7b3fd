"""One forum topic per phone in the inbox chat: made on the phone's first SMS, reopened
when someone closed it, made again when someone deleted it.

The link between phone and topic is committed as soon as Telegram answers
createForumTopic, before anything is sent into it, and a slow answer is waited
for (TOPIC_READ_TIMEOUT), so five SMS from a new phone make one topic, never two.
Where the inbox is no forum, or the bot may not manage topics, there are none:
the SMS go into the chat with a header (bot/inbox/delivery.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram import Bot
from telegram.error import BadRequest

from bot.health import HealthState
from bot.store import Store, Topic
from bot.telegram.calls import MAX_BACKOFF, RoundCalls, TelegramDelay
from bot.telegram.ratelimit import COUNTED

log = logging.getLogger("bot.jobs.forward")  # the forward job's lines, under its name

FORUM_CACHE_TTL = 300.0
"""Seconds a chat's "is it a forum" answer is kept."""
TOPIC_READ_TIMEOUT = 25.0
"""Seconds to wait for createForumTopic's answer (python-telegram-bot's default is 5): a topic
answered late is still one topic, where a timeout would make the next run create a second."""
CHAT_WIDE = ("chat not found", "have no rights", "not enough rights to send", "chat_write_forbidden",
             "chat_restricted", "bot was kicked", "not a member")
"""Refusals that concern the whole inbox chat, not one phone: the run stops and tries again later."""


def chat_wide(problem: str) -> bool:
    """Whether Telegram's refusal (lower case) is about the whole chat, not one message."""
    return any(p in problem for p in CHAT_WIDE)


class Topics:
    def __init__(self, store: Store, health: HealthState, call: RoundCalls, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.health = health
        self.call = call
        self.clock = clock
        self._forum: dict[int, tuple[bool, float]] = {}

    async def of_phone(self, phone: str, chat_id: int) -> Topic | None:
        return await self.store.topics.get(phone, chat_id)

    async def is_forum(self, bot: Bot, chat_id: int) -> bool:
        cached = self._forum.get(chat_id)
        if cached is not None and self.clock() - cached[1] < FORUM_CACHE_TTL:
            return cached[0]
        try:
            chat = await self.call(lambda: bot.get_chat(chat_id))
        except BadRequest as exc:
            raise TelegramDelay(f"the inbox chat {chat_id} cannot be read: {exc}", MAX_BACKOFF) from None
        forum = bool(chat.is_forum)
        if cached is None or cached[0] != forum:
            log.info("inbox chat %d: %s", chat_id, "a forum, one topic per phone" if forum
                     else "no forum, messages with a header; a reply to one answers its phone")
        self._forum[chat_id] = (forum, self.clock())
        return forum

    def no_forum(self, chat_id: int) -> None:
        """Telegram says the chat has no topics (any more): headers until the cache expires."""
        self._forum[chat_id] = (False, self.clock())

    async def open(self, bot: Bot, chat_id: int, phone: str, label: str) -> Topic | None:
        """Create the phone's topic and commit the link at once; None when topics are unavailable."""
        try:
            made = await self.call(lambda: bot.create_forum_topic(
                chat_id, label, read_timeout=TOPIC_READ_TIMEOUT, rate_limit_args=COUNTED))
        except BadRequest as exc:
            problem = str(exc).lower()
            if "not a forum" in problem or "not enough rights" in problem:
                log.warning("cannot make topics in the inbox chat (%s): posting with headers instead", exc)
                self.no_forum(chat_id)
                return None
            if chat_wide(problem):
                self.health.note_chat(chat_id, f"Telegram refuses the bot's topics: {exc}")
                raise TelegramDelay(f"Telegram refused to create a topic: {exc}", MAX_BACKOFF) from None
            # this topic only (its name, say): this phone's SMS go with a header, the rest as usual
            log.warning("Telegram refused a topic for %s (%s): posting with a header", phone, exc)
            return None
        await self.store.topics.set(phone, chat_id, made.message_thread_id, label)
        log.info("topic %d made for %s", made.message_thread_id, phone)
        return Topic(phone, chat_id, made.message_thread_id, label)

    async def drop(self, topic: Topic) -> None:
        """Forget a topic Telegram says is gone: the next SMS makes a new one."""
        log.warning("the topic %d of %s is gone; making a new one", topic.topic_id, topic.phone)
        await self.store.topics.drop(topic.phone, topic.topic_id)

    async def reopen(self, bot: Bot, chat_id: int, topic: Topic) -> bool:
        """Reopen a phone's topic that someone closed: the phone wrote again. False when not allowed."""
        try:
            await self.call(lambda: bot.reopen_forum_topic(chat_id, topic.topic_id, rate_limit_args=COUNTED))
        except BadRequest as exc:
            if "not_modified" in str(exc).lower().replace(" ", "_"):
                return True  # someone reopened it meanwhile
            log.warning("the topic %d of %s is closed and cannot be reopened (%s): posting in the chat "
                        "with a header", topic.topic_id, topic.phone, exc)
            return False
        log.info("topic %d of %s reopened: the phone wrote again", topic.topic_id, topic.phone)
        return True
