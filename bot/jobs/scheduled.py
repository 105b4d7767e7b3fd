"""The release job: every second, held sends whose time has come go to the gateway
(bot/scheduled.py), their status messages are updated, and askers of missed ones are told."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.faults import fault_kind, faults_of
from bot.i18n import Translator
from bot.scheduled import RELEASE_INTERVAL, ScheduledSends, scheduled_of
from bot.scheduled_text import held_missed, missed_notice
from bot.services import Services
from bot.status import render_status
from bot.store import HeldSend, SendRecord
from bot.telegram.calls import TelegramDelay, call_telegram

log = logging.getLogger(__name__)
__all__ = ["RELEASE_INTERVAL", "release_job"]

TELEGRAM_TIMEOUT = 10.0
"""Seconds one Telegram call of this job may take: an outage delays the next release by no more."""


async def release_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue callback: one release run. Cheap when nothing is due: one indexed query."""
    app = context.application
    services: Services | None = app.bot_data.get("services")
    if services is None:
        return
    faults = faults_of(services.extras, log, "scheduled release")
    try:
        service = scheduled_of(services)
        done = await service.release_due()
        try:
            for held, record in done.released:
                await _show_released(app.bot, services, held, record)
            await _tell_missed(app.bot, service)
        except TelegramDelay as exc:  # Telegram later: the forward job edits statuses, the next run tells
            log.info("release job: %s", exc.reason)
    except Exception as exc:  # the store failed, or a bug: one line per kind; the next run tries again
        faults.failed(fault_kind(exc), f"failed ({fault_kind(exc)})", exc=exc, level=logging.ERROR,
                      next_try=RELEASE_INTERVAL)
    else:
        faults.recovered()


async def _show_released(bot: Bot, services: Services, held: HeldSend, record: SendRecord) -> None:
    """The held status message now shows the send's status, at once (else the forward job does)."""
    if held.status_chat_id is None or held.status_message_id is None or record.status_message_id is None:
        return  # no held message: the status is owed, and the forward job posts it
    chat_id, message_id = held.status_chat_id, held.status_message_id
    text = render_status(record, Translator(record.lang))
    try:
        await call_telegram(lambda: bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML),
                            TELEGRAM_TIMEOUT)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("status of send %d (held #%d) cannot be shown: %s", record.id, held.id, exc)
            return
    await services.store.sends.mark_status_shown(record.id, record.status_version)


async def _tell_missed(bot: Bot, service: ScheduledSends) -> None:
    """Tell each asker whose send was missed, by name, in the chat where it was asked; its held
    status message says so too. Told once Telegram took the notice (or refused it for good)."""
    for held in await service.untold():
        await _tell_one(bot, service, held)


async def _tell_one(bot: Bot, service: ScheduledSends, held: HeldSend) -> None:
    tr = Translator(held.lang)
    chat_id = held.status_chat_id or held.chat_id
    notice = missed_notice(held, tr, service.grace)
    try:
        await call_telegram(lambda: bot.send_message(chat_id, notice, parse_mode=ParseMode.HTML,
                                                     message_thread_id=held.status_thread_id), TELEGRAM_TIMEOUT)
    except BadRequest as exc:  # the chat or topic is gone: nothing later would do better
        log.warning("could not tell the asker of missed send #%d: %s", held.id, exc)
    await service.told(held.id)
    if held.status_message_id is None:
        return
    message_id, text = held.status_message_id, held_missed(held, tr, service.grace)
    try:
        await call_telegram(lambda: bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML),
                            TELEGRAM_TIMEOUT)
    except BadRequest as exc:
        log.info("could not mark the status of missed send #%d: %s", held.id, exc)
