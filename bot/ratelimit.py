"""Telegram's limits as python-telegram-bot's rate limiter sees every request: paced, and counted.

AIORateLimiter's group limiter is a leaky bucket: with `group_max_rate=20,
group_time_period=60` a full bucket lets a burst of 20 through at once, a strict
server answers the 21st with 429 (retry after ~55 s), and the limiter then pauses
*every* request of the bot for that long. Here the group limiter has no burst: one
message per `window / limit` seconds into one group (1 per 3 s for Telegram's 20/60,
SMSBOT_INBOX_RATE, plus a margin), which never exceeds the limit in any window; and
one request a 30th of a second overall, for the same reason.

It is also the one place that sees every message the bot puts into a group
(command answers, confirm edits, alert copies, status messages), so it counts each
into the forward job's rolling budget (`on_group_message`), and the forward job's
plan "spend the inbox's 20 on inbound first" knows what the rest of the bot spent.
The forward job counts its own messages before it sends them and marks those calls
with `rate_limit_args=COUNTED`, so nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.jobs.budget import MARGIN, Rate

log = logging.getLogger(__name__)

COUNTED = "counted"
"""`rate_limit_args` of a call whose message the caller has already counted in the budget."""

OVERALL = Rate(30, 1.0)
"""Telegram's ~30 messages a second over all chats, paced the same way (no burst of 30)."""

MAX_RETRIES = 5
"""429s waited out per request: the default 0 would raise on the first one."""

_POSTING = frozenset({
    "copyMessage", "copyMessages", "forwardMessage", "forwardMessages", "pinChatMessage",
    "editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup",
    "editMessageLiveLocation", "createForumTopic", "editForumTopic", "closeForumTopic",
    "reopenForumTopic", "deleteForumTopic",
})


def pace(rate: Rate) -> float:
    """Seconds between two messages so that no window of `rate.window` holds more than
    `rate.limit`, with the forward budget's margin (our clock runs ahead of Telegram's)."""
    return rate.window * (1 + MARGIN) / rate.limit


def puts_into_chat(endpoint: str) -> bool:
    """Whether a Bot API method puts a message into the chat (and so spends the group's limit)."""
    return endpoint in _POSTING or (endpoint.startswith("send") and endpoint != "sendChatAction")


def group_of(data: dict[str, Any]) -> int | str | None:
    """The group or channel a request goes to (a negative id or an @username), else None."""
    chat_id: Any = data.get("chat_id")
    with contextlib.suppress(ValueError, TypeError):
        chat_id = int(chat_id)
    if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
        return chat_id
    return None


class PacedRateLimiter(AIORateLimiter):
    """AIORateLimiter with a group limiter of one message per `window / limit` seconds (no
    burst), applied only to methods that put something into the group, and a hook that counts
    each such message into the forward job's budget."""

    __slots__ = ("on_group_message",)

    def __init__(self, rate: Rate, *, overall: Rate = OVERALL, max_retries: int = MAX_RETRIES) -> None:
        super().__init__(overall_max_rate=1, overall_time_period=pace(overall),
                         group_max_rate=1, group_time_period=pace(rate), max_retries=max_retries)
        self.on_group_message: Callable[[int | str], None] | None = None
        """Set once the forward job exists (post_init): called for each message into a group."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """AIORateLimiter.process_request, but the group limiter (and the count) only for
        messages into a group; `rate_limit_args` is a retry count or COUNTED."""
        max_retries = rate_limit_args if isinstance(rate_limit_args, int) else self._max_retries
        group = group_of(data) if puts_into_chat(endpoint) else None
        if group is not None and rate_limit_args != COUNTED and self.on_group_message is not None:
            self.on_group_message(group)
        for attempt in range(max_retries + 1):
            try:
                return await self._run_request(
                    chat=data.get("chat_id") is not None, group=group if group is not None else False,
                    allow_paid_broadcast=data.get("allow_paid_broadcast", False),
                    callback=callback, args=args, kwargs=kwargs,
                )
            except RetryAfter as exc:
                if attempt == max_retries:
                    log.warning("Telegram still answers 429 after %d retries (%s)", max_retries, endpoint)
                    raise
                sleep = exc._retry_after.total_seconds() + 0.1  # as AIORateLimiter does
                log.info("Telegram answered 429: every request waits %.1f s", sleep)
                self._retry_after_event.clear()
                await asyncio.sleep(sleep)
            finally:
                self._retry_after_event.set()
        raise AssertionError("unreachable")  # the loop returns or raises
