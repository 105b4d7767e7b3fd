"""/history [NUMBER|NAME]: the last sends with their status and delivery counts."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.errors import BotError
from bot.handlers.common import Context, answer, explain, translator
from bot.i18n import Html
from bot.runtime import runtime_of
from bot.store import SendRecord, Store
from config import Settings
from sms_core.errors import InputError
from sms_core.schedule import CST


async def history_command(update: Update, context: Context) -> None:
    runtime, tr = runtime_of(context), translator(update, context)
    args = context.args or []
    phones: list[str] | None = None
    who = " ".join(args)
    try:
        if who:
            phones = await runtime.address_book.phones_of(who)
    except (BotError, InputError) as exc:
        await answer(update, explain(exc, tr))
        return
    records = await runtime.store.history(phones, limit=10)
    if not records:
        await answer(update, tr("history_none_for", who=who) if who else tr("history_empty"))
        return
    lines = []
    for r in records:
        lines.append(tr(
            "history_line", id=r.id, when=_when(r), state=tr(f"state_{r.state}"),
            targets=await _targets(runtime.store, r), delivered=r.delivered, accepted=r.accepted,
            failed=Html(tr("status_failed_part", failed=r.failed) if r.failed else ""),
            text=r.text if len(r.text) <= 80 else r.text[:79] + "…",
        ))
    await answer(update, tr("history", lines=Html("\n\n".join(lines))))


def _when(record: SendRecord) -> str:
    return datetime.fromtimestamp(record.created_at, CST).strftime("%m-%d %H:%M")


async def _targets(store: Store, record: SendRecord) -> str:
    recipients = await store.recipients_of(record.id)
    shown = [r.phone for r in recipients[:3]]
    more = f" +{len(recipients) - 3}" if len(recipients) > 3 else ""
    return ", ".join(shown) + more


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("history", history_command))
