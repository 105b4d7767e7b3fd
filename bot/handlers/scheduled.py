"""/scheduled and its Cancel buttons (bot/services/scheduled.py says why smsbot holds a
scheduled send instead of giving it to the gateway's send_time)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.common import Context, answer, translator, user_label
from bot.i18n import Translator
from bot.runtime import Runtime, runtime_of
from bot.services.scheduled import CancelOutcome
from bot.services.scheduled_text import LIST_LIMIT, held_cancelled, listing
from config import Settings

log = logging.getLogger(__name__)
_CB_PREFIX = "sched:"


async def _listing(runtime: Runtime, tr: Translator, chat_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    helds = await runtime.scheduled.waiting(chat_id, limit=LIST_LIMIT + 50)
    shown = helds[:LIST_LIMIT]
    names = {c.phone: c.name for c in await runtime.address_book.contacts()}
    text = listing(shown, names, tr, more=len(helds) - len(shown))
    if not shown:
        return text, None
    buttons = [[InlineKeyboardButton(tr("scheduled_cancel_button", id=h.id), callback_data=f"{_CB_PREFIX}x:{h.id}")]
               for h in shown]
    return text, InlineKeyboardMarkup(buttons)


async def scheduled_command(update: Update, context: Context) -> None:
    """List the sends held for this chat, each with a Cancel button."""
    runtime, tr = runtime_of(context), translator(update, context)
    chat = update.effective_chat
    if chat is None:
        return
    text, markup = await _listing(runtime, tr, chat.id)
    await answer(update, text, reply_markup=markup)


async def cancel_callback(update: Update, context: Context) -> None:
    """A Cancel button of /scheduled: the asker or an admin cancels; anyone else is told why not."""
    runtime, tr = runtime_of(context), translator(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.removeprefix(f"{_CB_PREFIX}x:")
    if not raw.isdigit():
        await _answer_button(query, tr("scheduled_not_waiting", id=raw), show_alert=True)
        return
    held_id, user = int(raw), query.from_user
    chat_id = query.message.chat.id if query.message is not None else None
    result = await runtime.scheduled.cancel(held_id, user.id, user_label(update),
                                            admin=runtime.access.is_admin(user.id), chat_id=chat_id)
    if result.outcome is CancelOutcome.NOT_YOURS:
        await _answer_button(query, tr("scheduled_not_yours"), show_alert=True)
        return
    if result.outcome is not CancelOutcome.CANCELLED:
        await _answer_button(query, tr(f"scheduled_{result.outcome.value}", id=held_id), show_alert=True)
    else:
        await _answer_button(query, tr("scheduled_cancelled", id=held_id))
    await _refresh(runtime, tr, query)
    held = result.held
    if result.outcome is CancelOutcome.CANCELLED and held is not None and held.status_message_id is not None \
            and held.status_chat_id is not None:
        try:
            await context.bot.edit_message_text(held_cancelled(held, Translator(held.lang)), held.status_chat_id,
                                                held.status_message_id, parse_mode=ParseMode.HTML)
        except TelegramError as exc:  # cancelled all the same; its old status message is out of date
            log.warning("could not mark the status of held send #%d cancelled: %s", held_id, exc)


async def _refresh(runtime: Runtime, tr: Translator, query: CallbackQuery) -> None:
    """The /scheduled answer lists what is still waiting, with the buttons left."""
    message = query.message
    if not isinstance(message, Message):
        return
    text, markup = await _listing(runtime, tr, message.chat.id)
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except TelegramError as exc:  # "not modified" when another click already refreshed it
        log.info("could not refresh the /scheduled list: %s", exc)


async def _answer_button(query: CallbackQuery, text: str | None = None, *, show_alert: bool = False) -> None:
    try:
        await query.answer(text, show_alert=show_alert)
    except TelegramError as exc:  # too old: what the click did stands
        log.info("could not answer the button of %s: %s", query.from_user.id, exc)


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("scheduled", scheduled_command))
    app.add_handler(CallbackQueryHandler(cancel_callback, pattern=f"^{_CB_PREFIX}"))
