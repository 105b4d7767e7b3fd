"""/contact, /contacts, /group, /groups: admins change the address book, allowed chats read it.
The book's rules (members that exist, no group inside itself, no delete of a member in use)
are bot/services/address_book.py."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.commands import CommandSyntaxError, parse_contact, parse_group
from bot.errors import BotError
from bot.handlers.common import Context, actor, answer, explain, translator
from bot.i18n import Html, Translator
from bot.runtime import runtime_of
from config import Settings
from sms_core.errors import InputError


async def _admin_or_refuse(update: Update, context: Context, tr: Translator) -> bool:
    user = update.effective_user
    if runtime_of(context).access.is_admin(user.id if user else None):
        return True
    await answer(update, tr("admins_only"))
    return False


async def contact_command(update: Update, context: Context) -> None:
    book, tr = runtime_of(context).address_book, translator(update, context)
    if not await _admin_or_refuse(update, context, tr):
        return
    try:
        cmd = parse_contact(context.args or [])
        if cmd.action == "add":
            saved = await book.save_contact(cmd.name, cmd.number, actor(update))
            await answer(update, tr("contact_added" if saved.new else "contact_updated", name=cmd.name,
                                    phone=saved.phone))
        elif await book.delete_contact(cmd.name, actor(update)):
            await answer(update, tr("contact_deleted", name=cmd.name))
        else:
            await answer(update, tr("contact_missing", name=cmd.name))
    except (CommandSyntaxError, BotError, InputError) as exc:
        await answer(update, explain(exc, tr))


async def list_contacts(update: Update, context: Context) -> None:
    tr = translator(update, context)
    contacts = await runtime_of(context).address_book.contacts()
    if not contacts:
        await answer(update, tr("contacts_empty"))
        return
    lines = "\n".join(f"{_esc(c.name)} · <code>{c.phone}</code>" for c in contacts)
    await answer(update, tr("contacts", lines=Html(lines)))


async def group_command(update: Update, context: Context) -> None:
    book, tr = runtime_of(context).address_book, translator(update, context)
    if not await _admin_or_refuse(update, context, tr):
        return
    try:
        cmd = parse_group(context.args or [])
        if cmd.action == "del":
            deleted = await book.delete_group(cmd.name, actor(update))
            await answer(update, tr("group_deleted" if deleted else "group_missing", name=cmd.name))
            return
        members = await book.save_group(cmd.name, cmd.members, actor(update))
        await answer(update, tr("group_added", name=cmd.name, n=len(members)))
    except (CommandSyntaxError, BotError, InputError) as exc:
        await answer(update, explain(exc, tr))


async def list_groups(update: Update, context: Context) -> None:
    tr = translator(update, context)
    groups = await runtime_of(context).address_book.groups()
    if not groups:
        await answer(update, tr("groups_empty"))
        return
    lines = "\n".join(f"@{_esc(g.name)} ({len(g.members)}): {_esc(', '.join(g.members))}" for g in groups)
    await answer(update, tr("groups", lines=Html(lines)))


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def register(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("contact", contact_command))
    app.add_handler(CommandHandler("contacts", list_contacts))
    app.add_handler(CommandHandler("group", group_command))
    app.add_handler(CommandHandler("groups", list_groups))
