"""Telegram's limits as python-telegram-bot's rate limiter sees every request.

Built on python-telegram-bot's public `BaseRateLimiter` interface alone. Every message
into a group takes a slot of that group's rolling window (`bot.telegram.budget`): an
answer goes at once while the group's last window holds fewer than `limit` messages,
and otherwise waits, in order, for the oldest to leave the window. So a team's five
quick commands are answered within a second, and no window ever holds more than
Telegram's 20 a minute (a leaky bucket would let a burst through and meet 429s; a pacer
of one message per 3 s would make the fifth answer wait 12 s).

The forward job plans its own messages (inbound SMS before status edits, paced) from the
same book, which this limiter owns and lends it (`budgets`): it spends a slot just before
each call and marks the call `rate_limit_args=COUNTED`, so the limiter neither counts it
again nor retries it after a 429 (the job ends its run and comes back when Telegram says).
Requests that put nothing into a chat (getChat, answerCallbackQuery, ...) only wait out a 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.budget import BudgetBook, ChatId, GroupBudget, Rate, RollingBudget
from bot.telegram.calls import retry_seconds

log = logging.getLogger(__name__)

COUNTED = "counted"
"""`rate_limit_args` of a call whose message the caller has already spent in the budget (the forward job)."""

OVERALL = Rate(30, 1.0)
"""Telegram's ~30 messages a second over all chats."""

MAX_RETRIES = 5
"""429s waited out per request (except COUNTED ones, which the caller handles)."""

_POSTING = frozenset({
    "copyMessage", "copyMessages", "forwardMessage", "forwardMessages", "pinChatMessage",
    "editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup",
    "editMessageLiveLocation", "createForumTopic", "editForumTopic", "closeForumTopic",
    "reopenForumTopic", "deleteForumTopic",
})

Result = bool | dict[str, Any] | list[dict[str, Any]]


def puts_into_chat(endpoint: str) -> bool:
    """Whether a Bot API method puts a message into the chat (and so spends the group's limit)."""
    return endpoint in _POSTING or (endpoint.startswith("send") and endpoint != "sendChatAction")


def group_of(data: dict[str, Any]) -> ChatId | None:
    """The group or channel a request goes to (a negative id or an @username), else None."""
    chat_id: Any = data.get("chat_id")
    with contextlib.suppress(ValueError, TypeError):
        chat_id = int(chat_id)
    if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
        return chat_id
    return None


class GroupRateLimiter(BaseRateLimiter[int | str]):
    """Answers go at once while the group's rolling window has room, in order; the forward job's
    COUNTED messages were planned from the same budget; 429s are waited out and hold the group."""

    def __init__(self, rate: Rate, *, overall: Rate = OVERALL, max_retries: int = MAX_RETRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.budgets = BudgetBook(rate, paced=True, clock=clock)
        """Every group's budget: the forward job spends its backlog from this very book."""
        self.overall = RollingBudget(overall, clock=clock)
        self.max_retries = max_retries
        self._clock = clock
        self._held_until = -math.inf  # a 429 outside any group holds every request
        self._in_order: dict[ChatId | None, asyncio.Lock] = {}

    async def initialize(self) -> None:
        """Nothing to open: the locks are made on first use, in the running loop."""

    async def shutdown(self) -> None:
        self._in_order.clear()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | str | None,
    ) -> Result:
        """Wait for the group's and the overall slot, call, and wait out 429s.
        `rate_limit_args` is a retry count, or COUNTED (no slot taken here, no retry)."""
        counted = rate_limit_args == COUNTED
        retries = rate_limit_args if isinstance(rate_limit_args, int) else 0 if counted else self.max_retries
        posting = puts_into_chat(endpoint)
        group = group_of(data) if posting else None
        budget = self.budgets.for_chat(group) if group is not None else None
        for attempt in range(retries + 1):
            group_stamp = overall_stamp = None
            try:
                await self._wait_held()
                if budget is not None and not counted:
                    group_stamp = await self._answer_slot(group, budget)
                if posting:
                    overall_stamp = await self._overall_slot()
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc) + 0.1
                if budget is not None:
                    budget.hold(seconds)
                else:
                    self._held_until = max(self._held_until, self._clock() + seconds)
                if attempt == retries:
                    if not counted:
                        log.warning("Telegram still answers 429 after %d retries (%s)", retries, endpoint)
                    raise
                log.info("Telegram answered 429 (%s): %s waits %.1f s", endpoint,
                         "the group" if budget is not None else "every request", seconds)
            finally:
                # counted until a window after Telegram's answer, which stamped it in between
                if overall_stamp is not None:
                    self.overall.answered(overall_stamp)
                if budget is not None:
                    if counted:
                        budget.backlog_answered()
                    elif group_stamp is not None:
                        budget.answered(group_stamp)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _answer_slot(self, group: ChatId, budget: GroupBudget) -> float:
        """One slot of the group's window, in the order the answers came; returns its stamp."""
        with budget.answer_waiting():
            async with self._lock(group):
                await _sleep_while(budget.answer_wait)
                return budget.take()

    async def _overall_slot(self) -> float:
        async with self._lock(None):
            await _sleep_while(self.overall.wait_time)
            return self.overall.spend()

    async def _wait_held(self) -> None:
        await _sleep_while(lambda: self._held_until - self._clock())

    def _lock(self, key: ChatId | None) -> asyncio.Lock:
        lock = self._in_order.get(key)
        if lock is None:
            lock = self._in_order[key] = asyncio.Lock()
        return lock


async def _sleep_while(seconds_left: Callable[[], float]) -> None:
    """Sleep until `seconds_left()` is 0: a deadline that may move (a 429, an older slot taken)."""
    # a time to pass, not a condition to poll: no event says when a slot leaves the window
    while (wait := seconds_left()) > 0:  # noqa: ASYNC110
        await asyncio.sleep(wait)
