"""Flow 4, replies: what the team writes in a phone's topic goes back to that phone by SMS.

Which phone a message answers is bot/inbox/replies.py (its topic, or a Telegram
reply to a forwarded SMS where the inbox has no topics). Commands are left to
their CommandHandlers, wherever they are written.

The SMS goes out through the same path as /sms (validation, confirm threshold,
journal, status message), posted in the topic; like /sms, a message is claimed
in the store before it is sent, so an update that Telegram hands out again after
a crash never texts the phone twice.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.errors import BotError
from bot.handlers.common import Context, answer, explain, translator
from bot.handlers.outgoing import send_or_confirm
from bot.i18n import Html
from bot.inbox.replies import answered_phone
from bot.runtime import runtime_of
from config import Settings
from sms_core.errors import InputError

log = logging.getLogger(__name__)


async def on_inbox_message(update: Update, context: Context) -> None:
    msg = update.effective_message
    if msg is None or update.effective_user is None:
        return
    runtime = runtime_of(context)
    phone = await answered_phone(runtime.store, msg)
    if phone is None:
        return  # people talking among themselves, in General or in a topic of their own
    tr = translator(update, context)
    # every answer here counts against the inbox's budget: the rate limiter counts it (bot.telegram.ratelimit)
    if msg.text is None:
        if msg.effective_attachment is None:
            return  # a service message (topic renamed, closed, a pin): nobody wrote anything
        await answer(update, tr("only_text"))  # a sticker, photo, document, voice, ...
        return
    try:
        prepared = runtime.sending.prepare_numbers([phone], msg.text)
    except (InputError, BotError) as exc:
        await answer(update, tr("reply_failed", reason=Html(explain(exc, tr))))
        return
    # send_or_confirm claims the message first: a redelivered update never texts twice
    await send_or_confirm(update, context, prepared, origin_kind="reply")


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Replies in the inbox chat; the poll and forward jobs are scheduled by bot.jobs.schedule_jobs."""
    inbox = settings.inbox_chat_id
    if inbox is None:
        return
    # a group of its own: no other module's message handler can shadow it, nor it them
    app.add_handler(MessageHandler(
        filters.Chat(inbox) & filters.UpdateType.MESSAGE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
        on_inbox_message), group=1)
