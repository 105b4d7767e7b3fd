"""/contacts import and export, and `smsbot contacts import|export`: the address book from and
to a CSV file (contacts_csv.py), through the rules of contacts_rows.py.

An import reads the book, plans every row against it, and writes what the accepted rows
change in one store transaction: a refused row changes nothing, the others are all kept
(and an import of the same file again changes nothing more), so the answer lists the
refused rows to fix and import again. Bot commands run one at a time and the command line
refuses a store a bot holds, so nothing changes the book between the read and the write.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.escaping import escape_controls
from bot.i18n import Html, Translator
from bot.i18n.reasons import number_refusal
from bot.services.contacts_csv import read_csv, write_csv
from bot.services.contacts_rows import ImportPlan, LineRefusal, export_rows, plan_import
from bot.store import Store
from sms_core import CST
from sms_core.errors import NumberReason

__all__ = ["NAMES_SHOWN", "Export", "export_contacts", "import_answer", "import_contacts"]

NAMES_SHOWN = 15
"""Names listed of those added, updated, or of the new groups; the rest are counted."""
TELEGRAM_BUDGET = 3900
"""Characters of an answer (Telegram takes 4,096): refused rows are listed while they fit."""
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class Export:
    data: bytes
    contacts: int
    groups: int
    file_name: str


async def import_contacts(store: Store, data: bytes, *, source: str, chat_id: int | None = None,
                          user_id: int | None = None) -> ImportPlan:
    """Import a CSV file's rows (Refusal when the file as a whole cannot be read)."""
    plan = plan_import(read_csv(data), await store.contacts.all(), await store.contacts.all_groups())
    if plan.changes:
        await store.contacts.apply_import(plan.contacts, plan.new_groups, plan.members)
    await store.audit_log.record(
        "contacts_import", chat_id, user_id,
        f"{escape_controls(source)[:80]}: {len(plan.added)} added, {len(plan.updated)} updated, "
        f"{len(plan.new_groups)} new groups, {len(plan.refused)} rows refused")
    return plan


async def export_contacts(store: Store, now: float, *, source: str, chat_id: int | None = None,
                          user_id: int | None = None) -> Export:
    """The whole book as a CSV file that imports back to the same book."""
    contacts, groups = await store.contacts.all(), await store.contacts.all_groups()
    data = write_csv(export_rows(contacts, groups))
    await store.audit_log.record("contacts_export", chat_id, user_id,
                                 f"{escape_controls(source)[:80]}: {len(contacts)} contacts, {len(groups)} groups")
    stamp = datetime.fromtimestamp(now, CST).strftime("%Y%m%d-%H%M")
    return Export(data, len(contacts), len(groups), f"contacts-{stamp}.csv")


def plain_length(rendered: str) -> int:
    """Length of an HTML answer as Telegram counts it: tags gone, entities decoded, UTF-16."""
    return len(html.unescape(_TAG.sub("", rendered)).encode("utf-16-le")) // 2


def _names(names: Sequence[str], tr: Translator) -> Html:
    shown = ", ".join(html.escape(n, quote=False) for n in names[:NAMES_SHOWN])
    more = tr("contacts_import_more", n=len(names) - NAMES_SHOWN) if len(names) > NAMES_SHOWN else ""
    return Html(shown + more)


def refusal_reason(refusal: LineRefusal, tr: Translator) -> str:
    """Why a row was refused, in the reader's language."""
    params = dict(refusal.params)
    if "reason" in params:  # a refused number: why, as a NumberReason code
        params["reason"] = number_refusal(NumberReason(str(params["reason"])), tr)
    return tr(refusal.key, **params)


def import_answer(plan: ImportPlan, tr: Translator, file_name: str, *,
                  budget: int | None = TELEGRAM_BUDGET) -> str:
    """What the import did, as HTML: counts, names, and each refused row with its line and why
    (as many as fit `budget` characters; None: all of them)."""
    lines = [tr("contacts_import_head", file=file_name[:80], rows=plan.rows, encoding=plan.encoding)]
    if plan.added:
        lines.append(tr("contacts_import_added", n=len(plan.added), names=_names(plan.added, tr)))
    if plan.updated:
        lines.append(tr("contacts_import_updated", n=len(plan.updated), names=_names(plan.updated, tr)))
    if plan.unchanged:
        lines.append(tr("contacts_import_unchanged", n=plan.unchanged))
    if plan.new_groups:
        groups = [f"@{g}" for g in plan.new_groups]
        lines.append(tr("contacts_import_new_groups", n=len(groups), names=_names(groups, tr)))
    if plan.refused:
        lines.append(tr("contacts_import_refused", n=len(plan.refused)))
        used = plain_length("\n".join(lines))
        for shown, refusal in enumerate(plan.refused):
            line = tr("contacts_import_line", line=refusal.line, reason=Html(refusal_reason(refusal, tr)))
            left = len(plan.refused) - shown
            rest = tr("contacts_import_rest", n=left - 1) if left > 1 else ""
            if budget is not None and used + plain_length(line) + plain_length(rest) + 2 > budget:
                lines.append(tr("contacts_import_rest", n=left))
                break
            lines.append(line)
            used += plain_length(line) + 1
    elif not plan.changes:
        lines.append(tr("contacts_import_nothing"))
    return "\n".join(lines)


def plain_text(rendered: str) -> str:
    """An HTML answer as the command line prints it (control characters escaped)."""
    return "\n".join(escape_controls(line) for line in html.unescape(_TAG.sub("", rendered)).split("\n"))
