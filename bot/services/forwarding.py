"""Flow 3, the forward run: deliver what the store holds and Telegram has not yet accepted.

Inbound SMS first, into the inbox chat (bot/inbox: a topic per phone, a phone's
backlog packed into few messages); then the status messages owed or whose
delivery counts moved (bot/services/status_messages.py).

Telegram allows about 20 messages a minute into one group, topic creation and
edits included. The run spends the rate limiter's rolling budget per group
(bot.telegram.budget: paced, giving way to answers), the inbox's on inbound SMS
first. An item is marked done only after Telegram accepted it; a 429, a 5xx or
a network error ends the run and the next run tries again, after a backoff, so
nothing is lost and a phone's SMS keep their order. A crash between Telegram's
answer and the commit can repeat that one message on the next start: delivery is
at least once (README, "What is guaranteed").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Bot

from bot import metrics
from bot.faults import FaultLog
from bot.inbox.delivery import Counts, InboxDelivery
from bot.services.status_messages import StatusMessages
from bot.store import Store
from bot.telegram.budget import BudgetBook
from bot.telegram.calls import MAX_BACKOFF, RoundCalls, TelegramDelay
from sms_core.backoff import Backoff

log = logging.getLogger("bot.jobs.forward")  # the forward job's lines, under its name

TELEGRAM_TIMEOUT = 30.0
"""A hard bound on one Telegram call, the rate limiter's own waiting included."""


@dataclass(frozen=True, slots=True)
class ForwardOutcome:
    sms: int = 0
    messages: int = 0
    topics: int = 0
    edits: int = 0
    stopped: str | None = None
    short_of: int | None = None  # the chat whose budget ran out with work left


OUTAGE_BACKOFF = Backoff(first=0.5, cap=MAX_BACKOFF)


def outage_backoff(failures: int) -> float:
    """Seconds before trying Telegram again after `failures` failed runs in a row: 0.5, 1, 2... 60."""
    return OUTAGE_BACKOFF.delay(max(failures, 1))


class Forwarder:
    """Backoff between runs, and a lock so that two runs never overlap. `runs` counts the
    passes finished (a run repeats while polls asked for more during it)."""

    def __init__(self, store: Store, inbox_chat_id: int | None, inbox: InboxDelivery,
                 statuses: StatusMessages, budgets: BudgetBook, call: RoundCalls, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.inbox_chat_id = inbox_chat_id
        self.inbox = inbox
        self.statuses = statuses
        self.budgets = budgets
        """The rate limiter's book in the bot; a private one in some tests (runtime.Parts)."""
        self.call = call
        self.clock = clock
        self.lock = asyncio.Lock()
        self.resume_at = 0.0
        self.runs = 0
        self.run_faults = FaultLog(log, "forward run")
        """A run that failed (the store, a bug): one line per kind, kept across runs."""
        self._again = False
        self._wake_at: float | None = None

    async def run(self, bot: Bot, running: Callable[[], bool] = lambda: True) -> ForwardOutcome:
        """One run, repeated while polls asked for more during it (`running()`: not stopping).
        Never raises TelegramError."""
        if self.lock.locked():
            self._again = True
            return ForwardOutcome()
        async with self.lock:
            total = ForwardOutcome()
            while True:
                self._again = False
                try:
                    outcome = await self._run_once(bot)
                finally:
                    self.runs += 1
                total = ForwardOutcome(total.sms + outcome.sms, total.messages + outcome.messages,
                                       total.topics + outcome.topics, total.edits + outcome.edits,
                                       outcome.stopped, outcome.short_of)
                if not self._again or outcome.stopped or not running():
                    break
            await self._gauges()
            return total

    def wake_after(self, chat_id: int) -> float | None:
        """Seconds until the budget of `chat_id` has room for what the last run stopped for;
        None when no wake-up is needed (no budget, or one is already due by then)."""
        budget = self.budgets.for_chat(chat_id)
        if budget is None:
            return None
        wait = budget.wait_time(self.inbox.need)  # waking when 1 frees would find 2 still missing
        now = self.clock()
        if self._wake_at is not None and now < self._wake_at <= now + wait + 0.01:
            return None
        self._wake_at = now + wait
        return wait

    async def _run_once(self, bot: Bot) -> ForwardOutcome:
        if self.clock() < self.resume_at:
            return ForwardOutcome(stopped="waiting")
        counts = Counts()
        try:
            if self.inbox_chat_id is not None:
                await self.inbox.deliver(bot, self.inbox_chat_id, counts)
            counts.edits += await self.statuses.post_owed(bot, self.budgets, self.call)
            counts.edits += await self.statuses.edit_changed(bot, self.budgets, self.call)
        except TelegramDelay as stop:
            self.call.failures += 1
            delay = stop.delay if stop.delay is not None else outage_backoff(self.call.failures)
            self.resume_at = self.clock() + delay
            log.warning("forward: %s; %d item(s) delivered this run, the rest in %.1f s",
                        stop.reason, counts.sms + counts.edits, delay)
            return _outcome(counts, stop.reason)
        return _outcome(counts, None)

    async def _gauges(self) -> None:
        try:
            metrics.FORWARD_QUEUE.labels("inbound").set(await self.store.inbound.pending_count())
            metrics.FORWARD_QUEUE.labels("status").set(await self.store.sends.dirty_status_count())
        except Exception:  # a metric is not worth failing a run for
            log.debug("could not update the forward queue gauges", exc_info=True)


def _outcome(counts: Counts, stopped: str | None) -> ForwardOutcome:
    return ForwardOutcome(counts.sms, counts.messages, counts.topics, counts.edits, stopped, counts.short_of)
