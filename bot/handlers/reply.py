"""Flow 4, replies: what the team writes in a phone's topic goes back to that phone by SMS.

Routing is on `is_topic_message` + `message_thread_id`, never on
`reply_to_message` alone: in a forum every topic message "replies" to the
topic's creation message. Where the inbox has no topics, a Telegram reply to a
forwarded SMS (a message linked to its phone) is the reply. Commands are left
to their CommandHandlers, wherever they are written.

The SMS goes out through the same path as /sms (validation, confirm threshold,
journal, status message), posted in the topic; like /sms, a message is claimed
in the store before it is sent, so an update that Telegram hands out again after
a crash never texts the phone twice.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot.errors import BotError
from bot.handlers.common import Context, answer, explain, svc, translator
from bot.handlers.sms import is_topic_root, send_or_confirm
from bot.i18n import Html
from bot.runtime import Services
from sms_core.errors import InputError

log = logging.getLogger(__name__)


async def phone_of(services: Services, msg: Message) -> str | None:
    """The phone a message in the inbox chat answers, or None when it answers no phone."""
    store = services.store
    if msg.is_topic_message and msg.message_thread_id is not None:
        phone = await store.phone_for_thread(msg.chat_id, msg.message_thread_id)
        if phone is not None:
            return phone
    reply = msg.reply_to_message
    if reply is not None and not is_topic_root(msg):
        return await store.phone_for_message(msg.chat_id, reply.message_id)
    return None


async def on_inbox_message(update: Update, context: Context) -> None:
    msg = update.effective_message
    if msg is None or update.effective_user is None:
        return
    services = svc(context)
    phone = await phone_of(services, msg)
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
        prepared = services.sending.prepare_numbers([phone], msg.text)
    except (InputError, BotError) as exc:
        await answer(update, tr("reply_failed", reason=Html(explain(exc, tr))))
        return
    # send_or_confirm claims the message first: a redelivered update never texts twice
    await send_or_confirm(update, context, prepared, origin_kind="reply")


async def _say_where_inbound_goes(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    inbox = services.settings.inbox_chat_id
    if inbox is None:
        log.warning("SMSBOT_INBOX_CHAT_ID is not set: inbound SMS are kept in the store (and logged) "
                    "and forwarded once it is set")
    else:
        log.info("inbound SMS go to the inbox chat %d, one topic per phone where it is a forum", inbox)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Replies in the inbox chat; the poll and forward jobs are scheduled by bot.jobs.schedule_jobs."""
    inbox = app.bot_data["settings"].inbox_chat_id
    app.bot_data.setdefault("post_init_hooks", []).append(_say_where_inbound_goes)
    app.bot_data.setdefault("inbound_hooks", [])
    if inbox is None:
        return
    # a group of its own: no other module's message handler can shadow it, nor it them
    app.add_handler(MessageHandler(
        filters.Chat(inbox) & filters.UpdateType.MESSAGE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
        on_inbox_message), group=1)
