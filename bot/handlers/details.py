"""The Details button under a send's status message: each number of the send, as a new message
in the same chat and topic (the status message goes on showing the counts); Prev and Next
under that message show its other pages in place.

Only the allowed chats get here: the access guard (handlers/basic.py) answers every other
chat's button press with nothing.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler

from bot.errors import BotError
from bot.handlers.common import Context, explain, translator
from bot.runtime import runtime_of
from bot.services.send_details import CALLBACK_PREFIX, parse_callback, send_detail
from config import Settings

log = logging.getLogger(__name__)


async def details_callback(update: Update, context: Context) -> None:
    store, tr = runtime_of(context).store, translator(update, context)
    query = update.callback_query
    assert query is not None
    parsed = parse_callback(query.data or "")
    if parsed is None:
        await _answer(query)
        return
    send_id, page = parsed
    try:
        detail = await send_detail(store.sends, store.contacts, send_id, page or 1, tr)
    except BotError as exc:
        await _answer(query, explain(exc, tr), show_alert=True)
        return
    # Stop the spinner first: the message below may wait for the chat's share of Telegram's limit.
    await _answer(query)
    message = query.message
    try:
        if page is not None and isinstance(message, Message):
            await query.edit_message_text(detail.text, parse_mode=ParseMode.HTML, reply_markup=detail.markup(tr))
        elif isinstance(message, Message):
            await message.reply_text(detail.text, parse_mode=ParseMode.HTML, do_quote=False,
                                     disable_web_page_preview=True, reply_markup=detail.markup(tr))
        elif message is not None:  # too old for Telegram to show it to the bot: the chat will do
            await context.bot.send_message(message.chat.id, detail.text, parse_mode=ParseMode.HTML,
                                           reply_markup=detail.markup(tr))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # Next pressed twice: the page is shown already
            log.warning("could not show the numbers of send %d: %s", send_id, exc)
    except TelegramError as exc:
        log.warning("could not show the numbers of send %d: %s", send_id, exc)


async def _answer(query: CallbackQuery, text: str | None = None, *, show_alert: bool = False) -> None:
    """Telegram refuses an answer to a query older than ~15 s: logged, the press still acts."""
    try:
        await query.answer(text, show_alert=show_alert)
    except TelegramError as exc:
        log.info("could not answer the button of %s: %s", query.from_user.id, exc)


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(details_callback, pattern=f"^{CALLBACK_PREFIX}"))
