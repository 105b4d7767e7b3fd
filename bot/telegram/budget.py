"""Telegram's per-group message limit, counted: one rolling window per group, two kinds of traffic.

Telegram takes about 20 messages a minute into one group, topic creation and edits
included, and answers the 21st with 429. Every message the bot puts into a group is
counted here, in one `GroupBudget` per group, owned by the rate limiter
(`bot.telegram.ratelimit`), which lends the same book to the forward job:

- answers (command answers, confirm questions and their edits, alert copies) go as soon
  as the group's rolling window has a free slot; the rate limiter takes it for them;
- backlog (the forward job's inbound SMS, topics and status edits) is planned by the job
  itself: it asks "may I send one more into this chat now?" and, when the answer is no,
  leaves the rest for a later run, so that inbound SMS are spent before status edits and a
  phone's backlog is joined into fewer messages. Backlog is paced (one message per
  window/limit, after a pause a quarter of the limit back to back) and gives way to any
  answer waiting for a slot, so a team's commands are answered at once, or at worst one
  pace later, even while a backlog drains.

No window of `window` seconds (plus a margin) ever holds more than `limit` of both together.
A message is counted from the moment its request leaves until a window after Telegram's
answer came back (`answered`): Telegram stamps it somewhere in between, so however late the
request or its answer, our count never runs ahead of Telegram's.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

TELEGRAM_GROUP_LIMIT = 20
TELEGRAM_GROUP_WINDOW = 60.0
MARGIN = 1 / 60
"""Share of the window added to it (1 s a minute), to spare: a slot is freed a little late
rather than a little early (a request cut by a timeout is counted from when it left)."""

ChatId = int | str
"""A chat's numeric id, or a public group's or channel's @username."""


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


def pace(rate: Rate) -> float:
    """Seconds between two messages so that no window of `rate.window` holds more than
    `rate.limit`, with the margin: 3.05 s for 20/60 (the forward job's backlog goes at this pace)."""
    return rate.window * (1 + MARGIN) / rate.limit


def backlog_burst(rate: Rate) -> int:
    """Backlog messages that may go back to back after a pause: a quarter of the limit (5 of 20),
    at least a new phone's topic and its first message; the rest of the window stays free."""
    return max(rate.limit // 4, 2)


class RollingBudget:
    """At most `limit` spends in any `window` seconds (plus a margin, in seconds; default 1/60
    of the window), counted as they happen."""

    def __init__(self, rate: Rate = Rate(), *, margin: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.window = rate.window + (rate.window * MARGIN if margin is None else margin)
        self._clock = clock
        self._spent: list[float] = []  # sorted: `answered` may move a stamp later

    def _expire(self) -> float:
        now = self._clock()
        gone = bisect.bisect_right(self._spent, now - self.window)
        del self._spent[:gone]
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

    def spend(self) -> float:
        """Count one message now, room or not; returns its stamp, for `answered`."""
        now = self._expire()
        self._spent.append(now)
        return now

    def answered(self, stamp: float) -> None:
        """The message stamped `stamp` has Telegram's answer: it is counted from now on."""
        now = self._expire()
        index = bisect.bisect_left(self._spent, stamp)
        if index < len(self._spent) and self._spent[index] == stamp:
            del self._spent[index]
        bisect.insort(self._spent, now)

    def wait_time(self, n: int = 1) -> float:
        """Seconds until `n` could be spent (0 when they can now)."""
        now = self._expire()
        excess = len(self._spent) + n - self.rate.limit
        if excess <= 0:
            return 0.0
        if n > self.rate.limit:
            return float("inf")
        return max(self._spent[excess - 1] + self.window - now, 0.0)


class GroupBudget:
    """One group's rolling window, shared by answers (the rate limiter) and backlog (the forward
    job). `pace` None: backlog is not paced, only bounded by the window (a private book in tests)."""

    def __init__(self, rate: Rate = Rate(), *, pace: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rolling = RollingBudget(rate, clock=clock)
        self.pace = pace
        self._clock = clock
        self.burst = backlog_burst(rate)
        self._tokens = float(self.burst)
        self._filled_at = clock()
        self._held_until = -math.inf
        self._waiting = 0
        self._backlog_in_flight: deque[float] = deque()  # stamps of backlog not yet answered

    # -- answers: the rate limiter ------------------------------------------------------------

    @contextmanager
    def answer_waiting(self) -> Iterator[None]:
        """While an answer waits for a slot, backlog takes none: the answer gets the next one."""
        self._waiting += 1
        try:
            yield
        finally:
            self._waiting -= 1

    @property
    def waiting(self) -> int:
        """Answers waiting for a slot now."""
        return self._waiting

    def answer_wait(self) -> float:
        """Seconds until an answer may go (0: now)."""
        return max(self._held_for(), self.rolling.wait_time(1))

    def take(self) -> float:
        """Count one answer, now (the rate limiter calls it when `answer_wait()` is 0); returns
        its stamp, for `answered`."""
        return self.rolling.spend()

    def answered(self, stamp: float) -> None:
        """Telegram answered the answer stamped `stamp`: its slot frees a window from now."""
        self.rolling.answered(stamp)

    def backlog_answered(self) -> None:
        """Telegram answered the oldest backlog message not yet answered (the forward job's calls
        go one at a time); nothing when none is in flight (a job with a book of its own)."""
        if self._backlog_in_flight:
            self.rolling.answered(self._backlog_in_flight.popleft())

    def hold(self, seconds: float) -> None:
        """Telegram answered 429: nothing goes into this group for `seconds`."""
        self._held_until = max(self._held_until, self._clock() + seconds)

    # -- backlog: the forward job ---------------------------------------------------------------

    def available(self) -> int:
        """How many backlog messages may go right now."""
        if self._held_for() > 0:
            return 0
        room = self.rolling.available() - self._waiting
        if self.pace is not None:
            room = min(room, math.floor(self._refill() + 1e-9))
        return max(room, 0)

    def try_spend(self, n: int = 1) -> bool:
        """Spend `n` backlog messages if all `n` may go now; otherwise spend nothing."""
        if self.available() < n:
            return False
        for _ in range(n):
            self._backlog_in_flight.append(self.rolling.spend())
        self._tokens -= n
        return True

    def wait_time(self, n: int = 1) -> float:
        """Seconds until `n` backlog messages could go, if no answer comes first."""
        limit = self.rolling.rate.limit
        if n > limit:
            return math.inf
        wait = max(self._held_for(), self.rolling.wait_time(min(n + self._waiting, limit)))
        if n + self._waiting > limit:  # the waiting answers take slots first, a window to free
            wait = max(wait, self.rolling.window)
        if self.pace is not None:
            if n > self.burst:
                return math.inf
            wait = max(wait, max(n - self._refill(), 0.0) * self.pace)
        return wait

    def note(self, n: int = 1) -> None:
        """Count `n` messages sent into this group outside the budget (may go over the limit)."""
        self.rolling.note(n)

    # -- inside ----------------------------------------------------------------------------------

    def _held_for(self) -> float:
        return max(self._held_until - self._clock(), 0.0)

    def _refill(self) -> float:
        now = self._clock()
        if self.pace is None:
            self._tokens = float(self.burst)
        else:
            self._tokens = min(self._tokens + (now - self._filled_at) / self.pace, float(self.burst))
        self._filled_at = now
        return self._tokens


class BudgetBook:
    """One GroupBudget per group, made on first use. Private chats have no group limit.

    `paced`: backlog goes one message per window/limit on average (the rate limiter's book);
    without it, backlog is bounded by the window alone."""

    def __init__(self, rate: Rate = Rate(), *, paced: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.paced = paced
        self._clock = clock
        self._budgets: dict[ChatId, GroupBudget] = {}

    def for_chat(self, chat_id: ChatId) -> GroupBudget | None:
        """The group's budget; None for a private chat (Telegram's 20 a minute apply to groups)."""
        if isinstance(chat_id, int) and chat_id > 0:
            return None
        budget = self._budgets.get(chat_id)
        if budget is None:
            budget = self._budgets[chat_id] = GroupBudget(
                self.rate, pace=pace(self.rate) if self.paced else None, clock=self._clock)
        return budget

    def try_spend(self, chat_id: ChatId, n: int = 1) -> bool:
        """Backlog: spend `n` in the chat if they may go now."""
        budget = self.for_chat(chat_id)
        return True if budget is None else budget.try_spend(n)

    def note(self, chat_id: ChatId, n: int = 1) -> None:
        budget = self.for_chat(chat_id)
        if budget is not None:
            budget.note(n)
