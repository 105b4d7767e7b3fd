"""/balance: the account's balance. The low-balance warning is a job (bot/jobs/balance.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handlers.common import Context, answer, translator
from bot.runtime import runtime_of
from bot.services.status_text import gateway_error_text
from config import Settings
from sms_core.errors import GatewayError


async def balance_command(update: Update, context: Context) -> None:
    tr = translator(update, context)
    try:
        balance = await runtime_of(context).balance.current()
    except GatewayError as exc:
        await answer(update, tr("balance_failed", error=gateway_error_text(exc, tr)))
        return
    await answer(update, tr("balance", balance=balance))


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("balance", balance_command))
