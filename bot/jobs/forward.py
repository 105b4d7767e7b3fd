"""Flow 3, the forward job: deliver what the store holds and Telegram has not yet accepted.

Inbound SMS go into the sender's forum topic in the inbox chat (one topic per
phone, made on its first SMS; the mapping is committed as soon as Telegram
answers createForumTopic, before anything is sent into it). Where the inbox is
no forum, each message carries a header and is linked to the phone, so that a
Telegram reply to it is a reply to that phone. Then the status messages of
sends whose delivery counts changed are edited.

Telegram allows about 20 messages a minute into one group, topic creation and
edits included. The job spends the rate limiter's rolling budget per group
(bot.telegram.budget: paced, giving way to answers), the inbox's on inbound SMS
first; a phone's backlog is joined into as few messages
as fit Telegram's 4,096 characters. An item is marked done only after Telegram
accepted it; a 429, a 5xx or a network error ends the run and the next run
tries again, so nothing is lost and a phone's SMS keep their order. A crash
between Telegram's answer and the commit can repeat that one message on the
next start: delivery is at least once (README, "What is guaranteed").
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application

from bot import metrics
from bot.faults import fault_kind, faults_of
from bot.handlers.common import Context
from bot.healthmarks import note_chat, refusal_noted
from bot.i18n import Html, Translator
from bot.jobs import FORWARD_INTERVAL
from bot.send_details import status_markup
from bot.services import Services
from bot.status import render_status
from bot.store import InboundRecord, SendRecord, Thread
from bot.telegram.budget import BudgetBook, Rate
from bot.telegram.calls import MAX_BACKOFF, TelegramDelay, call_telegram
from bot.telegram.ratelimit import COUNTED
from sms_core import CST

log = logging.getLogger(__name__)
T = TypeVar("T")

"""MESSAGES/SECONDS per group, default Telegram's 20/60; only the bench and the crash test change it."""
TEXT_LIMIT = 3800
"""Characters of one message after entities (Telegram: 4,096); the rest is margin."""
STATUS_EDIT_INTERVAL = 5.0
"""Seconds between two edits of one status message (the last one, all reports in, is not held)."""
FORUM_CACHE_TTL = 300.0
TELEGRAM_TIMEOUT = 30.0
"""A hard bound on one Telegram call, the rate limiter's own waiting included."""
TOPIC_READ_TIMEOUT = 25.0
"""Seconds to wait for createForumTopic's answer (python-telegram-bot's default is 5): a topic
answered late is still one topic, where a timeout would make the next run create a second."""
PHONES_PER_RUN = 200
ASIDE_FOR = MAX_BACKOFF
"""Seconds a phone whose message Telegram refused even outside a topic waits, while the others go on."""
CHAT_WIDE = ("chat not found", "have no rights", "not enough rights to send", "chat_write_forbidden",
             "chat_restricted", "bot was kicked", "not a member")
"""Refusals that concern the whole inbox chat, not one phone: the run stops and tries again later."""
FORWARDER = "forwarder"




@dataclass(frozen=True, slots=True)
class Packed:
    """One Telegram message of a phone's backlog: its HTML and the SMS it completes."""

    html: str
    done: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ForwardOutcome:
    sms: int = 0
    messages: int = 0
    topics: int = 0
    edits: int = 0
    stopped: str | None = None
    short_of: int | None = None  # the chat whose budget ran out with work left


def outage_backoff(failures: int) -> float:
    """Seconds before trying Telegram again after `failures` failed runs in a row: 0.5, 1, 2... 60."""
    return min(0.5 * 2.0 ** max(failures - 1, 0), MAX_BACKOFF)


# --- rendering --------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>")


def plain_length(rendered: str) -> int:
    """Length of an HTML message as Telegram counts it: tags gone, entities decoded, UTF-16."""
    text = html.unescape(_TAG.sub("", rendered))
    return len(text.encode("utf-16-le")) // 2


def _when(ts: float, now: float) -> str:
    at = datetime.fromtimestamp(ts, CST)
    same_day = at.date() == datetime.fromtimestamp(now, CST).date()
    return at.strftime("%H:%M:%S" if same_day else "%m-%d %H:%M")


def sender_label(phone: str, contact_name: str | None) -> str:
    """Plain text (no HTML): a topic title or a header's sender, 1 to 128 characters."""
    label = f"{contact_name} {phone}" if contact_name else phone
    return (label.strip() or "?")[:128]


def pack(records: Sequence[InboundRecord], tr: Translator, *, header_for: str | None = None,
         limit: int = TEXT_LIMIT, now: float | None = None) -> list[Packed]:
    """Join one phone's consecutive SMS into messages of at most `limit` characters.

    Each line is the SMS's time and its escaped text. With `header_for` (an inbox
    that is no forum) every message starts with the sender and the time. A text
    too long for one message (never from a real gateway) is split over several;
    its SMS counts as done with the last piece.
    """
    now = time.time() if now is None else now
    out: list[Packed] = []
    lines: list[str] = []
    done: list[int] = []
    head = ""
    used = 0

    def flush() -> None:
        nonlocal lines, done, head, used
        if lines:
            out.append(Packed("\n".join([head, *lines] if head else lines), tuple(done)))
        lines, done, head, used = [], [], "", 0

    for record in records:
        when = _when(record.received_at, now)
        pieces = _pieces(record.text, limit // 2) if record.text else [""]
        for i, piece in enumerate(pieces):
            text = Html(tr("inbound_empty")) if not record.text else piece
            line = tr("inbound_line", when=when, text=text)
            size = plain_length(line) + 1
            if lines and used + size > limit:
                flush()
            if not lines and header_for is not None:
                head = tr("inbound_header", sender=header_for, when=when)
                used = plain_length(head) + 1
            lines.append(line)
            used += size
            if i == len(pieces) - 1:
                done.append(record.id)
    flush()
    return out


def _chat_wide(problem: str) -> bool:
    return any(p in problem for p in CHAT_WIDE)


def _pieces(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


# --- the job's state ------------------------------------------------------------------------


class Forwarder:
    """Budgets, backoff and caches between runs; a lock so that two runs never overlap."""

    def __init__(self, rate: Rate | None = None, *, clock: Callable[[], float] = time.monotonic,
                 budgets: BudgetBook | None = None) -> None:
        self.clock = clock
        self.budgets = budgets if budgets is not None else BudgetBook(rate or Rate(), clock=clock)
        """The rate limiter's book in the bot; a private one (`rate`, `clock`) in some tests."""
        self.lock = asyncio.Lock()
        self.resume_at = 0.0
        self.failures = 0
        self._again = False
        self._wake_at: float | None = None
        self._need = 1  # slots the last run stopped for: a new phone's topic and message need 2
        self._forum: dict[int, tuple[bool, float]] = {}
        self.statuses_in_hand: set[int] = set()
        """Sends whose handler is posting their status message right now (see _post_owed_statuses)."""
        self._aside: dict[str, float] = {}  # phone -> when to try it again (its SMS refused, see ASIDE_FOR)

    # -- entry -------------------------------------------------------------------------

    async def run(self, app: Application, services: Services) -> ForwardOutcome:  # type: ignore[type-arg]
        """One run, repeated while polls asked for more during it. Never raises TelegramError."""
        if self.lock.locked():
            self._again = True
            return ForwardOutcome()
        async with self.lock:
            total = ForwardOutcome()
            while True:
                self._again = False
                outcome = await self._run_once(app, services)
                total = ForwardOutcome(total.sms + outcome.sms, total.messages + outcome.messages,
                                       total.topics + outcome.topics, total.edits + outcome.edits,
                                       outcome.stopped, outcome.short_of)
                if not self._again or outcome.stopped or not app.running:
                    break
            if outcome.short_of is not None:
                self._wake_when_budget_frees(app, outcome.short_of)
            await self._gauges(services)
            return total

    def _wake_when_budget_frees(self, app: Application, chat_id: int) -> None:  # type: ignore[type-arg]
        """Run again the moment the next slot of the budget frees, not at the next tick."""
        budget = self.budgets.for_chat(chat_id)
        if budget is None or app.job_queue is None or not app.running:
            return
        wait = budget.wait_time(self._need)  # waking when 1 frees would find 2 still missing
        now = self.clock()
        if self._wake_at is not None and now < self._wake_at <= now + wait + 0.01:
            return  # a wake-up is already due by then
        self._wake_at = now + wait
        app.job_queue.run_once(forward_job, wait + 0.001, name="forward-budget")

    async def _run_once(self, app: Application, services: Services) -> ForwardOutcome:  # type: ignore[type-arg]
        if self.clock() < self.resume_at:
            return ForwardOutcome(stopped="waiting")
        self._need = 1
        run = _Counts()
        try:
            inbox = services.settings.inbox_chat_id
            if inbox is not None:
                await self._forward_inbound(app.bot, services, inbox, run)
            await self._post_owed_statuses(app.bot, services, run)
            await self._edit_statuses(app.bot, services, run)
        except TelegramDelay as stop:
            self.failures += 1
            delay = stop.delay if stop.delay is not None else outage_backoff(self.failures)
            self.resume_at = self.clock() + delay
            log.warning("forward: %s; %d item(s) delivered this run, the rest in %.1f s",
                        stop.reason, run.sms + run.edits, delay)
            return run.outcome(stop.reason)
        return run.outcome(None)

    # -- inbound SMS -----------------------------------------------------------------------

    async def _forward_inbound(self, bot: Bot, services: Services, inbox: int, run: _Counts) -> None:
        store = services.store
        budget = self.budgets.for_chat(inbox)
        for phone in await store.pending_phones(PHONES_PER_RUN):
            if self._aside.get(phone, 0.0) > self.clock():
                continue
            if budget is not None and budget.available() == 0:
                run.short_of = inbox
                return
            records = await store.pending_for_phone(phone)
            if records and not await self._forward_phone(bot, services, inbox, phone, records, run):
                run.short_of = inbox
                return

    async def _forward_phone(self, bot: Bot, services: Services, inbox: int, phone: str,
                             records: list[InboundRecord], run: _Counts) -> bool:
        """Send one phone's backlog in order; False when the budget ran out (stop for this run)."""
        store = services.store
        tr = Translator(services.settings.language or "en")
        contact = await store.contact_for_phone(phone)
        label = sender_label(phone, contact.name if contact else None)
        thread: Thread | None = None
        forum = await self._is_forum(bot, inbox)
        if forum:
            thread = await store.get_thread(phone, inbox)
            if thread is None:
                budget = self.budgets.for_chat(inbox)
                if budget is not None and budget.available() < 2:
                    self._need = 2
                    return False  # a topic and its first message, or neither for now
                self.budgets.try_spend(inbox)
                thread = await self._new_topic(bot, services, inbox, phone, label, run)
                forum = thread is not None
        messages = pack(records, tr, header_for=None if forum else label)
        repaired = reopened = plain = False
        i = 0
        while i < len(messages):
            packed = messages[i]
            if not self.budgets.try_spend(inbox):
                return False
            try:
                sent = await self._send(bot, inbox, packed.html, thread.thread_id if thread else None,
                                        plain=plain, extras=services.extras)
            except BadRequest as exc:
                problem = str(exc).lower()
                if "can't parse entities" in problem and not plain:
                    log.error("Telegram refused our HTML for SMS of %s (%s): sending it as plain text",
                              phone, exc)
                    plain = True
                    continue
                if thread is not None and "message thread not found" in problem and not repaired:
                    log.warning("the topic %d of %s is gone; making a new one", thread.thread_id, phone)
                    await store.drop_thread(phone, thread.thread_id)
                    repaired = True
                    if not self.budgets.try_spend(inbox):
                        return False
                    thread = await self._new_topic(bot, services, inbox, phone, label, run)
                    if thread is not None:
                        continue  # the same message again, into the new topic
                elif thread is not None and "not a forum" in problem:
                    self._forum[inbox] = (False, self.clock())
                    thread = None
                elif thread is not None and "topic_closed" in problem and not reopened:
                    reopened = True
                    if not self.budgets.try_spend(inbox):
                        return False
                    if await self._reopen(bot, inbox, thread):
                        continue  # the same message again, into the reopened topic
                    thread = None
                elif thread is not None:
                    # the topic refuses it for a reason of its own: the chat itself, with a header
                    log.warning("the topic %d of %s refuses messages (%s): posting in the chat with a header",
                                thread.thread_id, phone, exc)
                    thread = None
                elif _chat_wide(problem):
                    note_chat(services.extras, inbox, f"Telegram refuses the bot's messages: {exc}")
                    raise TelegramDelay(f"Telegram refused an inbound SMS message: {exc}", MAX_BACKOFF) from None
                else:
                    # refused even in the chat itself, for this phone only: its SMS stay pending
                    # (nothing is lost) and wait a while; the other phones go on
                    log.error("Telegram refused the SMS of %s (%s): trying again in %.0f s, other phones go on",
                              phone, exc, ASIDE_FOR)
                    self._aside[phone] = self.clock() + ASIDE_FOR
                    return True
                # no topic for what is left (this run): the backlog goes with headers
                records = [r for r in records if r.id not in run.done]
                messages = pack(records, tr, header_for=label)
                i = 0
                continue
            await store.mark_forwarded(packed.done, inbox, sent.message_id,
                                       thread.thread_id if thread else None, phone=phone)
            run.sms += len(packed.done)
            run.messages += 1
            run.done.update(packed.done)
            i += 1
        return True

    async def _new_topic(self, bot: Bot, services: Services, inbox: int, phone: str, label: str,
                         run: _Counts) -> Thread | None:
        """Create the phone's topic and commit the mapping at once; None when topics are unavailable."""
        try:
            topic = await self._call(lambda: bot.create_forum_topic(
                inbox, label, read_timeout=TOPIC_READ_TIMEOUT, rate_limit_args=COUNTED))
        except BadRequest as exc:
            problem = str(exc).lower()
            if "not a forum" in problem or "not enough rights" in problem:
                log.warning("cannot make topics in the inbox chat (%s): posting with headers instead", exc)
                self._forum[inbox] = (False, self.clock())
                return None
            if _chat_wide(problem):
                note_chat(services.extras, inbox, f"Telegram refuses the bot's topics: {exc}")
                raise TelegramDelay(f"Telegram refused to create a topic: {exc}", MAX_BACKOFF) from None
            # this topic only (its name, say): this phone's SMS go with a header, the rest as usual
            log.warning("Telegram refused a topic for %s (%s): posting with a header", phone, exc)
            return None
        await services.store.set_thread(phone, inbox, topic.message_thread_id, label)
        run.topics += 1
        log.info("topic %d made for %s", topic.message_thread_id, phone)
        return Thread(phone, inbox, topic.message_thread_id, label)

    async def _reopen(self, bot: Bot, inbox: int, thread: Thread) -> bool:
        """Reopen a phone's topic that someone closed: the phone wrote again. False when not allowed."""
        try:
            await self._call(lambda: bot.reopen_forum_topic(
                inbox, thread.thread_id, rate_limit_args=COUNTED))
        except BadRequest as exc:
            if "not_modified" in str(exc).lower().replace(" ", "_"):
                return True  # someone reopened it meanwhile
            log.warning("the topic %d of %s is closed and cannot be reopened (%s): posting in the chat "
                        "with a header", thread.thread_id, thread.phone, exc)
            return False
        log.info("topic %d of %s reopened: the phone wrote again", thread.thread_id, thread.phone)
        return True

    async def _send(self, bot: Bot, chat_id: int, text: str, thread_id: int | None, *,
                    plain: bool = False, extras: dict[str, Any] | None = None) -> Message:
        """One message into the inbox; a Forbidden answer (the bot removed) is noted in
        `extras` for /healthz."""
        if plain:  # a last resort that never fails to parse: the same text without markup
            text = html.unescape(_TAG.sub("", text))

        def send() -> Awaitable[Message]:
            return bot.send_message(
                chat_id, text, parse_mode=None if plain else ParseMode.HTML, message_thread_id=thread_id,
                disable_web_page_preview=True, rate_limit_args=COUNTED)

        return await self._call(send if extras is None else refusal_noted(extras, chat_id, send))

    async def _is_forum(self, bot: Bot, chat_id: int) -> bool:
        cached = self._forum.get(chat_id)
        if cached is not None and self.clock() - cached[1] < FORUM_CACHE_TTL:
            return cached[0]
        try:
            chat = await self._call(lambda: bot.get_chat(chat_id))
        except BadRequest as exc:
            raise TelegramDelay(f"the inbox chat {chat_id} cannot be read: {exc}", MAX_BACKOFF) from None
        forum = bool(chat.is_forum)
        if cached is None or cached[0] != forum:
            log.info("inbox chat %d: %s", chat_id, "a forum, one topic per phone" if forum
                     else "no forum, messages with a header; a reply to one answers its phone")
        self._forum[chat_id] = (forum, self.clock())
        return forum

    # -- delivery counts ---------------------------------------------------------------------

    async def _post_owed_statuses(self, bot: Bot, services: Services, run: _Counts) -> None:
        """Post the status messages that a /sms or a reply could not (Telegram failed at that moment,
        or the bot stopped), so the sender learns the outcome instead of sending again.

        A send whose handler is still answering is in `statuses_in_hand` and left to it. That set is
        checked before the send is read again: a handler leaves it only after its message is stored.
        """
        for record in await services.store.owed_status_sends(limit=50):
            if record.id in self.statuses_in_hand:
                continue
            fresh = await services.store.get_send(record.id)
            if fresh is None or fresh.status_chat_id is None or fresh.status_message_id is not None:
                continue
            if not self.budgets.try_spend(fresh.status_chat_id):
                continue
            await self._post_status(bot, services, fresh, fresh.status_chat_id)
            run.edits += 1

    async def _post_status(self, bot: Bot, services: Services, record: SendRecord, chat_id: int) -> None:
        tr = Translator(record.lang)
        text, markup = render_status(record, tr), status_markup(record.id, tr)
        thread_id = record.status_thread_id

        async def attempt() -> Message | Forbidden:
            try:
                return await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                              message_thread_id=thread_id, rate_limit_args=COUNTED)
            except Forbidden as exc:  # this chat only (kicked, blocked): not a reason to stop the run
                return exc

        while True:
            try:
                sent = await self._call(attempt)
            except BadRequest as exc:
                problem = str(exc).lower()
                if thread_id is not None and ("thread not found" in problem or "topic" in problem):
                    thread_id = None  # the topic is gone or closed: the chat itself will do
                    if self.budgets.try_spend(chat_id):
                        continue
                    return  # the next run, without the topic
                log.warning("status of send %d cannot be posted (%s); giving up on it", record.id, exc)
                await services.store.forgo_status(record.id)
                return
            if isinstance(sent, Forbidden):
                log.warning("status of send %d cannot be posted (%s); giving up on it", record.id, sent)
                await services.store.forgo_status(record.id)
                return
            log.info("status of send %d posted late (message %d)", record.id, sent.message_id)
            await services.store.set_status_message(record.id, chat_id, sent.message_id, thread_id,
                                                    shown_version=record.status_version)
            return

    async def _edit_statuses(self, bot: Bot, services: Services, run: _Counts) -> None:
        now = time.time()
        for record in await services.store.dirty_status_sends(limit=200):
            chat_id, message_id = record.status_chat_id, record.status_message_id
            if chat_id is None or message_id is None:
                continue
            final = record.state != "pending" and record.waiting == 0
            recent = record.status_edited_at is not None and now - record.status_edited_at < STATUS_EDIT_INTERVAL
            if recent and not final:
                continue
            if not self.budgets.try_spend(chat_id):
                continue
            await self._edit_one(bot, services, record, chat_id, message_id)
            run.edits += 1

    async def _edit_one(self, bot: Bot, services: Services, record: SendRecord, chat_id: int,
                        message_id: int) -> None:
        tr = Translator(record.lang)
        text, markup = render_status(record, tr), status_markup(record.id, tr)
        try:
            await self._call(lambda: bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML,
                                                           reply_markup=markup, rate_limit_args=COUNTED))
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                # the message was deleted, or cannot be edited: nothing later would do better
                log.warning("status of send %d cannot be shown (%s); giving up on it", record.id, exc)
        await services.store.mark_status_shown(record.id, record.status_version)

    # -- Telegram calls --------------------------------------------------------------------

    async def _call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """One Telegram call with a hard timeout; delays become TelegramDelay, BadRequest is the caller's."""
        try:
            result = await call_telegram(fn, TELEGRAM_TIMEOUT)
        except BadRequest:
            self.failures = 0  # Telegram answered: it is up
            raise
        self.failures = 0
        return result

    async def _gauges(self, services: Services) -> None:
        try:
            metrics.FORWARD_QUEUE.labels("inbound").set(await services.store.pending_inbound_count())
            metrics.FORWARD_QUEUE.labels("status").set(await services.store.dirty_status_count())
        except Exception:  # a metric is not worth failing a run for
            log.debug("could not update the forward queue gauges", exc_info=True)


class _Counts:
    def __init__(self) -> None:
        self.sms = 0
        self.messages = 0
        self.topics = 0
        self.edits = 0
        self.done: set[int] = set()
        self.short_of: int | None = None

    def outcome(self, stopped: str | None) -> ForwardOutcome:
        return ForwardOutcome(self.sms, self.messages, self.topics, self.edits, stopped, self.short_of)


# --- JobQueue glue ---------------------------------------------------------------------------


def forwarder_of(services: Services) -> Forwarder:
    forwarder = services.extras.get(FORWARDER)
    if forwarder is None:
        forwarder = services.extras[FORWARDER] = Forwarder(Rate.parse(services.settings.inbox_rate))
    return forwarder


async def forward_job(context: Context) -> None:
    """JobQueue callback: one forward run. Cheap when idle: two indexed queries."""
    app = context.application
    services: Services | None = app.bot_data.get("services")
    if services is None:
        return
    try:
        await forwarder_of(services).run(app, services)
    except Exception as exc:  # the store failed, or a bug: one line per kind; the next run tries again
        faults_of(services.extras, log, "forward run").failed(
            fault_kind(exc), f"failed ({fault_kind(exc)})", exc=exc, level=logging.ERROR,
            next_try=min(FORWARD_INTERVAL, services.settings.poll_interval))
    else:
        faults_of(services.extras, log, "forward run").recovered()


def request_forward(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Run the forward job now (after a poll stored something), not at its next tick."""
    if app.job_queue is not None and app.running:
        app.job_queue.run_once(forward_job, 0, name="forward-now")
