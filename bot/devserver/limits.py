"""Telegram's flood limits: about 20 messages a minute into one group, 30 a second overall.

A message over a limit is refused with 429 and ``retry_after`` (the seconds until the
oldest counted message leaves the window) and is not stored.
"""

from __future__ import annotations

import math
import time
from collections import deque

from .errors import too_many
from .model import Chat

__all__ = ["RATE_LIMITED_METHODS", "FloodLimits", "Limit"]

Limit = tuple[int, float]  # (messages, seconds)

#: Methods that put something into a chat: they spend the per-group and overall budgets.
RATE_LIMITED_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "createForumTopic",
        "editForumTopic",
        "closeForumTopic",
        "reopenForumTopic",
        "deleteForumTopic",
    }
)


class FloodLimits:
    """The per-group and overall budgets and what was spent of them recently.

    Not locked itself: callers hold the state's lock.
    """

    def __init__(self, group_limit: Limit | None, overall_limit: Limit | None) -> None:
        self._defaults = (group_limit, overall_limit)
        #: (messages, seconds) into one group or supergroup; None turns the limit off.
        self.group_limit = group_limit
        #: (messages, seconds) over all chats; None turns the limit off.
        self.overall_limit = overall_limit
        self._group_sent: dict[int, deque[float]] = {}
        self._overall_sent: deque[float] = deque()

    def restore_defaults(self) -> None:
        """The limits given at construction, nothing spent."""
        self.group_limit, self.overall_limit = self._defaults
        self.forget()

    def forget(self) -> None:
        """Forget recent sends, as if a minute had passed."""
        self._group_sent.clear()
        self._overall_sent.clear()

    def spend(self, chat: Chat) -> None:
        """Count one message into ``chat`` against the limits, or refuse it with 429."""
        now = time.monotonic()
        group_queue: deque[float] | None = None
        if self.group_limit and chat.type in ("group", "supergroup"):
            most, period = self.group_limit
            group_queue = self._group_sent.setdefault(chat.id, deque())
            while group_queue and group_queue[0] <= now - period:
                group_queue.popleft()
            if len(group_queue) >= most:
                raise too_many(max(1, math.ceil(group_queue[0] + period - now)))
        if self.overall_limit:
            most, period = self.overall_limit
            while self._overall_sent and self._overall_sent[0] <= now - period:
                self._overall_sent.popleft()
            if len(self._overall_sent) >= most:
                raise too_many(max(1, math.ceil(self._overall_sent[0] + period - now)))
        if group_queue is not None:
            group_queue.append(now)
        self._overall_sent.append(now)
