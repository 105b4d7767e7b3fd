"""/sms: parse, resolve and validate (the send service), then send or ask (bot/handlers/outgoing.py);
and the confirm question's buttons."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.commands import CommandSyntaxError, SmsCommand, parse_sms
from bot.errors import BotError, Reason, UnknownContact, UnknownGroup
from bot.handlers.common import Context, answer, explain, translator
from bot.handlers.outgoing import CALLBACK_PREFIX, edit_into, send_or_confirm, send_or_hold
from bot.inbox.replies import is_topic_root, topic_of
from bot.runtime import runtime_of
from bot.services.confirmations import with_topic
from bot.store import Store
from config import Settings
from sms_core.errors import InputError, InvalidNumber

log = logging.getLogger(__name__)


async def sms_command(update: Update, context: Context) -> None:
    runtime = runtime_of(context)
    tr = translator(update, context)
    msg = update.effective_message
    if msg is None or msg.text is None:
        return
    args = msg.text.split(maxsplit=1)[1] if len(msg.text.split(maxsplit=1)) > 1 else ""
    command: SmsCommand | None = None
    try:
        contacts = await runtime.address_book.contact_names()
        command = parse_sms(args, lambda name: name.lower() in contacts)
        text = command.text
        if not text and msg.reply_to_message is not None and not is_topic_root(msg):
            text = await replied_text(runtime.store, msg.reply_to_message)
        if not text:
            raise CommandSyntaxError(Reason.SMS_NO_TEXT)
        prepared = await runtime.sending.prepare(command.targets, text, command.at)
    except (CommandSyntaxError, BotError, InputError) as exc:
        refusal = explain(exc, tr)
        culprit = _culprit(exc)
        if command is not None and culprit is not None and culprit in command.later:
            refusal += "\n" + tr("sms_text_on_new_line", name=culprit)
        await answer(update, refusal)
        return
    if prepared.stale:  # alerts skip these members too; the sender can fix the group
        await answer(update, tr("group_stale", members=", ".join(prepared.stale)))
    await send_or_confirm(update, context, prepared, origin_kind="command")


async def replied_text(store: Store, replied: Message) -> str:
    """What `/sms TARGETS` in reply to a message texts: a forwarded SMS's own text (the message
    shows it with a time, or a header), else the message's text or caption."""
    forwarded = await store.inbound.texts_of_message(replied.chat_id, replied.message_id)
    if forwarded:
        return "\n".join(forwarded)
    return replied.text or replied.caption or ""


def _culprit(exc: BaseException) -> str | None:
    """The target a refusal is about, as typed: a later word may have been meant as text."""
    if isinstance(exc, InvalidNumber):
        return exc.raw
    if isinstance(exc, UnknownContact):
        return str(exc.params["name"])
    if isinstance(exc, UnknownGroup):
        return f"@{exc.params['name']}"
    return None


async def confirm_callback(update: Update, context: Context) -> None:
    """Confirm or cancel a question. Answering the button (Telegram's spinner) never decides
    what happens: a click that Telegram calls too old still sends once the store says so."""
    runtime = runtime_of(context)
    tr = translator(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    action, _, token = query.data.removeprefix(CALLBACK_PREFIX).partition(":")
    result = await runtime.confirmations.answer(token, query.from_user.id, confirm=action == "ok")
    if result.verdict in ("gone", "not_yours"):
        await _answer_button(query, tr(f"confirm_{result.verdict}"), show_alert=True)
        return
    if result.verdict != "confirmed" or result.question is None:  # expired, cancelled
        if result.closed:
            await _edit_question(query, tr(f"confirm_{result.verdict}"))
        await _answer_button(query)
        return
    await _answer_button(query, tr("confirm_done"))
    message = query.message
    question = with_topic(result.question, topic_of(message if isinstance(message, Message) else None))
    origin = question.origin
    assert origin.chat_id is not None
    show = edit_into(context, origin.chat_id, result.message_id or 0, origin.status_topic_id)
    await send_or_hold(runtime, question.prepared, origin, tr, show)


async def _answer_button(query: CallbackQuery, text: str | None = None, *, show_alert: bool = False) -> None:
    """Stop the button's spinner. Telegram refuses this for a query older than ~15 s ("query is
    too old"), and may fail: that is logged, and what the click does goes on regardless."""
    try:
        await query.answer(text, show_alert=show_alert)
    except TelegramError as exc:
        log.info("could not answer the button of %s: %s", query.from_user.id, exc)


async def _edit_question(query: CallbackQuery, text: str) -> None:
    """The question says how it ended (cancelled, expired); a failure leaves its old text."""
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.warning("could not edit the confirm question: %s", exc)


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("sms", sms_command))
    app.add_handler(CallbackQueryHandler(confirm_callback, pattern=f"^{CALLBACK_PREFIX}"))

