"""Our own count of Telegram's per-group message limit, so the forward job spends it on purpose.

python-telegram-bot's AIORateLimiter is a leaky bucket: it lets a burst of 20
through and then waits out 429s, which is a safety net, not a plan. The forward
job instead asks a rolling window "may I send one more into this chat now?" and,
when the answer is no, leaves the rest for a later run, so that inbound SMS are
spent before status edits and a phone's backlog is joined into fewer messages.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

TELEGRAM_GROUP_LIMIT = 20
TELEGRAM_GROUP_WINDOW = 60.0
MARGIN = 1 / 60
"""Share of the window added to it (1 s a minute): our stamp is taken before Telegram's, so a
slot is freed a little late rather than a little early."""


@dataclass(frozen=True, slots=True)
class Rate:
    """`limit` messages per `window` seconds."""

    limit: int = TELEGRAM_GROUP_LIMIT
    window: float = TELEGRAM_GROUP_WINDOW

    @classmethod
    def parse(cls, text: str) -> Rate:
        """'20/60' -> Rate(20, 60.0). Raises ValueError with what is expected."""
        limit, sep, window = text.partition("/")
        try:
            rate = cls(int(limit), float(window)) if sep else cls(int(limit))
        except ValueError:
            raise ValueError(f"{text!r} is not a rate; expected MESSAGES/SECONDS, e.g. 20/60") from None
        if rate.limit < 1 or rate.window <= 0:
            raise ValueError(f"{text!r} is not a rate; expected MESSAGES/SECONDS, e.g. 20/60")
        return rate


class RollingBudget:
    """At most `limit` spends in any `window` seconds (plus a margin, in seconds; default 1/60
    of the window), counted as they happen."""

    def __init__(self, rate: Rate = Rate(), *, margin: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.window = rate.window + (rate.window * MARGIN if margin is None else margin)
        self._clock = clock
        self._spent: deque[float] = deque()

    def _expire(self) -> float:
        now = self._clock()
        while self._spent and self._spent[0] <= now - self.window:
            self._spent.popleft()
        return now

    def available(self) -> int:
        """How many may be spent right now."""
        self._expire()
        return max(self.rate.limit - len(self._spent), 0)

    def try_spend(self, n: int = 1) -> bool:
        """Spend `n` if all `n` fit now; otherwise spend nothing."""
        now = self._expire()
        if len(self._spent) + n > self.rate.limit:
            return False
        self._spent.extend([now] * n)
        return True

    def note(self, n: int = 1) -> None:
        """Count `n` messages sent by someone else into the same chat (may go over the limit)."""
        now = self._expire()
        self._spent.extend([now] * n)

    def wait_time(self, n: int = 1) -> float:
        """Seconds until `n` could be spent (0 when they can now)."""
        now = self._expire()
        excess = len(self._spent) + n - self.rate.limit
        if excess <= 0:
            return 0.0
        if n > self.rate.limit:
            return float("inf")
        return max(self._spent[excess - 1] + self.window - now, 0.0)


class BudgetBook:
    """One RollingBudget per chat, made on first use. Private chats have no group limit."""

    def __init__(self, rate: Rate = Rate(), *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._budgets: dict[int, RollingBudget] = {}

    def for_chat(self, chat_id: int) -> RollingBudget | None:
        if chat_id > 0:
            return None  # a private chat: Telegram's 20/min applies to groups
        budget = self._budgets.get(chat_id)
        if budget is None:
            budget = self._budgets[chat_id] = RollingBudget(self.rate, clock=self._clock)
        return budget

    def try_spend(self, chat_id: int, n: int = 1) -> bool:
        budget = self.for_chat(chat_id)
        return True if budget is None else budget.try_spend(n)

    def note(self, chat_id: int, n: int = 1) -> None:
        budget = self.for_chat(chat_id)
        if budget is not None:
            budget.note(n)
