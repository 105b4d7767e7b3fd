"""The balance job: hourly, the admins are warned once when the balance runs low
(bot/services/balance.py)."""

from __future__ import annotations

from telegram.ext import ContextTypes

from bot.runtime import runtime_of


async def check_balance(context: ContextTypes.DEFAULT_TYPE) -> None:
    await runtime_of(context).balance.check(context.bot)
