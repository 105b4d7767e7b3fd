"""/sms: resolve, validate, show the cost, ask above the threshold, send, answer with a live status."""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import datetime

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.commands import CommandSyntaxError, SmsCommand, parse_sms
from bot.errors import BotError, UnknownContact, UnknownGroup
from bot.handlers.common import Context, answer, explain, svc, translator, user_label
from bot.handlers.scheduled import hold_and_report
from bot.i18n import Html, Translator
from bot.jobs.forward import forwarder_of
from bot.sending import Origin, PreparedSend
from bot.services import Services
from bot.status import cost_line, gateway_reason, render_status, scheduled_when
from bot.store import SendRecord
from sms_core.errors import GatewayError, InputError, InvalidNumber

log = logging.getLogger(__name__)
CONFIRM_TTL = 600.0
_CB_PREFIX = "sms:"


async def sms_command(update: Update, context: Context) -> None:
    services = svc(context)
    tr = translator(update, context)
    msg = update.effective_message
    if msg is None or msg.text is None:
        return
    args = msg.text.split(maxsplit=1)[1] if len(msg.text.split(maxsplit=1)) > 1 else ""
    command: SmsCommand | None = None
    try:
        contacts = {c.name.lower() for c in await services.store.list_contacts()}
        command = parse_sms(args, lambda name: name.lower() in contacts)
        text = command.text
        if not text and msg.reply_to_message is not None and not is_topic_root(msg):
            text = await replied_text(services, msg.reply_to_message)
        if not text:
            raise CommandSyntaxError("sms_no_text")
        prepared = await services.sending.prepare(command.targets, text, command.at)
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


async def replied_text(services: Services, replied: Message) -> str:
    """What `/sms TARGETS` in reply to a message texts: a forwarded SMS's own text (the message
    shows it with a time, or a header), else the message's text or caption."""
    forwarded = await services.store.texts_of_message(replied.chat_id, replied.message_id)
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


def is_topic_root(msg: Message) -> bool:
    """In a forum topic every message 'replies' to the topic's first message: that is no reply."""
    reply = msg.reply_to_message
    return bool(msg.is_topic_message and reply is not None and reply.forum_topic_created is not None)


async def send_or_confirm(update: Update, context: Context, prepared: PreparedSend, *, origin_kind: str) -> None:
    services = svc(context)
    tr = translator(update, context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    msg = update.effective_message
    if msg is not None and not await services.store.claim_message(chat.id, msg.message_id):
        log.warning("message %s in chat %s was already acted on (redelivered update): not sent again",
                    msg.message_id, chat.id)
        return
    if prepared.cost > services.settings.confirm_threshold:
        balance, enough = await _balance_line(services, prepared, tr)
        if not enough:
            await answer(update, balance)
            return
        token = secrets.token_urlsafe(9)
        payload = json.dumps({
            "numbers": prepared.numbers, "text": prepared.text, "segments": prepared.segments,
            "at": prepared.at.isoformat() if prepared.at else None, "origin": origin_kind,
            "lang": tr.lang, "user_name": user_label(update),
        })
        await services.store.add_confirmation(token, chat.id, user.id, payload)
        cost = cost_line(tr, len(prepared.numbers), prepared.segments)
        if prepared.at is not None:  # the sender confirms the time too
            cost = Html(cost + tr("status_scheduled_part", when=scheduled_when(prepared.at)))
        question = await answer(
            update,
            tr("confirm_question", n=len(prepared.numbers), cost=Html(f"{cost}\n{balance}"), text=prepared.text),
            reply_markup=InlineKeyboardMarkup([[
                InlineKeyboardButton(tr("confirm_button"), callback_data=f"{_CB_PREFIX}ok:{token}"),
                InlineKeyboardButton(tr("cancel_button"), callback_data=f"{_CB_PREFIX}no:{token}"),
            ]]),
        )
        if question is not None:
            await services.store.set_confirmation_message(token, question.message_id)
        return
    origin = Origin(origin_kind, chat.id, user.id, user_label(update), lang=tr.lang,
                    status_chat_id=chat.id, status_thread_id=topic_of(msg))
    if prepared.at is not None:  # held by smsbot until its time (bot/scheduled.py)
        await hold_and_report(services, context, prepared, origin, tr, reply_to=update.effective_message)
        return
    await execute_and_report(services, context, prepared, origin, tr, reply_to=update.effective_message)


async def _balance_line(services: Services, prepared: PreparedSend, tr: Translator) -> tuple[str, bool]:
    """The confirm question's balance line, and False (with the refusal instead) when the send
    costs more than the balance: asking would only lead to the gateway's -9. The gateway stays
    the final word: when the balance cannot be read the question says so and still asks, and a
    scheduled send is asked (the balance may be topped up before its time), with a warning."""
    try:
        balance = await services.gateway.balance()
    except GatewayError as exc:
        return tr("confirm_balance_failed", error=gateway_reason(type(exc).__name__, None, str(exc), tr)), True
    if prepared.cost <= balance:
        return tr("confirm_balance", balance=balance), True
    if prepared.at is not None:
        return tr("confirm_balance_low", balance=balance, when=scheduled_when(prepared.at)), True
    return tr("sms_over_balance", cost=prepared.cost, balance=balance), False


def topic_of(msg: Message | None) -> int | None:
    """The forum topic a message is in (None in General, or where the chat has no topics)."""
    return msg.message_thread_id if msg is not None and msg.is_topic_message else None


async def execute_and_report(services: Services, context: Context, prepared: PreparedSend, origin: Origin,
                             tr: Translator, *, reply_to: Message | None = None,
                             edit: tuple[int, int] | None = None) -> None:
    """Send, then show the status message (a new reply, or an edit of the confirm question).

    The status is owed from the moment the send is journaled (Origin.status_chat_id): while this
    handler answers, the send is in the forward job's `statuses_in_hand`; if Telegram refuses or
    fails the answer, the forward job posts a new status message once Telegram answers.
    No "typing" action first: it would spend one of the group's 20 messages a minute.
    """
    in_hand = forwarder_of(services).statuses_in_hand
    journaled: list[int] = []

    async def hold(send_id: int) -> None:
        journaled.append(send_id)
        in_hand.add(send_id)

    try:
        record = await services.sending.execute(prepared, origin, on_journaled=hold)
        await _show_status(services, context, record, tr, reply_to=reply_to, edit=edit,
                           thread_id=origin.status_thread_id)
    finally:
        in_hand.difference_update(journaled)


async def _show_status(services: Services, context: Context, record: SendRecord, tr: Translator, *,
                       reply_to: Message | None, edit: tuple[int, int] | None, thread_id: int | None) -> None:
    text = render_status(record, tr)
    try:
        if edit is not None:
            chat_id, message_id = edit
            await context.bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML)
            sent_chat, sent_id, sent_thread = chat_id, message_id, thread_id
        else:
            assert reply_to is not None
            sent = await reply_to.reply_text(text, parse_mode=ParseMode.HTML, do_quote=False)
            sent_chat, sent_id, sent_thread = sent.chat_id, sent.message_id, sent.message_thread_id
    except TelegramError as exc:
        # The SMS went out (or not) regardless; the status stays owed and the forward job posts it.
        log.warning("could not show the status of send %d (%s): the forward job posts it later",
                    record.id, exc)
        return
    await services.store.set_status_message(record.id, sent_chat, sent_id, sent_thread,
                                            shown_version=record.status_version)


async def confirm_callback(update: Update, context: Context) -> None:
    """Confirm or cancel a question. Answering the button (Telegram's spinner) never decides
    what happens: a click that Telegram calls too old still sends once the store says so."""
    services = svc(context)
    tr = translator(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    action, _, token = query.data.removeprefix(_CB_PREFIX).partition(":")
    conf = await services.store.get_confirmation(token)
    if conf is None or conf.state != "open":
        await _answer_button(query, tr("confirm_gone"), show_alert=True)
        return
    if query.from_user.id != conf.user_id:
        await services.store.audit("confirm_refused", conf.chat_id, query.from_user.id, token)
        await _answer_button(query, tr("confirm_not_yours"), show_alert=True)
        return
    if time.time() - conf.created_at > CONFIRM_TTL:
        if await services.store.close_confirmation(token, "expired"):
            await _edit_question(query, tr("confirm_expired"))
        await _answer_button(query)
        return
    if action != "ok":
        if await services.store.close_confirmation(token, "cancelled"):
            await _edit_question(query, tr("confirm_cancelled"))
        await _answer_button(query)
        return
    if not await services.store.close_confirmation(token, "confirmed"):
        await _answer_button(query, tr("confirm_gone"), show_alert=True)
        return
    await _answer_button(query, tr("confirm_done"))
    data = json.loads(conf.payload)
    prepared = PreparedSend(tuple(data["numbers"]), data["text"], data["segments"],
                            datetime.fromisoformat(data["at"]) if data["at"] else None)
    message = query.message
    origin = Origin(data.get("origin", "command"), conf.chat_id, conf.user_id, data.get("user_name"),
                    lang=data.get("lang", tr.lang), status_chat_id=conf.chat_id,
                    status_thread_id=topic_of(message if isinstance(message, Message) else None))
    if prepared.at is not None:
        await hold_and_report(services, context, prepared, origin, tr, edit=(conf.chat_id, conf.message_id or 0))
        return
    await execute_and_report(services, context, prepared, origin, tr, edit=(conf.chat_id, conf.message_id or 0))


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


async def expire_confirmations(context: Context) -> None:
    """Job: questions older than 10 minutes say that they expired."""
    services = svc(context)
    for conf in await services.store.expired_confirmations(time.time() - CONFIRM_TTL):
        if not await services.store.close_confirmation(conf.token, "expired"):
            continue
        lang = json.loads(conf.payload).get("lang", "en")
        if conf.message_id:
            try:
                await context.bot.edit_message_text(Translator(lang)("confirm_expired"), conf.chat_id,
                                                    conf.message_id, parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.info("could not mark confirmation %s expired: %s", conf.token, exc)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("sms", sms_command))
    app.add_handler(CallbackQueryHandler(confirm_callback, pattern=f"^{_CB_PREFIX}"))

