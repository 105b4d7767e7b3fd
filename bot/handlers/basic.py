"""/start, /help, /id, the access guard and the error handler."""

from __future__ import annotations

import html
import logging
import re

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers.common import Context, answer, translator
from bot.inbox.replies import answered_phone
from bot.runtime import runtime_of
from config import Settings

log = logging.getLogger(__name__)


async def show_id(update: Update, context: Context) -> None:
    """Answers any chat, so an operator can fill in SMSBOT_ALLOWED_CHAT_IDS and ADMIN_USER_IDS."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    tr = translator(update, context)
    await answer(update, tr("id", chat_id=chat.id, user_id=user.id if user else "?"))
    raise ApplicationHandlerStop


async def guard(update: Update, context: Context) -> None:
    """Stops every update from outside the allowed chats before any handler sees it."""
    runtime = runtime_of(context)
    chat, user = update.effective_chat, update.effective_user
    chat_id = chat.id if chat else None
    user_id = user.id if user else None
    if runtime.access.allows(chat_id, chat.type if chat else None, user_id):
        return
    msg = update.effective_message
    what = (msg.text or "")[:64] if msg and msg.text else type(update).__name__
    for row in runtime.access.strangers.rows(chat_id, user_id, what if what.startswith("/") else "(message)"):
        await runtime.store.audit_log.record("stranger", row.chat_id, row.user_id, row.detail)
    if update.callback_query is not None:
        await update.callback_query.answer()
    elif chat is not None and chat.type == "private" and msg is not None:
        if runtime.access.private_refusals.due(user_id):  # one neutral line, not one per message
            await answer(update, translator(update, context)("private_bot"))
    raise ApplicationHandlerStop


async def show_help(update: Update, context: Context) -> None:
    await answer(update, translator(update, context)("help"))


async def on_error(update: object, context: Context) -> None:
    """Log (the log filter masks secrets) and tell the user in one line; never let it stop the bot."""
    err = context.error
    where = f"job {context.job.name}" if context.job else "update"
    log.error("error in %s: %s: %s", where, type(err).__name__, err, exc_info=err)
    if isinstance(update, Update) and update.effective_chat is not None:
        runtime = runtime_of(context)
        chat, user = update.effective_chat, update.effective_user
        if not runtime.access.allows(chat.id, chat.type, user.id if user else None):
            return
        try:
            await answer(update, translator(update, context)("error"))
        except Exception as exc:  # the answer itself failed (Telegram down): logged, not raised
            log.warning("could not tell the user about an error: %s", html.escape(str(exc)))


async def on_edit(update: Update, context: Context) -> None:
    """An edited message is never acted on again: an edited /balance was answered twice, and an
    edited /sms (one refused at first, say) sent an SMS. Where the writer may think the edit
    went out (a /sms, a reply in a phone's topic), they are told it did not."""
    msg = update.edited_message
    if msg is not None and msg.text is not None:
        tr = translator(update, context)
        if _SMS_COMMAND.match(msg.text):
            await answer(update, tr("edit_not_sent"))
        elif msg.chat_id == runtime_of(context).settings.inbox_chat_id and await answered_phone(
                runtime_of(context).store, msg):
            await answer(update, tr("edit_not_sent_reply"))
    raise ApplicationHandlerStop


_SMS_COMMAND = re.compile(r"^/sms(?:@\w+)?(?:\s|$)", re.IGNORECASE)


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    new_only = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("id", show_id, filters=new_only), group=-2)
    app.add_handler(TypeHandler(Update, guard), group=-1)
    # first in group 0, before any command: an edit stops here (ApplicationHandlerStop)
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit))
    app.add_handler(CommandHandler(["start", "help"], show_help))
    app.add_error_handler(on_error)
