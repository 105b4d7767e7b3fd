"""/contacts import (the caption of a CSV document, or a reply to one) and /contacts export:
admins move the address book in and out as a file. The rules are bot/services/contacts_transfer.py.

Registered before contacts.py, whose /contacts lists the book: these handlers take only
`/contacts import|export`, and a document whose caption is `/contacts import`.
"""

from __future__ import annotations

import re
import time

from telegram import Document, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.errors import BotError, Reason, Refusal
from bot.handlers.common import Context, answer, explain, translator
from bot.runtime import runtime_of
from bot.services.contacts_csv import MAX_BYTES
from bot.services.contacts_transfer import export_contacts, import_answer, import_contacts
from config import Settings

_COMMAND = re.compile(r"^/contacts(?:@\w+)?\s+(import|export)\b", re.IGNORECASE)
_CAPTION = re.compile(r"^/contacts(?:@\w+)?\s+import\b", re.IGNORECASE)


async def transfer_command(update: Update, context: Context) -> None:
    """`/contacts export`, or `/contacts import` in reply to a document."""
    msg = update.effective_message
    found = _COMMAND.match(msg.text or "") if msg else None
    if msg is None or found is None:
        return
    if found.group(1).lower() == "export":
        await _export(update, context)
    else:
        replied = msg.reply_to_message
        await _import(update, context, replied.document if replied else None)


async def import_caption(update: Update, context: Context) -> None:
    """A document sent with the caption `/contacts import`."""
    msg = update.effective_message
    await _import(update, context, msg.document if msg else None)


async def _admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    if runtime_of(context).access.is_admin(user.id if user else None):
        return True
    await answer(update, translator(update, context)("admins_only"))
    return False


async def _download(context: Context, document: Document) -> bytes:
    """The document's bytes; Refusal for one too big or one Telegram would not give."""
    if document.file_size is not None and document.file_size > MAX_BYTES:
        raise Refusal(Reason.CSV_TOO_BIG, limit=f"{MAX_BYTES // 1024 // 1024} MB")
    try:
        file = await context.bot.get_file(document.file_id)
        return bytes(await file.download_as_bytearray())
    except BadRequest as exc:  # Telegram's own words ("file is too big"), never a URL
        raise Refusal(Reason.CONTACTS_IMPORT_DOWNLOAD_FAILED, error=exc.message[:200]) from None
    except TelegramError as exc:  # a network error's text may hold the download URL, token and all
        raise Refusal(Reason.CONTACTS_IMPORT_DOWNLOAD_FAILED, error=type(exc).__name__) from None


async def _import(update: Update, context: Context, document: Document | None) -> None:
    tr = translator(update, context)
    if not await _admin(update, context):
        return
    if document is None:
        await answer(update, tr("contacts_import_usage"))
        return
    chat, user = update.effective_chat, update.effective_user
    name = document.file_name or "file"
    try:
        data = await _download(context, document)
        plan = await import_contacts(runtime_of(context).store, data, source=f"/contacts import {name}",
                                     chat_id=chat.id if chat else None, user_id=user.id if user else None)
    except BotError as exc:
        await answer(update, explain(exc, tr))
        return
    await answer(update, import_answer(plan, tr, name))


async def _export(update: Update, context: Context) -> None:
    tr = translator(update, context)
    if not await _admin(update, context):
        return
    chat, user, msg = update.effective_chat, update.effective_user, update.effective_message
    export = await export_contacts(runtime_of(context).store, time.time(), source="/contacts export",
                                   chat_id=chat.id if chat else None, user_id=user.id if user else None)
    if msg is not None:
        await msg.reply_document(export.data, filename=export.file_name, do_quote=False,
                                 caption=tr("contacts_export_caption", contacts=export.contacts,
                                            groups=export.groups), parse_mode=ParseMode.HTML)


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("contacts", transfer_command, filters=filters.Regex(_COMMAND)))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.CaptionRegex(_CAPTION), import_caption))
