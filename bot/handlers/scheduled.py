"""/scheduled and its Cancel buttons; holding a scheduled /sms (bot/scheduled.py says why smsbot
holds it instead of giving it to the gateway's send_time)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.common import Context, answer, svc, translator, user_label
from bot.i18n import Translator
from bot.scheduled import CancelOutcome, scheduled_of
from bot.scheduled_text import LIST_LIMIT, held_cancelled, held_status, listing
from bot.sending import Origin, PreparedSend
from bot.services import Services

log = logging.getLogger(__name__)
_CB_PREFIX = "sched:"


async def hold_and_report(services: Services, context: Context, prepared: PreparedSend, origin: Origin,
                          tr: Translator, *, reply_to: Message | None = None,
                          edit: tuple[int, int] | None = None) -> None:
    """Hold a scheduled send, then answer with its status message (a reply, or an edit of the
    confirm question), which says it is not sent yet and later shows the send's status."""
    scheduled = scheduled_of(services)
    held = await scheduled.hold(prepared, origin)
    text = held_status(held, tr)
    try:
        if edit is not None:
            chat_id, message_id = edit
            await context.bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML)
            thread_id = origin.status_thread_id
        else:
            assert reply_to is not None
            sent = await reply_to.reply_text(text, parse_mode=ParseMode.HTML, do_quote=False)
            chat_id, message_id, thread_id = sent.chat_id, sent.message_id, sent.message_thread_id
    except TelegramError as exc:
        # held all the same: /scheduled lists it, and its status is posted when it is sent
        log.warning("could not show that send #%d is held (%s)", held.id, exc)
        return
    await scheduled.attach_status(held.id, chat_id, message_id, thread_id)


async def _listing(services: Services, tr: Translator, chat_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    helds = await scheduled_of(services).waiting(chat_id, limit=LIST_LIMIT + 50)
    shown = helds[:LIST_LIMIT]
    names = {c.phone: c.name for c in await services.store.contacts.all()}
    text = listing(shown, names, tr, more=len(helds) - len(shown))
    if not shown:
        return text, None
    buttons = [[InlineKeyboardButton(tr("scheduled_cancel_button", id=h.id), callback_data=f"{_CB_PREFIX}x:{h.id}")]
               for h in shown]
    return text, InlineKeyboardMarkup(buttons)


async def scheduled_command(update: Update, context: Context) -> None:
    """List the sends held for this chat, each with a Cancel button."""
    services, tr = svc(context), translator(update, context)
    chat = update.effective_chat
    if chat is None:
        return
    text, markup = await _listing(services, tr, chat.id)
    await answer(update, text, reply_markup=markup)


async def cancel_callback(update: Update, context: Context) -> None:
    """A Cancel button of /scheduled: the asker or an admin cancels; anyone else is told why not."""
    services, tr = svc(context), translator(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.removeprefix(f"{_CB_PREFIX}x:")
    if not raw.isdigit():
        await _answer_button(query, tr("scheduled_not_waiting", id=raw), show_alert=True)
        return
    held_id, user = int(raw), query.from_user
    result = await scheduled_of(services).cancel(held_id, user.id, user_label(update),
                                                admin=services.access.is_admin(user.id))
    if result.outcome is CancelOutcome.NOT_YOURS:
        chat_id = query.message.chat.id if query.message is not None else None
        await services.store.audit_log.record("scheduled_cancel_refused", chat_id, user.id, f"#{held_id}")
        await _answer_button(query, tr("scheduled_not_yours"), show_alert=True)
        return
    if result.outcome is not CancelOutcome.CANCELLED:
        await _answer_button(query, tr(f"scheduled_{result.outcome.value}", id=held_id), show_alert=True)
    else:
        await services.store.audit_log.record("scheduled_cancelled", result.held.chat_id if result.held else None,
                                              user.id, f"#{held_id}")
        await _answer_button(query, tr("scheduled_cancelled", id=held_id))
    await _refresh(services, tr, query)
    held = result.held
    if result.outcome is CancelOutcome.CANCELLED and held is not None and held.status_message_id is not None \
            and held.status_chat_id is not None:
        try:
            await context.bot.edit_message_text(held_cancelled(held, Translator(held.lang)), held.status_chat_id,
                                                held.status_message_id, parse_mode=ParseMode.HTML)
        except TelegramError as exc:  # cancelled all the same; its old status message is out of date
            log.warning("could not mark the status of held send #%d cancelled: %s", held_id, exc)


async def _refresh(services: Services, tr: Translator, query: CallbackQuery) -> None:
    """The /scheduled answer lists what is still waiting, with the buttons left."""
    message = query.message
    if not isinstance(message, Message):
        return
    text, markup = await _listing(services, tr, message.chat.id)
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except TelegramError as exc:  # "not modified" when another click already refreshed it
        log.info("could not refresh the /scheduled list: %s", exc)


async def _answer_button(query: CallbackQuery, text: str, *, show_alert: bool = False) -> None:
    try:
        await query.answer(text, show_alert=show_alert)
    except TelegramError as exc:  # too old: what the click did stands
        log.info("could not answer the button of %s: %s", query.from_user.id, exc)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("scheduled", scheduled_command))
    app.add_handler(CallbackQueryHandler(cancel_callback, pattern=f"^{_CB_PREFIX}"))
