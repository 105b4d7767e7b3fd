"""/ack CODE: acknowledge an open alert from chat (the allowed chats only: the guard ran before).
An ack by SMS is the poller's inbound hook (bot/services/alerts/acks.py)."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handlers.common import Context, answer, translator, user_label
from bot.runtime import runtime_of
from bot.services.alerts.ack_status import ack_answer
from config import Settings

_ACK_ARG = re.compile(r"^#?(\d{1,6})$")


async def ack_command(update: Update, context: Context) -> None:
    tr = translator(update, context)
    args = context.args or []
    m = _ACK_ARG.match(args[0]) if len(args) == 1 else None
    if m is None:
        await answer(update, tr("ack_usage"))
        return
    code = int(m.group(1))
    who = user_label(update) or "?"
    result = await runtime_of(context).alerts.service.ack(code, who)
    await answer(update, ack_answer(result.outcome, result.alert, code, who, tr))


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("ack", ack_command))
