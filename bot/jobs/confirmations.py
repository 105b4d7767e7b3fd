"""The expiry job: confirm questions older than their TTL are closed and say so
(bot/services/confirmations.py)."""

from __future__ import annotations

from telegram.ext import ContextTypes

from bot.runtime import runtime_of


async def expire_confirmations(context: ContextTypes.DEFAULT_TYPE) -> None:
    await runtime_of(context).confirmations.expire(context.bot)
