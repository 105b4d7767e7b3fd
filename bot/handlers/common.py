"""What every handler needs: the runtime, the user's language, one-line answers, error wording."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.errors import BotError
from bot.i18n import Translator, pick_language
from bot.i18n.reasons import number_refusal
from bot.runtime import runtime_of
from bot.services.address_book import Actor
from bot.services.status_text import gateway_error_text
from sms_core.errors import (
    EmptyText,
    GatewayError,
    InputError,
    InvalidNumber,
    InvalidSchedule,
    NoRecipients,
    TextTooLong,
    UnsupportedCharacters,
)

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


def translator(update: Update | None, context: Context) -> Translator:
    settings = runtime_of(context).settings
    user = update.effective_user if update is not None else None
    return Translator(pick_language(user.language_code if user else None, settings.language))


def explain(exc: BaseException, tr: Translator) -> str:
    """A refusal in the user's language that says what to change: worded by its reason code
    (a BotError's is its catalogue key), never by its class name."""
    if isinstance(exc, BotError):
        return tr(exc.reason, **exc.params)
    if isinstance(exc, InvalidNumber):
        return tr("invalid_number", raw=exc.raw, reason=number_refusal(exc.why, tr))
    if isinstance(exc, UnsupportedCharacters):
        return tr("unsupported_chars", chars=exc.shown, encoding=exc.encoding.upper())
    if isinstance(exc, TextTooLong):
        return tr("text_too_long", length=exc.length, limit=exc.limit)
    if isinstance(exc, EmptyText):
        return tr("empty_text")
    if isinstance(exc, NoRecipients):
        return tr("no_recipients")
    if isinstance(exc, InvalidSchedule):
        return tr(f"schedule_{exc.kind}", **exc.params)
    if isinstance(exc, GatewayError):
        return tr("input_error", message=gateway_error_text(exc, tr))
    if isinstance(exc, InputError):
        return tr("input_error", message=str(exc))
    return tr("error")


async def answer(update: Update, text: str, **kwargs: Any) -> Message | None:
    """Reply in the same chat and topic, HTML parse mode."""
    msg = update.effective_message
    if msg is None:
        return None
    return await msg.reply_text(text, parse_mode=ParseMode.HTML, do_quote=False,
                                disable_web_page_preview=True, **kwargs)


def user_label(update: Update) -> str | None:
    user = update.effective_user
    if user is None:
        return None
    return f"@{user.username}" if user.username else user.full_name


def actor(update: Update) -> Actor:
    """Who did it, for the audit log."""
    chat, user = update.effective_chat, update.effective_user
    return Actor(chat.id if chat else None, user.id if user else None)
