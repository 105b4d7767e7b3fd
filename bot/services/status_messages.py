"""The status message of a send: owed from the moment the send is journaled, posted once,
edited as delivery reports arrive. Under each, the Details button
(bot/services/send_details.py): every post and edit carries it, since an edit without a
keyboard would remove it.

One owner for the whole protocol. The handler that asked for a send posts its status
(`send_and_show`); while it does, the send is "in hand" and the forward job leaves it
alone. If Telegram refuses or fails that answer, the status stays owed and the forward
job posts it (`post_owed`) once Telegram answers, so a sender never sees nothing and
sends again. The forward job then edits every status whose delivery counts moved
(`edit_changed`), at most every STATUS_EDIT_INTERVAL seconds, the last edit (all
reports in) at once. The text itself is bot/services/status_text.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.i18n import Translator
from bot.services.send_details import status_markup
from bot.services.sending import Origin, PreparedSend, SendService
from bot.services.status_text import render_status
from bot.store import SendRecord, Store
from bot.telegram.budget import BudgetBook
from bot.telegram.calls import RoundCalls
from bot.telegram.ratelimit import COUNTED

log = logging.getLogger(__name__)
job_log = logging.getLogger("bot.jobs.forward")  # the forward job's lines, under its name

STATUS_EDIT_INTERVAL = 5.0
"""Seconds between two edits of one status message (the last one, all reports in, is not held)."""
OWED_PER_RUN = 50
EDITS_PER_RUN = 200


@dataclass(frozen=True, slots=True)
class Shown:
    """Where a status message was posted (or the question it replaced)."""

    chat_id: int
    message_id: int
    topic_id: int | None


Show = Callable[[str, InlineKeyboardMarkup], Awaitable[Shown]]
"""Posts (or edits into place) a status message's HTML with its buttons; raises TelegramError
when it could not."""


class StatusMessages:
    def __init__(self, store: Store, sending: SendService) -> None:
        self.store = store
        self.sending = sending
        self.in_hand: set[int] = set()
        """Sends whose handler is posting their status message right now (see post_owed)."""

    # -- a handler's send -----------------------------------------------------------------

    async def send_and_show(self, prepared: PreparedSend, origin: Origin, tr: Translator,
                            show: Show) -> SendRecord:
        """Send, then show the status with `show` (a reply, or an edit of the confirm question).

        No "typing" action first: it would spend one of the group's 20 messages a minute.
        """
        journaled: list[int] = []

        async def hold(send_id: int) -> None:
            journaled.append(send_id)
            self.in_hand.add(send_id)

        try:
            record = await self.sending.execute(prepared, origin, on_journaled=hold)
            try:
                shown = await show(render_status(record, tr), status_markup(record.id, tr))
            except TelegramError as exc:
                # The SMS went out (or not) regardless; the status stays owed and the forward job posts it.
                log.warning("could not show the status of send %d (%s): the forward job posts it later",
                            record.id, exc)
                return record
            await self.store.sends.set_status_message(record.id, shown.chat_id, shown.message_id, shown.topic_id,
                                                shown_version=record.status_version)
            return record
        finally:
            self.in_hand.difference_update(journaled)

    # -- the forward job ------------------------------------------------------------------

    async def post_owed(self, bot: Bot, budgets: BudgetBook, call: RoundCalls) -> int:
        """Post the status messages that a /sms or a reply could not (Telegram failed at that
        moment, or the bot stopped); returns how many Telegram calls that took.

        A send whose handler is still answering is in `in_hand` and left to it. That set is
        checked before the send is read again: a handler leaves it only after its message is stored.
        """
        posted = 0
        for record in await self.store.sends.owed_statuses(limit=OWED_PER_RUN):
            if record.id in self.in_hand:
                continue
            fresh = await self.store.sends.get(record.id)
            if fresh is None or fresh.status_chat_id is None or fresh.status_message_id is not None:
                continue
            if not budgets.try_spend(fresh.status_chat_id):
                continue
            await self._post(bot, budgets, call, fresh, fresh.status_chat_id)
            posted += 1
        return posted

    async def _post(self, bot: Bot, budgets: BudgetBook, call: RoundCalls, record: SendRecord,
                    chat_id: int) -> None:
        tr = Translator(record.lang)
        text, markup = render_status(record, tr), status_markup(record.id, tr)
        topic_id = record.status_thread_id

        async def attempt() -> Message | Forbidden:
            try:
                return await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                              message_thread_id=topic_id, rate_limit_args=COUNTED)
            except Forbidden as exc:  # this chat only (kicked, blocked): not a reason to stop the run
                return exc

        while True:
            try:
                sent = await call(attempt)
            except BadRequest as exc:
                problem = str(exc).lower()
                if topic_id is not None and ("thread not found" in problem or "topic" in problem):
                    topic_id = None  # the topic is gone or closed: the chat itself will do
                    if budgets.try_spend(chat_id):
                        continue
                    return  # the next run, without the topic
                job_log.warning("status of send %d cannot be posted (%s); giving up on it", record.id, exc)
                await self.store.sends.forgo_status(record.id)
                return
            if isinstance(sent, Forbidden):
                job_log.warning("status of send %d cannot be posted (%s); giving up on it", record.id, sent)
                await self.store.sends.forgo_status(record.id)
                return
            job_log.info("status of send %d posted late (message %d)", record.id, sent.message_id)
            await self.store.sends.set_status_message(record.id, chat_id, sent.message_id, topic_id,
                                                shown_version=record.status_version)
            return

    async def edit_changed(self, bot: Bot, budgets: BudgetBook, call: RoundCalls) -> int:
        """Edit the status messages whose delivery counts moved; returns how many."""
        now = time.time()
        edits = 0
        for record in await self.store.sends.dirty_statuses(limit=EDITS_PER_RUN):
            chat_id, message_id = record.status_chat_id, record.status_message_id
            if chat_id is None or message_id is None:
                continue
            final = record.state != "pending" and record.waiting == 0
            recent = record.status_edited_at is not None and now - record.status_edited_at < STATUS_EDIT_INTERVAL
            if recent and not final:
                continue
            if not budgets.try_spend(chat_id):
                continue
            await self._edit(bot, call, record, chat_id, message_id)
            edits += 1
        return edits

    async def _edit(self, bot: Bot, call: RoundCalls, record: SendRecord, chat_id: int,
                    message_id: int) -> None:
        tr = Translator(record.lang)
        text, markup = render_status(record, tr), status_markup(record.id, tr)
        try:
            await call(lambda: bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML,
                                                     reply_markup=markup, rate_limit_args=COUNTED))
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                # the message was deleted, or cannot be edited: nothing later would do better
                job_log.warning("status of send %d cannot be shown (%s); giving up on it", record.id, exc)
        await self.store.sends.mark_status_shown(record.id, record.status_version)
