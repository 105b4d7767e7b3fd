"""/history [NUMBER|NAME|#ID [PAGE]]: the last sends with their delivery counts; one phone's
sends with what became of it in each; each number of one send (bot/services/send_details.py)."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.errors import BotError, Reason, Refusal
from bot.handlers.common import Context, answer, explain, translator
from bot.i18n import Html
from bot.runtime import Runtime, runtime_of
from bot.services.send_details import phone_history, send_detail, target_names
from bot.store import SendRecord
from config import Settings
from sms_core.errors import InputError
from sms_core.phones import normalize_number
from sms_core.schedule import CST


async def history_command(update: Update, context: Context) -> None:
    runtime, tr = runtime_of(context), translator(update, context)
    store = runtime.store
    args = context.args or []
    who = " ".join(args)
    try:
        if who.startswith("#"):
            send_id, page = _send_and_page(args)
            detail = await send_detail(store.sends, store.contacts, send_id, page, tr)
            await answer(update, detail.text, reply_markup=detail.markup(tr))
            return
        if who:
            phone = await _phone_of(runtime, who)
            shown = await phone_history(store.sends, store.contacts, phone, tr, limit=10)
            await answer(update, shown or tr("history_none_for", who=who))
            return
    except (BotError, InputError) as exc:
        await answer(update, explain(exc, tr))
        return
    records = await store.sends.history(None, limit=10)
    if not records:
        await answer(update, tr("history_empty"))
        return
    targets = await target_names(store.contacts, records, store.sends)
    lines = []
    for r in records:
        lines.append(tr(
            "history_line", id=r.id, when=_when(r), state=tr(f"state_{r.state}"),
            targets=targets[r.id], delivered=r.delivered, accepted=r.accepted,
            failed=Html(tr("status_failed_part", failed=r.failed) if r.failed else ""),
            text=r.text if len(r.text) <= 80 else r.text[:79] + "…",
        ))
    await answer(update, tr("history", lines=Html("\n\n".join(lines))))


def _send_and_page(args: list[str]) -> tuple[int, int]:
    """`#ID`, `#ID PAGE` or `# ID PAGE` -> (send id, page)."""
    words = " ".join(args).removeprefix("#").split()
    if not 1 <= len(words) <= 2 or not all(w.isascii() and w.isdigit() and len(w) <= 18 for w in words):
        raise Refusal(Reason.HISTORY_USAGE)
    return int(words[0]), int(words[1]) if len(words) == 2 else 1


async def _phone_of(runtime: Runtime, who: str) -> str:
    """The number `who` names (typed, or a contact's; UnknownContact otherwise). A bare number
    that is no phone number (`3`) is taken for a send's id the user meant: the refusal says how
    to ask for that."""
    if who.isdigit():
        try:
            return normalize_number(who)
        except InputError:
            raise Refusal(Reason.HISTORY_NOT_NUMBER, raw=who) from None
    [phone] = await runtime.address_book.phones_of(who)
    return phone


def _when(record: SendRecord) -> str:
    return datetime.fromtimestamp(record.created_at, CST).strftime("%m-%d %H:%M")


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("history", history_command))
