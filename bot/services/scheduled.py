"""Scheduled sends: held by smsbot, handed to the gateway when their time comes.

The gateway takes a scheduled send (`send_time`) and offers no way to cancel it. So a
`/sms at ...` is not given to the gateway at once: it is committed to the store
(`store.scheduled`) and the release job (bot/jobs/scheduled.py, every second) hands it to the
gateway through `SendService.execute`, like any send, journal and status message included, once
its time has come. It goes at its time, not a little before with `send_time`: a cancel is then
honoured up to the last second, and nothing depends on the gateway's clock or scheduler. The
cost is the job's tick: an SMS leaves within about a second after its time.

A held send is in the store, so it survives a restart. One whose time passed while the bot was
down is sent when the bot is back if it is at most `GRACE` late (15 minutes: a restart, a
deploy); later than that it is marked missed and never sent, and its asker is told: a text
meant for 09:00 may be wrong at noon, so sending it then is a person's decision.

Only the asker or an admin may cancel. Each step is one conditional update in the store
(held -> releasing -> released, held -> cancelled, held -> missed), so a cancelled send is
never sent, and a send already taken for sending cannot be cancelled any more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.faults import FaultLog
from bot.i18n import Translator
from bot.services.scheduled_text import held_missed, held_status, missed_notice
from bot.services.send_details import status_markup
from bot.services.sending import Origin, PreparedSend, SendService
from bot.services.status_messages import Show
from bot.services.status_text import render_status
from bot.store import HeldSend, SendRecord, Store
from bot.telegram.calls import TelegramDelay, call_telegram

log = logging.getLogger(__name__)
job_log = logging.getLogger("bot.jobs.scheduled")  # the release job's lines, under its name

GRACE = 15 * 60.0
"""Seconds a held send may be late (the bot was down at its time) and still be sent."""

NO_BUTTONS = InlineKeyboardMarkup([])
"""A held send's status message has no Details button yet (there is no send to detail): an empty
keyboard, which also takes the confirm question's buttons away when it is edited into it."""

TELEGRAM_TIMEOUT = 10.0
"""Seconds one Telegram call of a release run may take: an outage delays the next release by no more."""


class CancelOutcome(StrEnum):
    CANCELLED = "cancelled"
    NOT_YOURS = "not_yours"  # neither the asker nor an admin
    ALREADY_SENT = "already_sent"  # being sent or sent
    ALREADY_CANCELLED = "already_cancelled"
    NOT_WAITING = "not_waiting"  # missed, or no such send


@dataclass(frozen=True, slots=True)
class CancelResult:
    outcome: CancelOutcome
    held: HeldSend | None = None  # as it is now


@dataclass(frozen=True, slots=True)
class ReleaseRound:
    """What one run of the release job did."""

    released: tuple[tuple[HeldSend, SendRecord], ...] = ()
    missed: tuple[HeldSend, ...] = ()


class ScheduledSends:
    """Holds, lists, cancels and releases scheduled sends.

    `clock` gives the time (epoch seconds) the release compares with each send's time; tests
    give their own (runtime.Parts.scheduled_clock) to make the hour come. `runs` counts finished
    release runs; `run_faults` says the release job's failures once."""

    def __init__(self, store: Store, sending: SendService, *, clock: Callable[[], float] = time.time,
                 grace: float = GRACE) -> None:
        self.store = store
        self.sending = sending
        self.clock = clock
        self.grace = grace
        self.runs = 0
        self.recovered = False
        self.run_faults = FaultLog(job_log, "scheduled release")

    # -- holding, listing, cancelling -------------------------------------------------------

    async def hold(self, prepared: PreparedSend, origin: Origin) -> HeldSend:
        """Commit a prepared send with a time (`prepared.at`) to be sent then."""
        assert prepared.at is not None, "only a scheduled send is held"
        assert origin.chat_id is not None and origin.user_id is not None
        held_id = await self.store.scheduled.hold(
            due_at=prepared.at.timestamp(), origin=origin.kind, chat_id=origin.chat_id, user_id=origin.user_id,
            user_name=origin.user_name, lang=origin.lang, numbers=prepared.numbers, text=prepared.text,
            segments=prepared.segments, status_chat_id=origin.status_chat_id,
            status_thread_id=origin.status_topic_id)
        held = await self.store.scheduled.get(held_id)
        assert held is not None
        log.info("send held for %s: #%d, %d numbers", prepared.at.isoformat(), held_id, len(prepared.numbers))
        return held

    async def hold_and_show(self, prepared: PreparedSend, origin: Origin, tr: Translator, show: Show) -> HeldSend:
        """Hold a scheduled send, then show its status message with `show` (a reply, or an edit
        of the confirm question): not sent yet; once released it shows the send's status."""
        held = await self.hold(prepared, origin)
        try:
            shown = await show(held_status(held, tr), NO_BUTTONS)
        except TelegramError as exc:
            # held all the same: /scheduled lists it, and its status is posted when it is sent
            log.warning("could not show that send #%d is held (%s)", held.id, exc)
            return held
        await self.attach_status(held.id, shown.chat_id, shown.message_id, shown.topic_id)
        return held

    async def attach_status(self, held_id: int, chat_id: int, message_id: int, topic_id: int | None) -> None:
        """The message that says the send is scheduled; when released it shows the send's status."""
        await self.store.scheduled.set_status_message(held_id, chat_id, message_id, topic_id)

    async def waiting(self, chat_id: int, limit: int = 20) -> list[HeldSend]:
        """The sends held for this chat, soonest first."""
        return await self.store.scheduled.waiting(chat_id, limit)

    async def cancel(self, held_id: int, user_id: int, user_name: str | None, *, admin: bool,
                     chat_id: int | None = None) -> CancelResult:
        """Cancel a held send for its asker or an admin; anyone else is refused (and audited)."""
        held = await self.store.scheduled.get(held_id)
        if held is None:
            return CancelResult(CancelOutcome.NOT_WAITING)
        if user_id != held.user_id and not admin:
            await self.store.audit_log.record("scheduled_cancel_refused", chat_id, user_id, f"#{held_id}")
            return CancelResult(CancelOutcome.NOT_YOURS, held)
        if await self.store.scheduled.cancel(held_id, user_id, user_name, self.clock()):
            log.info("held send #%d cancelled by %s", held_id, user_id)
            await self.store.audit_log.record("scheduled_cancelled", held.chat_id, user_id, f"#{held_id}")
            return CancelResult(CancelOutcome.CANCELLED, await self.store.scheduled.get(held_id))
        now = await self.store.scheduled.get(held_id)
        state = now.state if now is not None else "missed"
        outcome = {"releasing": CancelOutcome.ALREADY_SENT, "released": CancelOutcome.ALREADY_SENT,
                   "cancelled": CancelOutcome.ALREADY_CANCELLED}.get(state, CancelOutcome.NOT_WAITING)
        return CancelResult(outcome, now)

    # -- the release job --------------------------------------------------------------------

    async def run(self, bot: Bot) -> ReleaseRound:
        """One run of the release job: send what is due, then show it in the held status
        messages and tell the askers of missed sends. Telegram failing delays only the showing
        (the forward job edits statuses, the next run tells); the store failing raises."""
        done = await self.release_due()
        try:
            for held, record in done.released:
                await self._show_released(bot, held, record)
            for held in await self.store.scheduled.untold():
                await self._tell_missed(bot, held)
        except TelegramDelay as exc:
            job_log.info("release run: %s", exc.reason)
        return done

    async def release_due(self) -> ReleaseRound:
        """Send what is due, mark missed what is too late.

        The first run of a process first recovers the sends a stop left half released."""
        try:
            if not self.recovered:
                again, released = await self.store.scheduled.recover()
                if again or released:
                    log.warning("held sends interrupted by the last stop: %s held again (never journaled, "
                                "never sent), %s released (their journal tells the outcome)", again, released)
                self.recovered = True
            now = self.clock()
            sent: list[tuple[HeldSend, SendRecord]] = []
            missed: list[HeldSend] = []
            for held in await self.store.scheduled.due(now):
                if now - held.due_at > self.grace:
                    if await self.store.scheduled.miss(held.id, now):
                        log.warning("held send #%d missed: due %.0f s ago, more than the %.0f s allowed",
                                    held.id, now - held.due_at, self.grace)
                        missed.append(held)
                    continue
                record = await self._release(held)
                if record is not None:
                    sent.append((held, record))
            return ReleaseRound(tuple(sent), tuple(missed))
        finally:
            self.runs += 1

    async def _release(self, held: HeldSend) -> SendRecord | None:
        if not await self.store.scheduled.claim(held.id):
            return None  # cancelled in the meantime
        linked = held.status_message_id is not None and held.status_chat_id is not None
        # No `at`: its time has come, the gateway sends it now. The held status message becomes
        # the send's status (linked right after the journal); without one, the status is owed
        # and the forward job posts it.
        prepared = PreparedSend(held.numbers, held.text, held.segments)
        origin = Origin(held.origin, held.chat_id, held.user_id, held.user_name, lang=held.lang,
                        status_chat_id=None if linked else held.status_chat_id,
                        status_topic_id=held.status_thread_id)

        async def journaled(send_id: int) -> None:
            await self.store.scheduled.link_send(held.id, send_id)
            if linked:
                assert held.status_chat_id is not None and held.status_message_id is not None
                await self.store.sends.set_status_message(send_id, held.status_chat_id, held.status_message_id,
                                                          held.status_thread_id)

        record = await self.sending.execute(prepared, origin, on_journaled=journaled)
        await self.store.scheduled.mark_released(held.id)
        log.info("held send #%d released as send %d (%s)", held.id, record.id, record.state)
        return record

    async def _show_released(self, bot: Bot, held: HeldSend, record: SendRecord) -> None:
        """The held status message now shows the send's status and its Details button, at once
        (else the forward job does)."""
        if held.status_chat_id is None or held.status_message_id is None or record.status_message_id is None:
            return  # no held message: the status is owed, and the forward job posts it
        chat_id, message_id = held.status_chat_id, held.status_message_id
        tr = Translator(record.lang)
        text, markup = render_status(record, tr), status_markup(record.id, tr)
        try:
            await call_telegram(lambda: bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML,
                                                              reply_markup=markup), TELEGRAM_TIMEOUT)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                job_log.warning("status of send %d (held #%d) cannot be shown: %s", record.id, held.id, exc)
                return
        await self.store.sends.mark_status_shown(record.id, record.status_version)

    async def _tell_missed(self, bot: Bot, held: HeldSend) -> None:
        """Tell the asker of a missed send, by name, in the chat where it was asked; its held
        status message says so too. Told once Telegram took the notice (or refused it for good)."""
        tr = Translator(held.lang)
        chat_id = held.status_chat_id or held.chat_id
        notice = missed_notice(held, tr, self.grace)
        try:
            await call_telegram(lambda: bot.send_message(chat_id, notice, parse_mode=ParseMode.HTML,
                                                         message_thread_id=held.status_thread_id),
                                TELEGRAM_TIMEOUT)
        except BadRequest as exc:  # the chat or topic is gone: nothing later would do better
            job_log.warning("could not tell the asker of missed send #%d: %s", held.id, exc)
        await self.store.scheduled.mark_told(held.id)
        if held.status_message_id is None:
            return
        message_id, text = held.status_message_id, held_missed(held, tr, self.grace)
        try:
            await call_telegram(lambda: bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML),
                                TELEGRAM_TIMEOUT)
        except BadRequest as exc:
            job_log.info("could not mark the status of missed send #%d: %s", held.id, exc)
