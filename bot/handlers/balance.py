"""/balance, and the hourly job that warns admins once when the balance runs low."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from bot.handlers.common import Context, answer, svc, translator
from bot.i18n import Translator
from bot.services.status_text import gateway_reason
from sms_core.errors import GatewayError

log = logging.getLogger(__name__)
_WARNED_KEY = "low_balance_warned"


async def balance_command(update: Update, context: Context) -> None:
    services, tr = svc(context), translator(update, context)
    try:
        balance = await services.gateway.balance()
    except GatewayError as exc:
        await answer(update, tr("balance_failed", error=gateway_reason(type(exc).__name__, None, str(exc), tr)))
        return
    await answer(update, tr("balance", balance=balance))


async def check_balance(context: Context) -> None:
    """Job: warn the admins once when the balance drops below the threshold; re-arm when it recovers."""
    services = svc(context)
    settings = services.settings
    try:
        balance = await services.gateway.balance()
    except GatewayError as exc:
        log.warning("balance check failed: %s", exc)
        return
    warned = await services.store.kv_get(_WARNED_KEY) == "1"
    if balance >= settings.low_balance:
        if warned:
            await services.store.kv_set(_WARNED_KEY, None)
        return
    if warned:
        return
    tr = Translator(settings.language or "en")
    text = tr("low_balance", balance=balance, threshold=settings.low_balance)
    delivered = False
    for admin in settings.admin_user_ids:
        try:
            await context.bot.send_message(admin, text, parse_mode=ParseMode.HTML)
            delivered = True
        except TelegramError as exc:  # the admin never started a chat with the bot
            log.warning("could not warn admin %s about the balance: %s", admin, exc)
    if delivered or not settings.admin_user_ids:
        await services.store.kv_set(_WARNED_KEY, "1")


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("balance", balance_command))
