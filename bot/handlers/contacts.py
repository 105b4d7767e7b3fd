"""/contact, /contacts, /group, /groups: admins change the address book, allowed chats read it."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.commands import CommandSyntaxError, parse_contact, parse_group
from bot.handlers.common import Context, answer, explain, svc, translator
from bot.i18n import Html, Translator
from sms_core.errors import InputError
from sms_core.phones import looks_like_number, normalize_number


async def _audit(update: Update, context: Context, kind: str, detail: str) -> None:
    chat, user = update.effective_chat, update.effective_user
    await svc(context).store.audit(kind, chat.id if chat else None, user.id if user else None, detail)


async def _admin_or_refuse(update: Update, context: Context, tr: Translator) -> bool:
    user = update.effective_user
    if svc(context).access.is_admin(user.id if user else None):
        return True
    await answer(update, tr("admins_only"))
    return False


async def contact_command(update: Update, context: Context) -> None:
    services, tr = svc(context), translator(update, context)
    if not await _admin_or_refuse(update, context, tr):
        return
    try:
        cmd = parse_contact(context.args or [])
        if cmd.action == "add":
            phone = normalize_number(cmd.number)
            new = await services.store.upsert_contact(cmd.name, phone)
            await _audit(update, context, "contact_add", f"{cmd.name} {phone}")
            await answer(update, tr("contact_added" if new else "contact_updated", name=cmd.name, phone=phone))
        elif groups := await services.store.groups_with_member(cmd.name):
            # refused: a group would lose a member silently (and alerts with it)
            await answer(update, tr("member_in_use", name=cmd.name, groups=_group_list(groups)))
        elif await services.store.delete_contact(cmd.name):
            await _audit(update, context, "contact_del", cmd.name)
            await answer(update, tr("contact_deleted", name=cmd.name))
        else:
            await answer(update, tr("contact_missing", name=cmd.name))
    except (CommandSyntaxError, InputError) as exc:
        await answer(update, explain(exc, tr))


async def list_contacts(update: Update, context: Context) -> None:
    services, tr = svc(context), translator(update, context)
    contacts = await services.store.list_contacts()
    if not contacts:
        await answer(update, tr("contacts_empty"))
        return
    lines = "\n".join(f"{_esc(c.name)} · <code>{c.phone}</code>" for c in contacts)
    await answer(update, tr("contacts", lines=Html(lines)))


async def group_command(update: Update, context: Context) -> None:
    services, tr = svc(context), translator(update, context)
    if not await _admin_or_refuse(update, context, tr):
        return
    try:
        cmd = parse_group(context.args or [])
        if cmd.action == "del":
            if groups := await services.store.groups_with_member(f"@{cmd.name}"):
                await answer(update, tr("member_in_use", name=f"@{cmd.name}", groups=_group_list(groups)))
                return
            deleted = await services.store.delete_group(cmd.name)
            if deleted:
                await _audit(update, context, "group_del", cmd.name)
            await answer(update, tr("group_deleted" if deleted else "group_missing", name=cmd.name))
            return
        contacts = {c.name.lower(): c.name for c in await services.store.list_contacts()}
        members: list[str] = []
        for m in cmd.members:
            if looks_like_number(m):
                members.append(normalize_number(m))
            elif m.startswith("@"):
                if await services.store.get_group(m[1:]) is None:
                    raise CommandSyntaxError("unknown_group", name=m[1:])
                members.append(m)
            elif m.lower() in contacts:
                members.append(contacts[m.lower()])
            else:
                raise CommandSyntaxError("unknown_contact", name=m)
        cycle = await services.sending.group_cycle(cmd.name, members)
        if cycle is not None:
            raise CommandSyntaxError("group_cycle", name=cmd.name, member=cycle[1], path=" → ".join(cycle))
        await services.store.replace_group(cmd.name, members)
        await _audit(update, context, "group_add", f"{cmd.name}: {' '.join(members)}")
        await answer(update, tr("group_added", name=cmd.name, n=len(members)))
    except (CommandSyntaxError, InputError) as exc:
        await answer(update, explain(exc, tr))


async def list_groups(update: Update, context: Context) -> None:
    services, tr = svc(context), translator(update, context)
    groups = await services.store.list_groups()
    if not groups:
        await answer(update, tr("groups_empty"))
        return
    lines = "\n".join(f"@{_esc(g.name)} ({len(g.members)}): {_esc(', '.join(g.members))}" for g in groups)
    await answer(update, tr("groups", lines=Html(lines)))


def _group_list(names: list[str]) -> str:
    return ", ".join(f"@{n}" for n in names)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("contact", contact_command))
    app.add_handler(CommandHandler("contacts", list_contacts))
    app.add_handler(CommandHandler("group", group_command))
    app.add_handler(CommandHandler("groups", list_groups))
