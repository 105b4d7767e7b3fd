"""/history [NUMBER|NAME]: the last sends with their status and delivery counts."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handlers.common import Context, answer, explain, svc, translator
from bot.i18n import Html
from bot.store import SendRecord, Store
from sms_core.errors import InputError
from sms_core.phones import looks_like_number, normalize_number
from sms_core.schedule import CST


async def history_command(update: Update, context: Context) -> None:
    services, tr = svc(context), translator(update, context)
    args = context.args or []
    phones: list[str] | None = None
    who = ""
    try:
        if args:
            who = " ".join(args)
            if looks_like_number(who):
                phones = [normalize_number(who)]
            else:
                contact = await services.store.get_contact(who)
                if contact is None:
                    await answer(update, tr("unknown_contact", name=who))
                    return
                phones = [contact.phone]
    except InputError as exc:
        await answer(update, explain(exc, tr))
        return
    records = await services.store.history(phones, limit=10)
    if not records:
        await answer(update, tr("history_none_for", who=who) if who else tr("history_empty"))
        return
    lines = []
    for r in records:
        lines.append(tr(
            "history_line", id=r.id, when=_when(r), state=tr(f"state_{r.state}"),
            targets=await _targets(services.store, r), delivered=r.delivered, accepted=r.accepted,
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


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("history", history_command))
