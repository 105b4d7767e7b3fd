"""The step /sms and a reply in the inbox share: the message is claimed once, then the send
goes now, or a confirm question with two buttons and the balance asks first
(bot/services/confirmations.py), and the answer is the send's status message
(bot/services/status_messages.py); a scheduled send is held until its hour instead
(bot/services/scheduled.py), its status message saying so."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.handlers.common import Context, answer, translator, user_label
from bot.i18n import Html, Translator
from bot.inbox.replies import topic_of
from bot.runtime import Runtime, runtime_of
from bot.services.confirmations import Funds
from bot.services.sending import Origin, PreparedSend
from bot.services.status_messages import Show, Shown
from bot.services.status_text import cost_line, gateway_error_text, scheduled_when

log = logging.getLogger(__name__)
CALLBACK_PREFIX = "sms:"


async def send_or_confirm(update: Update, context: Context, prepared: PreparedSend, *, origin_kind: str) -> None:
    runtime = runtime_of(context)
    tr = translator(update, context)
    chat, user, msg = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None
    if msg is not None and not await runtime.sending.claim(chat.id, msg.message_id):
        log.warning("message %s in chat %s was already acted on (redelivered update): not sent again",
                    msg.message_id, chat.id)
        return
    origin = Origin(origin_kind, chat.id, user.id, user_label(update), lang=tr.lang,
                    status_chat_id=chat.id, status_topic_id=topic_of(msg))
    if runtime.confirmations.needed(prepared):
        funds = await runtime.confirmations.funds(prepared)
        if funds.refused:  # asking would only lead to the gateway's -9
            await answer(update, tr("sms_over_balance", cost=funds.cost, balance=funds.balance))
            return
        token = await runtime.confirmations.ask(prepared, origin)
        question = await answer(update, question_text(prepared, funds, tr), reply_markup=InlineKeyboardMarkup([[
            InlineKeyboardButton(tr("confirm_button"), callback_data=f"{CALLBACK_PREFIX}ok:{token}"),
            InlineKeyboardButton(tr("cancel_button"), callback_data=f"{CALLBACK_PREFIX}no:{token}"),
        ]]))
        if question is not None:
            await runtime.confirmations.asked_in(token, question.message_id)
        return
    assert msg is not None
    await send_or_hold(runtime, prepared, origin, tr, reply_with(msg))


async def send_or_hold(runtime: Runtime, prepared: PreparedSend, origin: Origin, tr: Translator,
                       show: Show) -> None:
    """Send now, or hold a scheduled send until its hour (smsbot holds it: the gateway's own
    schedule cannot be cancelled); `show` posts the status message either way."""
    if prepared.at is not None:
        await runtime.scheduled.hold_and_show(prepared, origin, tr, show)
    else:
        await runtime.status_messages.send_and_show(prepared, origin, tr, show)


def question_text(prepared: PreparedSend, funds: Funds, tr: Translator) -> str:
    cost = cost_line(tr, len(prepared.numbers), prepared.segments)
    if prepared.at is not None:  # the sender confirms the time too
        cost = Html(cost + tr("status_scheduled_part", when=scheduled_when(prepared.at)))
    cost = Html(f"{cost}\n{balance_line(prepared, funds, tr)}")
    return tr("confirm_question", n=len(prepared.numbers), cost=cost, text=prepared.text)


def balance_line(prepared: PreparedSend, funds: Funds, tr: Translator) -> str:
    """The question's balance line: the balance, why it could not be read, or (a scheduled send
    costing more) a warning to top it up before its time."""
    if funds.balance is None:
        error = gateway_error_text(funds.error, tr) if funds.error is not None else Html("?")
        return tr("confirm_balance_failed", error=error)
    if funds.short and prepared.at is not None:
        return tr("confirm_balance_low", balance=funds.balance, when=scheduled_when(prepared.at))
    return tr("confirm_balance", balance=funds.balance)


def reply_with(msg: Message) -> Show:
    """The status as a new message beside `msg` (in its topic)."""

    async def show(text: str, markup: InlineKeyboardMarkup) -> Shown:
        sent = await msg.reply_text(text, parse_mode=ParseMode.HTML, do_quote=False, reply_markup=markup)
        return Shown(sent.chat_id, sent.message_id, sent.message_thread_id)

    return show


def edit_into(context: Context, chat_id: int, message_id: int, topic_id: int | None) -> Show:
    """The status in place of the confirm question."""

    async def show(text: str, markup: InlineKeyboardMarkup) -> Shown:
        await context.bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML,
                                            reply_markup=markup)
        return Shown(chat_id, message_id, topic_id)

    return show
